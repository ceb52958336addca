"""Cinder v3 of one region: volumes (a folder each), types, attachments.

The replication actions (enable, disable, failover, list targets) live in
:mod:`trove_mr_localcloud.replication`; this module owns the volume records
and their attach state, which Nova's attach calls change too.
"""

import datetime
import os
import shutil
import string
import uuid

from trove_mr_localcloud import microversion
from trove_mr_localcloud import replication
from trove_mr_localcloud import wsgi

MIN_VERSION = '3.0'
MAX_VERSION = '3.70'
DEFAULT_TYPE = '__DEFAULT__'
REPLICATED_TYPE = 'replicated'


def now_iso():
    """Cinder's timestamp format."""
    return datetime.datetime.now(datetime.timezone.utc).strftime(
        '%Y-%m-%dT%H:%M:%S.%f')


def seed_types(data):
    """The default volume type and a replication-capable one."""
    types = data['volume_types']
    if types:
        return
    for name, specs in ((DEFAULT_TYPE, {}),
                        (REPLICATED_TYPE, {
                            'replication_enabled': '<is> True',
                            'volume_backend_name': 'lvm-replicated'})):
        tid = str(uuid.uuid5(uuid.NAMESPACE_DNS, 'volume-type:' + name))
        types[tid] = {'id': tid, 'name': name, 'extra_specs': specs,
                      'description': None, 'is_public': True}


