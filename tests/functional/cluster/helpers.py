"""Helpers of the cluster functional tests: raw HTTP, waits, Redis."""

import time

import redis

from tests.functional.api import helpers as api_helpers
from trove_mr.guestagent.datastore.redis import cluster as redis_cluster

READY_TIMEOUT = 240


def clusters_url(system, session, path=''):
    return api_helpers.url(system, session, '/clusters' + path)


def get(session, full_url):
    return api_helpers.request(session, 'GET', full_url)


def wait_ready(session, cluster_url, timeout=READY_TIMEOUT):
    """Poll until the task is NONE and every member ACTIVE; the view."""
    deadline = time.monotonic() + timeout
    view = None
    while time.monotonic() < deadline:
        answer = get(session, cluster_url)
        assert answer.status_code == 200, answer.text
        view = answer.json()['cluster']
        assert view['task']['name'] != 'FAILED', view
        if view['task']['name'] == 'NONE' and all(
                m['status'] == 'ACTIVE' for m in view['instances']):
            return view
        time.sleep(1)
    raise AssertionError('cluster not ready in %ss: %s' % (timeout, view))


def wait_gone(session, cluster_url, timeout=READY_TIMEOUT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if get(session, cluster_url).status_code == 404:
            return
        time.sleep(1)
    raise AssertionError('%s still answers' % cluster_url)


def node(ip, password):
    return redis.Redis(host=ip, port=6379, password=password,
                       decode_responses=True, socket_timeout=5)


def cluster_info(ip, password):
    client = node(ip, password)
    try:
        return redis_cluster.parse_cluster_info(
            client.execute_command('CLUSTER', 'INFO'))
    finally:
        client.close()


def cluster_nodes(ip, password):
    client = node(ip, password)
    try:
        return redis_cluster.parse_cluster_nodes(
            client.execute_command('CLUSTER', 'NODES'))
    finally:
        client.close()


def wait_nodes(ip, password, check, timeout=30):
    """Poll CLUSTER NODES at ``ip`` until ``check(nodes)``; the nodes."""
    deadline = time.monotonic() + timeout
    nodes = None
    while time.monotonic() < deadline:
        nodes = cluster_nodes(ip, password)
        if check(nodes):
            return nodes
        time.sleep(0.5)
    raise AssertionError('CLUSTER NODES at %s never matched: %s'
                         % (ip, nodes))


def wait_task(session, cluster_url, task_name, timeout=READY_TIMEOUT):
    """Poll until the cluster's task is ``task_name``; the view."""
    deadline = time.monotonic() + timeout
    view = None
    while time.monotonic() < deadline:
        view = get(session, cluster_url).json()['cluster']
        if view['task']['name'] == task_name:
            return view
        time.sleep(1)
    raise AssertionError('cluster task never %s: %s' % (task_name, view))
