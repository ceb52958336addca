"""Fixtures of the DB API unit tests: migrated SQLite databases."""

import pytest

from trove_mr.common import cfg
from trove_mr.common import context as trove_context
from trove_mr.db import cells
from trove_mr.db import engines
from trove_mr.db import migration


def _migrated_sqlite(path, *lines):
    url = 'sqlite:///%s' % path
    for line in lines:
        migration.upgrade(line, url)
    return url


@pytest.fixture
def db_urls(tmp_path):
    """A region and an API database, migrated, set as the process's own."""
    region_url = _migrated_sqlite(tmp_path / 'region.sqlite', 'region')
    api_url = _migrated_sqlite(tmp_path / 'api.sqlite', 'api')
    cfg.CONF.set_override('connection', region_url, group='database')
    cfg.CONF.set_override('connection', api_url, group='api_database')
    yield {'region': region_url, 'api': api_url, 'tmp': tmp_path}
    engines.dispose_all()
    cells.clear_cache()
    cfg.CONF.clear_override('connection', group='database')
    cfg.CONF.clear_override('connection', group='api_database')


@pytest.fixture
def ctx(db_urls):
    return trove_context.RequestContext(project_id='tenant-a',
                                        user_id='user-a')


@pytest.fixture
def other_region_url(tmp_path):
    """A second, separately migrated region database."""
    return _migrated_sqlite(tmp_path / 'region2.sqlite', 'region')
