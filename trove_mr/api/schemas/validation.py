"""Validate request bodies and query strings against JSON schemas.

A failure is a 400 whose message names the field at fault, e.g.
``Invalid input for field 'instance.volume.size': 0 is less than the
minimum of 1.``
"""

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


def validate(schema, document):
    """Raise BadRequest naming the field unless ``document`` matches."""
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
