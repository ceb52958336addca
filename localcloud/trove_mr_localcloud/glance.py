"""Glance v2 of one region: images with checksum and multihash, upload.

Image data is stored as one file per image; the md5 ``checksum`` and the
sha512 ``os_hash_value`` are computed from the uploaded bytes, so the
cross-region checksum comparison of the control plane sees real values.
"""

import datetime
import hashlib
import json
import os
import uuid

import webob

from trove_mr_localcloud import wsgi

_CORE = ('id', 'name', 'status', 'visibility', 'tags', 'container_format',
         'disk_format', 'size', 'virtual_size', 'checksum', 'os_hash_algo',
         'os_hash_value', 'owner', 'created_at', 'updated_at', 'min_disk',
         'min_ram', 'protected', 'os_hidden')
_READ_ONLY = ('id', 'status', 'size', 'virtual_size', 'checksum',
              'os_hash_algo', 'os_hash_value', 'created_at', 'updated_at',
              'owner', 'self', 'file', 'schema', 'direct_url', 'locations')
_NULLABLE_STR = {'type': ['null', 'string']}
IMAGE_SCHEMA = {
    'name': 'image', 'additionalProperties': {'type': 'string'},
    'links': [{'rel': 'self', 'href': '{self}'},
              {'rel': 'enclosure', 'href': '{file}'},
              {'rel': 'describedby', 'href': '{schema}'}],
    'properties': {
        'id': {'type': 'string'}, 'name': _NULLABLE_STR,
        'status': {'type': 'string', 'readOnly': True},
        'visibility': {'type': 'string', 'enum': [
            'community', 'public', 'private', 'shared']},
        'protected': {'type': 'boolean'}, 'os_hidden': {'type': 'boolean'},
        'checksum': _NULLABLE_STR, 'os_hash_algo': _NULLABLE_STR,
        'os_hash_value': _NULLABLE_STR, 'owner': _NULLABLE_STR,
        'size': {'type': ['null', 'integer']},
        'virtual_size': {'type': ['null', 'integer']},
        'container_format': _NULLABLE_STR, 'disk_format': _NULLABLE_STR,
        'created_at': {'type': 'string'}, 'updated_at': {'type': 'string'},
        'tags': {'type': 'array', 'items': {'type': 'string'}},
        'direct_url': {'type': 'string'},
        'min_ram': {'type': 'integer'}, 'min_disk': {'type': 'integer'},
        'self': {'type': 'string'}, 'file': {'type': 'string'},
        'schema': {'type': 'string'},
        'locations': {'type': 'array', 'items': {'type': 'object'}}}}


def now_iso():
    """Glance's timestamp format."""
    return datetime.datetime.now(datetime.timezone.utc).strftime(
        '%Y-%m-%dT%H:%M:%SZ')


