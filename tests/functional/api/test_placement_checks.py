"""The seed's cross-region checks refuse a create before anything is
built: a system whose RegionTwo image has other bytes and whose
RegionThree m1.redis has more RAM."""

import shutil
import tempfile

import pytest

from tests.fixtures import devenv
from tests.functional.api import helpers


@pytest.fixture(scope='module')
def skewed():
    env = devenv.DevEnv(
        tempfile.mkdtemp(prefix='trove-mr-skewed-'),
        regions=('RegionOne', 'RegionTwo', 'RegionThree'),
        cloud_args=['--image-checksum-differs', 'RegionTwo',
                    '--flavor-differs', 'RegionThree'])
    try:
        env.start()
        yield env
    finally:
        env.stop()
        shutil.rmtree(env.state_dir, ignore_errors=True)


def _create(env, region, flavor='7'):
    session = env.session('demo')
    return helpers.request(
        session, 'POST', helpers.url(env, session, '/instances'),
        {'instance': {'name': 'refused', 'flavorRef': flavor,
                      'volume': {'size': 1}, 'region': region}})


def _nothing_built(env):
    session = env.session('demo')
    listed = helpers.request(session, 'GET',
                             helpers.url(env, session, '/instances'))
    assert listed.json()['instances'] == []
    for region in env.regions:
        assert helpers.service_nova(env, region).servers.list() == []
        assert helpers.service_cinder(env, region).volumes.list() == []


def test_image_checksum_mismatch_is_a_400_and_builds_nothing(skewed):
    answer = _create(skewed, 'RegionTwo')
    assert answer.status_code == 400
    message = answer.json()['badRequest']['message']
    assert 'checksum' in message
    assert 'RegionOne' in message and 'RegionTwo' in message
    _nothing_built(skewed)


def test_flavor_mismatch_is_a_400_naming_the_ram_and_builds_nothing(
        skewed):
    answer = _create(skewed, 'RegionThree')
    assert answer.status_code == 400
    message = answer.json()['badRequest']['message']
    assert 'm1.redis' in message and 'ram' in message
    assert 'RegionOne' in message and 'RegionThree' in message
    _nothing_built(skewed)


def test_unknown_region_is_a_400_listing_the_known_ones(skewed):
    answer = _create(skewed, 'RegionNine')
    assert answer.status_code == 400
    message = answer.json()['badRequest']['message']
    assert 'RegionNine' in message
    assert 'RegionOne, RegionThree, RegionTwo' in message
    _nothing_built(skewed)
