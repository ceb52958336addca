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
