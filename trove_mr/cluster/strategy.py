"""Load the datastore-specific cluster strategies named in the options.

Each datastore group (``[redis]``) names three classes: the API strategy
(request checks), the taskmanager strategy (building, growing, shrinking
and deleting) and the guest agent strategy (the client of the guests'
cluster calls). ``cluster_support = False`` turns clusters off for that
datastore.
"""

from oslo_utils import importutils

from trove_mr.common import cfg
from trove_mr.common import exceptions

CONF = cfg.CONF


def _group(manager):
    try:
        return CONF[manager]
    except Exception:  # noqa: BLE001 - oslo.config raises several kinds
        raise exceptions.BadRequest(
            'Clusters are not supported for datastore %s.' % manager
        ) from None


def check_support(manager):
    """Refuse (400) cluster work on a datastore without cluster_support."""
    group = _group(manager)
    if not getattr(group, 'cluster_support', False):
        raise exceptions.BadRequest(
            'Clusters are not supported for datastore %s: cluster_support '
            'is turned off in its [%s] options.' % (manager, manager))


def _load(manager, option, *args):
    path = getattr(_group(manager), option)
    return importutils.import_object(path, *args)


def api_strategy(manager):
    """The API strategy object of ``manager`` (``api_strategy``)."""
    return _load(manager, 'api_strategy')


def taskmanager_strategy(manager, *args):
    """The taskmanager strategy of ``manager``, built with ``args``."""
    return _load(manager, 'taskmanager_strategy', *args)


def guestagent_strategy(manager):
    """The guest agent strategy of ``manager``."""
    return _load(manager, 'guestagent_strategy')
