"""Both migration lines on SQLite, MariaDB and PostgreSQL."""

import sqlalchemy as sa
from alembic import autogenerate
from alembic import migration as alembic_migration
from sqlalchemy import pool

from trove_mr.db import migration
from trove_mr.db.api import models as api_models
from trove_mr.db.main import models

METADATA = {'api': api_models.APIBase.metadata,
            'region': models.RegionBase.metadata}


def _schema_snapshot(url):
    engine = sa.create_engine(url, poolclass=pool.NullPool)
    try:
        inspector = sa.inspect(engine)
        return {table: (sorted(c['name'] for c in
                               inspector.get_columns(table)),
                        sorted(i['name'] for i in
                               inspector.get_indexes(table)))
                for table in inspector.get_table_names()}
    finally:
        engine.dispose()


def test_both_lines_upgrade_from_empty_to_head_and_again_changes_nothing(
        database_url):
    for line in migration.LINES:
        assert migration.current(line, database_url) is None
        migration.upgrade(line, database_url)
        assert migration.current(line, database_url) == migration.head(line)
    first = _schema_snapshot(database_url)
    for line in migration.LINES:
        migration.upgrade(line, database_url)
        assert migration.current(line, database_url) == migration.head(line)
    assert _schema_snapshot(database_url) == first
    assert {'alembic_version_api', 'alembic_version_region',
            'region_mappings', 'instances'} <= set(first)


def _differences(connection, line):
    metadata = METADATA[line]

    def ours(name, type_, parent_names):
        # Both lines share the database here: compare each line's own
        # tables only.
        if type_ == 'table':
            return name in metadata.tables
        return True

    context = alembic_migration.MigrationContext.configure(
        connection, opts={'compare_type': True, 'include_name': ours,
                          'version_table': migration.VERSION_TABLES[line]})
    return autogenerate.compare_metadata(context, metadata)


def test_models_match_the_migrations_of_both_lines(database_url):
    for line in migration.LINES:
        migration.upgrade(line, database_url)
    engine = sa.create_engine(database_url, poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            for line in migration.LINES:
                assert _differences(connection, line) == [], line
    finally:
        engine.dispose()
