"""What a guest may report about its backups."""

from trove_mr.db.main import api as db_api

LOCATION = 'http://swift.example/v1/AUTH_t/database_backups/b.rdb'


def _backup(ctx):
    return db_api.backup_create(ctx, {
        'name': 'b', 'tenant_id': 't', 'instance_id': 'i-1',
        'location': LOCATION})


def test_guest_report_cannot_move_the_backup_location(ctx):
    backup = _backup(ctx)
    assert db_api.backup_update_from_guest(
        ctx, 'i-1', backup.id, 1.0, state='COMPLETED', size=1.5,
        checksum='abc', location='http://attacker.example/v1/AUTH_x/c/o')
    row = db_api.backup_get(ctx, backup.id)
    assert row.state == 'COMPLETED'
    assert (row.size, row.checksum) == (1.5, 'abc')
    assert row.location == LOCATION


def test_report_about_another_instances_backup_is_ignored(ctx):
    backup = _backup(ctx)
    assert not db_api.backup_update_from_guest(
        ctx, 'i-2', backup.id, 1.0, state='FAILED')
    assert db_api.backup_get(ctx, backup.id).state == 'NEW'
