"""Configuration groups: the validation rules of a datastore version.

An operator registers, per datastore version, the parameters tenants may
set (``trove-mr-manage db_load_datastore_config_parameters``), from a JSON
file in upstream Trove's format::

    {"configuration-parameters": [
        {"name": "timeout", "type": "integer", "min": 0,
         "max": 31536000, "restart_required": false},
        {"name": "maxmemory-policy", "type": "string",
         "allowed_values": ["allkeys-lru", "noeviction"],
         "restart_required": false}]}

``type`` is ``integer``, ``float``, ``string`` or ``boolean``; ``min``,
``max``, ``allowed_values`` and ``pattern`` (a regular expression a
string must match) are optional. The Redis file ships in
``trove_mr/templates/redis/validation-rules.json``.

Parameters that would give a tenant the control plane's own settings
(passwords, addresses, paths, cluster mode, commands) are refused both
when rules are loaded and when values are validated, whatever a rules
file says.
"""

import json
import math
import os
import re

from trove_mr.common import exceptions

TYPES = ('integer', 'float', 'string', 'boolean')

# Never settable by a tenant: the guest and the control plane own them.
FORBIDDEN = frozenset((
    'requirepass', 'masterauth', 'masteruser', 'bind', 'bind-source-addr',
    'port', 'tls-port', 'dir', 'dbfilename', 'appendfilename',
    'appenddirname', 'pidfile', 'logfile', 'daemonize', 'supervised',
    'include', 'rename-command', 'unixsocket', 'unixsocketperm',
    'replicaof', 'slaveof', 'replica-announce-ip', 'replica-announce-port',
    'slave-announce-ip', 'slave-announce-port', 'protected-mode',
    'aclfile', 'user', 'enable-debug-command', 'enable-module-command',
    'enable-protected-configs', 'loadmodule', 'maxmemory', 'save',
    'syslog-enabled', 'syslog-ident', 'always-show-logo',
    'set-proc-title', 'proc-title-template', 'oom-score-adj-values',
))
FORBIDDEN_PREFIXES = ('cluster-', 'tls-', 'sentinel')

_MAX_VALUE_LENGTH = 1024
_RULE_KEYS = {'name', 'type', 'min', 'max', 'restart_required',
              'allowed_values', 'pattern', 'description'}

TEMPLATES = os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), 'templates')


def default_rules_file(manager):
    """The rules file shipped for a datastore manager (e.g. ``redis``)."""
    return os.path.join(TEMPLATES, manager, 'validation-rules.json')


def is_forbidden(name):
    """Whether parameter ``name`` is never a tenant's to set."""
    name = name.lower()
    return name in FORBIDDEN or name.startswith(FORBIDDEN_PREFIXES)


def _number(rule, key):
    value = rule.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError('parameter %s: %s must be a number'
                         % (rule.get('name'), key))
    return value


def parse_rules(document):
    """The rules of a rules file's JSON, checked; a list of dicts.

    Each dict: name, data_type, min_size, max_size, allowed_values (list
    or None), pattern (or None), restart_required. Raises ValueError
    naming the first bad rule.
    """
    if not isinstance(document, dict) or not isinstance(
            document.get('configuration-parameters'), list):
        raise ValueError('the file must hold {"configuration-parameters": '
                         '[...]}')
    rules, seen = [], set()
    for rule in document['configuration-parameters']:
        if not isinstance(rule, dict) or not isinstance(rule.get('name'),
                                                        str):
            raise ValueError('every parameter needs a "name": %r' % (rule,))
        name = rule['name']
        unknown = set(rule) - _RULE_KEYS
        if unknown:
            raise ValueError('parameter %s: unknown keys %s'
                             % (name, ', '.join(sorted(unknown))))
        if not re.fullmatch(r'[a-z0-9][a-z0-9_\-]{0,127}', name):
            raise ValueError('parameter %s: not a valid name' % name)
        if is_forbidden(name):
            raise ValueError('parameter %s may not be offered to tenants'
                             % name)
        if name in seen:
            raise ValueError('parameter %s is listed twice' % name)
        seen.add(name)
        if rule.get('type') not in TYPES:
            raise ValueError('parameter %s: type must be one of %s'
                             % (name, ', '.join(TYPES)))
        allowed = rule.get('allowed_values')
        if allowed is not None and (not isinstance(allowed, list)
                                    or not allowed):
            raise ValueError('parameter %s: allowed_values must be a '
                             'non-empty list' % name)
        pattern = rule.get('pattern')
        if pattern is not None:
            re.compile(pattern)
        rules.append({
            'name': name, 'data_type': rule['type'],
            'min_size': _number(rule, 'min'),
            'max_size': _number(rule, 'max'),
            'allowed_values': allowed, 'pattern': pattern,
            'restart_required': bool(rule.get('restart_required', False))})
    return rules


