"""The configuration parameters of datastore versions, as registered in
this API's cell by ``trove-mr-manage db_load_datastore_config_parameters``.
"""

from trove_mr.api.domain import catalog
from trove_mr.common import exceptions
from trove_mr.db.main import api as db_api


def _version(context, version_ref, datastore_ref):
    return catalog.datastore_version(context, version_ref, datastore_ref)


def list_parameters(context, version_ref, datastore_ref=None):
    """The parameters of a version (by id, or by name in a datastore)."""
    version = _version(context, version_ref, datastore_ref)
    return db_api.parameter_list(context, version.id)


def get_parameter(context, version_ref, name, datastore_ref=None):
    """One parameter of a version; 404 naming it if unknown."""
    version = _version(context, version_ref, datastore_ref)
    try:
        return db_api.parameter_get(context, version.id, name)
    except exceptions.NotFound:
        raise exceptions.NotFound(
            "Configuration parameter '%s' is not known for %s %s."
            % (name, version.datastore.name, version.name)) from None
