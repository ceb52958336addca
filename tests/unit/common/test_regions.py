"""Cross-region checks of multi-region-trove.rst against fake clients."""

import types

import pytest
from glanceclient import exc as glance_exc
from keystoneauth1 import exceptions as ks_exc

from trove_mr.common import cfg
from trove_mr.common import exceptions
from trove_mr.common import regions


class FakeImages:
    def __init__(self, images):
        self._images = images

    def get(self, image_id):
        for image in self._images:
            if image['id'] == image_id:
                return image
        raise glance_exc.HTTPNotFound(image_id)

    def list(self, filters=None):
        name = (filters or {}).get('name')
        return [i for i in self._images if name in (None, i['name'])]


def _flavor(fid, name, ram=1024, vcpus=1, disk=5):
    return types.SimpleNamespace(id=fid, name=name, ram=ram, vcpus=vcpus,
                                 disk=disk)


class FakeFlavors:
    def __init__(self, flavors):
        self._flavors = flavors

    def get(self, ref):
        from novaclient import exceptions as nova_exc
        for flavor in self._flavors:
            if flavor.id == str(ref):
                return flavor
        raise nova_exc.NotFound(404)

    def list(self):
        return list(self._flavors)


@pytest.fixture
def cloud(monkeypatch):
    cfg.CONF([], project='trove-mr')
    cfg.CONF.set_override('region_name', 'RegionOne')
    state = {
        'RegionOne': {
            'images': [{'id': 'img-1', 'name': 'redis-img',
                        'checksum': 'aaa', 'status': 'active'}],
            'flavors': [_flavor('7', 'm1.redis')]},
        'RegionTwo': {
            'images': [{'id': 'img-2', 'name': 'redis-img',
                        'checksum': 'aaa', 'status': 'active'}],
            'flavors': [_flavor('70', 'm1.redis')]},
    }
    monkeypatch.setattr(
        regions.clients, 'create_glance_client',
        lambda ctx, region: types.SimpleNamespace(
            images=FakeImages(state[region]['images'])))
    monkeypatch.setattr(
        regions.clients, 'create_nova_client',
        lambda ctx, region: types.SimpleNamespace(
            flavors=FakeFlavors(state[region]['flavors'])))
    monkeypatch.setattr(regions, 'known_regions',
                        lambda: ('RegionOne', 'RegionTwo'))
    yield state
    cfg.CONF.clear_override('region_name')


VERSION = {'name': '7.0', 'image_name': 'redis-img', 'image_id': None,
           'active': True}


def test_matching_region_resolves_to_its_own_image_and_flavor(cloud):
    placement = regions.check_placement(None, VERSION, '7', 'RegionTwo')
    assert placement.region_name == 'RegionTwo'
    assert placement.image_id == 'img-2'
    assert placement.flavor_id == '70'


def test_home_region_needs_no_cross_checks(cloud):
    placement = regions.check_placement(None, VERSION, '7', 'RegionOne')
    assert (placement.image_id, placement.flavor_id) == ('img-1', '7')


def test_checksum_mismatch_names_both_regions(cloud):
    cloud['RegionTwo']['images'][0]['checksum'] = 'bbb'
    with pytest.raises(exceptions.BadRequest) as err:
        regions.check_placement(None, VERSION, '7', 'RegionTwo')
    message = err.value.message
    assert 'RegionOne' in message and 'RegionTwo' in message
    assert 'aaa' in message and 'bbb' in message


def test_missing_image_in_target_region(cloud):
    cloud['RegionTwo']['images'].clear()
    with pytest.raises(exceptions.BadRequest, match='not in region '
                                                    'RegionTwo'):
        regions.check_placement(None, VERSION, '7', 'RegionTwo')


def test_flavor_with_other_ram_is_refused_naming_the_difference(cloud):
    cloud['RegionTwo']['flavors'][0].ram = 2048
    with pytest.raises(exceptions.BadRequest) as err:
        regions.check_placement(None, VERSION, '7', 'RegionTwo')
    assert 'ram 1024 in RegionOne, 2048 in RegionTwo' in err.value.message


def test_flavor_missing_in_target_region(cloud):
    cloud['RegionTwo']['flavors'][0].name = 'other'
    with pytest.raises(exceptions.BadRequest, match="Flavor 'm1.redis'"):
        regions.check_placement(None, VERSION, '7', 'RegionTwo')


def test_unknown_region_lists_the_known_ones(cloud):
    with pytest.raises(exceptions.BadRequest) as err:
        regions.check_placement(None, VERSION, '7', 'RegionNine')
    assert 'RegionNine' in err.value.message
    assert 'RegionOne, RegionTwo' in err.value.message


def test_inactive_version_in_target_region_is_refused(cloud):
    inactive = dict(VERSION, active=False)
    with pytest.raises(exceptions.BadRequest, match='not active'):
        regions.check_placement(None, VERSION, '7', 'RegionTwo',
                                target_version=inactive)


def test_unknown_flavor_is_404(cloud):
    with pytest.raises(exceptions.NotFound):
        regions.check_placement(None, VERSION, '99', 'RegionTwo')


def test_unreachable_target_region_is_a_503_naming_it(cloud, monkeypatch):
    real = regions.clients.create_glance_client

    def glance(ctx, region):
        if region == 'RegionTwo':
            raise ks_exc.ConnectFailure('connection refused to 10.0.0.9')
        return real(ctx, region)
    monkeypatch.setattr(regions.clients, 'create_glance_client', glance)
    with pytest.raises(exceptions.ServiceUnavailable) as err:
        regions.check_placement(None, VERSION, '7', 'RegionTwo')
    assert err.value.code == 503
    assert 'RegionTwo' in err.value.message
    assert '10.0.0.9' not in err.value.message
