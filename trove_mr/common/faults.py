"""What a tenant reads when an instance fails, and what is kept for admins.

A failure's own text (``str(exc)``) can name hosts, addresses, file paths,
service URLs or library internals. Tenants get one short message per kind
of failure (``fault_message``); the full text goes to ``fault_details``,
which only ``/mgmt`` shows.

``instance_update`` applies :func:`guard` to every write of a fault, so a
message not built here (by a flow that passes ``str(exc)``) is moved to
the details and replaced by the generic message.
"""

import oslo_messaging as messaging

from trove_mr.common import exceptions

DETAILS_MAX = 4000
GENERIC = 'The operation failed. An administrator can see why.'

# Kinds of failure, by the package the exception comes from, and what a
# tenant reads for each.
_KIND_BY_MODULE = (
    ('novaclient', 'The compute server could not be built or changed.'),
    ('cinderclient', 'The volume could not be created or changed.'),
    ('glanceclient', 'The image could not be used.'),
    ('swiftclient', 'The backup storage could not be reached.'),
    ('keystoneauth1', 'A cloud service of the region did not answer.'),
    ('oslo_messaging', 'The guest agent did not answer.'),
    ('redis', 'The Redis server reported an error.'),
)


class TenantMessage(str):
    """A fault message safe to show to the instance's tenant."""


def _kind_message(exc):
    # Set where a failure's tenant-safe summary is known (e.g. the one a
    # guest reports with its failure).
    if getattr(exc, 'tenant_message', None):
        return exc.tenant_message
    # Exceptions of flows live above common: known by name.
    name = type(exc).__name__
    if name == 'BuildTimeout':
        return 'The operation did not finish in time.'
    if name == 'StepFailed':
        return 'A step of the operation failed.'
    if isinstance(exc, messaging.RemoteError):
        return 'The guest agent reported an error.'
    if isinstance(exc, messaging.MessagingException):
        return 'The guest agent did not answer.'
    module = type(exc).__module__ or ''
    for prefix, message in _KIND_BY_MODULE:
        if module == prefix or module.startswith(prefix + '.'):
            return message
    # The API's own 400s (a placement that no longer holds) were written
    # for tenants: the same text as the request would have got.
    if getattr(exc, 'code', None) == 400 and getattr(exc, 'message', None):
        return exc.message
    # Our own errors name their kind in their default message.
    if isinstance(exc, exceptions.TroveMRError) and (
            type(exc).default_message
            != exceptions.TroveMRError.default_message):
        return type(exc).default_message
    return GENERIC


def tenant_message(exc, operation=None):
    """The short message a tenant reads for ``exc``.

    ``operation`` prefixes it, e.g. ``'Restart failed'``.
    """
    message = _kind_message(exc) if exc is not None else GENERIC
    if operation:
        message = '%s: %s' % (operation, message[0].lower() + message[1:])
    return TenantMessage(message)


def details(exc):
    """The full text of ``exc`` for admins, with its type."""
    if exc is None:
        return None
    text = '%s: %s' % (type(exc).__name__, exc)
    return text[:DETAILS_MAX]


def fault_values(exc, operation=None):
    """``fault_message`` and ``fault_details`` of an instance for ``exc``."""
    return {'fault_message': tenant_message(exc, operation),
            'fault_details': details(exc)}


def guard(values):
    """Keep any fault text not built by :func:`tenant_message` from
    tenants: it becomes the details, and the message the generic one."""
    message = values.get('fault_message')
    if message is None:
        if 'fault_message' in values:
            values.setdefault('fault_details', None)
        return values
    if not isinstance(message, TenantMessage):
        values['fault_details'] = (values.get('fault_details')
                                   or str(message))[:DETAILS_MAX]
        values['fault_message'] = GENERIC
    else:
        values['fault_message'] = str(message)
    return values
