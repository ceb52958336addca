"""API DB API: encrypted region mappings, resource mappings, quotas."""

import threading

import pytest
import sqlalchemy as sa

from trove_mr.common import crypto
from trove_mr.common import exceptions
from trove_mr.db.api import api as api_db

TRANSPORT = 'rabbit://trove:s3cret@127.0.0.1:5672/'
DATABASE = 'mysql+pymysql://trove:dbpass@127.0.0.1/trove'


def _raw_rows(url):
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(
                sa.text('SELECT transport_url, database_connection '
                        'FROM region_mappings'))]
    finally:
        engine.dispose()


def test_mapping_urls_are_encrypted_at_rest_and_clear_on_read(ctx, db_urls):
    made = api_db.region_mapping_create(ctx, 'RegionTwo', TRANSPORT,
                                        DATABASE)
    [(transport, database)] = _raw_rows(db_urls['api'])
    assert 's3cret' not in transport and 'dbpass' not in database
    assert crypto.is_encrypted(transport)
    got = api_db.region_mapping_get(ctx, made.uuid)
    assert (got.transport_url, got.database_connection) == (TRANSPORT,
                                                            DATABASE)
    assert api_db.region_mapping_get(ctx, 'RegionTwo').uuid == made.uuid
    assert 's3cret' not in repr(got)


def test_mask_url_hides_every_password():
    masked = api_db.mask_url('rabbit://a:p1@h1:5672,b:p2@h2:5672/vhost')
    assert masked == 'rabbit://a:****@h1:5672,b:****@h2:5672/vhost'
    assert api_db.mask_url('sqlite:////tmp/x.db') == 'sqlite:////tmp/x.db'


def test_duplicate_mapping_name_conflicts(ctx):
    api_db.region_mapping_create(ctx, 'RegionTwo', TRANSPORT, DATABASE)
    with pytest.raises(exceptions.Conflict):
        api_db.region_mapping_create(ctx, 'RegionTwo', TRANSPORT, DATABASE)


def test_mapping_with_resources_cannot_be_deleted(ctx):
    mapping = api_db.region_mapping_create(ctx, 'R2', TRANSPORT, DATABASE)
    api_db.instance_mapping_create(ctx, 'i-1', mapping.uuid, 'tenant-a')
    assert api_db.instance_mapping_get(ctx, 'i-1').uuid == mapping.uuid
    with pytest.raises(exceptions.Conflict):
        api_db.instance_mapping_create(ctx, 'i-1', mapping.uuid, 'p')
    with pytest.raises(exceptions.Conflict):
        api_db.region_mapping_delete(ctx, 'R2')
    api_db.instance_mapping_delete(ctx, 'i-1')
    with pytest.raises(exceptions.ResourceMappingNotFound):
        api_db.instance_mapping_get(ctx, 'i-1')
    api_db.region_mapping_delete(ctx, 'R2')
    with pytest.raises(exceptions.RegionMappingNotFound):
        api_db.region_mapping_get(ctx, mapping.uuid)
    assert api_db.region_mapping_list(ctx) == []


def test_cluster_mapping_points_at_its_cell(ctx):
    mapping = api_db.region_mapping_create(ctx, 'R2', TRANSPORT, DATABASE)
    api_db.cluster_mapping_create(ctx, 'c-1', mapping.uuid, 'tenant-a')
    assert api_db.cluster_mapping_get(ctx, 'c-1').name == 'R2'
    api_db.cluster_mapping_delete(ctx, 'c-1')
    with pytest.raises(exceptions.ResourceMappingNotFound):
        api_db.cluster_mapping_delete(ctx, 'c-1')


def test_rotate_key_reencrypts_every_mapping(ctx, db_urls):
    from trove_mr.common import cfg

    api_db.region_mapping_create(ctx, 'R2', TRANSPORT, DATABASE)
    old_key = cfg.CONF.api_database.mapping_encr_key
    cfg.CONF.set_override('mapping_encr_key', 'a-new-key',
                          group='api_database')
    try:
        with pytest.raises(crypto.DecryptionError):
            api_db.region_mapping_list(ctx)
        assert api_db.region_mapping_rotate_key(ctx, old_key) == 1
        [mapping] = api_db.region_mapping_list(ctx)
        assert mapping.transport_url == TRANSPORT
        [(transport, _)] = _raw_rows(db_urls['api'])
        assert crypto.key_id_of(transport) == crypto.key_id('a-new-key')
    finally:
        cfg.CONF.clear_override('mapping_encr_key', group='api_database')


