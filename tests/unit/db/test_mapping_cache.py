"""The mapping lookup cache: hits, TTL, and invalidation on writes."""

import sqlalchemy as sa

from trove_mr.common import cfg
from trove_mr.db.api import api as api_db
from trove_mr.db.api import mapping_cache

CONF = cfg.CONF


def _rename_behind_the_cache(api_url, old, new):
    """Change a mapping's name with raw SQL, as another process would."""
    engine = sa.create_engine(api_url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text('UPDATE region_mappings SET name = :new '
                                 'WHERE name = :old'), {'new': new,
                                                        'old': old})
    finally:
        engine.dispose()


def test_region_lookup_is_served_from_cache_until_ttl(ctx, db_urls,
                                                      monkeypatch):
    made = api_db.region_mapping_create(ctx, 'R2', 'rabbit://h//',
                                        'sqlite://')
    assert api_db.region_mapping_get(ctx, made.uuid).name == 'R2'
    assert len(api_db.region_mapping_list(ctx)) == 1
    _rename_behind_the_cache(db_urls['api'], 'R2', 'R3')
    # Cached by uuid and by name: no database read sees the rename.
    assert api_db.region_mapping_get(ctx, made.uuid).name == 'R2'
    assert api_db.region_mapping_get(ctx, 'R2').uuid == made.uuid
    assert [m.name for m in api_db.region_mapping_list(ctx)] == ['R2']
    # Past the TTL the database is read again.
    clock = mapping_cache.time.monotonic() + 3600
    monkeypatch.setattr(mapping_cache.time, 'monotonic', lambda: clock)
    assert api_db.region_mapping_get(ctx, made.uuid).name == 'R3'
    assert [m.name for m in api_db.region_mapping_list(ctx)] == ['R3']


def test_mapping_writes_in_this_process_invalidate_at_once(ctx):
    made = api_db.region_mapping_create(ctx, 'R2', 'rabbit://h//',
                                        'sqlite://')
    assert api_db.region_mapping_get(ctx, 'R2').transport_url == \
        'rabbit://h//'
    api_db.region_mapping_update(ctx, 'R2', transport_url='rabbit://h2//')
    assert api_db.region_mapping_get(ctx, made.uuid).transport_url == \
        'rabbit://h2//'
    assert [m.transport_url for m in api_db.region_mapping_list(ctx)] == \
        ['rabbit://h2//']


def test_instance_mapping_delete_forgets_the_cached_lookup(ctx):
    made = api_db.region_mapping_create(ctx, 'R2', 'rabbit://h//',
                                        'sqlite://')
    api_db.instance_mapping_create(ctx, 'i-1', made.uuid, 'tenant-a')
    assert api_db.instance_mapping_get(ctx, 'i-1').uuid == made.uuid
    api_db.instance_mapping_delete(ctx, 'i-1')
    assert mapping_cache.get('instance', 'i-1') is None


def test_zero_ttl_disables_the_cache(ctx, db_urls):
    CONF.set_override('mapping_cache_ttl', 0, group='api_database')
    try:
        made = api_db.region_mapping_create(ctx, 'R2', 'rabbit://h//',
                                            'sqlite://')
        api_db.region_mapping_get(ctx, made.uuid)
        _rename_behind_the_cache(db_urls['api'], 'R2', 'R3')
        assert api_db.region_mapping_get(ctx, made.uuid).name == 'R3'
    finally:
        CONF.clear_override('mapping_cache_ttl', group='api_database')


def test_a_missing_mapping_is_not_cached(ctx):
    assert api_db.region_mapping_list(ctx) == []
    api_db.region_mapping_create(ctx, 'R2', 'rabbit://h//', 'sqlite://')
    assert [m.name for m in api_db.region_mapping_list(ctx)] == ['R2']
