"""The guest's logs: redis-server's log file and Redis's SLOWLOG.

See :mod:`trove_mr.common.guest_logs` for the names, types and the
object layout in Swift. What was published already (a byte offset in the
log file, the last SLOWLOG entry id) and whether the slow log was turned
off are kept in ``trove-mr-logs.json`` beside redis.conf, so that a
publish sends only what is new and the choice outlives restarts.
"""

import datetime
import json
import os
import threading

from trove_mr.common import guest_logs

STATE_NAME = 'trove-mr-logs.json'
# Redis's own default threshold, in microseconds.
SLOWLOG_THRESHOLD_US = 10000
# Entries Redis keeps in SLOWLOG (slowlog-max-len) when enabled here.
SLOWLOG_MAX_LEN = 1024

_lock = threading.Lock()


class LogError(Exception):
    """A log request the guest refuses."""


def _object_store():
    # Imported on the first publish or discard only: swiftclient (with
    # requests) would add megabytes to every agent, most of which never
    # publish a log.
    from trove_mr.common import backup_objects
    return backup_objects


def _state_path(app):
    return os.path.join(app.conf_dir, STATE_NAME)


def read_state(app):
    try:
        with open(_state_path(app)) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def _write_state(app, state):
    path = _state_path(app)
    tmp = path + '.tmp'
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'w') as f:
        json.dump(state, f, sort_keys=True)
    os.replace(tmp, path)


def _file_size(path):
    try:
        return os.path.getsize(path)
    except OSError:
        return None


def _slowlog_enabled(app):
    value = app.client().config_get('slowlog-log-slower-than')
    return int(value.get('slowlog-log-slower-than', -1)) >= 0


def _slowlog_entries(app, after_id):
    """SLOWLOG entries newer than ``after_id``, oldest first."""
    entries = app.client().slowlog_get(-1)
    return sorted((e for e in entries if int(e['id']) > after_id),
                  key=lambda e: int(e['id']))


def _text(value):
    if isinstance(value, bytes):
        return value.decode('utf-8', 'replace')
    return value


def _format_entry(entry):
    """``<id> <UTC time> <duration>us <client> <command and args>``."""
    when = datetime.datetime.fromtimestamp(
        int(entry['start_time']), tz=datetime.timezone.utc)
    return '%d %s %dus %s %s\n' % (
        int(entry['id']), when.strftime('%Y-%m-%dT%H:%M:%SZ'),
        int(entry['duration']), _text(entry.get('client_address')) or '-',
        _text(entry.get('command')))


def _slowlog_text(entries):
    return ''.join(_format_entry(e) for e in entries)


def _describe(app, name, state):
    """``{name, type, status, published, pending}`` of one log."""
    mine = state.get(name, {})
    published = int(mine.get('published', 0))
    if name == guest_logs.REDIS_LOG:
        size = _file_size(app.logfile)
        if size is None:
            status, pending = guest_logs.UNAVAILABLE, 0
        else:
            offset = int(mine.get('offset', 0))
            if size < offset:
                status, pending = guest_logs.ROTATED, size
            else:
                pending = size - offset
                status = (guest_logs.READY if not published else
                          guest_logs.PARTIAL if pending else
                          guest_logs.PUBLISHED)
    else:
        if not _slowlog_enabled(app):
            status = guest_logs.DISABLED
            pending = 0
        else:
            pending = len(_slowlog_text(_slowlog_entries(
                app, int(mine.get('last_id', -1)))).encode('utf-8'))
            status = (guest_logs.ENABLED if not published else
                      guest_logs.PARTIAL if pending else
                      guest_logs.PUBLISHED)
    return {'name': name, 'type': guest_logs.LOG_TYPES[name],
            'status': status, 'published': published, 'pending': pending}


def list_logs(app):
    """Every log of this guest, described."""
    state = read_state(app)
    return [_describe(app, name, state)
            for name in sorted(guest_logs.LOG_TYPES)]


def apply_saved(app):
    """Apply the slow log choice kept in the state (after a start)."""
    if read_state(app).get(guest_logs.SLOW_QUERY_LOG, {}).get('disabled'):
        app.client().config_set('slowlog-log-slower-than', -1)


