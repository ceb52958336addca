"""The two migration lines (API database and region database), run in code.

Each line has its own alembic script directory and its own version table,
so both can live in one database (the single-database deployment) or in
two. No alembic.ini is needed: the configuration is built here.
"""

import os

import sqlalchemy as sa
from alembic import command
from alembic import config as alembic_config
from alembic import migration as alembic_migration
from alembic import script as alembic_script
from sqlalchemy import pool

LINES = ('api', 'region')
VERSION_TABLES = {
    'api': 'alembic_version_api',
    'region': 'alembic_version_region',
}
_HERE = os.path.dirname(os.path.abspath(__file__))
# Each line's script directory sits in its database's folder.
SCRIPT_DIRS = {
    'api': os.path.join(_HERE, 'api', 'migrations'),
    'region': os.path.join(_HERE, 'main', 'migrations'),
}


def _check(which):
    if which not in LINES:
        raise ValueError('unknown migration line %r, expected one of %s'
                         % (which, ', '.join(LINES)))


def _alembic_config(which, connection=None):
    _check(which)
    cfg = alembic_config.Config()
    cfg.set_main_option('script_location', SCRIPT_DIRS[which])
    # Passed as an attribute, not a main option: URLs may contain '%'
    # that the ini interpolation would mangle.
    cfg.attributes['connection'] = connection
    return cfg


def _engine(connection_url):
    # A throwaway engine: migrations run once, pooled connections would
    # only keep databases busy (PostgreSQL refuses to drop them).
    return sa.create_engine(connection_url, poolclass=pool.NullPool)


def run_env(context, which, target_metadata):
    """Body of each line's env.py: run migrations on the given connection."""
    connection = context.config.attributes.get('connection')
    if connection is None:
        raise RuntimeError('trove-mr migrations run through '
                           'trove_mr.db.migration or trove-mr-manage')
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        version_table=VERSION_TABLES[which],
        # SQLite cannot ALTER most things: let alembic copy tables.
        render_as_batch=connection.dialect.name == 'sqlite',
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def upgrade(which, connection_url, revision='head'):
    """Upgrade one line ('api' or 'region') of a database to ``revision``."""
    engine = _engine(connection_url)
    try:
        with engine.begin() as connection:
            command.upgrade(_alembic_config(which, connection), revision)
    finally:
        engine.dispose()


def current(which, connection_url):
    """The revision a database is at on one line; None when not created."""
    _check(which)
    engine = _engine(connection_url)
    try:
        with engine.connect() as connection:
            ctx = alembic_migration.MigrationContext.configure(
                connection,
                opts={'version_table': VERSION_TABLES[which]})
            return ctx.get_current_revision()
    finally:
        engine.dispose()


def head(which):
    """The newest revision of one line."""
    script = alembic_script.ScriptDirectory.from_config(
        _alembic_config(which))
    return script.get_current_head()
