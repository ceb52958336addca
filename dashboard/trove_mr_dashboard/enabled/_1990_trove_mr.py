# The trove-mr dashboard: copy this file into a Horizon's
# openstack_dashboard/local/enabled/ to enable it.
from troveclient.apiclient import exceptions as trove_exceptions

DASHBOARD = 'trove_mr'
ADD_INSTALLED_APPS = ['trove_mr_dashboard']
# The API's 4xx answers are shown to the user, not raised as server
# errors; a 401 logs the user out as any expired token does.
ADD_EXCEPTIONS = {
    'recoverable': (trove_exceptions.BadRequest,
                    trove_exceptions.Conflict,
                    trove_exceptions.Forbidden,
                    trove_exceptions.RequestEntityTooLarge,
                    trove_exceptions.ServiceUnavailable),
    'not_found': (trove_exceptions.NotFound,),
    'unauthorized': (trove_exceptions.Unauthorized,),
}
AUTO_DISCOVER_STATIC_FILES = False
