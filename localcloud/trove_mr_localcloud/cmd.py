"""trove-mr-localcloud: run the local multi-region cloud, or inject faults.

    trove-mr-localcloud --regions RegionOne,RegionTwo --state-dir DIR \\
        --bind 127.0.0.1 --port 5000
    trove-mr-localcloud fault --url http://127.0.0.1:5000 \\
        --region RegionTwo --unreachable
"""

import argparse
import json
import logging
import signal
import sys
import threading

from trove_mr_localcloud import hypervisor


def _csv(text):
    return [part.strip() for part in (text or '').split(',') if part.strip()]


def serve_parser():
    p = argparse.ArgumentParser(
        prog='trove-mr-localcloud',
        description='Serve Keystone, Nova, Cinder, Glance and Swift for '
                    'several regions on this machine.')
    p.add_argument('--regions', default='RegionOne,RegionTwo',
                   help='Comma-separated region names.')
    p.add_argument('--state-dir', required=True,
                   help='Folder holding the state, servers, volumes, '
                        'images, object stores and client files.')
    p.add_argument('--bind', default='127.0.0.1',
                   help='Address to listen on (keep it on loopback).')
    p.add_argument('--port', type=int, default=5000,
                   help='Port of Keystone and the admin API; region N '
                        'listens on port + N unless --region-ports.')
    p.add_argument('--region-ports', default='',
                   help='Comma-separated ports, one per region.')
    p.add_argument('--password', default='secret',
                   help='Password of every seeded user.')
    p.add_argument('--token-ttl', type=int, default=3600,
                   help='Token lifetime in seconds.')
    p.add_argument('--guest-command', default=hypervisor.DEFAULT_GUEST_COMMAND,
                   help='Command started for each server; {root}, '
                        '{address} and {server_id} are replaced.')
    p.add_argument('--shared-swift', action='store_true',
                   help='One object store for all regions.')
    p.add_argument('--flavor-differs', default='',
                   help='Regions where m1.redis has a different RAM size.')
    p.add_argument('--image-checksum-differs', default='',
                   help='Regions whose guest image has different bytes.')
    p.add_argument('--database-url', default=None, action='append',
                   help='trove-mr API URL published as the "database" '
                        'service, e.g. http://127.0.0.1:8779/v1.0/'
                        '%%(tenant_id)s; REGION=URL sets one region\'s '
                        '(repeat it: one API per region).')
    p.add_argument('--leave-guests-running', action='store_true',
                   help='Do not stop guest processes on exit.')
    p.add_argument('--replication-interval', type=float,
                   default=2.0,
                   help='Seconds between the asynchronous copies of '
                        'replicated volumes to their target backend.')
    p.add_argument('--debug', action='store_true', help='Log requests.')
    return p


def database_urls(values):
    """``--database-url`` values as LocalCloud takes them.

    None without any; a plain URL applies to every region; ``REGION=URL``
    entries give a dict of region -> URL (None: the plain default).
    """
    if not values:
        return None
    urls = {}
    for value in values:
        region, sep, url = value.partition('=')
        if sep and '://' not in region:
            urls[region] = url
        else:
            urls[None] = value
    if list(urls) == [None]:
        return urls[None]
    return urls


def serve(argv):
    """Run the cloud until SIGTERM or SIGINT."""
    from trove_mr_localcloud import cloud
    args = serve_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.INFO,
                        format='%(asctime)s %(levelname)s %(name)s '
                               '%(message)s')
    region_ports = [int(p) for p in _csv(args.region_ports)] or None
    local = cloud.LocalCloud(
        args.state_dir, regions=_csv(args.regions), host=args.bind,
        port=args.port, region_ports=region_ports, password=args.password,
        token_ttl=args.token_ttl, guest_command=args.guest_command,
        shared_swift=args.shared_swift,
        flavor_differs=_csv(args.flavor_differs),
        image_checksum_differs=_csv(args.image_checksum_differs),
        database_url=database_urls(args.database_url),
        stop_guests=not args.leave_guests_running,
        replication_interval=args.replication_interval)
    done = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: done.set())
    local.start()
    print('localcloud ready auth_url=%s' % local.auth_url, flush=True)
    done.wait()
    local.stop()
    return 0


def fault_parser():
    p = argparse.ArgumentParser(
        prog='trove-mr-localcloud fault',
        description='Inject or clear faults of a running local cloud.')
    p.add_argument('--url', required=True,
                   help='Base URL of the local cloud (its main port).')
    p.add_argument('--region', help='Region to change.')
    p.add_argument('--password', default='secret',
                   help='Password of the admin user.')
    p.add_argument('--unreachable', action='store_true',
                   help='Close the region\'s listener.')
    p.add_argument('--reachable', action='store_true',
                   help='Open the region\'s listener again.')
    p.add_argument('--latency-ms', type=int, help='Delay every request.')
    p.add_argument('--fail-next-servers', type=int,
                   help='Fail this many next server creations.')
    p.add_argument('--fail-next-volumes', type=int,
                   help='Fail this many next volume creations.')
    p.add_argument('--fail-next-resizes', type=int,
                   help='Fail this many next server resizes (the server '
                        'comes back on its old flavor).')
    p.add_argument('--primary-unreadable', action='store_true',
                   help='Lose the region\'s primary volume backend: '
                        'nothing is replicated from it any more.')
    p.add_argument('--primary-readable', action='store_true',
                   help='The primary volume backend is back.')
    p.add_argument('--clear', action='store_true',
                   help='Clear every fault of every region.')
    return p


def fault(argv):
    """Send one fault change to a running cloud; prints the faults."""
    from keystoneauth1 import session
    from keystoneauth1.identity import v3
    args = fault_parser().parse_args(argv)
    base = args.url.rstrip('/')
    sess = session.Session(auth=v3.Password(
        auth_url=base + '/identity/v3', username='admin',
        password=args.password, project_name='admin',
        user_domain_name='Default', project_domain_name='Default'))
    url = base + '/localcloud/faults'
    if args.clear:
        sess.delete(url)
        return 0
    body = {'region': args.region}
    if args.unreachable or args.reachable:
        body['unreachable'] = args.unreachable
    if args.primary_unreadable or args.primary_readable:
        body['primary_unreadable'] = args.primary_unreadable
    for key in ('latency_ms', 'fail_next_servers', 'fail_next_volumes',
                'fail_next_resizes'):
        if getattr(args, key) is not None:
            body[key] = getattr(args, key)
    resp = sess.post(url, json=body)
    print(json.dumps(resp.json(), indent=1))
    return 0


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == 'fault':
        return fault(argv[1:])
    return serve(argv)


if __name__ == '__main__':
    sys.exit(main())
