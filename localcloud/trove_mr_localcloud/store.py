"""Persistent state of the local cloud: one JSON document on disk.

Everything the emulated services know (servers, volumes, images, keypairs,
volume types, the token signing key) lives in one dict, written atomically
after every change so that a restarted emulator finds it again. The data
set of a development cloud is small, so a whole-file rewrite is cheap and
keeps the format easy to inspect.
"""

import contextlib
import json
import os
import threading

STATE_FILE = 'state.json'


class Store:
    """The state document plus the lock that guards it."""

    def __init__(self, state_dir):
        self.state_dir = state_dir
        self.path = os.path.join(state_dir, STATE_FILE)
        self.lock = threading.RLock()
        self.data = {}
        if os.path.exists(self.path):
            with open(self.path) as f:
                self.data = json.load(f)

    def region(self, name):
        """The per-region part of the state, created on first use."""
        regions = self.data.setdefault('regions', {})
        region = regions.setdefault(name, {})
        for key in ('servers', 'volumes', 'images', 'keypairs',
                    'volume_types', 'flavors'):
            region.setdefault(key, {})
        region.setdefault('next_host', 2)
        return region

    @contextlib.contextmanager
    def transaction(self):
        """Hold the lock for a change and write the state after it."""
        with self.lock:
            yield self.data
            self.save()

    def save(self):
        """Write the state atomically (temp file + rename)."""
        with self.lock:
            tmp = self.path + '.tmp'
            # The state holds the token key and passwords: owner only.
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, 'w') as f:
                json.dump(self.data, f, indent=1, sort_keys=True)
            os.replace(tmp, self.path)