def _set_slowlog(app, state, enabled):
    client = app.client()
    if enabled:
        client.config_set('slowlog-log-slower-than', SLOWLOG_THRESHOLD_US)
        client.config_set('slowlog-max-len', SLOWLOG_MAX_LEN)
    else:
        client.config_set('slowlog-log-slower-than', -1)
    state.setdefault(guest_logs.SLOW_QUERY_LOG, {})['disabled'] = \
        not enabled


def _upload(conn, target, name, text, published):
    """One part ``<prefix>log-<time>`` and the metafile."""
    container = target['container']
    conn.put_container(container)
    now = datetime.datetime.now(datetime.timezone.utc)
    part = '%slog-%s' % (target['prefix'],
                         now.strftime('%Y-%m-%dT%H:%M:%S.%fZ'))
    data = text.encode('utf-8')
    conn.put_object(container, part, data, content_length=len(data),
                    content_type='text/plain',
                    headers={'X-Object-Meta-Lines':
                             str(text.count('\n'))})
    meta = json.dumps({'log': name, 'published': published,
                       'last_part': part,
                       'updated': now.strftime('%Y-%m-%dT%H:%M:%SZ')})
    conn.put_object(container, target['metafile'], meta,
                    content_type='application/json')
    return part


def _publish(app, context, name, state, target):
    mine = state.setdefault(name, {})
    if name == guest_logs.REDIS_LOG:
        size = _file_size(app.logfile)
        if size is None:
            raise LogError('Log %s is unavailable: redis-server has not '
                           'written it yet.' % name)
        offset = int(mine.get('offset', 0))
        if size < offset:
            offset = 0
        with open(app.logfile, 'rb') as f:
            f.seek(offset)
            raw = f.read(size - offset)
        text = raw.decode('utf-8', 'replace')
        advance = {'offset': offset + len(raw)}
    else:
        entries = _slowlog_entries(app, int(mine.get('last_id', -1)))
        text = _slowlog_text(entries)
        raw = text.encode('utf-8')
        advance = ({'last_id': int(entries[-1]['id'])} if entries else {})
    if not raw:
        return
    conn = _object_store().connection(context, target['swift_url'])
    _upload(conn, target, name, text,
            int(mine.get('published', 0)) + len(raw))
    mine.update(advance)
    mine['published'] = int(mine.get('published', 0)) + len(raw)


def _discard(app, context, name, state, target):
    import swiftclient

    backup_objects = _object_store()
    conn = backup_objects.connection(context, target['swift_url'])
    try:
        _headers, objects = conn.get_container(
            target['container'], prefix=target['prefix'], full_listing=True)
    except swiftclient.ClientException as exc:
        if exc.http_status != 404:
            raise
        objects = []
    for obj in objects:
        backup_objects.delete_quietly(conn, target['container'], obj['name'])
    backup_objects.delete_quietly(conn, target['container'],
                                  target['metafile'])
    mine = state.setdefault(name, {})
    mine['published'] = 0
    if name == guest_logs.SLOW_QUERY_LOG:
        # What was published is gone from Swift and from SLOWLOG alike.
        app.client().slowlog_reset()
        mine['last_id'] = -1
    else:
        mine['offset'] = 0


def log_action(app, context, name, actions, target=None):
    """Enable, disable, publish and/or discard log ``name``.

    :param actions: a subset of ``guest_logs.ACTIONS``.
    :param target: ``{'swift_url', 'container', 'prefix', 'metafile'}``
        for publish and discard: the tenant's account of the instance's
        region, reached with the tenant's token in ``context``.
    :returns: the log described after the actions.
    """
    if name not in guest_logs.LOG_TYPES:
        raise LogError('No log named %s.' % name)
    with _lock:
        state = read_state(app)
        if guest_logs.LOG_TYPES[name] == guest_logs.SYS and \
                ({'enable', 'disable'} & set(actions)):
            raise LogError('Log %s is a system log: it is always on and '
                           'cannot be enabled or disabled.' % name)
        if 'enable' in actions:
            _set_slowlog(app, state, True)
        if 'disable' in actions:
            _set_slowlog(app, state, False)
        if 'discard' in actions:
            _discard(app, context, name, state, target)
        if 'publish' in actions:
            _publish(app, context, name, state, target)
        _write_state(app, state)
        return _describe(app, name, state)
