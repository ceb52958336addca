"""What every v1 resource controller shares: the request's parts."""

import pecan
from oslo_serialization import jsonutils

from trove_mr.api.schemas import validation
from trove_mr.common import exceptions


def context():
    """The RequestContext the ContextHook put on the request."""
    return pecan.request.context


def tenant_id():
    """The project of the URL (``/v1.0/{tenant_id}/...``)."""
    return pecan.request.tenant_id


def body(schema):
    """The request's JSON body, validated against ``schema``."""
    try:
        document = jsonutils.loads(pecan.request.body or b'')
    except ValueError:
        raise exceptions.BadRequest(
            'The request body is not valid JSON.') from None
    except RecursionError:
        # The request guard refuses deep bodies first; this is the
        # backstop for an app served without it.
        raise exceptions.BadRequest(
            'The request body is nested too deeply.') from None
    return validation.validate(schema, document)


def query(schema):
    """The query string as a dict, validated against ``schema``."""
    params = {}
    for key, value in pecan.request.GET.items():
        if key in params:
            raise exceptions.BadRequest(
                "Invalid input for field '%s': given more than once." % key)
        params[key] = value
    return validation.validate(schema, params)


def no_query():
    """Refuse a query string on a resource that takes none."""
    return query({'type': 'object', 'additionalProperties': False})
