"""The local cloud's hypervisor: servers as process groups on loopback.

Each server gets a loopback address of its own (a /16 per region, from
127.11.0.0 for the first region), a root folder under which its cloud-init
``write_files`` are written, links to its attached volumes' folders, and a
guest process started in its own session so that stopping the server can
signal the whole process group.
"""

import base64
import gzip
import json
import logging
import os
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time

import yaml

LOG = logging.getLogger(__name__)

DEFAULT_GUEST_COMMAND = 'trove-mr-guestagent --config-dir {root}/etc/trove-mr'
STOP_TIMEOUT = 3.0


def address_for(region_index, host_number):
    """Loopback address of host ``host_number`` in the region's /16."""
    third, fourth = divmod(host_number, 254)
    return '127.%d.%d.%d' % (11 + region_index, third, fourth + 1)


def listening_addresses():
    """IPv4 addresses with a listening TCP socket on this machine."""
    found = set()
    try:
        with open('/proc/net/tcp') as f:
            next(f)
            for line in f:
                fields = line.split()
                # State 0A is LISTEN; the address is little-endian hex.
                if len(fields) > 3 and fields[3] == '0A':
                    packed = bytes.fromhex(fields[1].split(':')[0])[::-1]
                    found.add('.'.join(str(b) for b in packed))
    except OSError:
        pass
    return found


def decode_user_data(user_data):
    """Nova's base64 user_data as text ('' when absent or not text)."""
    if not user_data:
        return ''
    try:
        return base64.b64decode(user_data).decode('utf-8')
    except (ValueError, UnicodeDecodeError):
        return ''


def cloud_config_files(user_text):
    """The ``write_files`` entries of a ``#cloud-config`` document."""
    if not user_text.lstrip().startswith('#cloud-config'):
        return []
    try:
        doc = yaml.safe_load(user_text) or {}
    except yaml.YAMLError:
        LOG.warning('user_data is not valid cloud-config YAML')
        return []
    return doc.get('write_files') or [] if isinstance(doc, dict) else []


def _content_bytes(entry):
    content = entry.get('content', '')
    encoding = (entry.get('encoding') or '').lower()
    if encoding in ('b64', 'base64'):
        return base64.b64decode(content)
    if encoding in ('gz+b64', 'gzip+base64', 'gz+base64', 'gzip+b64'):
        return gzip.decompress(base64.b64decode(content))
    if encoding in ('gz', 'gzip'):
        return gzip.decompress(content if isinstance(content, bytes)
                               else content.encode('latin-1'))
    return content.encode() if isinstance(content, str) else content


def reroot(root, path):
    """``path`` of the guest's filesystem as a path under ``root``."""
    relative = os.path.normpath('/' + path).lstrip('/')
    return os.path.join(root, relative)


def write_files(root, entries):
    """Write cloud-config ``write_files`` entries re-rooted under root."""
    written = []
    for entry in entries:
        if not isinstance(entry, dict) or not entry.get('path'):
            continue
        target = reroot(root, entry['path'])
        os.makedirs(os.path.dirname(target), exist_ok=True)
        flags = os.O_WRONLY | os.O_CREAT | (
            os.O_APPEND if entry.get('append') else os.O_TRUNC)
        perms = entry.get('permissions')
        # Created with its final mode (0600 unless told otherwise): guest
        # configuration holds keys and must never be readable in between.
        mode = int(str(perms), 8) if perms is not None else 0o600
        with os.fdopen(os.open(target, flags, mode), 'wb') as f:
            f.write(_content_bytes(entry))
        os.chmod(target, mode)
        written.append(target)
    return written


def write_config_drive(server_dir, meta, user_text):
    """An OpenStack config drive layout beside the server's root."""
    latest = os.path.join(server_dir, 'config_drive', 'openstack', 'latest')
    os.makedirs(latest, exist_ok=True)
    with open(os.path.join(latest, 'meta_data.json'), 'w') as f:
        json.dump(meta, f)
    if user_text:
        _write_private(os.path.join(latest, 'user_data'), user_text)


def _write_private(path, text):
    """Write ``text`` to a file only its owner can read."""
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
                           0o600), 'w') as f:
        f.write(text)
    os.chmod(path, 0o600)


def guest_args(template, root, address, server_id):
    """Argument list of the guest command for one server.

    A bare program name is looked up first in the bin directory of the
    emulator's own Python environment, so the guest runs with the same
    installed packages.
    """
    text = template.format(root=root, address=address, server_id=server_id)
    args = shlex.split(text)
    if args and os.sep not in args[0]:
        local = os.path.join(os.path.dirname(sys.executable), args[0])
        if os.path.exists(local):
            args[0] = local
    return args