class Cinder:
    """The block storage API of one region."""

    def __init__(self, region):
        self.region = region
        self.router = self._routes()

    @property
    def data(self):
        return self.region.data

    def volume_dir(self, vid):
        return os.path.join(self.region.state_dir, 'volumes', vid)

    # -- attach state (also used by Nova) -----------------------------------

    def attach(self, vid, sid, device=None):
        """Mark volume ``vid`` in-use by server ``sid`` (lock held)."""
        volume = self.data['volumes'][vid]
        server = self.data['servers'][sid]
        used = {self.data['volumes'][v].get('device')
                for v in server['volumes'] if v in self.data['volumes']}
        if not device or device in used:
            device = next('/dev/vd' + c for c in string.ascii_lowercase[1:]
                          if '/dev/vd' + c not in used)
        volume.update(status='in-use', device=device, updated_at=now_iso(),
                      attachments=[{'id': vid, 'attachment_id':
                                    str(uuid.uuid4()), 'volume_id': vid,
                                    'server_id': sid, 'device': device,
                                    'host_name': self.region.host_name,
                                    'attached_at': now_iso()}])
        server['volumes'].append(vid)

    def detach(self, vid, sid):
        """Make volume ``vid`` available again (lock held)."""
        server = self.data['servers'].get(sid)
        if server and vid in server['volumes']:
            server['volumes'].remove(vid)
        volume = self.data['volumes'].get(vid)
        if volume is not None:
            volume.update(status='available', device=None, attachments=[],
                          updated_at=now_iso())

    def exposed(self, server):
        """The {"id", "path", "device"} list a server's guest is given."""
        out = []
        for vid in server['volumes']:
            volume = self.data['volumes'].get(vid)
            if volume is not None:
                out.append({'id': vid, 'path': volume['path'],
                            'device': volume['device']})
        return out

    # -- WSGI ---------------------------------------------------------------

    def __call__(self, req, path):
        """Serve ``path`` (below /volume/<region>) for ``req``."""
        if path in ('', '/'):
            return wsgi.json_response({'versions': [self._version_doc()]},
                                      300)
        if not path.startswith('/v3'):
            raise wsgi.HTTPError(404, 'Unknown API version.')
        path = path[len('/v3'):]
        if path in ('', '/'):
            return wsgi.json_response({'versions': [self._version_doc()]})
        token = self.region.keystone.authorize(req)
        req.environ['localcloud.token'] = token
        version = microversion.requested(req, 'volume', None, MIN_VERSION,
                                         MAX_VERSION)
        req.environ['localcloud.version'] = version
        project, _, rest = path.lstrip('/').partition('/')
        if project != token.project_id and 'admin' not in token.roles:
            raise wsgi.HTTPError(403, 'Project %s does not match the token.'
                                 % project)
        resp = self.router.dispatch(req, '/' + rest)
        resp.headers.update(microversion.headers('volume', version))
        return resp

    def _version_doc(self):
        return {'id': 'v3.0', 'status': 'CURRENT', 'version': MAX_VERSION,
                'min_version': MIN_VERSION, 'updated': '2016-02-08T12:20:21Z',
                'links': [{'rel': 'self', 'href':
                           self.region.endpoint('volume') + '/v3/'}]}

    def _routes(self):
        r = wsgi.Router(style='nova')
        r.add('GET', r'/volumes', self._list)
        r.add('GET', r'/volumes/detail', self._list_detail)
        r.add('POST', r'/volumes', self._create)
        r.add('GET', r'/volumes/(?P<vid>[^/]+)', self._show)
        r.add('PUT', r'/volumes/(?P<vid>[^/]+)', self._update)
        r.add('DELETE', r'/volumes/(?P<vid>[^/]+)', self._delete)
        r.add('POST', r'/volumes/(?P<vid>[^/]+)/action', self._action)
        r.add('GET', r'/types', self._list_types)
        r.add('POST', r'/types', self._create_type)
        r.add('GET', r'/types/(?P<tid>[^/]+)', self._show_type)
        r.add('DELETE', r'/types/(?P<tid>[^/]+)', self._delete_type)
        r.add('GET', r'/types/(?P<tid>[^/]+)/extra_specs', self._get_specs)
        r.add('POST', r'/types/(?P<tid>[^/]+)/extra_specs', self._set_specs)
        r.add('GET', r'/scheduler-stats/get_pools', self._pools)
        r.add('GET', r'/os-availability-zone', lambda req: wsgi.json_response(
            {'availabilityZoneInfo': [{'zoneName': 'nova',
                                       'zoneState': {'available': True}}]}))
        return r

    # -- volumes ------------------------------------------------------------

    def view(self, volume, token):
        base = self.region.endpoint('volume')
        view = {
            'id': volume['id'], 'name': volume['name'],
            'description': volume['description'], 'size': volume['size'],
            'status': volume['status'],
            'availability_zone': volume['availability_zone'],
            'created_at': volume['created_at'],
            'updated_at': volume['updated_at'],
            'attachments': volume['attachments'],
            'volume_type': volume['volume_type'],
            'snapshot_id': None, 'source_volid': None,
            'metadata': volume['metadata'], 'bootable': 'false',
            'encrypted': False, 'multiattach': False,
            'user_id': volume['user_id'], 'consistencygroup_id': None,
            'links': [{'rel': 'self', 'href': '%s/v3/%s/volumes/%s' % (
                base, volume['project_id'], volume['id'])}]}
        if 'admin' in token.roles:
            # Replication is the operator's business (replication seed).
            view.update({
                'os-vol-tenant-attr:tenant_id': volume['project_id'],
                'os-vol-host-attr:host': volume['backend'],
                'replication_status': volume['replication_status'],
                'replication_last_sync_at': volume.get(
                    'replication_last_sync_at')})
        return view

    def get(self, token, vid):
        """The volume visible to the token, else 404."""
        volume = self.data['volumes'].get(vid)
        if volume is None or (volume['project_id'] != token.project_id
                              and 'admin' not in token.roles):
            raise wsgi.HTTPError(404, 'Volume %s could not be found.' % vid)
        return volume

    def _visible(self, req):
        token = req.environ['localcloud.token']
        all_tenants = 'admin' in token.roles and req.GET.get(
            'all_tenants') not in (None, '0', 'false', 'False')
        volumes = [v for v in sorted(self.data['volumes'].values(),
                                     key=lambda v: v['created_at'],
                                     reverse=True)
                   if all_tenants or v['project_id'] == token.project_id]
        for key in ('name', 'status'):
            if req.GET.get(key):
                volumes = [v for v in volumes if v[key] == req.GET[key]]
        return token, volumes

    def _list(self, req):
        _, volumes = self._visible(req)
        return wsgi.json_response({'volumes': [
            {'id': v['id'], 'name': v['name'], 'links': []}
            for v in volumes]})

    def _list_detail(self, req):
        token, volumes = self._visible(req)
        return wsgi.json_response(
            {'volumes': [self.view(v, token) for v in volumes]})

    def _show(self, req, vid):
        token = req.environ['localcloud.token']
        return wsgi.json_response({'volume': self.view(
            self.get(token, vid), token)})

    def type_by_name_or_id(self, ref):
        """The volume type with that id or name, else None."""
        types = self.data['volume_types']
        if ref in types:
            return types[ref]
        return next((t for t in types.values() if t['name'] == ref), None)

    def _create(self, req):
        token = req.environ['localcloud.token']
        spec = wsgi.json_body(req).get('volume') or {}
        try:
            size = int(spec.get('size'))
        except (TypeError, ValueError) as exc:
            raise wsgi.HTTPError(400, 'Invalid input: size must be an '
                                      'integer.') from exc
        if size < 1:
            raise wsgi.HTTPError(400, 'Invalid input: size must be >= 1.')
        vtype = self.type_by_name_or_id(spec.get('volume_type')
                                        or DEFAULT_TYPE)
        if vtype is None:
            raise wsgi.HTTPError(404, 'Volume type %s could not be found.'
                                 % spec.get('volume_type'))
        vid = str(uuid.uuid4())
        path = self.volume_dir(vid)
        with self.region.store.transaction():
            failed = self.region.take_fault('fail_next_volumes')
            if not failed:
                os.makedirs(path, exist_ok=True)
            volume = {
                'id': vid, 'name': spec.get('name'),
                'description': spec.get('description'), 'size': size,
                'status': 'error' if failed else 'available',
                'availability_zone': spec.get('availability_zone') or 'nova',
                'created_at': now_iso(), 'updated_at': now_iso(),
                'attachments': [], 'volume_type': vtype['name'],
                'metadata': spec.get('metadata') or {},
                'user_id': token.user_id, 'project_id': token.project_id,
                'path': path, 'device': None,
                'backend': replication.primary_backend(self.region),
                'replication_status': 'disabled'}
            self.data['volumes'][vid] = volume
        return wsgi.json_response({'volume': self.view(volume, token)}, 202)

    def _update(self, req, vid):
        token = req.environ['localcloud.token']
        spec = wsgi.json_body(req).get('volume') or {}
        with self.region.store.transaction():
            volume = self.get(token, vid)
            for key in ('name', 'description', 'metadata'):
                if key in spec:
                    volume[key] = spec[key]
        return wsgi.json_response({'volume': self.view(volume, token)})

    def _delete(self, req, vid):
        token = req.environ['localcloud.token']
        with self.region.store.transaction():
            volume = self.get(token, vid)
            if volume['status'] not in ('available', 'error'):
                raise wsgi.HTTPError(400, 'Invalid volume: volume status '
                                          'must be available or error, but '
                                          'current status is: %s.'
                                     % volume['status'])
            self.data['volumes'].pop(vid)
        shutil.rmtree(self.volume_dir(vid), ignore_errors=True)
        replication.forget(self.region, volume)
        return wsgi.json_response(None, 202)

    def _action(self, req, vid):
        token = req.environ['localcloud.token']
        body = wsgi.json_body(req)
        name = next(iter(body), None)
        if name in replication.ACTIONS:
            return replication.act(self, token, vid, name, body[name] or {})
        with self.region.store.transaction():
            volume = self.get(token, vid)
            args = body.get(name) or {}
            if name == 'os-attach':
                sid = args.get('instance_uuid')
                if sid not in self.data['servers']:
                    raise wsgi.HTTPError(400, 'Invalid instance_uuid.')
                self.attach(vid, sid, args.get('mountpoint'))
            elif name == 'os-detach':
                for att in list(volume['attachments']):
                    self.detach(vid, att['server_id'])
            elif name == 'os-extend':
                self._extend(req, volume, args)
            elif name == 'os-reset_status':
                volume['status'] = args.get('status', volume['status'])
            elif name not in ('os-reserve', 'os-unreserve',
                              'os-begin_detaching', 'os-roll_detaching',
                              'os-set_bootable', 'os-update_readonly_flag'):
                raise wsgi.HTTPError(400, 'Unsupported volume action: %s.'
                                     % name)
        return wsgi.json_response(None, 202)

    @staticmethod
    def _extend(req, volume, args):
        """Cinder's extend: larger only; an attached volume only from
        microversion 3.42 (online extend), as Cinder (lock held)."""
        try:
            new_size = int(args.get('new_size'))
        except (TypeError, ValueError):
            raise wsgi.HTTPError(400, 'Invalid input: new_size must be an '
                                      'integer.') from None
        allowed = ['available']
        if req.environ.get('localcloud.version', (3, 0)) >= (3, 42):
            allowed.append('in-use')
        if volume['status'] not in allowed:
            raise wsgi.HTTPError(400, 'Invalid volume: Volume status must be '
                                      '%s to extend, currently %s.'
                                 % (' or '.join(allowed), volume['status']))
        if new_size <= volume['size']:
            raise wsgi.HTTPError(400, 'Invalid input received: New size for '
                                      'extend must be greater than current '
                                      'size. (current: %d, extended: %d).'
                                 % (volume['size'], new_size))
        volume.update(size=new_size, updated_at=now_iso())

    def _pools(self, req):
        """The region's backends with their capabilities (admin)."""
        self._require_admin(req.environ['localcloud.token'])
        found = replication.pools(self.region)
        if req.GET.get('detail') not in ('True', 'true', '1'):
            found = [{'name': p['name']} for p in found]
        return wsgi.json_response({'pools': found})

    # -- volume types ---------------------------------------------------------

    def _type_view(self, vtype, token):
        view = {'id': vtype['id'], 'name': vtype['name'],
                'description': vtype['description'],
                'is_public': vtype['is_public'],
                'os-volume-type-access:is_public': vtype['is_public']}
        if 'admin' in token.roles:
            view['extra_specs'] = vtype['extra_specs']
        return view

    def _type(self, tid):
        vtype = self.type_by_name_or_id(tid)
        if vtype is None:
            raise wsgi.HTTPError(404, 'Volume type %s could not be found.'
                                 % tid)
        return vtype

    def _require_admin(self, token):
        if 'admin' not in token.roles:
            raise wsgi.HTTPError(403, 'Policy does not allow this action.')

    def _list_types(self, req):
        token = req.environ['localcloud.token']
        return wsgi.json_response({'volume_types': [
            self._type_view(t, token) for t in sorted(
                self.data['volume_types'].values(),
                key=lambda t: t['name'])]})

    def _show_type(self, req, tid):
        token = req.environ['localcloud.token']
        return wsgi.json_response(
            {'volume_type': self._type_view(self._type(tid), token)})

    def _create_type(self, req):
        token = req.environ['localcloud.token']
        self._require_admin(token)
        spec = wsgi.json_body(req).get('volume_type') or {}
        if not spec.get('name'):
            raise wsgi.HTTPError(400, 'Volume type name is required.')
        with self.region.store.transaction():
            if self.type_by_name_or_id(spec['name']):
                raise wsgi.HTTPError(409, 'Volume Type %s already exists.'
                                     % spec['name'])
            tid = str(uuid.uuid4())
            vtype = {'id': tid, 'name': spec['name'],
                     'description': spec.get('description'),
                     'extra_specs': dict(spec.get('extra_specs') or {}),
                     'is_public': spec.get('os-volume-type-access:is_public',
                                           True)}
            self.data['volume_types'][tid] = vtype
        return wsgi.json_response(
            {'volume_type': self._type_view(vtype, token)})

    def _delete_type(self, req, tid):
        self._require_admin(req.environ['localcloud.token'])
        with self.region.store.transaction():
            vtype = self._type(tid)
            self.data['volume_types'].pop(vtype['id'])
        return wsgi.json_response(None, 202)

    def _get_specs(self, req, tid):
        self._require_admin(req.environ['localcloud.token'])
        return wsgi.json_response(
            {'extra_specs': self._type(tid)['extra_specs']})

    def _set_specs(self, req, tid):
        self._require_admin(req.environ['localcloud.token'])
        specs = wsgi.json_body(req).get('extra_specs') or {}
        with self.region.store.transaction():
            vtype = self._type(tid)
            vtype['extra_specs'].update(specs)
        return wsgi.json_response({'extra_specs': vtype['extra_specs']})
