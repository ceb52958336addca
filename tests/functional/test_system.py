"""The whole system comes up and its services reach each other."""


def test_api_pings_taskmanager_and_conductor_over_rabbitmq(system):
    answer = system.wait_ready(timeout=30)
    text = str(answer)
    assert 'taskmanager' in text and 'conductor' in text


def test_versions_document_is_served_through_the_catalog(system):
    sess = system.session('demo')
    endpoint = sess.get_endpoint(service_type='database',
                                 region_name=system.region_name)
    assert endpoint.startswith(system.api_url)
    resp = sess.get(system.api_url + '/', raise_exc=False)
    assert resp.status_code == 200
    ids = [v['id'] for v in resp.json()['versions']]
    assert 'v1.0' in ids


def test_unauthenticated_requests_are_refused(system):
    import requests
    resp = requests.get(system.api_url + '/v1.0/someone/instances',
                        timeout=10)
    assert resp.status_code == 401


def test_secrets_never_reach_the_logs(system):
    """Creating an instance logs neither its RPC key nor its user data."""
    import glob
    import os
    import time

    from trove_mr.common import cfg
    from trove_mr.common import context
    from trove_mr.db.main import leases as api_taskmanager

    trove = system.trove('demo')
    inst = trove.instances.create('log-check', '7', volume={'size': 1},
                                  datastore='redis',
                                  datastore_version='7.0')
    try:
        deadline = time.monotonic() + 120
        while trove.instances.get(inst.id).status == 'BUILD':
            assert time.monotonic() < deadline
            time.sleep(0.5)
        cfg.CONF(['--config-file', system.conf_file], project='trove-mr')
        key = api_taskmanager.instance_rpc_key_get(
            context.get_admin_context(), inst.id)
        assert key
        secrets = [key, inst.password, cfg.CONF.taskmanager_rpc_encr_key]
        for path in glob.glob(os.path.join(system.log_dir, '*')):
            with open(path, errors='replace') as f:
                text = f.read()
            assert '"user_data"' not in text, path
            for secret in secrets:
                assert secret not in text, path
    finally:
        trove.instances.delete(inst.id)
