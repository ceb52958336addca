"""What an instance's guest applies of its configuration group.

Read when the work runs (a build's prepare, an attach, a detach, a
change of the group), never carried in a job's store: running a task
again applies what the databases say then, so a job resumed by another
taskmanager cannot apply stale values.
"""

from trove_mr.common import configuration
from trove_mr.common import exceptions
from trove_mr.db.api import configurations as groups_db
from trove_mr.db.main import api as db_api


def for_instance(context, instance):
    """``{'values': {name: redis text}, 'restart_required': [names]}`` of
    ``instance`` (a row of ``context``'s cell); empty values when it has
    no group, or when its group is gone."""
    values = {}
    if instance.configuration_id:
        try:
            group = groups_db.configuration_get(context,
                                                instance.configuration_id)
        except exceptions.NotFound:
            group = None
        if group is not None:
            values = groups_db.values_of(group)
    rules = {p['name']: p for p in db_api.parameter_list(
        context, instance.datastore_version_id)}
    # Values the cell's rules no longer know are left out rather than
    # failing the build or the change: the API checked them when they
    # were attached.
    values = {name: value for name, value in values.items()
              if name in rules}
    return configuration.guest_overrides(rules, values)
