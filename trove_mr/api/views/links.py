"""Self and bookmark links and timestamps, as Trove writes them."""

import pecan

from trove_mr.common import cfg

CONF = cfg.CONF


def base_url():
    """The public URL of this API: configured, else the request's."""
    endpoint = CONF.api.public_endpoint
    if not endpoint:
        endpoint = pecan.request.host_url
    return endpoint.rstrip('/')


def resource_links(base, tenant_id, collection, resource_id):
    """[self, bookmark] links of one resource."""
    return [{'href': '%s/v1.0/%s/%s/%s' % (base, tenant_id, collection,
                                           resource_id),
             'rel': 'self'},
            {'href': '%s/%s/%s' % (base, collection, resource_id),
             'rel': 'bookmark'}]


def timestamp(value):
    """A row's datetime as the API shows it ('' when unset)."""
    return value.strftime('%Y-%m-%dT%H:%M:%S') if value else ''
