"""API microversion negotiation as Nova and Cinder do it."""

from trove_mr_localcloud import wsgi


def parse(version):
    """'2.37' -> (2, 37)."""
    major, _, minor = version.strip().partition('.')
    return int(major), int(minor or 0)


def requested(req, service, legacy_header, minimum, maximum):
    """The (major, minor) version a request asks for; 406 out of range.

    ``OpenStack-API-Version: <service> X.Y`` wins over the legacy header;
    no header means the minimum, 'latest' the maximum.
    """
    value = None
    for part in req.headers.get('OpenStack-API-Version', '').split(','):
        name, _, ver = part.strip().partition(' ')
        if name.lower() == service:
            value = ver.strip()
    if value is None and legacy_header:
        value = req.headers.get(legacy_header)
    if not value:
        return parse(minimum)
    if value == 'latest':
        return parse(maximum)
    try:
        version = parse(value)
    except ValueError as exc:
        raise wsgi.HTTPError(400, 'Invalid API version %s.' % value) \
            from exc
    if not parse(minimum) <= version <= parse(maximum):
        raise wsgi.HTTPError(
            406, 'Version %s is not supported by the API. Minimum is %s and '
                 'maximum is %s.' % (value, minimum, maximum),
            'notAcceptable')
    return version


def headers(service, version, legacy_header=None):
    """Response headers echoing the version that served a request."""
    text = '%d.%d' % version
    out = {'OpenStack-API-Version': '%s %s' % (service, text),
           'Vary': 'OpenStack-API-Version'}
    if legacy_header:
        out[legacy_header] = text
    return out