def _execute(url, sql, **params):
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(sql), params)
    finally:
        engine.dispose()


def test_mapping_secrets_of_two_rows_cannot_be_swapped(ctx, db_urls):
    api_db.region_mapping_create(ctx, 'R2', TRANSPORT, DATABASE)
    api_db.region_mapping_create(ctx, 'R3', 'rabbit://other@h:5672/',
                                 'sqlite:///other')
    rows = _raw_rows(db_urls['api'])
    # The second row's transport_url sealed text copied onto the first.
    _execute(db_urls['api'], "UPDATE region_mappings SET transport_url = "
             ":t WHERE name = 'R2'", t=rows[1][0])
    with pytest.raises(crypto.DecryptionError):
        api_db.region_mapping_list(ctx)


def test_rewrap_moves_mappings_to_the_new_key_reading_the_old(ctx,
                                                             db_urls):
    from trove_mr.common import cfg

    api_db.region_mapping_create(ctx, 'R2', TRANSPORT, DATABASE)
    old_key = cfg.CONF.api_database.mapping_encr_key
    old_id = crypto.key_id(old_key)
    cfg.CONF.set_override('mapping_encr_key', 'a-new-key',
                          group='api_database')
    cfg.CONF.set_override('mapping_encr_old_keys', [old_key],
                          group='api_database')
    try:
        # Both are read during the change.
        assert api_db.region_mapping_list(ctx)[0].transport_url == \
            TRANSPORT
        assert api_db.region_mapping_key_ids(ctx) == {old_id: 2}
        assert api_db.region_mappings_rewrap(ctx) == 1
        assert api_db.region_mappings_rewrap(ctx) == 0
        assert api_db.region_mapping_key_ids(ctx) == {
            crypto.key_id('a-new-key'): 2}
        cfg.CONF.clear_override('mapping_encr_old_keys',
                                group='api_database')
        assert api_db.region_mapping_list(ctx)[0].database_connection == \
            DATABASE
    finally:
        cfg.CONF.clear_override('mapping_encr_key', group='api_database')
        cfg.CONF.clear_override('mapping_encr_old_keys',
                                group='api_database')


def test_quota_reserve_refuses_past_the_limit_and_release_gives_back(ctx):
    assert api_db.quota_reserve(ctx, 'p', 'instances', 2, 3) == 2
    with pytest.raises(exceptions.QuotaExceeded):
        api_db.quota_reserve(ctx, 'p', 'instances', 2, 3)
    assert api_db.quota_reserve(ctx, 'p', 'instances', 1, 3) == 3
    assert api_db.quota_release(ctx, 'p', 'instances', 2) == 1
    assert api_db.quota_release(ctx, 'p', 'instances', 5) == 0
    assert api_db.quota_usage_get_all(ctx, 'p') == {'instances': 0}


def test_quota_overrides_are_set_and_dropped(ctx):
    api_db.quota_set(ctx, 'p', 'instances', 7)
    api_db.quota_set(ctx, 'p', 'instances', 8)
    api_db.quota_set(ctx, 'p', 'backups', 1)
    assert api_db.quota_get_all(ctx, 'p') == {'instances': 8, 'backups': 1}
    api_db.quota_set(ctx, 'p', 'backups', None)
    assert api_db.quota_get_all(ctx, 'p') == {'instances': 8}


def reserve_concurrently(ctx, callers=20, limit=7):
    """Reserve 1 from ``callers`` threads at once; returns the outcomes."""
    barrier = threading.Barrier(callers)
    outcomes = []
    lock = threading.Lock()

    def reserve():
        barrier.wait()
        try:
            api_db.quota_reserve(ctx, 'race', 'instances', 1, limit)
            result = 'ok'
        except exceptions.QuotaExceeded:
            result = 'over'
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=reserve) for _ in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return outcomes


def test_quota_reserve_never_exceeds_limit_under_20_threads(ctx):
    outcomes = reserve_concurrently(ctx)
    assert len(outcomes) == 20
    assert outcomes.count('ok') == 7
    assert api_db.quota_usage_get_all(ctx, 'race') == {'instances': 7}