def load_rules_file(path):
    """:func:`parse_rules` of the JSON file at ``path``."""
    with open(path) as f:
        try:
            document = json.load(f)
        except ValueError as exc:
            raise ValueError('%s is not valid JSON: %s' % (path, exc)) \
                from None
    return parse_rules(document)


def _bad(name, why):
    return exceptions.BadRequest(
        "Invalid value for configuration parameter '%s': %s." % (name, why))


def _typed(rule, name, value):
    kind = rule['data_type']
    if kind == 'boolean':
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in (
                'yes', 'no', 'true', 'false', 'on', 'off', '1', '0'):
            return value.lower() in ('yes', 'true', 'on', '1')
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        raise _bad(name, '%r is not a boolean' % (value,))
    if kind == 'integer':
        if isinstance(value, bool):
            raise _bad(name, '%r is not an integer' % (value,))
        if isinstance(value, int):
            return value
        if isinstance(value, str) and re.fullmatch(r'-?[0-9]{1,19}', value):
            return int(value)
        raise _bad(name, '%r is not an integer' % (value,))
    if kind == 'float':
        if isinstance(value, bool):
            raise _bad(name, '%r is not a number' % (value,))
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise _bad(name, '%r is not a number' % (value,)) from None
        if not math.isfinite(number):
            raise _bad(name, '%r is not a finite number' % (value,))
        return number
    if not isinstance(value, str):
        raise _bad(name, '%r is not a string' % (value,))
    if len(value) > _MAX_VALUE_LENGTH or any(
            c in value for c in '\r\n\0"\\'):
        raise _bad(name, 'the string is too long or holds a newline, a '
                         'quote or a backslash')
    return value


def validate_value(rule, value):
    """``value`` checked against ``rule`` (a parameter's dict), typed.

    Raises BadRequest naming the parameter.
    """
    name = rule['name']
    typed = _typed(rule, name, value)
    if rule['data_type'] in ('integer', 'float'):
        if rule.get('min_size') is not None and typed < rule['min_size']:
            raise _bad(name, '%s is less than the minimum of %s'
                       % (typed, _plain(rule['min_size'])))
        if rule.get('max_size') is not None and typed > rule['max_size']:
            raise _bad(name, '%s is more than the maximum of %s'
                       % (typed, _plain(rule['max_size'])))
    allowed = rule.get('allowed_values')
    if allowed and typed not in allowed:
        raise _bad(name, '%r is not one of %s'
                   % (typed, ', '.join(str(a) for a in allowed)))
    pattern = rule.get('pattern')
    if pattern and isinstance(typed, str) and not re.fullmatch(pattern,
                                                               typed):
        raise _bad(name, '%r does not match %s' % (typed, pattern))
    return typed


def _plain(number):
    return int(number) if float(number).is_integer() else number


def validate_values(rules, values):
    """Every value of ``values`` ({name: value}) checked, typed.

    ``rules``: {name: parameter dict} of the datastore version. An unknown
    or forbidden parameter, or a bad value, is a BadRequest naming it.
    """
    if not isinstance(values, dict):
        raise exceptions.BadRequest(
            "Invalid input for field 'configuration.values': it must be an "
            "object of parameter names and values.")
    checked = {}
    for name in sorted(values):
        if is_forbidden(name):
            raise exceptions.BadRequest(
                "Configuration parameter '%s' cannot be set: the service "
                "manages it." % name)
        rule = rules.get(name)
        if rule is None:
            raise exceptions.BadRequest(
                "Configuration parameter '%s' is not a known parameter of "
                "this datastore version." % name)
        checked[name] = validate_value(rule, values[name])
    return checked


def redis_value(value):
    """How Redis writes ``value`` (a typed, validated value)."""
    if isinstance(value, bool):
        return 'yes' if value else 'no'
    if isinstance(value, float):
        return repr(_plain(value))
    return str(value)


def guest_overrides(rules, values):
    """What the guest applies: ``{'values': {name: redis text},
    'restart_required': [names]}``.

    ``values`` are a group's stored values (None: no group); ``rules``
    the parameters of the instance's datastore version (values are
    validated again: one the cell's rules refuse raises BadRequest naming
    it). ``restart_required`` names every parameter of the version that
    only a restart applies, so that the guest also knows it for a value
    it takes away.
    """
    checked = validate_values(rules, values or {})
    return {'values': {name: redis_value(value)
                       for name, value in checked.items()},
            'restart_required': sorted(
                name for name, rule in rules.items()
                if rule['restart_required'])}