class Hypervisor:
    """Starts and stops the guest processes of servers."""

    def __init__(self, state_dir, guest_command=DEFAULT_GUEST_COMMAND):
        self.state_dir = state_dir
        self.guest_command = guest_command
        self._procs = {}
        self._lock = threading.Lock()

    def server_dir(self, server_id):
        return os.path.join(self.state_dir, 'servers', server_id)

    def root_of(self, server_id):
        return os.path.join(self.server_dir(server_id), 'root')

    def prepare(self, server, user_text):
        """Create the server's root and write its cloud-init files."""
        root = self.root_of(server['id'])
        os.makedirs(root, exist_ok=True)
        write_files(root, cloud_config_files(user_text))
        if server.get('config_drive'):
            write_config_drive(self.server_dir(server['id']), {
                'uuid': server['id'], 'name': server['name'],
                'hostname': server['name'], 'meta': server['metadata'],
                'availability_zone': server['availability_zone'],
                'public_keys': {}}, user_text)
        _write_private(os.path.join(self.server_dir(server['id']),
                                    'user_data'), user_text)

    def expose_volumes(self, server_id, volumes):
        """Link attached volumes under the root's /dev and record them.

        ``volumes`` is a list of {"id", "path", "device"} in attach order.
        """
        root = self.root_of(server_id)
        dev = os.path.join(root, 'dev')
        os.makedirs(dev, exist_ok=True)
        for name in os.listdir(dev):
            link = os.path.join(dev, name)
            if os.path.islink(link):
                os.unlink(link)
        for volume in volumes:
            os.symlink(volume['path'], reroot(root, volume['device']))
        with open(os.path.join(self.server_dir(server_id),
                               'volumes.json'), 'w') as f:
            json.dump(volumes, f)

    def start(self, server, volumes, memory_mb=None, image_version=None):
        """Start the guest process; returns its pid (raises OSError).

        ``memory_mb``: the RAM of the server's flavor, which the guest
        reads as a real server reads its kernel's total memory.
        ``image_version`` is what the server's image runs (its
        ``trove_mr_datastore_version`` property): the guest finds it, with
        the image's id, in its environment, as it would in its own files.
        """
        server_id = server['id']
        root = self.root_of(server_id)
        env = dict(os.environ)
        env.update({'TROVE_MR_SERVER_ID': server_id,
                    'TROVE_MR_SERVER_ADDRESS': server['address'],
                    'TROVE_MR_SERVER_ROOT': root,
                    'TROVE_MR_VOLUMES': json.dumps(volumes),
                    'TROVE_MR_IMAGE_ID': server.get('image_id') or '',
                    'TROVE_MR_IMAGE_VERSION': image_version or ''})
        if memory_mb:
            env['TROVE_MR_SERVER_MEMORY_MB'] = str(int(memory_mb))
        else:
            env.pop('TROVE_MR_SERVER_MEMORY_MB', None)
        args = guest_args(self.guest_command, root, server['address'],
                          server_id)
        log_path = os.path.join(self.server_dir(server_id), 'console.log')
        with open(log_path, 'ab') as log:
            proc = subprocess.Popen(
                args, cwd=root, env=env, stdin=subprocess.DEVNULL,
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        with self._lock:
            self._procs[server_id] = proc
        return proc.pid

    def is_running(self, server):
        """True while the server's guest process is alive."""
        with self._lock:
            proc = self._procs.get(server['id'])
        if proc is not None:
            return proc.poll() is None
        pid = server.get('pid')
        if not pid:
            return False
        # A guest started by an earlier emulator run is not our child.
        try:
            os.killpg(pid, 0)
        except OSError:
            return False
        try:
            with open('/proc/%d/environ' % pid, 'rb') as f:
                return ('TROVE_MR_SERVER_ID=%s' % server['id']).encode() \
                    in f.read()
        except OSError:
            return True

    def stop(self, server):
        """SIGTERM the guest's process group, SIGKILL after a timeout."""
        with self._lock:
            proc = self._procs.pop(server['id'], None)
        pid = proc.pid if proc is not None else server.get('pid')
        if not pid or (proc is None and not self.is_running(server)):
            return
        try:
            os.killpg(pid, signal.SIGTERM)
        except OSError:
            return
        deadline = time.monotonic() + STOP_TIMEOUT
        while time.monotonic() < deadline:
            if proc is not None and proc.poll() is not None:
                break
            try:
                os.killpg(pid, 0)
            except OSError:
                return
            time.sleep(0.02)
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            pass
        if proc is not None:
            proc.wait(timeout=STOP_TIMEOUT)
        self._kill_escaped(server['id'])

    @staticmethod
    def _kill_escaped(server_id):
        """Kill what the guest started in sessions of its own.

        A real server's processes all die with it; here a daemon the guest
        started with setsid (redis-server) leaves the guest's process
        group. Every process of a server inherits its TROVE_MR_SERVER_ID,
        which marks it as the server's, like a VM boundary.
        """
        marker = ('TROVE_MR_SERVER_ID=%s' % server_id).encode()
        victims = []
        for entry in os.listdir('/proc'):
            if not entry.isdigit():
                continue
            try:
                with open('/proc/%s/environ' % entry, 'rb') as f:
                    if marker in f.read().split(b'\0'):
                        victims.append(int(entry))
            except OSError:
                continue
        for pid in victims:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass

    def stop_all(self):
        """Stop every guest this emulator process started."""
        with self._lock:
            server_ids = list(self._procs)
        for server_id in server_ids:
            self.stop({'id': server_id})

    def remove(self, server_id):
        """Delete the server's folder (root, console log)."""
        shutil.rmtree(self.server_dir(server_id), ignore_errors=True)

    def wipe_root(self, server_id):
        """Drop the server's root disk and config drive (a rebuild).

        Attached volumes are only linked from the root's /dev, so their
        data stays; ``prepare`` writes the new root's files again.
        """
        shutil.rmtree(self.root_of(server_id), ignore_errors=True)
        shutil.rmtree(os.path.join(self.server_dir(server_id),
                                   'config_drive'), ignore_errors=True)

    def saved_user_text(self, server_id):
        """The user data the server was last booted with ('' if none)."""
        try:
            with open(os.path.join(self.server_dir(server_id),
                                   'user_data')) as f:
                return f.read()
        except OSError:
            return ''
