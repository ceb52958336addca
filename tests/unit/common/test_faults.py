"""Tenants read a short message per kind of failure; the failure's own
text is kept for admins, whoever writes the fault."""

import oslo_messaging as messaging
import pytest
from cinderclient import exceptions as cinder_exc
from novaclient import exceptions as nova_exc

from trove_mr.common import exceptions
from trove_mr.common import faults

SECRET = 'http://10.0.0.5:8776/v3 rabbit://guest:pw@mq/ /var/lib/x'


@pytest.mark.parametrize('exc,expected', [
    (nova_exc.ClientException(500, SECRET),
     'The compute server could not be built or changed.'),
    (cinder_exc.ClientException(500, SECRET),
     'The volume could not be created or changed.'),
    (messaging.MessagingTimeout(SECRET), 'The guest agent did not answer.'),
    (messaging.RemoteError('RedisError', SECRET),
     'The guest agent reported an error.'),
    (RuntimeError(SECRET), faults.GENERIC),
    (OSError(2, SECRET), faults.GENERIC),
])
def test_tenant_message_names_the_kind_not_the_text(exc, expected):
    message = faults.tenant_message(exc)
    assert message == expected
    assert isinstance(message, faults.TenantMessage)
    assert SECRET in faults.details(exc)
    assert type(exc).__name__ in faults.details(exc)


def test_operation_prefixes_the_tenant_message():
    assert faults.tenant_message(RuntimeError(SECRET), 'Restart failed') \
        == 'Restart failed: the operation failed. An administrator can ' \
           'see why.'


def test_the_apis_own_400_text_is_shown_as_it_was_written_for_tenants():
    exc = exceptions.BadRequest('Flavor m1.small differs in RegionTwo.')
    assert faults.tenant_message(exc) == exc.message


def test_guard_moves_any_other_text_to_the_details():
    values = faults.guard({'fault_message': 'Resize failed: %s' % SECRET})
    assert values['fault_message'] == faults.GENERIC
    assert SECRET in values['fault_details']
    values = faults.guard(faults.fault_values(RuntimeError(SECRET), 'X'))
    assert SECRET not in values['fault_message']
    assert SECRET in values['fault_details']
    assert faults.guard({'fault_message': None}) == {
        'fault_message': None, 'fault_details': None}
    assert faults.guard({'task_status': 'NONE'}) == {'task_status': 'NONE'}


def test_our_own_errors_name_their_kind_by_their_default_message():
    from trove_mr.common import backup_objects
    exc = backup_objects.ChecksumMismatch('checksum mismatch: md5 a != b')
    assert faults.tenant_message(exc) == \
        backup_objects.ChecksumMismatch.default_message
    assert 'md5' in faults.details(exc)


def test_a_summary_set_on_the_failure_is_what_the_tenant_reads():
    exc = RuntimeError('guest said: /var/lib/redis/dump.rdb is corrupt')
    exc.tenant_message = 'The guest reported a failure: bad data.'
    assert faults.tenant_message(exc) == exc.tenant_message
