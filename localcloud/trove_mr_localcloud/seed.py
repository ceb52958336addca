"""What every region starts with, and the client files of the cloud.

Flavors are rewritten on every start (they follow the command's options);
the guest image and the volume types are created once and then kept.
"""

import json
import os
import uuid

import yaml

from trove_mr_localcloud import cinder
from trove_mr_localcloud import keystone

IMAGE_NAME = 'trove-mr-redis'
IMAGE_TAGS = ('trove', 'redis')
# A second guest image, of a later Redis version: what an upgrade of the
# datastore version rebuilds servers with. Each image says in a property
# which datastore version it runs; the hypervisor tells its guest.
UPGRADE_IMAGE_NAME = 'trove-mr-redis-7.2'
IMAGE_VERSION_PROPERTY = 'trove_mr_datastore_version'
IMAGE_VERSIONS = {IMAGE_NAME: '7.0', UPGRADE_IMAGE_NAME: '7.2'}
# (id, name, ram MB, vcpus, disk GB)
FLAVORS = (('1', 'm1.tiny', 512, 1, 1),
           ('2', 'm1.small', 2048, 1, 20),
           ('3', 'm1.medium', 4096, 2, 40),
           ('7', 'm1.redis', 1024, 1, 5),
           ('8', 'm1.nodisk', 1024, 1, 0))
DIFFERING_FLAVOR, DIFFERING_RAM = 'm1.redis', 2048


def image_bytes(region_name, differs, name=IMAGE_NAME):
    """A seeded guest image: the same bytes everywhere unless told."""
    data = b'trove-mr redis guest image\n' + bytes(range(256)) * 16
    if name != IMAGE_NAME:
        data += ('%s redis %s\n' % (name, IMAGE_VERSIONS[name])).encode()
    if differs:
        data += ('built separately for %s\n' % region_name).encode()
    return data


def seed_flavors(region, differs):
    flavors = {}
    for fid, name, ram, vcpus, disk in FLAVORS:
        if differs and name == DIFFERING_FLAVOR:
            ram = DIFFERING_RAM
        flavors[fid] = {'id': fid, 'name': name, 'ram': ram,
                        'vcpus': vcpus, 'disk': disk}
    region.data['flavors'] = flavors


def seed_image(region, differs, name=IMAGE_NAME):
    image_id = str(uuid.uuid5(uuid.NAMESPACE_DNS,
                              '%s:image:%s' % (region.name, name)))
    data = image_bytes(region.name, differs, name)
    image = region.data['images'].get(image_id)
    if image is None:
        image = region.glance.new_image(
            {'id': image_id, 'name': name, 'visibility': 'public',
             'tags': list(IMAGE_TAGS), 'container_format': 'bare',
             'disk_format': 'qcow2',
             IMAGE_VERSION_PROPERTY: IMAGE_VERSIONS[name]},
            keystone.stable_id('project', 'admin'))
    elif image['size'] == len(data):
        return
    region.glance.store_data(image, [data])


def seed_region(region, flavor_differs=False, image_differs=False):
    """Seed flavors, the guest images, volume types and networks (the
    management network, demo's and alt_demo's, the external one) of a
    region."""
    with region.store.transaction():
        seed_flavors(region, flavor_differs)
        cinder.seed_types(region.data)
        for name in IMAGE_VERSIONS:
            seed_image(region, image_differs, name)
    region.neutron.seed()


def _user_project(user):
    for name, project, _ in keystone.SEEDED_USERS:
        if name == user:
            return project
    raise KeyError(user)


def private_open(path):
    """Open ``path`` for writing as a file only its owner can read
    (passwords and keys), whatever the umask."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    return os.fdopen(fd, 'w')


def write_client_files(cloud):
    """clouds.yaml, openrc-<user> and localcloud.json in the state dir."""
    clouds = {}
    for user, project, _ in keystone.SEEDED_USERS:
        clouds[user] = {
            'auth': {'auth_url': cloud.auth_url, 'username': user,
                     'password': cloud.password, 'project_name': project,
                     'user_domain_name': 'Default',
                     'project_domain_name': 'Default'},
            'region_name': 'RegionOne', 'interface': 'public',
            # Without the list, openstacksdk refuses --os-region-name
            # values other than region_name.
            'regions': list(cloud.regions),
            'identity_api_version': 3}
        with private_open(os.path.join(cloud.state_dir,
                                       'openrc-' + user)) as f:
            f.write(''.join('export %s=%s\n' % kv for kv in (
                ('OS_AUTH_URL', cloud.auth_url),
                ('OS_USERNAME', user), ('OS_PASSWORD', cloud.password),
                ('OS_PROJECT_NAME', _user_project(user)),
                ('OS_USER_DOMAIN_NAME', 'Default'),
                ('OS_PROJECT_DOMAIN_NAME', 'Default'),
                ('OS_REGION_NAME', 'RegionOne'),
                ('OS_INTERFACE', 'public'),
                ('OS_IDENTITY_API_VERSION', '3'))))
    with private_open(os.path.join(cloud.state_dir, 'clouds.yaml')) as f:
        yaml.safe_dump({'clouds': clouds}, f, default_flow_style=False)
    with private_open(os.path.join(cloud.state_dir,
                                   'localcloud.json')) as f:
        json.dump(cloud.admin.info(), f, indent=1)
