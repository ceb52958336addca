"""A configuration group's values on a guest's Redis.

The values live in ``overrides.conf`` beside redis.conf, which includes
it last, so that they survive restarts and win over the defaults. A
parameter Redis can change at run time is set at once with CONFIG SET;
one that only a restart applies (``restart_required``) waits for it, and
the answer says so.

Before a parameter is first overridden, its running value is kept in
``overrides.json`` as the value to go back to when the group no longer
sets it (detach, or a group change that drops it).
"""

import json
import logging
import os

from trove_mr.common import configuration
from trove_mr.guestagent.datastore.redis import config

LOG = logging.getLogger(__name__)

OVERRIDES_NAME = 'overrides.conf'
STATE_NAME = 'overrides.json'
_HEADER = ('# Configuration group values, written by the trove-mr guest '
           'agent;\n# redis.conf includes this file last.\n')


def overrides_path(app):
    return os.path.join(app.conf_dir, OVERRIDES_NAME)


def _state_path(app):
    return os.path.join(app.conf_dir, STATE_NAME)


def ensure_file(app):
    """Create an empty overrides file if there is none (redis.conf
    includes it, and Redis refuses to start without it)."""
    path = overrides_path(app)
    if not os.path.exists(path):
        config.write_config_file(path, _HEADER)
    return path


def _check(name, value):
    # The control plane validated them; the guest still never writes a
    # setting it owns, nor a value that could add a line.
    if not name.replace('-', '').isalnum() or \
            configuration.is_forbidden(name) or any(
                c in value for c in '\r\n\0"\\'):
        raise ValueError('refusing configuration value of %s' % name)


def render(values):
    """The text of overrides.conf for ``values`` ({name: redis text})."""
    lines = [_HEADER]
    for name in sorted(values):
        _check(name, values[name])
        lines.append('%s "%s"\n' % (name, values[name]))
    return ''.join(lines)


def _read_state(app):
    try:
        with open(_state_path(app)) as f:
            state = json.load(f)
    except (OSError, ValueError):
        return {'originals': {}, 'applied': {}}
    return {'originals': dict(state.get('originals') or {}),
            'applied': dict(state.get('applied') or {})}


def _write_state(app, state):
    config.write_config_file(_state_path(app), json.dumps(state,
                                                          sort_keys=True))


def _live(client, name):
    return client.config_get(name).get(name)


def applied(app):
    """The values the overrides file holds now ({name: redis text})."""
    return _read_state(app)['applied']


def apply(app, wanted):
    """Make Redis and the overrides file hold ``wanted``.

    :param wanted: ``{'values': {name: redis text}, 'restart_required':
        [names only a restart applies]}``; empty values take every
        override away.
    :returns: ``{'restart_pending': [names whose running value differs
        from what a restart will give], 'applied': [names set live]}``.

    Safe to run again: the originals are kept from the first time, and
    setting a value twice changes nothing.
    """
    values = dict(wanted.get('values') or {})
    for name, value in values.items():
        _check(name, value)
    static = set(wanted.get('restart_required') or ())
    client = app.client()
    state = _read_state(app)
    originals, previous = state['originals'], state['applied']
    for name in values:
        if name not in originals:
            live = _live(client, name)
            if live is not None:
                originals[name] = live
    # The originals first: a crash after the file changed must not lose
    # the values to go back to.
    _write_state(app, {'originals': originals, 'applied': previous})
    config.write_config_file(overrides_path(app), render(values))
    _write_state(app, {'originals': originals, 'applied': values})
    pending, set_live = [], []
    for name, value in sorted(values.items()):
        if name in static:
            if _live(client, name) != value:
                pending.append(name)
            continue
        client.config_set(name, value)
        set_live.append(name)
    for name in sorted(set(previous) - set(values)):
        original = originals.get(name)
        if original is None:
            continue
        if name in static:
            if _live(client, name) != original:
                pending.append(name)
            continue
        client.config_set(name, original)
        set_live.append(name)
    LOG.info('Configuration overrides applied: %d set live, restart '
             'pending for %s', len(set_live), ', '.join(pending) or 'none')
    return {'restart_pending': pending, 'applied': set_live}
