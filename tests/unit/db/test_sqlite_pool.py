"""SQLite file databases keep their connections between transactions."""

import sqlalchemy as sa

from trove_mr.db import engines


def test_a_sqlite_file_engine_reuses_its_connections(tmp_path):
    url = 'sqlite:///%s' % (tmp_path / 'cell.sqlite')
    manager = engines.create_context_manager(url)
    try:
        engine = manager.writer.get_engine()
        assert isinstance(engine.pool, sa.pool.QueuePool)
        seen = set()
        for _ in range(3):
            with engine.connect() as connection:
                seen.add(id(connection.connection.dbapi_connection))
                # oslo.db's connect listeners still ran on this connection.
                assert connection.execute(
                    sa.text("SELECT 'abc' REGEXP 'b'")).scalar() == 1
        assert len(seen) == 1
    finally:
        engines.dispose_all()


def test_other_databases_keep_oslo_db_pools(tmp_path):
    assert engines._sqlite_file('sqlite:///%s' % (tmp_path / 'x.sqlite'))
    assert not engines._sqlite_file('sqlite://')
    assert not engines._sqlite_file('sqlite:///:memory:')
    assert not engines._sqlite_file('mysql+pymysql://root@127.0.0.1/x')
