"""Helpers of the API functional tests: raw HTTP and waiting."""

import time

from cinderclient import client as cinder_client
from novaclient import client as nova_client

ACTIVE_TIMEOUT = 150


def url(system, session, path):
    """Full URL of ``path`` under the caller's project."""
    return '%s/v1.0/%s%s' % (system.api_url, session.get_project_id(), path)


def request(session, method, full_url, body=None):
    """A raw HTTP request with the session's token; never raises."""
    kwargs = {'raise_exc': False, 'timeout': 60}
    if body is not None:
        kwargs['json'] = body
    return session.request(full_url, method, **kwargs)


def wait_status(session, instance_url, wanted, timeout=ACTIVE_TIMEOUT):
    """Poll an instance until its status is ``wanted``; return the view."""
    deadline = time.monotonic() + timeout
    view = None
    while time.monotonic() < deadline:
        answer = request(session, 'GET', instance_url)
        assert answer.status_code == 200, answer.text
        view = answer.json()['instance']
        if view['status'] == wanted:
            return view
        assert view['status'] != 'ERROR', view
        time.sleep(0.5)
    raise AssertionError('instance stayed %s, wanted %s' % (
        view and view['status'], wanted))


def wait_gone(session, instance_url, timeout=60):
    """Poll until the instance answers 404."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if request(session, 'GET', instance_url).status_code == 404:
            return
        time.sleep(0.5)
    raise AssertionError('%s still answers' % instance_url)


def service_nova(system, region):
    """novaclient of the service project (where servers live)."""
    return nova_client.Client('2.1', session=system.cloud.session('trove'),
                              region_name=region)


def service_cinder(system, region):
    """cinderclient of the service project (where volumes live)."""
    return cinder_client.Client('3', session=system.cloud.session('trove'),
                                region_name=region)


def named(resources, instance_id):
    """Servers or volumes named after an instance."""
    return [r for r in resources
            if getattr(r, 'name', None) == 'trove-mr-%s' % instance_id]
