"""A consistent RDB snapshot of the local node, read as it is produced.

The guest asks its own Redis for a full resynchronisation the way a
replica does, declaring itself a replica that wants the RDB file only
(``REPLCONF rdb-only 1``, Redis 7) and that understands a transfer of
unknown length (``REPLCONF capa eof``). Redis then forks a child that
writes the snapshot straight into the connection (the guest's
``redis.conf`` has ``repl-diskless-sync``, Redis 7's default, with no
delay), so the backup is uploaded while the snapshot is still being made
and no copy of it is written to the guest's disk. With
``repl-diskless-sync no`` Redis saves to disk first and sends the file
with its length: the stream reads that too.

Redis closes the connection once an rdb-only transfer is done; it never
becomes a replica.
"""

import socket

from trove_mr.guestagent.datastore.redis import errors

_MARK_LEN = 40
_BUF = 1024 * 1024


def _command(*args):
    parts = [a if isinstance(a, bytes) else str(a).encode() for a in args]
    return b'*%d\r\n' % len(parts) + b''.join(
        b'$%d\r\n%s\r\n' % (len(p), p) for p in parts)


class RdbStream:
    """The RDB bytes of one snapshot; ``read(size)`` like a file.

    :raises errors.SnapshotError: when Redis refuses the transfer (an
        older Redis, a replica not in sync with its master), or the
        connection ends before the whole snapshot was read.
    """

    def __init__(self, app, timeout=600):
        self._where = '%s:%d' % (app.address, app.port)
        self._sock = socket.create_connection((app.address, app.port),
                                              timeout=timeout)
        self._file = self._sock.makefile('rb', buffering=_BUF)
        self._mark = None
        self._left = None
        self._held = b''
        self.done = False
        self.size = 0
        try:
            if app.password:
                self._ask('AUTH', app.password)
            self._ask('REPLCONF', 'capa', 'eof')
            self._ask('REPLCONF', 'rdb-only', '1')
            self._begin()
        except (OSError, errors.SnapshotError):
            self.close()
            raise

    def _line(self):
        line = self._file.readline()
        if not line.endswith(b'\n'):
            raise errors.SnapshotError('Redis at %s closed the connection '
                                       'before the snapshot' % self._where)
        return line.rstrip(b'\r\n')

    def _ask(self, *args):
        self._sock.sendall(_command(*args))
        answer = self._line()
        if not answer.startswith(b'+'):
            raise errors.SnapshotError('Redis at %s refused %s: %s' % (
                self._where, ' '.join(str(a) for a in args[:2]),
                answer.decode('utf-8', 'replace')))

    def _begin(self):
        self._sock.sendall(_command('SYNC'))
        while True:
            # Empty lines keep the connection alive while Redis prepares.
            line = self._line()
            if line:
                break
        if line.startswith(b'$EOF:'):
            self._mark = line[5:]
            if len(self._mark) != _MARK_LEN:
                raise errors.SnapshotError('Redis at %s sent a bad end '
                                           'mark' % self._where)
        elif line.startswith(b'$') and line[1:].isdigit():
            self._left = int(line[1:])
        else:
            raise errors.SnapshotError('Redis at %s refused SYNC: %s' % (
                self._where, line.decode('utf-8', 'replace')))

    def read(self, size=_BUF):
        """Up to ``size`` bytes of the snapshot; ``b''`` at its end."""
        if size is None or size < 0:
            size = _BUF
        while not self.done:
            if self._mark is None:
                data = self._file.read1(min(size, self._left))
                if not data:
                    raise errors.SnapshotError(
                        'Redis at %s ended the snapshot %d bytes short'
                        % (self._where, self._left))
                self._left -= len(data)
                self.done = self._left == 0
                self.size += len(data)
                return data
            data = self._file.read1(size)
            if not data:
                raise errors.SnapshotError('Redis at %s ended the snapshot '
                                           'without its end mark'
                                           % self._where)
            # The last 40 bytes are the end mark, not data: always hold
            # back that many until more arrive.
            buf = self._held + data
            self._held = buf[-_MARK_LEN:]
            out = buf[:-_MARK_LEN]
            self.done = self._held == self._mark
            if out:
                self.size += len(out)
                return out
        return b''

    def close(self):
        try:
            self._file.close()
        finally:
            self._sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

