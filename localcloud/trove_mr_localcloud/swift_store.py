"""On-disk storage behind the local cloud's Swift service.

Layout under the store directory::

    <store>/tmp/                              uploads in progress
    <store>/<account>/.account.json           account metadata
    <store>/<account>/<container>/.container.json
    <store>/<account>/<container>/objects/<sha256(name)>.json   sidecar
    <store>/<account>/<container>/objects/<sha256(name)>.<ver>  data

An object becomes visible when its sidecar is renamed into place; the
sidecar names the (immutable) data file it describes, so a reader never
sees new metadata with old bytes or the reverse, and an upload that fails
or is interrupted leaves only an unreferenced file behind.
"""

import datetime
import hashlib
import json
import os
import threading
import time
import uuid
from urllib import parse

# Files opened for reading are streamed in pieces of this size.
CHUNK_SIZE = 1024 * 1024
TMP_MAX_AGE = 3600

_LOCKS = {}
_LOCKS_GUARD = threading.Lock()


def store_lock(store_dir):
    """Return the lock shared by every store opened on ``store_dir``.

    Two apps may be mounted on one directory (a store shared by regions),
    so the lock belongs to the directory, not to the app.
    """
    key = os.path.realpath(store_dir)
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(key, threading.RLock())


def folder_name(name):
    """Map an account or container name to one safe directory name."""
    quoted = parse.quote(name, safe='')
    if quoted.startswith('.'):
        # Keep '.', '..' and hidden names from meaning something on disk.
        quoted = '%2E' + quoted[1:]
    if len(quoted) > 200:
        # '+' is always escaped by quote(), so hashed names cannot collide.
        quoted = '+' + hashlib.sha256(name.encode('utf-8')).hexdigest()
    return quoted


def iso_time(timestamp):
    """A timestamp as Swift's listings show it (UTC, microseconds)."""
    when = datetime.datetime.fromtimestamp(timestamp, datetime.timezone.utc)
    return when.strftime('%Y-%m-%dT%H:%M:%S.%f')


def object_key(name):
    """File name stem of an object: fixed length whatever the name."""
    return hashlib.sha256(name.encode('utf-8')).hexdigest()


def _write_json(path, doc, tmp_dir):
    tmp = os.path.join(tmp_dir, uuid.uuid4().hex + '.json')
    with open(tmp, 'w', encoding='utf-8') as f:
        json.dump(doc, f)
    os.replace(tmp, path)


def _read_json(path):
    try:
        with open(path, encoding='utf-8') as f:
            return json.load(f)
    except FileNotFoundError:
        return None


def apply_meta_update(meta, updates, removals=()):
    """Merge metadata the way Swift's account/container POST does.

    An empty value removes a key, as do the names in ``removals``.
    """
    for key, value in updates.items():
        if value == '':
            meta.pop(key, None)
        else:
            meta[key] = value
    for key in removals:
        meta.pop(key, None)
    return meta


class TempUpload:
    """A body being written to the store's temp area, with its md5."""

    def __init__(self, tmp_dir):
        self.path = os.path.join(tmp_dir, uuid.uuid4().hex + '.upload')
        self._file = open(self.path, 'wb')
        self._md5 = hashlib.md5(usedforsecurity=False)
        self.size = 0

    def write(self, data):
        """Append ``data`` to the upload."""
        self._file.write(data)
        self._md5.update(data)
        self.size += len(data)

    def finish(self):
        """Flush the data and return its md5 hex digest."""
        self._file.close()
        return self._md5.hexdigest()

    def discard(self):
        """Drop the upload; nothing of it stays on disk."""
        if not self._file.closed:
            self._file.close()
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass


