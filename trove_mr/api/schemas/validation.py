"""Validate request bodies and query strings against JSON schemas.

A failure is a 400 whose message names the field at fault, e.g.
``Invalid input for field 'instance.volume.size': 0 is less than the
minimum of 1.``
"""

import unicodedata

import jsonschema

from trove_mr.common import exceptions


def _field(error):
    path = [str(p) for p in error.absolute_path]
    if error.validator == 'required':
        # The missing property is named in the message, not the path.
        missing = error.message.split("'")[1] if "'" in error.message \
            else ''
        path.append(missing)
    elif error.validator == 'additionalProperties':
        extra = error.message.split("'")[1] if "'" in error.message else ''
        path.append(extra)
    return '.'.join(p for p in path if p) or 'body'


# Unicode bidirectional formatting codes: they make a name read
# differently from what it is (the "Trojan Source" trick).
_BIDI = frozenset('\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e'
                  '\u2066\u2067\u2068\u2069')
# Control characters a free-text field may still hold.
_TEXT_CONTROLS = frozenset('\t\n\r')
# Fields that name things: printable characters only.
_NAME_KEYS = frozenset(('name',))


def _bad_text(text, is_name):
    """Why ``text`` cannot be taken, or None."""
    if is_name and not text.isprintable():
        return 'it may hold only printable characters'
    for char in text:
        if char in _BIDI:
            return 'it may not hold bidirectional formatting codes'
        if unicodedata.category(char) == 'Cc' and char not in _TEXT_CONTROLS:
            return 'it may not hold control characters'
        if unicodedata.category(char) == 'Cs':
            return 'it may not hold lone surrogates'
    return None


def check_text(document):
    """Refuse control characters and bidi codes in every string (keys
    included) of ``document``, and any non-printable character in a
    ``name``; whatever the schema, so every route gets it.

    Walks without recursion: the depth is only bounded by the request
    guard.
    """
    pending = [((), document)]
    while pending:
        path, value = pending.pop()
        if isinstance(value, str):
            is_name = bool(path) and path[-1] in _NAME_KEYS
            reason = _bad_text(value, is_name)
            if reason:
                raise exceptions.BadRequest(
                    "Invalid input for field '%s': %s."
                    % ('.'.join(str(p) for p in path) or 'body', reason))
        elif isinstance(value, dict):
            for key, item in value.items():
                reason = _bad_text(str(key), True)
                if reason:
                    raise exceptions.BadRequest(
                        "Invalid input for a field name in '%s': %s."
                        % ('.'.join(str(p) for p in path) or 'body',
                           reason))
                pending.append((path + (key,), item))
        elif isinstance(value, list):
            pending.extend((path + (index,), item)
                           for index, item in enumerate(value))


def validate(schema, document):
    """Raise BadRequest naming the field unless ``document`` matches."""
    check_text(document)
    validator = jsonschema.Draft7Validator(schema)
    error = jsonschema.exceptions.best_match(validator.iter_errors(document))
    if error is None:
        return document
    if error.validator == 'additionalProperties':
        message = "Invalid input for field '%s': it is not a known " \
                  "attribute." % _field(error)
    elif error.validator == 'required':
        message = "Invalid input for field '%s': it is required." \
                  % _field(error)
    else:
        message = "Invalid input for field '%s': %s." % (_field(error),
                                                        error.message)
    raise exceptions.BadRequest(message)


def as_bool(value):
    """Query-string booleans as clients send them ('True', 'false', '1')."""
    return str(value).lower() in ('1', 'true', 'yes', 'on')