class Glance:
    """The image API of one region."""

    def __init__(self, region):
        self.region = region
        self.router = self._routes()

    @property
    def images(self):
        return self.region.data['images']

    def data_path(self, image_id):
        return os.path.join(self.region.state_dir, 'images',
                            self.region.name, image_id)

    # -- records ------------------------------------------------------------

    def new_image(self, spec, owner):
        """Record a queued image from a create body (lock held)."""
        image_id = spec.get('id') or str(uuid.uuid4())
        if image_id in self.images:
            raise wsgi.HTTPError(409, 'An image with identifier %s already '
                                      'exists.' % image_id, 'Conflict')
        image = {'id': image_id, 'name': spec.get('name'), 'status': 'queued',
                 'visibility': spec.get('visibility', 'shared'),
                 'tags': list(spec.get('tags') or []),
                 'container_format': spec.get('container_format'),
                 'disk_format': spec.get('disk_format'), 'size': None,
                 'virtual_size': None, 'checksum': None,
                 'os_hash_algo': None, 'os_hash_value': None,
                 'owner': owner, 'created_at': now_iso(),
                 'updated_at': now_iso(),
                 'min_disk': int(spec.get('min_disk', 0)),
                 'min_ram': int(spec.get('min_ram', 0)),
                 'protected': bool(spec.get('protected', False)),
                 'os_hidden': bool(spec.get('os_hidden', False)),
                 'properties': {k: v for k, v in spec.items()
                                if k not in _CORE}}
        self.images[image_id] = image
        return image

    def store_data(self, image, chunks):
        """Write image bytes and record size and checksums."""
        path = self.data_path(image['id'])
        os.makedirs(os.path.dirname(path), exist_ok=True)
        md5, sha512, size = hashlib.md5(), hashlib.sha512(), 0
        with open(path + '.part', 'wb') as f:
            for chunk in chunks:
                md5.update(chunk)
                sha512.update(chunk)
                size += len(chunk)
                f.write(chunk)
        os.replace(path + '.part', path)
        with self.region.store.transaction():
            image.update(status='active', size=size, virtual_size=None,
                         checksum=md5.hexdigest(), os_hash_algo='sha512',
                         os_hash_value=sha512.hexdigest(),
                         updated_at=now_iso())

    def view(self, image):
        view = {k: image[k] for k in _CORE}
        view.update(image['properties'])
        view.update({'self': '/v2/images/' + image['id'],
                     'file': '/v2/images/%s/file' % image['id'],
                     'schema': '/v2/schemas/image'})
        return view

    # -- WSGI ---------------------------------------------------------------

    def __call__(self, req, path):
        """Serve ``path`` (below /image/<region>) for ``req``."""
        if path in ('', '/', '/versions'):
            return wsgi.json_response({'versions': [{
                'id': 'v2.16', 'status': 'CURRENT', 'links': [{
                    'rel': 'self',
                    'href': self.region.endpoint('image') + '/v2/'}]}]},
                300 if path != '/versions' else 200)
        if not path.startswith('/v2/'):
            raise wsgi.HTTPError(404, 'Unknown API version.')
        req.environ['localcloud.token'] = self.region.keystone.authorize(req)
        return self.router.dispatch(req, path[len('/v2'):])

    def _routes(self):
        r = wsgi.Router(style='glance')
        r.add('GET', r'/schemas/image', lambda req: wsgi.json_response(
            IMAGE_SCHEMA))
        r.add('GET', r'/schemas/images', lambda req: wsgi.json_response({
            'name': 'images', 'properties': {'images': {
                'type': 'array', 'items': IMAGE_SCHEMA}},
            'links': [{'rel': 'first', 'href': '{first}'},
                      {'rel': 'next', 'href': '{next}'}]}))
        r.add('GET', r'/images', self._list)
        r.add('POST', r'/images', self._create)
        r.add('GET', r'/images/(?P<iid>[^/]+)', self._show)
        r.add('PATCH', r'/images/(?P<iid>[^/]+)', self._patch)
        r.add('DELETE', r'/images/(?P<iid>[^/]+)', self._delete)
        r.add('PUT', r'/images/(?P<iid>[^/]+)/file', self._upload)
        r.add('GET', r'/images/(?P<iid>[^/]+)/file', self._download)
        r.add('PUT', r'/images/(?P<iid>[^/]+)/tags/(?P<tag>[^/]+)',
              self._add_tag)
        r.add('DELETE', r'/images/(?P<iid>[^/]+)/tags/(?P<tag>[^/]+)',
              self._remove_tag)
        return r

    def _visible_to(self, image, token):
        return image['visibility'] in ('public', 'community') or \
            image['owner'] == token.project_id or 'admin' in token.roles

    def get(self, token, iid):
        """The image visible to the token, else 404."""
        image = self.images.get(iid)
        if image is None or not self._visible_to(image, token):
            raise wsgi.HTTPError(404, 'No image found with ID %s' % iid,
                                 'Not Found')
        return image

    def _list(self, req):
        token = req.environ['localcloud.token']
        images = sorted((i for i in self.images.values()
                         if self._visible_to(i, token)),
                        key=lambda i: (i['created_at'], i['id']),
                        reverse=True)
        for key in ('name', 'visibility', 'status', 'owner'):
            if req.GET.get(key):
                images = [i for i in images if i[key] == req.GET[key]]
        for tag in req.GET.getall('tag'):
            images = [i for i in images if tag in i['tags']]
        marker = req.GET.get('marker')
        if marker:
            ids = [i['id'] for i in images]
            images = images[ids.index(marker) + 1:] if marker in ids else []
        limit = int(req.GET.get('limit', 25))
        body = {'images': [self.view(i) for i in images[:limit]],
                'schema': '/v2/schemas/images', 'first': '/v2/images'}
        if len(images) > limit:
            query = dict(req.GET)
            query['marker'] = images[limit - 1]['id']
            body['next'] = '/v2/images?' + '&'.join(
                '%s=%s' % kv for kv in query.items())
        return wsgi.json_response(body)

    def _show(self, req, iid):
        return wsgi.json_response(self.view(self.get(
            req.environ['localcloud.token'], iid)))

    def _create(self, req):
        token = req.environ['localcloud.token']
        spec = wsgi.json_body(req)
        with self.region.store.transaction():
            image = self.new_image(spec, token.project_id)
        return wsgi.json_response(self.view(image), 201,
                                  {'Location': '/v2/images/' + image['id']})

    def _patch(self, req, iid):
        token = req.environ['localcloud.token']
        raw = req.body_file.read()
        try:
            ops = json.loads(raw or b'[]')
        except ValueError as exc:
            raise wsgi.HTTPError(400, 'Malformed JSON patch.') from exc
        with self.region.store.transaction():
            image = self.get(token, iid)
            for op in ops:
                key = op.get('path', '').lstrip('/')
                if key in _READ_ONLY:
                    raise wsgi.HTTPError(403, 'Attribute %s is read-only.'
                                         % key, 'Forbidden')
                target = image if key in _CORE else image['properties']
                if op.get('op') == 'remove':
                    target.pop(key, None)
                else:
                    target[key] = op.get('value')
            image['updated_at'] = now_iso()
        return wsgi.json_response(self.view(image))

    def _delete(self, req, iid):
        token = req.environ['localcloud.token']
        with self.region.store.transaction():
            image = self.get(token, iid)
            if image['owner'] != token.project_id and \
                    'admin' not in token.roles:
                raise wsgi.HTTPError(403, 'You are not permitted to delete '
                                          'this image.', 'Forbidden')
            self.images.pop(iid)
        if os.path.exists(self.data_path(iid)):
            os.remove(self.data_path(iid))
        return wsgi.json_response(None, 204)

    def _upload(self, req, iid):
        token = req.environ['localcloud.token']
        with self.region.store.transaction():
            image = self.get(token, iid)
            if image['status'] != 'queued':
                raise wsgi.HTTPError(409, 'Image status transition from %s '
                                          'to saving is not allowed'
                                     % image['status'], 'Conflict')
            image['status'] = 'saving'
        stream = req.body_file

        def chunks():
            while True:
                block = stream.read(1 << 20)
                if not block:
                    return
                yield block
        self.store_data(image, chunks())
        return wsgi.json_response(None, 204)

    def _download(self, req, iid):
        image = self.get(req.environ['localcloud.token'], iid)
        if image['status'] != 'active':
            return wsgi.json_response(None, 204)
        resp = webob.Response(content_type='application/octet-stream')
        resp.app_iter = open(self.data_path(iid), 'rb')
        resp.content_length = image['size']
        resp.headers['Content-MD5'] = image['checksum']
        return resp

    def _add_tag(self, req, iid, tag):
        with self.region.store.transaction():
            image = self.get(req.environ['localcloud.token'], iid)
            if tag not in image['tags']:
                image['tags'].append(tag)
        return wsgi.json_response(None, 204)

    def _remove_tag(self, req, iid, tag):
        with self.region.store.transaction():
            image = self.get(req.environ['localcloud.token'], iid)
            if tag in image['tags']:
                image['tags'].remove(tag)
        return wsgi.json_response(None, 204)
