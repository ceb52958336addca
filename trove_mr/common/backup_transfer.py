"""Moving a backup file to and from Swift in parallel parts.

An upload cuts the file into parts sent at once as the segments of a
Static Large Object; a download fetches byte ranges of the object at once
and writes each where it belongs in the destination file. In both
directions one thread walks the file in order while the parts move,
computing the whole file's md5 (and, uploading, each segment's, checked
against the ETag Swift answers), so the checksum costs no pass of its own
and no second copy of the data is ever written.

Each part has a connection of its own: a swiftclient Connection is one
HTTP connection and is not shared between threads.
"""

import concurrent.futures
import hashlib
import os
import threading

import swiftclient

# Parts smaller than this are not worth a request of their own.
PART_MIN = 8 * 1024 * 1024
_CHUNK = 1024 * 1024


def plan_parts(size, segment_size, workers):
    """``[(offset, length), ...]`` of the parts a ``size``-byte file is
    moved as: at most ``segment_size`` bytes each, and as many as
    ``workers`` can move at once when the file is large enough."""
    if size <= 0:
        return [(0, 0)]
    length = min(segment_size, max(PART_MIN, -(-size // max(workers, 1))))
    return [(offset, min(length, size - offset))
            for offset in range(0, size, length)]


def worker_connection(conn):
    """A connection like ``conn`` for one more thread."""
    if isinstance(conn, swiftclient.Connection):
        return swiftclient.Connection(preauthurl=conn.url,
                                      preauthtoken=conn.token,
                                      retries=conn.retries)
    # A test double at the boundary: shared.
    return conn


class _RangeReader:
    """A file object over bytes ``[offset, offset + length)`` of a file."""

    def __init__(self, path, offset, length):
        self._fd = os.open(path, os.O_RDONLY)
        self._pos = offset
        self._left = length

    def read(self, size=-1):
        if self._left <= 0:
            return b''
        if size is None or size < 0 or size > self._left:
            size = self._left
        data = os.pread(self._fd, min(size, _CHUNK), self._pos)
        if not data:
            raise IOError('the file being uploaded became shorter')
        self._pos += len(data)
        self._left -= len(data)
        return data

    def close(self):
        os.close(self._fd)


def hash_file(path, parts, stop):
    """``(whole md5, [md5 of each part])`` of ``path``, read in order."""
    whole = hashlib.md5(usedforsecurity=False)
    digests = []
    fd = os.open(path, os.O_RDONLY)
    try:
        for offset, length in parts:
            digest = hashlib.md5(usedforsecurity=False)
            end = offset + length
            while offset < end and not stop.is_set():
                data = os.pread(fd, min(_CHUNK, end - offset), offset)
                if not data:
                    raise IOError('the file being uploaded became shorter')
                whole.update(data)
                digest.update(data)
                offset += len(data)
            digests.append(digest.hexdigest())
    finally:
        os.close(fd)
    return whole.hexdigest(), digests


def put_parts(conn, path, parts, seg_container, name, workers):
    """Send each part of ``path`` as segment ``<name>/%08d``, at once.

    :returns: ``(whole md5, manifest entries, [(container, segment)
        stored])``; the third is filled as segments land, also when this
        raises, so the caller can remove them.
    """
    stored = []
    stop = threading.Event()

    def put(index):
        offset, length = parts[index]
        segment = '%s/%08d' % (name, index)
        reader = _RangeReader(path, offset, length)
        try:
            etag = worker_connection(conn).put_object(
                seg_container, segment, reader, content_length=length)
        finally:
            reader.close()
        stored.append((seg_container, segment))
        return segment, etag

    with concurrent.futures.ThreadPoolExecutor(workers + 1) as pool:
        hashing = pool.submit(hash_file, path, parts, stop)
        sends = [pool.submit(put, i) for i in range(len(parts))]
        try:
            results = [f.result() for f in sends]
            whole, digests = hashing.result()
        except BaseException:
            stop.set()
            for f in sends:
                f.cancel()
            raise
    manifest = []
    for (segment, etag), digest, (_, length) in zip(results, digests,
                                                    parts, strict=True):
        if etag != digest:
            raise IOError('Swift stored segment %s with ETag %s, not the '
                          'md5 sent (%s).' % (segment, etag, digest))
        manifest.append({'path': '/%s/%s' % (seg_container, segment),
                         'etag': etag, 'size_bytes': length})
    return whole, manifest, stored


class _Progress:
    """How many bytes of each part are written, for the hashing thread."""

    def __init__(self, count):
        self.written = [0] * count
        self.failed = False
        self.cond = threading.Condition()

    def add(self, index, count):
        with self.cond:
            self.written[index] += count
            self.cond.notify_all()

    def fail(self):
        with self.cond:
            self.failed = True
            self.cond.notify_all()

    def wait_for(self, index, position):
        """Bytes of part ``index`` written, once more than ``position``."""
        with self.cond:
            while self.written[index] <= position and not self.failed:
                self.cond.wait(1.0)
            if self.failed:
                raise IOError('download failed')
            return self.written[index]


def get_parts(conn, container, name, size, parts, dest_path, workers):
    """Fetch ``container/name`` (``size`` bytes) into ``dest_path``.

    Ranges are fetched at once and written in place while one thread
    hashes the file in order behind them.

    :returns: ``(md5 hex digest, bytes read)``.
    """
    progress = _Progress(len(parts))
    fd = os.open(dest_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.ftruncate(fd, size)

        def get(index):
            offset, length = parts[index]
            headers = {}
            if len(parts) > 1:
                headers['Range'] = 'bytes=%d-%d' % (offset,
                                                    offset + length - 1)
            _, body = worker_connection(conn).get_object(
                container, name, headers=headers, resp_chunk_size=_CHUNK)
            got = 0
            for chunk in body:
                if got + len(chunk) > length:
                    raise IOError('more bytes than asked for in %s'
                                  % headers.get('Range', 'the object'))
                os.pwrite(fd, chunk, offset + got)
                got += len(chunk)
                progress.add(index, len(chunk))
            if got != length:
                raise IOError('%d bytes read of %d in %s' % (
                    got, length, headers.get('Range', 'the object')))

        def digest():
            whole = hashlib.md5(usedforsecurity=False)
            rfd = os.open(dest_path, os.O_RDONLY)
            try:
                for index, (offset, length) in enumerate(parts):
                    done = 0
                    while done < length:
                        ready = progress.wait_for(index, done)
                        while done < ready:
                            data = os.pread(rfd, min(_CHUNK, ready - done),
                                            offset + done)
                            whole.update(data)
                            done += len(data)
            finally:
                os.close(rfd)
            return whole.hexdigest()

        with concurrent.futures.ThreadPoolExecutor(workers + 1) as pool:
            hashing = pool.submit(digest)
            fetches = [pool.submit(get, i) for i in range(len(parts))]
            try:
                for f in fetches:
                    f.result()
            except BaseException:
                progress.fail()
                for f in fetches:
                    f.cancel()
                raise
            return hashing.result(), size
    finally:
        os.close(fd)


def stream_part_size(index, segment_size):
    """Length of part ``index`` of a stream of unknown length: small
    parts first (little memory held while they are in flight), the full
    ``segment_size`` once there are many, so that a manifest's 1000
    segments still hold a large snapshot."""
    if index < STREAM_SMALL_PARTS:
        return min(segment_size, STREAM_PART)
    return segment_size


# Parts of a stream are held in memory until sent: at most workers + 1.
STREAM_PART = 16 * 1024 * 1024
STREAM_SMALL_PARTS = 500


def _fill(stream, length, whole):
    """Up to ``length`` bytes of ``stream``, added to the ``whole`` md5.

    The part's own md5 (checked against Swift's ETag) is computed by the
    thread that sends it: the reading thread, the one that cannot run in
    parallel, hashes each byte once.
    """
    chunks = []
    got = 0
    while got < length:
        data = stream.read(min(_CHUNK, length - got))
        if not data:
            break
        whole.update(data)
        chunks.append(data)
        got += len(data)
    return b''.join(chunks)


def put_stream(conn, stream, seg_container, name, segment_size, workers,
               stored):
    """Send ``stream`` (``read(size)``, ``b''`` at its end) as segments.

    The stream is read in order, hashed as it is read, and each full
    part sent while the next is read, ``workers`` at most at once.

    :param stored: a list ``(container, segment)`` of every segment
        stored is appended to, also when this raises.
    :returns: ``(whole md5, manifest entries, size)``, or ``(md5, None,
        data)`` when the whole stream fits in one part (the caller stores
        it as a plain object).
    """
    whole = hashlib.md5(usedforsecurity=False)
    slots = threading.Semaphore(workers)
    size = 0

    def put(segment, data):
        try:
            digest = hashlib.md5(data, usedforsecurity=False).hexdigest()
            etag = worker_connection(conn).put_object(
                seg_container, segment, data, content_length=len(data))
            stored.append((seg_container, segment))
            if etag != digest:
                raise IOError('Swift stored segment %s with ETag %s, not '
                              'the md5 sent (%s).' % (segment, etag,
                                                      digest))
            return {'path': '/%s/%s' % (seg_container, segment),
                    'etag': etag, 'size_bytes': len(data)}
        finally:
            slots.release()

    sends = []
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        try:
            index = 0
            while True:
                length = stream_part_size(index, segment_size)
                data = _fill(stream, length, whole)
                size += len(data)
                if index == 0 and len(data) < length:
                    return whole.hexdigest(), None, data
                if not data:
                    break
                slots.acquire()
                failed = [f for f in sends if f.done() and f.exception()]
                if failed:
                    slots.release()
                    failed[0].result()
                sends.append(pool.submit(put, '%s/%08d' % (name, index),
                                         data))
                index += 1
                if len(data) < length:
                    break
            manifest = [f.result() for f in sends]
        except BaseException:
            for f in sends:
                f.cancel()
            raise
    return whole.hexdigest(), manifest, size
