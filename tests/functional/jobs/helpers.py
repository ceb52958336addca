"""Helpers of the job tests: a private redis-server, a configuration,
trove-mr-manage as a subprocess."""

import socket
import subprocess
import sys
import time


def start_redis(folder, port):
    proc = subprocess.Popen(
        ['redis-server', '--port', str(port), '--bind', '127.0.0.1',
         '--save', '', '--appendonly', 'no', '--dir', str(folder)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(('127.0.0.1', port), timeout=0.5):
                return proc
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError('redis-server did not start')


def write_config(folder, port, board):
    conf = folder / 'trove-mr.conf'
    conf.write_text(
        '[database]\nconnection = sqlite:///%s\n'
        '[api_database]\nconnection = sqlite:///%s\n'
        '[taskflow]\njobboard_backend = redis\n'
        'jobboard_redis_port = %d\njobboard_name = %s\n'
        % (folder / 'region.sqlite', folder / 'api.sqlite', port, board))
    return conf


def manage(conf, *args):
    """Run trove-mr-manage on ``conf``; the CompletedProcess."""
    return subprocess.run(
        [sys.executable, '-m', 'trove_mr.cmd.manage', '--config-file',
         str(conf)] + list(args), capture_output=True, text=True, timeout=60,
        check=False)
