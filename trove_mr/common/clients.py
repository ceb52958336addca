"""Region-scoped OpenStack clients of the service user.

Service-tenant deployment (running-in-production.rst): Nova servers and
Cinder volumes of every instance live in the service project, so the
control plane talks to Nova, Cinder and Glance as its service user. One
keystoneauth session (one token, refreshed by keystoneauth when it nears
expiry) serves every region; clients are made per region from it and kept,
so no request pays for a token or a client (multi-region-trove.rst:
``create_nova_client()`` "enhanced to optionally take a region name").

Backups go to the tenant's own object store account: ``create_swift_client``
takes the tenant's token from the request context when it has one.
"""

import threading

import swiftclient
from cinderclient import client as cinder_client
from glanceclient import client as glance_client
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3 as ks_v3
from novaclient import client as nova_client
from oslo_config import cfg

CONF = cfg.CONF

NOVA_API_VERSION = '2.37'
CINDER_API_VERSION = '3.0'

_lock = threading.Lock()
_session = None
_clients = {}


def _verify():
    opts = CONF.service_credentials
    if opts.insecure:
        return False
    return opts.cafile or True


def service_session():
    """The service user's keystoneauth session, made once per process."""
    global _session
    with _lock:
        if _session is None:
            opts = CONF.service_credentials
            auth = ks_v3.Password(
                auth_url=opts.auth_url, username=opts.username,
                password=opts.password, project_name=opts.project_name,
                user_domain_name=opts.user_domain_name,
                project_domain_name=opts.project_domain_name)
            _session = ks_session.Session(auth=auth, verify=_verify())
        return _session


def reset():
    """Forget the session and clients (configuration changed; tests)."""
    global _session
    with _lock:
        _session = None
        _clients.clear()


def _cached(kind, region_name, factory):
    region_name = region_name or CONF.region_name
    key = (kind, region_name)
    client = _clients.get(key)
    if client is None:
        client = factory(region_name)
        with _lock:
            client = _clients.setdefault(key, client)
    return client


def _endpoint_opts(region_name):
    return {'region_name': region_name,
            'interface': CONF.service_credentials.interface}


def create_nova_client(context, region_name=None):
    """Nova client of the service user in ``region_name``."""
    return _cached('nova', region_name, lambda region: nova_client.Client(
        NOVA_API_VERSION, session=service_session(),
        endpoint_type=CONF.service_credentials.interface,
        region_name=region))


def create_nova_client_at(context, region_name, version):
    """Nova client of the service user at microversion ``version`` (for
    the calls that need a later one than ``NOVA_API_VERSION``)."""
    return _cached('nova-%s' % version, region_name,
                   lambda region: nova_client.Client(
                       version, session=service_session(),
                       endpoint_type=CONF.service_credentials.interface,
                       region_name=region))


def create_cinder_client(context, region_name=None):
    """Cinder (v3) client of the service user in ``region_name``."""
    return _cached('cinder', region_name, lambda region: cinder_client.Client(
        CINDER_API_VERSION, session=service_session(),
        interface=CONF.service_credentials.interface, region_name=region))


def create_glance_client(context, region_name=None):
    """Glance (v2) client of the service user in ``region_name``."""
    return _cached('glance', region_name, lambda region: glance_client.Client(
        '2', session=service_session(), **_endpoint_opts(region)))


def object_store_url(context, region_name=None):
    """The object-store endpoint of the request's project in a region."""
    region_name = region_name or CONF.region_name
    for service in context.service_catalog or []:
        if service.get('type') != 'object-store':
            continue
        interface = CONF.service_credentials.interface
        for endpoint in service.get('endpoints', []):
            if endpoint.get('region') != region_name and \
                    endpoint.get('region_id') != region_name:
                continue
            # keystonemiddleware passes the catalog in the v2 form, one
            # entry per region with <interface>URL keys.
            if endpoint.get(interface + 'URL'):
                return endpoint[interface + 'URL']
            if endpoint.get('interface', 'public') == interface and \
                    endpoint.get('url'):
                return endpoint['url']
    return None


def create_swift_client(context, region_name=None):
    """Swift client for the request's project (its backups) in a region.

    With the tenant's token and catalog in the context, the tenant's own
    account is used. Without them (service work) the service user's account
    of that region is used.
    """
    region_name = region_name or CONF.region_name
    url = object_store_url(context, region_name) if context else None
    if context is not None and context.auth_token and url:
        return swiftclient.Connection(
            preauthurl=url, preauthtoken=context.auth_token, retries=2,
            insecure=CONF.service_credentials.insecure,
            cacert=CONF.service_credentials.cafile)
    return swiftclient.Connection(
        session=service_session(), retries=2,
        os_options={'region_name': region_name,
                    'endpoint_type': CONF.service_credentials.interface})



def create_cinder_client_at(context, region_name, version):
    """Cinder client of the service user in ``region_name`` at the
    microversion ``version`` (e.g. '3.42' to extend attached volumes)."""
    return _cached('cinder-' + version, region_name,
                   lambda region: cinder_client.Client(
                       version, session=service_session(),
                       interface=CONF.service_credentials.interface,
                       region_name=region))


def create_network_client(context, region_name=None):
    """Neutron of the service user in ``region_name``: openstacksdk's
    network proxy, made from the same keystoneauth session as the other
    clients (openstacksdk is already a dependency of the command line
    client; python-neutronclient's Python API is deprecated upstream)."""
    def factory(region):
        from openstack import connection
        return connection.Connection(
            session=service_session(), region_name=region,
            network_interface=CONF.service_credentials.interface).network
    return _cached('network', region_name, factory)
