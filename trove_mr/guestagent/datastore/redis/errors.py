"""Errors raised while managing a guest's redis-server."""

from trove_mr.common import exceptions


class RedisServiceError(exceptions.TroveMRError):
    """redis-server could not be managed as asked."""

    kind = 'datastoreError'
    default_message = 'The Redis server could not be managed.'


class RedisStartError(RedisServiceError):
    """redis-server did not start or did not answer PING in time."""

    default_message = 'The Redis server did not start.'


class RedisTimeout(RedisServiceError):
    """Redis did not reach the awaited state in time."""

    default_message = 'Timed out waiting for the Redis server.'


class SnapshotError(RedisServiceError):
    """A background save failed or did not finish in time."""

    default_message = 'The Redis snapshot failed.'


class RestoreError(RedisServiceError):
    """A backup file could not be put in place of the node's data."""

    default_message = 'The Redis data could not be restored.'
