"""SQLite file databases keep their connections between transactions."""

import pytest
import sqlalchemy as sa
from oslo_db import exception as db_exc

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


def test_a_moved_database_file_is_not_read_through_an_old_connection(
        tmp_path):
    path = tmp_path / 'cell.sqlite'
    manager = engines.create_context_manager('sqlite:///%s' % path)
    try:
        engine = manager.writer.get_engine()
        with engine.begin() as connection:
            connection.execute(sa.text('CREATE TABLE t (x INTEGER)'))
            connection.execute(sa.text('INSERT INTO t VALUES (1)'))
        # The file moved aside and a directory in its place: as a
        # database server that went down, no connection reads it now.
        path.rename(tmp_path / 'cell.sqlite.stopped')
        path.mkdir()
        with pytest.raises(db_exc.DBError):
            with engine.connect() as connection:
                connection.execute(sa.text('SELECT x FROM t'))
        path.rmdir()
        (tmp_path / 'cell.sqlite.stopped').rename(path)
        with engine.connect() as connection:
            assert connection.execute(sa.text('SELECT x FROM t')).scalar() \
                == 1
    finally:
        engines.dispose_all()
