"""Quota reservations racing on every supported database."""

from tests.unit.db.test_api_db import reserve_concurrently
from trove_mr.common import context as trove_context
from trove_mr.db import migration
from trove_mr.db.api import api as api_db


def test_quota_reserve_never_exceeds_limit_under_20_threads(api_database):
    migration.upgrade('api', api_database)
    ctx = trove_context.get_admin_context()
    outcomes = reserve_concurrently(ctx, callers=20, limit=7)
    assert sorted(outcomes) == ['ok'] * 7 + ['over'] * 13
    assert api_db.quota_usage_get_all(ctx, 'race') == {'instances': 7}