class SwiftStore:
    """Accounts, containers and objects kept in one directory tree.

    Every method that looks at or changes more than one file holds the
    directory's lock; data is never read or written under it, so streams
    of any size run concurrently.
    """

    def __init__(self, store_dir):
        self.root = os.path.abspath(store_dir)
        self.tmp_dir = os.path.join(self.root, 'tmp')
        os.makedirs(self.tmp_dir, exist_ok=True)
        self.lock = store_lock(self.root)
        self._drop_stale_temp_files()

    def _drop_stale_temp_files(self):
        # Leftovers of uploads cut short by a crash; recent ones may belong
        # to another app sharing this directory, so only old ones go.
        cutoff = time.time() - TMP_MAX_AGE
        for entry in os.scandir(self.tmp_dir):
            try:
                if entry.stat().st_mtime < cutoff:
                    os.unlink(entry.path)
            except FileNotFoundError:
                pass

    # -- paths ------------------------------------------------------------

    def _account_dir(self, account):
        return os.path.join(self.root, folder_name(account))

    def _container_dir(self, account, container):
        return os.path.join(self._account_dir(account),
                            folder_name(container))

    def _objects_dir(self, account, container):
        return os.path.join(self._container_dir(account, container),
                            'objects')

    def new_upload(self):
        """Start a temp upload in this store."""
        return TempUpload(self.tmp_dir)

    # -- accounts ---------------------------------------------------------

    def account_info(self, account):
        """Metadata and stats of an account (accounts always exist)."""
        with self.lock:
            doc = _read_json(os.path.join(self._account_dir(account),
                                          '.account.json'))
            containers = self._container_docs(account)
            stats = [self._container_stats(account, c['name'])
                     for c in containers]
        doc = doc or {'timestamp': None, 'meta': {}}
        return {
            'timestamp': doc['timestamp'],
            'meta': doc['meta'],
            'container_count': len(containers),
            'object_count': sum(s[0] for s in stats),
            'bytes_used': sum(s[1] for s in stats),
        }

    def update_account_meta(self, account, updates, removals=()):
        """Change an account's metadata, creating the account if needed."""
        with self.lock:
            adir = self._account_dir(account)
            os.makedirs(adir, exist_ok=True)
            path = os.path.join(adir, '.account.json')
            doc = _read_json(path) or {'timestamp': time.time(), 'meta': {}}
            apply_meta_update(doc['meta'], updates, removals)
            _write_json(path, doc, self.tmp_dir)

    def list_containers(self, account):
        """Sorted listing entries of an account's containers."""
        with self.lock:
            entries = []
            for doc in self._container_docs(account):
                count, used = self._container_stats(account, doc['name'])
                entries.append({'name': doc['name'], 'count': count,
                                'bytes': used,
                                'last_modified': doc['timestamp']})
        entries.sort(key=lambda e: e['name'])
        return entries

    def _container_docs(self, account):
        adir = self._account_dir(account)
        if not os.path.isdir(adir):
            return []
        docs = []
        for entry in os.scandir(adir):
            if entry.is_dir():
                doc = _read_json(os.path.join(entry.path, '.container.json'))
                if doc is not None:
                    docs.append(doc)
        return docs

    # -- containers -------------------------------------------------------

    def get_container(self, account, container):
        """The container's record, or None when it does not exist."""
        with self.lock:
            return _read_json(os.path.join(
                self._container_dir(account, container), '.container.json'))

    def put_container(self, account, container, meta):
        """Create a container or update its metadata; True if created."""
        with self.lock:
            cdir = self._container_dir(account, container)
            path = os.path.join(cdir, '.container.json')
            doc = _read_json(path)
            created = doc is None
            if created:
                os.makedirs(os.path.join(cdir, 'objects'), exist_ok=True)
                doc = {'name': container, 'timestamp': time.time(),
                       'meta': {}}
            apply_meta_update(doc['meta'], meta)
            _write_json(path, doc, self.tmp_dir)
            return created

    def update_container_meta(self, account, container, updates,
                              removals=()):
        """Change a container's metadata; False if it does not exist."""
        with self.lock:
            path = os.path.join(self._container_dir(account, container),
                                '.container.json')
            doc = _read_json(path)
            if doc is None:
                return False
            apply_meta_update(doc['meta'], updates, removals)
            _write_json(path, doc, self.tmp_dir)
            return True

    def delete_container(self, account, container):
        """Remove an empty container: 'deleted', 'missing' or 'not_empty'."""
        with self.lock:
            cdir = self._container_dir(account, container)
            path = os.path.join(cdir, '.container.json')
            if _read_json(path) is None:
                return 'missing'
            odir = os.path.join(cdir, 'objects')
            if any(n.endswith('.json') for n in os.listdir(odir)):
                return 'not_empty'
            # The record goes first: once it is gone the container is gone,
            # whatever happens to the leftover files below.
            os.unlink(path)
            for name in os.listdir(odir):
                os.unlink(os.path.join(odir, name))
            os.rmdir(odir)
            os.rmdir(cdir)
            return 'deleted'

    def container_stats(self, account, container):
        """(object count, bytes used) of a container."""
        with self.lock:
            return self._container_stats(account, container)

    def _container_stats(self, account, container):
        docs = self._object_docs(account, container)
        return len(docs), sum(d['size'] for d in docs)

    def _object_docs(self, account, container):
        odir = self._objects_dir(account, container)
        docs = []
        try:
            names = os.listdir(odir)
        except FileNotFoundError:
            return docs
        for name in names:
            if name.endswith('.json'):
                doc = _read_json(os.path.join(odir, name))
                if doc is not None:
                    docs.append(doc)
        return docs

    def list_objects(self, account, container):
        """Every object record of a container, sorted by name."""
        with self.lock:
            docs = self._object_docs(account, container)
        docs.sort(key=lambda d: d['name'])
        return docs

    # -- objects ----------------------------------------------------------

    def get_object(self, account, container, name):
        """The object's record, or None."""
        with self.lock:
            return self._object_doc(account, container, name)

    def _object_doc(self, account, container, name):
        return _read_json(os.path.join(self._objects_dir(account, container),
                                       object_key(name) + '.json'))

    def open_object(self, account, container, name):
        """(record, open binary file) of an object, or (None, None).

        The file stays readable after the object is replaced or deleted,
        so a stream begun before a change finishes with the old bytes.
        """
        with self.lock:
            doc = self._object_doc(account, container, name)
            if doc is None:
                return None, None
            path = os.path.join(self._objects_dir(account, container),
                                doc['data_file'])
            return doc, open(path, 'rb')

    def commit_object(self, account, container, upload, record):
        """Make a finished upload the object ``record['name']``.

        ``record`` holds everything but the data file's name. Returns the
        stored record, or None (and drops the upload) when the container
        does not exist.
        """
        with self.lock:
            cdir = self._container_dir(account, container)
            if _read_json(os.path.join(cdir, '.container.json')) is None:
                upload.discard()
                return None
            odir = os.path.join(cdir, 'objects')
            key = object_key(record['name'])
            data_file = '%s.%s' % (key, uuid.uuid4().hex)
            os.replace(upload.path, os.path.join(odir, data_file))
            old = _read_json(os.path.join(odir, key + '.json'))
            record = dict(record, data_file=data_file)
            _write_json(os.path.join(odir, key + '.json'), record,
                        self.tmp_dir)
            if old is not None:
                self._unlink_quietly(os.path.join(odir, old['data_file']))
            return record

    def update_object_record(self, account, container, name, changes):
        """Change fields of an object's record; the new record or None."""
        with self.lock:
            odir = self._objects_dir(account, container)
            path = os.path.join(odir, object_key(name) + '.json')
            doc = _read_json(path)
            if doc is None:
                return None
            doc.update(changes)
            _write_json(path, doc, self.tmp_dir)
            return doc

    def delete_object(self, account, container, name):
        """Remove an object; True if it existed."""
        with self.lock:
            odir = self._objects_dir(account, container)
            path = os.path.join(odir, object_key(name) + '.json')
            doc = _read_json(path)
            if doc is None:
                return False
            os.unlink(path)
            self._unlink_quietly(os.path.join(odir, doc['data_file']))
            return True

    @staticmethod
    def _unlink_quietly(path):
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
