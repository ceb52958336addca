"""Validation rules of configuration groups (the shipped Redis file)."""

import json

import pytest

from trove_mr.common import configuration
from trove_mr.common import exceptions


@pytest.fixture(scope='module')
def rules():
    found = configuration.load_rules_file(
        configuration.default_rules_file('redis'))
    return {rule['name']: rule for rule in found}


def test_shipped_redis_rules_have_the_usual_parameters(rules):
    for name in ('maxmemory-policy', 'timeout', 'tcp-keepalive',
                 'appendonly', 'appendfsync', 'hz', 'loglevel',
                 'slowlog-log-slower-than', 'notify-keyspace-events',
                 'maxclients', 'databases'):
        assert name in rules
    assert rules['databases']['restart_required'] is True
    assert rules['timeout']['restart_required'] is False
    assert not any(configuration.is_forbidden(name) for name in rules)


@pytest.mark.parametrize('name', ['requirepass', 'masterauth', 'bind',
                                  'port', 'dir', 'cluster-enabled',
                                  'cluster-announce-ip', 'rename-command',
                                  'tls-cert-file', 'maxmemory'])
def test_rules_files_cannot_offer_what_the_service_owns(name):
    with pytest.raises(ValueError, match=name):
        configuration.parse_rules({'configuration-parameters': [
            {'name': name, 'type': 'string', 'restart_required': False}]})


@pytest.mark.parametrize('document', [
    {},
    {'configuration-parameters': [{'type': 'integer'}]},
    {'configuration-parameters': [{'name': 'hz', 'type': 'long'}]},
    {'configuration-parameters': [{'name': 'hz', 'type': 'integer',
                                   'min': 'one'}]},
    {'configuration-parameters': [{'name': 'hz', 'type': 'integer'},
                                  {'name': 'hz', 'type': 'integer'}]},
    {'configuration-parameters': [{'name': 'hz', 'type': 'integer',
                                   'color': 'red'}]},
])
def test_malformed_rules_are_refused(document):
    with pytest.raises(ValueError):
        configuration.parse_rules(json.loads(json.dumps(document)))


def test_values_are_typed(rules):
    checked = configuration.validate_values(rules, {
        'timeout': '300', 'appendonly': 'yes', 'hz': 10,
        'maxmemory-policy': 'allkeys-lru', 'notify-keyspace-events': 'Ex'})
    assert checked == {'timeout': 300, 'appendonly': True, 'hz': 10,
                       'maxmemory-policy': 'allkeys-lru',
                       'notify-keyspace-events': 'Ex'}


@pytest.mark.parametrize('values,fragment', [
    ({'timeout': -1}, "'timeout': -1 is less than the minimum of 0"),
    ({'hz': 501}, "'hz': 501 is more than the maximum of 500"),
    ({'hz': True}, "'hz': True is not an integer"),
    ({'appendonly': 'maybe'}, "'appendonly': 'maybe' is not a boolean"),
    ({'appendfsync': 'hourly'}, "'appendfsync': 'hourly' is not one of"),
    ({'notify-keyspace-events': 'Q'}, "'notify-keyspace-events'"),
    ({'loglevel': 'notice"\ninclude /etc/passwd'}, "'loglevel'"),
    ({'unknown-one': 1}, "'unknown-one' is not a known parameter"),
    ({'requirepass': 'secret-secret'}, "'requirepass' cannot be set"),
])
def test_bad_values_name_the_parameter(rules, values, fragment):
    with pytest.raises(exceptions.BadRequest) as caught:
        configuration.validate_values(rules, values)
    assert caught.value.code == 400
    assert fragment in str(caught.value)


def test_guest_overrides_render_redis_text_and_name_static_ones(rules):
    wanted = configuration.guest_overrides(rules, {
        'appendonly': False, 'timeout': 300, 'databases': 32})
    assert wanted['values'] == {'appendonly': 'no', 'timeout': '300',
                                'databases': '32'}
    assert 'databases' in wanted['restart_required']
    assert 'timeout' not in wanted['restart_required']
    assert configuration.guest_overrides(rules, None)['values'] == {}
