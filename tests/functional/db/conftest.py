"""Throwaway databases on SQLite, MariaDB and PostgreSQL (on loopback)."""

import os
import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy import pool

from trove_mr.common import cfg
from trove_mr.db import engines

# tools/ensure-services.sh creates this account on both servers (root
# only logs in through the socket on a stock Debian install).
MYSQL_SERVER = os.environ.get(
    'TROVE_MR_TEST_MYSQL', 'mysql+pymysql://trove_mr_test:trove_mr_test'
    '@127.0.0.1:3306')
POSTGRES_SERVER = os.environ.get(
    'TROVE_MR_TEST_POSTGRES', 'postgresql+psycopg2://trove_mr_test:'
    'trove_mr_test@127.0.0.1:5432')
BACKENDS = ('sqlite', 'mysql', 'postgresql')


def _admin(url):
    return sa.create_engine(url, poolclass=pool.NullPool,
                            isolation_level='AUTOCOMMIT')


def _create(backend, name, tmp_path):
    if backend == 'sqlite':
        return 'sqlite:///%s' % (tmp_path / ('%s.sqlite' % name))
    if backend == 'mysql':
        engine = _admin(MYSQL_SERVER + '/')
        with engine.connect() as conn:
            conn.execute(sa.text('CREATE DATABASE %s CHARACTER SET utf8mb4'
                                 % name))
        engine.dispose()
        return '%s/%s?charset=utf8mb4' % (MYSQL_SERVER, name)
    engine = _admin(POSTGRES_SERVER + '/postgres')
    with engine.connect() as conn:
        conn.execute(sa.text('CREATE DATABASE %s' % name))
    engine.dispose()
    return '%s/%s' % (POSTGRES_SERVER, name)


def _drop(backend, name):
    if backend == 'mysql':
        engine = _admin(MYSQL_SERVER + '/')
        with engine.connect() as conn:
            conn.execute(sa.text('DROP DATABASE IF EXISTS %s' % name))
        engine.dispose()
    elif backend == 'postgresql':
        engine = _admin(POSTGRES_SERVER + '/postgres')
        with engine.connect() as conn:
            conn.execute(sa.text('DROP DATABASE IF EXISTS %s WITH (FORCE)'
                                 % name))
        engine.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path):
    """An empty database with a random name, dropped afterwards."""
    backend = request.param
    name = 'trovemr_%s' % uuid.uuid4().hex[:12]
    url = _create(backend, name, tmp_path)
    yield url
    # Pooled connections would keep the database in use.
    engines.dispose_all()
    _drop(backend, name)


@pytest.fixture
def api_database(database_url):
    """The throwaway database configured as the API database."""
    cfg.CONF.set_override('connection', database_url, group='api_database')
    yield database_url
    cfg.CONF.clear_override('connection', group='api_database')
