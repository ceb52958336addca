"""The configuration job's tasks with a fake guest, on migrated SQLite
databases: what the guest is sent, what is recorded, how it ends."""

import pytest

from trove_mr.common import cfg
from trove_mr.common import configuration
from trove_mr.common import context as trove_context
from trove_mr.db import cells
from trove_mr.db import engines
from trove_mr.db import migration
from trove_mr.db.api import configurations as groups_db
from trove_mr.db.main import api as db_api
from trove_mr.flows import configuration as configuration_flow
from trove_mr.flows import guest

CONF = cfg.CONF


class FakeGuest:
    def __init__(self, answer=None, error=None):
        self.sent = []
        self.answer = answer or {'restart_pending': [], 'applied': []}
        self.error = error

    def update_overrides(self, overrides):
        self.sent.append(overrides)
        if self.error:
            raise self.error
        return self.answer


@pytest.fixture
def ctx(tmp_path):
    for line in ('region', 'api'):
        url = 'sqlite:///%s' % (tmp_path / ('%s.sqlite' % line))
        migration.upgrade(line, url)
        group = 'database' if line == 'region' else 'api_database'
        CONF.set_override('connection', url, group=group)
    context = trove_context.get_admin_context()
    db_api.datastore_create(context, {'name': 'redis'})
    version = db_api.datastore_version_create(context, 'redis', {
        'name': '7.0', 'manager': 'redis', 'image_name': 'img',
        'active': True, 'default': True})
    db_api.parameters_replace(context, version.id,
                              configuration.load_rules_file(
                                  configuration.default_rules_file('redis')))
    group = groups_db.configuration_create(context, {
        'name': 'g', 'tenant_id': 'p1', 'datastore_name': 'redis',
        'datastore_version_name': '7.0', 'datastore_version_id': version.id,
        'values': {'timeout': 300, 'databases': 32}})
    db_api.instance_create(context, {
        'id': 'inst-1', 'name': 'i', 'tenant_id': 'p1',
        'datastore_version_id': version.id, 'task_status': 'CONFIGURING',
        'configuration_id': group.id})
    yield context
    engines.dispose_all()
    cells.clear_cache()
    CONF.clear_override('connection', group='database')
    CONF.clear_override('connection', group='api_database')


def _guest(monkeypatch, fake):
    monkeypatch.setattr(guest, 'guest_client',
                        lambda context, instance_id, key=None: fake)


def test_apply_sends_redis_text_and_records_a_pending_restart(
        ctx, monkeypatch):
    fake = FakeGuest({'restart_pending': ['databases'],
                      'applied': ['timeout']})
    _guest(monkeypatch, fake)
    configuration_flow.ApplyInstanceConfiguration().execute(ctx, 'inst-1')
    [sent] = fake.sent
    assert sent['values'] == {'timeout': '300', 'databases': '32'}
    assert 'databases' in sent['restart_required']
    row = db_api.instance_get(ctx, 'inst-1')
    assert row.task_status == 'NONE'
    assert row.configuration_restart_required is True


def test_detached_instance_is_sent_no_values(ctx, monkeypatch):
    fake = FakeGuest()
    _guest(monkeypatch, fake)
    db_api.instance_update(ctx, 'inst-1', {'configuration_id': None})
    configuration_flow.ApplyInstanceConfiguration().execute(ctx, 'inst-1')
    assert fake.sent[0]['values'] == {}
    row = db_api.instance_get(ctx, 'inst-1')
    assert (row.task_status, row.configuration_restart_required) == (
        'NONE', False)


def test_a_guest_failure_puts_the_instance_in_error_with_the_reason(
        ctx, monkeypatch):
    _guest(monkeypatch, FakeGuest(error=RuntimeError('ERR Unsupported')))
    configuration_flow.ApplyInstanceConfiguration().execute(ctx, 'inst-1')
    row = db_api.instance_get(ctx, 'inst-1')
    assert row.task_status == 'ERROR'
    assert 'ERR Unsupported' in row.fault_details
    assert 'ERR Unsupported' not in row.fault_message


def test_running_again_after_the_task_ended_changes_nothing(
        ctx, monkeypatch):
    fake = FakeGuest()
    _guest(monkeypatch, fake)
    task = configuration_flow.ApplyInstanceConfiguration()
    task.execute(ctx, 'inst-1')
    task.execute(ctx, 'inst-1')
    assert len(fake.sent) == 2
    assert db_api.instance_get(ctx, 'inst-1').task_status == 'NONE'


def test_cluster_flow_names_one_task_per_member():
    flow = configuration_flow.get_cluster_flow(['a', 'b', 'c'])
    names = [atom.name for atom, _ in flow.iter_nodes()]
    assert 'EndClusterTask' in names[-1]
    members = [n for n in flow.iter_nodes()][0][0]
    assert sorted(a.name for a, _ in members.iter_nodes()) == [
        'member0-apply', 'member1-apply', 'member2-apply']
