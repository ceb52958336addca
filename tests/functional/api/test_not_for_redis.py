"""``database db|user|ssl ...``: what Redis has no use for answers a clear
400 naming the operation and the datastore, for the tenant's own instance;
404 for another tenant's."""

import pytest
from troveclient import exceptions as trove_exc


@pytest.fixture(scope='module')
def instance(system):
    trove = system.trove('demo')
    created = trove.instances.create('not-for-redis', '7',
                                     volume={'size': 1})
    yield created
    trove.instances.delete(created.id)


@pytest.mark.parametrize('call, what', [
    (lambda t, i: t.databases.list(i), 'databases'),
    (lambda t, i: t.databases.create(i, [{'name': 'db1'}]), 'databases'),
    (lambda t, i: t.databases.delete(i, 'db1'), 'databases'),
    (lambda t, i: t.users.list(i), 'users'),
    (lambda t, i: t.users.create(i, [{'name': 'u', 'password': 'p'}]),
     'users'),
    (lambda t, i: t.users.get(i, 'u'), 'users'),
    (lambda t, i: t.instances.ssl_show(i), 'ssl'),
    (lambda t, i: t.instances.ssl_disable(i), 'ssl'),
])
def test_refused_with_a_400_naming_operation_and_datastore(system, instance,
                                                            call, what):
    with pytest.raises(trove_exc.BadRequest) as raised:
        call(system.trove('demo'), instance.id)
    assert ("The '%s' operation is not supported for the 'redis' "
            'datastore' % what) in str(raised.value)


def test_another_tenants_instance_is_a_404(system, instance):
    with pytest.raises(trove_exc.NotFound):
        system.trove('alt_demo').databases.list(instance.id)
    with pytest.raises(trove_exc.NotFound):
        system.trove('demo').users.list('no-such-instance')
