"""The local cloud's Swift (object storage) service, as a WSGI app.

``SwiftApp(store_dir, validate_token)`` serves the Swift v1 API the way
python-swiftclient uses it: ``/v1/AUTH_<project>[/<container>[/<object>]]``
relative to where it is mounted, plus ``/info``. State lives on disk
under ``store_dir`` (see ``swift_store``), so a new app on the same
directory sees everything an earlier one stored.
"""

import logging

from trove_mr_localcloud import swift_large
from trove_mr_localcloud import swift_objects
from trove_mr_localcloud import swift_store
from trove_mr_localcloud.swift_http import HTTPError
from trove_mr_localcloud.swift_http import Request
from trove_mr_localcloud.swift_http import Response
from trove_mr_localcloud.swift_http import listing
from trove_mr_localcloud.swift_http import trans_id
from trove_mr_localcloud.swift_http import x_timestamp

LOG = logging.getLogger(__name__)

SWIFT_VERSION = '2.34.0'
# Swift's own default: 5 GiB plus two bytes.
DEFAULT_MAX_FILE_SIZE = 5 * 1024 ** 3 + 2
MAX_CONTAINER_NAME_BYTES = 256
LISTING_LIMIT = 10000
ACCOUNT_PREFIX = 'AUTH_'


class SwiftApp:
    """WSGI application serving Swift accounts, containers and objects.

    ``validate_token(token)`` returns None for a token it does not accept,
    else the token's project id, or a tuple ``(project_id, is_admin)``.
    A token may use the account of its own project; an admin token may
    use any account.
    """

    def __init__(self, store_dir, validate_token,
                 max_file_size=DEFAULT_MAX_FILE_SIZE):
        self.store = swift_store.SwiftStore(store_dir)
        self.validate_token = validate_token
        self.max_file_size = max_file_size
        self.objects = swift_objects.ObjectController(self.store,
                                                      max_file_size)

    def __call__(self, environ, start_response):
        txid = trans_id()
        try:
            req = Request(environ)
            response = self._dispatch(req)
        except HTTPError as exc:
            response = Response.text(exc.status, exc.message, exc.headers)
        except Exception:
            LOG.exception('Swift request %s failed', txid)
            response = Response.text(500, 'Internal Server Error')
        return response(environ, start_response, txid)

    # -- routing and authorisation ----------------------------------------

    def _dispatch(self, req):
        if req.path.rstrip('/') == '/info':
            if req.method not in ('GET', 'HEAD'):
                raise HTTPError(405)
            return Response.json(200, self.capabilities())
        if not req.path.startswith('/v1/'):
            raise HTTPError(404, 'Not Found')
        account, _sep, rest = req.path[4:].partition('/')
        container, _sep, name = rest.partition('/')
        if not account:
            raise HTTPError(404, 'Not Found')
        self._authorize(req, account)
        if name:
            self._check_container_name(container)
            return self.objects.handle(req, account, container, name)
        if container:
            self._check_container_name(container)
            return self._container(req, account, container)
        return self._account(req, account)

    def _authorize(self, req, account):
        token = req.header('X-Auth-Token') or req.header('X-Storage-Token')
        identity = self.validate_token(token) if token else None
        if not identity:
            raise HTTPError(401, 'Unauthorized')
        if isinstance(identity, tuple):
            project_id, is_admin = identity
        else:
            project_id, is_admin = identity, False
        if is_admin:
            return
        if account != ACCOUNT_PREFIX + str(project_id):
            raise HTTPError(403, 'Forbidden')

    @staticmethod
    def _check_container_name(container):
        size = len(container.encode('utf-8'))
        if size > MAX_CONTAINER_NAME_BYTES:
            raise HTTPError(400, 'Container name length of %d longer than '
                            '%d' % (size, MAX_CONTAINER_NAME_BYTES))

    def capabilities(self):
        """What ``GET /info`` answers: the cluster's limits and features."""
        return {
            'swift': {
                'version': SWIFT_VERSION,
                'max_file_size': self.max_file_size,
                'max_object_name_length':
                    swift_objects.MAX_OBJECT_NAME_BYTES,
                'max_container_name_length': MAX_CONTAINER_NAME_BYTES,
                'container_listing_limit': LISTING_LIMIT,
                'account_listing_limit': LISTING_LIMIT,
                'max_meta_name_length': swift_objects.MAX_META_NAME,
                'max_meta_value_length': swift_objects.MAX_META_VALUE,
                'max_meta_count': swift_objects.MAX_META_COUNT,
            },
            'slo': {
                'max_manifest_segments': swift_large.MAX_MANIFEST_SEGMENTS,
                'max_manifest_size': swift_large.MAX_MANIFEST_SIZE,
                'min_segment_size': swift_large.MIN_SEGMENT_SIZE,
            },
        }

    # -- accounts ---------------------------------------------------------

    def _account(self, req, account):
        if req.method == 'POST':
            self.store.update_account_meta(
                account, swift_objects.user_meta(req, 'Account'),
                self._removals(req, 'Account'))
            return Response(204)
        if req.method not in ('GET', 'HEAD'):
            raise HTTPError(405)
        info = self.store.account_info(account)
        headers = {
            'X-Account-Container-Count': info['container_count'],
            'X-Account-Object-Count': info['object_count'],
            'X-Account-Bytes-Used': info['bytes_used'],
        }
        if info['timestamp'] is not None:
            headers['X-Timestamp'] = x_timestamp(info['timestamp'])
        for key, value in info['meta'].items():
            headers[swift_objects.header_name(key)] = value
        if req.method == 'HEAD':
            return Response(204, headers)
        entries = [dict(e, last_modified=swift_store.iso_time(
            e['last_modified'])) for e in self.store.list_containers(account)]
        return self._listing(req, entries, headers)

    @staticmethod
    def _removals(req, kind):
        prefix = 'x-remove-%s-meta-' % kind.lower()
        return ['x-%s-meta-%s' % (kind.lower(), key[len(prefix):])
                for key in req.headers_with_prefix(prefix)]

    def _listing(self, req, entries, headers):
        try:
            limit = int(req.query.get('limit', LISTING_LIMIT))
        except ValueError as exc:
            raise HTTPError(412, 'Value of limit must be an integer') \
                from exc
        if limit < 0 or limit > LISTING_LIMIT:
            raise HTTPError(412, 'Maximum limit is %d' % LISTING_LIMIT)
        selected = listing(
            entries, prefix=req.query.get('prefix', ''),
            delimiter=req.query.get('delimiter', ''),
            marker=req.query.get('marker', ''),
            end_marker=req.query.get('end_marker', ''), limit=limit)
        if req.wants_json():
            return Response.json(200, selected, headers)
        names = [e.get('subdir', e.get('name')) for e in selected]
        if not names:
            return Response(204, headers)
        return Response.text(200, ''.join(n + '\n' for n in names), headers)

    # -- containers -------------------------------------------------------

    def _container(self, req, account, container):
        method = req.method
        if method == 'PUT':
            created = self.store.put_container(
                account, container,
                swift_objects.user_meta(req, 'Container'))
            return Response.text(201 if created else 202,
                                 'Created' if created else 'Accepted')
        if method == 'POST':
            if not self.store.update_container_meta(
                    account, container,
                    swift_objects.user_meta(req, 'Container'),
                    self._removals(req, 'Container')):
                raise HTTPError(404, 'Container not found')
            return Response(204)
        if method == 'DELETE':
            outcome = self.store.delete_container(account, container)
            if outcome == 'missing':
                raise HTTPError(404, 'Container not found')
            if outcome == 'not_empty':
                raise HTTPError(409, 'There was a conflict when trying to '
                                'complete your request.')
            return Response(204)
        if method not in ('GET', 'HEAD'):
            raise HTTPError(405)
        record = self.store.get_container(account, container)
        if record is None:
            raise HTTPError(404, 'Container not found')
        objects = self.store.list_objects(account, container)
        headers = {
            'X-Container-Object-Count': len(objects),
            'X-Container-Bytes-Used': sum(o['size'] for o in objects),
            'X-Timestamp': x_timestamp(record['timestamp']),
            'X-Storage-Policy': 'Policy-0',
            'Accept-Ranges': 'bytes',
        }
        for key, value in record['meta'].items():
            headers[swift_objects.header_name(key)] = value
        if method == 'HEAD':
            return Response(204, headers)
        entries = [{'name': o['name'], 'hash': o['etag'],
                    'bytes': o['size'], 'content_type': o['content_type'],
                    'last_modified': swift_store.iso_time(o['timestamp'])}
                   for o in objects]
        return self._listing(req, entries, headers)
