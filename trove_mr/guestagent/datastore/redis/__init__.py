"""Management of the redis-server a guest runs.

``service.RedisApp`` owns the process and its configuration; cluster,
replication and backup operations hang off it as ``app.cluster``,
``app.replication``, ``app.snapshot()`` and ``app.prepare_restore()``.
"""
