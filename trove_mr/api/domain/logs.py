"""What the API asks an instance's guest directly: its logs (list, act on
one) and its configuration before any group (``GET
/instances/{id}/configuration``).

The logs live on the guest: the API asks the instance's guest agent
directly (short RPC calls in the owning cell), and tells it where to
publish: the tenant's own object store account in the instance's region,
reached with the tenant's token, container ``guest_log_container_name``.
"""

import oslo_messaging as messaging
from oslo_log import log as logging

from trove_mr.api.domain import instances as instance_domain
from trove_mr.common import cfg
from trove_mr.common import clients
from trove_mr.common import exceptions
from trove_mr.common import guest_logs
from trove_mr.common import states
from trove_mr.db import cells
from trove_mr.db.main import api as db_api
from trove_mr.flows import guest

CONF = cfg.CONF
LOG = logging.getLogger(__name__)


def _instance(cctx, tenant_id, instance_id, what='its logs'):
    row = db_api.instance_get(cctx, instance_id, tenant_id=tenant_id)
    service = row.status.status if row.status else None
    if service != states.SERVICE_RUNNING or \
            row.task_status in (states.TASK_BUILDING, states.TASK_DELETING):
        raise exceptions.Conflict(
            'Instance %s is %s; %s can be reached only while it runs.'
            % (instance_id, states.display_status(row.task_status, service),
               what))
    return row


def _located(instance_id, log):
    log = dict(log)
    log.update({'container': CONF.guest_log_container_name,
                'prefix': guest_logs.prefix(instance_id, log['name']),
                'metafile': guest_logs.metafile(instance_id, log['name'])})
    return log


def _ask_guest(instance_id, call):
    try:
        return call()
    except messaging.MessagingTimeout as exc:
        raise exceptions.ServiceUnavailable(
            'The guest of instance %s did not answer; try again later.'
            % instance_id) from exc
    except messaging.RemoteError as exc:
        if exc.exc_type == 'GuestError':
            raise exceptions.BadRequest(exc.value) from exc
        LOG.error('Request to the guest of %s failed: %s: %s',
                  instance_id, exc.exc_type, exc.value)
        raise exceptions.ServiceUnavailable(
            'The guest of instance %s could not complete the request.'
            % instance_id) from exc


def list_logs(context, tenant_id, instance_id):
    """The instance's logs, described (with where they publish)."""
    with cells.owning_cell(
            context, instance_domain.instance_cell(context, instance_id)) \
            as cctx:
        _instance(cctx, tenant_id, instance_id)
        client = guest.guest_client(cctx, instance_id)
        logs = _ask_guest(instance_id, client.guest_log_list)
    return [_located(instance_id, log) for log in logs]


def _actions(body):
    actions = [a for a in guest_logs.ACTIONS if body.get(a)]
    if 'enable' in actions and 'disable' in actions:
        raise exceptions.BadRequest(
            "Invalid input: 'enable' and 'disable' cannot be asked "
            "together.")
    name = body['name']
    if name not in guest_logs.LOG_TYPES:
        raise exceptions.NotFound(
            "Log '%s' is not defined; the logs are %s."
            % (name, ', '.join(sorted(guest_logs.LOG_TYPES))))
    if guest_logs.LOG_TYPES[name] == guest_logs.SYS and \
            ('enable' in actions or 'disable' in actions):
        raise exceptions.BadRequest(
            "Invalid input for field 'name': log '%s' is a system log, "
            "always on; it cannot be enabled or disabled." % name)
    return actions


def log_action(context, tenant_id, instance_id, body):
    """Show (no action), enable, disable, publish or discard one log."""
    actions = _actions(body)
    name = body['name']
    with cells.owning_cell(
            context, instance_domain.instance_cell(context, instance_id)) \
            as cctx:
        row = _instance(cctx, tenant_id, instance_id)
        target = None
        if 'publish' in actions or 'discard' in actions:
            swift_url = clients.object_store_url(context, row.region_name)
            if not swift_url:
                raise exceptions.BadRequest(
                    'No object store of project %s is published in region '
                    '%s; logs cannot be published there.'
                    % (tenant_id, row.region_name))
            target = {'swift_url': swift_url,
                      'container': CONF.guest_log_container_name,
                      'prefix': guest_logs.prefix(instance_id, name),
                      'metafile': guest_logs.metafile(instance_id, name)}
        client = guest.guest_client(cctx, instance_id)
        if actions:
            log = _ask_guest(instance_id, lambda: client.guest_log_action(
                name, actions, target))
        else:
            logs = _ask_guest(instance_id, client.guest_log_list)
            log = next(item for item in logs if item['name'] == name)
    return _located(instance_id, log)


def configuration_defaults(context, tenant_id, instance_id):
    """``{parameter: value}`` the instance runs with before any group.

    As upstream Trove renders its template for the instance's flavor:
    the guest renders its redis.conf without the group and answers with
    its settings, secrets left out.
    """
    with cells.owning_cell(
            context, instance_domain.instance_cell(context, instance_id)) \
            as cctx:
        _instance(cctx, tenant_id, instance_id, what='its configuration')
        client = guest.guest_client(cctx, instance_id)
        return _ask_guest(instance_id, client.get_configuration_defaults)
