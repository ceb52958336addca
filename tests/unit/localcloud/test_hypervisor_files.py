"""Cloud-init handling and addressing of the local cloud's hypervisor."""

import base64
import gzip
import os

from trove_mr_localcloud import hypervisor


def test_write_files_are_rerooted_and_decoded(tmp_path):
    root = str(tmp_path)
    text = '\n'.join([
        '#cloud-config', 'write_files:',
        '- path: /etc/trove-mr/guest.conf', '  content: plain',
        '- path: ../../escape/b64', '  encoding: b64',
        '  content: %s' % base64.b64encode(b'binary').decode(),
        "  permissions: '0640'",
        '- path: /etc/gz', '  encoding: gz+b64',
        '  content: %s' % base64.b64encode(gzip.compress(b'zipped')).decode(),
    ])
    written = hypervisor.write_files(root,
                                     hypervisor.cloud_config_files(text))
    assert all(path.startswith(root + os.sep) for path in written)
    with open(os.path.join(root, 'etc/trove-mr/guest.conf')) as f:
        assert f.read() == 'plain'
    escaped = os.path.join(root, 'escape/b64')
    with open(escaped, 'rb') as f:
        assert f.read() == b'binary'
    assert os.stat(escaped).st_mode & 0o777 == 0o640
    with open(os.path.join(root, 'etc/gz'), 'rb') as f:
        assert f.read() == b'zipped'


def test_user_data_that_is_not_cloud_config_writes_nothing():
    assert hypervisor.cloud_config_files('#!/bin/sh\necho hi\n') == []
    assert hypervisor.decode_user_data(None) == ''


def test_addresses_use_a_distinct_range_per_region_never_localhost():
    first = hypervisor.address_for(0, 1)
    assert first.startswith('127.11.0.')
    assert hypervisor.address_for(1, 1).startswith('127.12.0.')
    seen = {hypervisor.address_for(0, n) for n in range(1, 2000)}
    assert len(seen) == 1999
    assert all(not a.endswith('.0') and not a.endswith('.255')
               and a != '127.0.0.1' for a in seen)


def test_bare_guest_command_resolves_to_the_emulators_bin_dir():
    args = hypervisor.guest_args(hypervisor.DEFAULT_GUEST_COMMAND,
                                 '/r', '127.11.0.2', 'sid')
    assert args[-2:] == ['--config-dir', '/r/etc/trove-mr']
    assert args[0].endswith('trove-mr-guestagent')


def test_listening_addresses_sees_a_socket_bound_on_loopback():
    import socket

    from trove_mr_localcloud import hypervisor as hv
    with socket.socket() as server:
        server.bind(('127.97.3.4', 0))
        server.listen()
        assert '127.97.3.4' in hv.listening_addresses()
    assert '127.97.3.4' not in hv.listening_addresses()


def test_written_files_are_private_unless_told_otherwise(tmp_path):
    import os
    import stat

    from trove_mr_localcloud import hypervisor as hv
    secret, public = hv.write_files(str(tmp_path), [
        {'path': '/etc/trove-mr/guest.conf', 'content': 'key = s3cret'},
        {'path': '/etc/motd', 'content': 'hi', 'permissions': '0644'}])
    assert stat.S_IMODE(os.stat(secret).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(public).st_mode) == 0o644


def test_rebuild_wipes_the_root_but_keeps_volume_data_and_user_data(
        tmp_path):
    hv = hypervisor.Hypervisor(str(tmp_path / 'state'))
    volume = tmp_path / 'volume'
    volume.mkdir()
    (volume / 'dump.rdb').write_bytes(b'data')
    server = {'id': 's1', 'name': 's1', 'config_drive': True,
              'metadata': {}, 'availability_zone': 'nova'}
    text = '\n'.join(['#cloud-config', 'write_files:',
                      '- path: /etc/trove-mr/guest.conf',
                      '  content: version 7.0'])
    hv.prepare(server, text)
    hv.expose_volumes('s1', [{'id': 'v1', 'path': str(volume),
                              'device': '/dev/vdb'}])
    (tmp_path / 'state/servers/s1/root/tmp-file').write_text('old root')

    hv.wipe_root('s1')

    assert not os.path.exists(hv.root_of('s1'))
    assert (volume / 'dump.rdb').read_bytes() == b'data'
    assert hv.saved_user_text('s1') == text
    hv.prepare(server, text.replace('7.0', '7.2'))
    with open(os.path.join(hv.root_of('s1'), 'etc/trove-mr/guest.conf')) \
            as f:
        assert f.read() == 'version 7.2'
