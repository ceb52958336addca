"""Errors of trove-mr, each carrying the HTTP code the API answers with.

The API turns any :class:`TroveMRError` into
``{"<kind>": {"code": N, "message": "..."}}``; other layers raise these so
that the code and the message are chosen where the problem is understood.
"""


class TroveMRError(Exception):
    """Base of every trove-mr error: a message and an HTTP code."""

    code = 500
    kind = 'internalServerError'
    default_message = 'An unexpected error occurred.'

    def __init__(self, message=None, code=None):
        self.message = message or self.default_message
        if code is not None:
            self.code = code
        super().__init__(self.message)

    def __str__(self):
        return self.message


class BadRequest(TroveMRError):
    code = 400
    kind = 'badRequest'
    default_message = 'The request is not valid.'


class Forbidden(TroveMRError):
    code = 403
    kind = 'forbidden'
    default_message = 'The request is not allowed.'


class NotFound(TroveMRError):
    code = 404
    kind = 'itemNotFound'
    default_message = 'The resource could not be found.'


class Conflict(TroveMRError):
    code = 409
    kind = 'conflict'
    default_message = 'The resource is in a state that does not allow ' \
                      'this request.'


class QuotaExceeded(TroveMRError):
    """A project asked for more than its quota allows (Trove answers 413)."""

    code = 413
    kind = 'overLimit'
    default_message = 'Quota exceeded.'


class ServiceUnavailable(TroveMRError):
    code = 503
    kind = 'serviceUnavailable'
    default_message = 'The service is unavailable.'


# Specific not-found errors, so that callers can tell what was missing.
class InstanceNotFound(NotFound):
    default_message = 'The instance could not be found.'


class ClusterNotFound(NotFound):
    default_message = 'The cluster could not be found.'


class BackupNotFound(NotFound):
    default_message = 'The backup could not be found.'


class DatastoreNotFound(NotFound):
    default_message = 'The datastore could not be found.'


class DatastoreVersionNotFound(NotFound):
    default_message = 'The datastore version could not be found.'


class RegionMappingNotFound(NotFound):
    default_message = 'The region mapping could not be found.'


class ResourceMappingNotFound(NotFound):
    default_message = 'No cell mapping exists for the resource.'


class UnexpectedTaskState(Conflict):
    """A conditional update found the resource in another task state."""

    default_message = 'The resource is busy with another task.'


class ConfigurationNotFound(NotFound):
    default_message = 'The configuration group could not be found.'
