"""Keystone v3 of the local cloud: users, password auth, tokens, catalog.

Tokens are signed, not stored (in the spirit of Fernet tokens): the token
id carries user, project, expiry and audit id, with an HMAC made with a key
kept in the state, so tokens stay valid across an emulator restart and a
forged or altered token is refused.
"""

import base64
import collections
import datetime
import hashlib
import hmac
import json
import os
import time
import uuid

from trove_mr_localcloud import wsgi

DEFAULT_DOMAIN = {'id': 'default', 'name': 'Default'}
_NS = uuid.UUID('6c1c8f3e-1f7a-4d8e-9a3c-5b9e0d4f2a11')

# user -> (project, role); admin implies member implies reader.
SEEDED_USERS = (('admin', 'admin', 'admin'),
                ('demo', 'demo', 'member'),
                ('alt_demo', 'alt_demo', 'member'),
                ('trove', 'service', 'admin'))
IMPLIED_ROLES = {'admin': ('admin', 'member', 'reader'),
                 'member': ('member', 'reader'),
                 'reader': ('reader',)}

TokenInfo = collections.namedtuple(
    'TokenInfo', 'token_id user_id user_name project_id project_name '
                 'roles expires_at issued_at audit_id methods')


def stable_id(kind, name):
    """A keystone-style 32-hex id that is the same on every start."""
    return uuid.uuid5(_NS, '%s:%s' % (kind, name)).hex


def isotime(epoch):
    """Keystone's timestamp format, e.g. 2024-01-01T00:00:00.000000Z."""
    moment = datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc)
    return moment.strftime('%Y-%m-%dT%H:%M:%S.%fZ')


class Identity:
    """The seeded domain, projects, users and roles."""

    def __init__(self, password):
        self.projects = {}
        self.users = {}
        self.roles = {name: stable_id('role', name)
                      for name in ('admin', 'member', 'reader')}
        for user, project, role in SEEDED_USERS:
            pid = stable_id('project', project)
            self.projects[pid] = {'id': pid, 'name': project,
                                  'domain_id': DEFAULT_DOMAIN['id']}
            uid = stable_id('user', user)
            self.users[uid] = {'id': uid, 'name': user, 'password': password,
                               'project_id': pid, 'role': role}

    def project_by_name(self, name):
        """Project dict of that name, or None."""
        for project in self.projects.values():
            if project['name'] == name:
                return project
        return None

    def user_by_name(self, name):
        """User dict of that name, or None."""
        for user in self.users.values():
            if user['name'] == name:
                return user
        return None

    def role_names(self, user, project_id):
        """Effective role names of ``user`` on ``project_id``."""
        if project_id is None or project_id != user['project_id']:
            # Seeded users only hold a role on their own project.
            return ()
        return IMPLIED_ROLES[user['role']]


class TokenSigner:
    """Makes and checks self-contained signed token ids."""

    def __init__(self, key):
        self._key = key

    def sign(self, payload):
        """Token id for a payload dict."""
        raw = base64.urlsafe_b64encode(
            json.dumps(payload, separators=(',', ':')).encode()).rstrip(b'=')
        mac = hmac.new(self._key, raw, hashlib.sha256).hexdigest()[:40]
        return 'gAAAA' + raw.decode() + '.' + mac

    def verify(self, token_id):
        """The payload of a genuine token id, else None."""
        if not token_id or not token_id.startswith('gAAAA'):
            return None
        raw, _, mac = token_id[5:].rpartition('.')
        expected = hmac.new(self._key, raw.encode(),
                            hashlib.sha256).hexdigest()[:40]
        if not raw or not hmac.compare_digest(mac, expected):
            return None
        try:
            padded = raw + '=' * (-len(raw) % 4)
            return json.loads(base64.urlsafe_b64decode(padded))
        except ValueError:
            return None


class Keystone:
    """Identity service: authenticates users and validates tokens.

    ``catalog_fn(project_id)`` returns the service catalog for a project
    (endpoints are built by the cloud, which knows regions and ports).
    """

    def __init__(self, store, password, token_ttl, catalog_fn, base_url):
        self.identity = Identity(password)
        self.token_ttl = token_ttl
        self.catalog_fn = catalog_fn
        self.base_url = base_url
        self.store = store
        with store.transaction() as data:
            if 'token_key' not in data:
                data['token_key'] = base64.b64encode(os.urandom(32)).decode()
            data.setdefault('revoked_audit_ids', [])
        self.signer = TokenSigner(base64.b64decode(data['token_key']))
        self.router = self._routes()

    # -- tokens -----------------------------------------------------------

    def issue(self, user, project_id, methods=('password',)):
        """Issue a token id for ``user`` scoped to ``project_id``."""
        now = time.time()
        payload = {'u': user['id'], 'p': project_id, 'i': now,
                   'e': now + self.token_ttl, 'm': list(methods),
                   'a': base64.urlsafe_b64encode(
                       os.urandom(16)).decode().rstrip('=')[:22]}
        return self.signer.sign(payload)

    def validate(self, token_id):
        """:class:`TokenInfo` of a valid unexpired token, else None."""
        payload = self.signer.verify(token_id)
        if payload is None or payload['e'] <= time.time():
            return None
        if payload['a'] in self.store.data['revoked_audit_ids']:
            return None
        user = self.identity.users.get(payload['u'])
        if user is None:
            return None
        project = self.identity.projects.get(payload['p'] or '')
        return TokenInfo(
            token_id=token_id, user_id=user['id'], user_name=user['name'],
            project_id=project and project['id'],
            project_name=project and project['name'],
            roles=self.identity.role_names(user, payload['p']),
            expires_at=payload['e'], issued_at=payload['i'],
            audit_id=payload['a'], methods=payload['m'])

    def authorize(self, req):
        """Token info of the request's X-Auth-Token; 401 if not valid."""
        info = self.validate(req.headers.get('X-Auth-Token'))
        if info is None or info.project_id is None:
            raise wsgi.HTTPError(401, 'The request you have made requires '
                                      'authentication.', 'Unauthorized')
        return info

    def project_id_of(self, token_id):
        """Project id of a valid project-scoped token, else None."""
        info = self.validate(token_id)
        return info.project_id if info else None

    def token_body(self, info, with_catalog=True):
        """The ``token`` document keystone answers for a token."""
        user = self.identity.users[info.user_id]
        token = {'methods': info.methods,
                 'user': {'id': user['id'], 'name': user['name'],
                          'domain': dict(DEFAULT_DOMAIN),
                          'password_expires_at': None},
                 'audit_ids': [info.audit_id],
                 'expires_at': isotime(info.expires_at),
                 'issued_at': isotime(info.issued_at)}
        if info.project_id:
            token['project'] = {'id': info.project_id,
                                'name': info.project_name,
                                'domain': dict(DEFAULT_DOMAIN)}
            token['is_domain'] = False
            token['roles'] = [{'id': self.identity.roles[name], 'name': name}
                              for name in info.roles]
            if with_catalog:
                token['catalog'] = self.catalog_fn(info.project_id)
        return {'token': token}

    # -- authentication -----------------------------------------------------

    def _unauthorized(self):
        return wsgi.HTTPError(401, 'The request you have made requires '
                                   'authentication.', 'Unauthorized')

    def _password_user(self, password):
        spec = password.get('user') or {}
        user = None
        if spec.get('id'):
            user = self.identity.users.get(spec['id'])
        elif spec.get('name'):
            self._check_domain(spec.get('domain'))
            user = self.identity.user_by_name(spec['name'])
        if user is None or not hmac.compare_digest(
                str(spec.get('password', '')), user['password']):
            raise self._unauthorized()
        return user

    def _check_domain(self, domain):
        domain = domain or {}
        if domain.get('id') not in (None, DEFAULT_DOMAIN['id']) or \
                domain.get('name') not in (None, DEFAULT_DOMAIN['name']):
            raise self._unauthorized()

    def _scope(self, user, scope):
        # keystoneauth asks for an explicitly unscoped token with the
        # string "unscoped" (Horizon's login does, before it lists the
        # user's projects).
        if not scope or scope == 'unscoped':
            return None
        if not isinstance(scope, dict):
            raise wsgi.HTTPError(400, 'Invalid scope: %r.' % (scope,),
                                 'Bad Request')
        spec = scope.get('project')
        if spec is None:
            raise wsgi.HTTPError(400, 'Only project scope is supported.',
                                 'Bad Request')
        if spec.get('id'):
            project = self.identity.projects.get(spec['id'])
        else:
            self._check_domain(spec.get('domain'))
            project = self.identity.project_by_name(spec.get('name'))
        if project is None or not self.identity.role_names(
                user, project['id']):
            raise self._unauthorized()
        return project['id']

    def authenticate(self, body):
        """Issue a token for an ``auth`` request body; 401 if refused."""
        auth = body.get('auth') or {}
        ident = auth.get('identity') or {}
        methods = ident.get('methods') or []
        if 'password' in methods:
            user = self._password_user(ident.get('password') or {})
        elif 'token' in methods:
            old = self.validate((ident.get('token') or {}).get('id'))
            if old is None:
                raise self._unauthorized()
            user = self.identity.users[old.user_id]
        else:
            raise self._unauthorized()
        project_id = self._scope(user, auth.get('scope'))
        return self.issue(user, project_id, methods)

    # -- HTTP -----------------------------------------------------------------

    def version_doc(self):
        return {'id': 'v3.14', 'status': 'stable',
                'updated': '2020-04-07T00:00:00Z',
                'links': [{'rel': 'self', 'href': self.base_url + '/v3/'}],
                'media-types': [{
                    'base': 'application/json',
                    'type': 'application/vnd.openstack.identity-v3+json'}]}

    def _routes(self):
        r = wsgi.Router(style='keystone')
        r.add('GET', r'/?', lambda req: wsgi.json_response(
            {'versions': {'values': [self.version_doc()]}}, 300))
        r.add('GET', r'/v3', lambda req: wsgi.json_response(
            {'version': self.version_doc()}))
        r.add('*', r'/v3/auth/tokens', self._tokens)
        r.add('GET', r'/v3/auth/catalog', self._catalog)
        r.add('GET', r'/v3/auth/projects', self._auth_projects)
        r.add('GET', r'/v3/projects', self._list_projects)
        r.add('GET', r'/v3/users', self._list_users)
        r.add('GET', r'/v3/roles', self._list_roles)
        # What a dashboard's login asks (Horizon's openstack_auth): the
        # user's projects, the domains and system scopes it may pick.
        r.add('GET', r'/v3/users/(?P<user_id>[^/]+)/projects',
              self._user_projects)
        r.add('GET', r'/v3/auth/domains', self._auth_domains)
        r.add('GET', r'/v3/auth/system', self._auth_system)
        r.add('GET', r'/v3/domains/(?P<domain_id>[^/]+)', self._show_domain)
        return r

    def _tokens(self, req):
        if req.method == 'POST':
            token_id = self.authenticate(wsgi.json_body(req))
            info = self.validate(token_id)
            nocatalog = 'nocatalog' in req.GET
            return wsgi.json_response(
                self.token_body(info, not nocatalog), 201,
                {'X-Subject-Token': token_id})
        if req.method not in ('GET', 'HEAD', 'DELETE'):
            raise wsgi.HTTPError(405, 'Method not allowed.')
        caller = self.validate(req.headers.get('X-Auth-Token'))
        if caller is None:
            raise self._unauthorized()
        subject_id = req.headers.get('X-Subject-Token')
        subject = self.validate(subject_id)
        if subject is None:
            raise wsgi.HTTPError(404, 'Could not find token: %s.'
                                 % (subject_id or '')[:12], 'Not Found')
        if req.method == 'DELETE':
            with self.store.transaction() as data:
                data['revoked_audit_ids'].append(subject.audit_id)
            return wsgi.json_response(None, 204)
        body = self.token_body(subject, 'nocatalog' not in req.GET)
        return wsgi.json_response(body, 200, {'X-Subject-Token': subject_id})

    def _catalog(self, req):
        info = self.authorize(req)
        return wsgi.json_response(
            {'catalog': self.catalog_fn(info.project_id)})

    def _project_view(self, project):
        return {'id': project['id'], 'name': project['name'],
                'domain_id': project['domain_id'], 'enabled': True,
                'is_domain': False, 'parent_id': project['domain_id'],
                'description': '', 'tags': []}

    def _auth_projects(self, req):
        info = self.validate(req.headers.get('X-Auth-Token'))
        if info is None:
            raise self._unauthorized()
        user = self.identity.users[info.user_id]
        return wsgi.json_response({'projects': [self._project_view(
            self.identity.projects[user['project_id']])]})

    def _user_projects(self, req, user_id):
        info = self.validate(req.headers.get('X-Auth-Token'))
        if info is None:
            raise self._unauthorized()
        if info.user_id != user_id and 'admin' not in info.roles:
            raise wsgi.HTTPError(403, 'You are not authorized to perform '
                                      'the requested action.', 'Forbidden')
        user = self.identity.users.get(user_id)
        if user is None:
            raise wsgi.HTTPError(404, 'Could not find user: %s.' % user_id,
                                 'Not Found')
        return wsgi.json_response({'projects': [self._project_view(
            self.identity.projects[user['project_id']])], 'links': {
                'self': None, 'next': None, 'previous': None}})

    def _auth_domains(self, req):
        # Seeded users hold roles on projects only: no domain scope.
        if self.validate(req.headers.get('X-Auth-Token')) is None:
            raise self._unauthorized()
        return wsgi.json_response({'domains': [], 'links': {
            'self': None, 'next': None, 'previous': None}})

    def _auth_system(self, req):
        # Nor system scope.
        if self.validate(req.headers.get('X-Auth-Token')) is None:
            raise self._unauthorized()
        return wsgi.json_response({'system': [], 'links': {
            'self': None, 'next': None, 'previous': None}})

    def _show_domain(self, req, domain_id):
        self.authorize(req)
        if domain_id != DEFAULT_DOMAIN['id']:
            raise wsgi.HTTPError(404, 'Could not find domain: %s.'
                                 % domain_id, 'Not Found')
        return wsgi.json_response({'domain': dict(
            DEFAULT_DOMAIN, enabled=True, description='', tags=[])})

    def _require_admin(self, req):
        info = self.authorize(req)
        if 'admin' not in info.roles:
            raise wsgi.HTTPError(403, 'You are not authorized to perform '
                                      'the requested action.', 'Forbidden')
        return info

    def _list_projects(self, req):
        self._require_admin(req)
        projects = [self._project_view(p)
                    for p in self.identity.projects.values()
                    if req.GET.get('name') in (None, p['name'])]
        return wsgi.json_response({'projects': projects})

    def _list_users(self, req):
        self._require_admin(req)
        users = [{'id': u['id'], 'name': u['name'], 'enabled': True,
                  'domain_id': DEFAULT_DOMAIN['id'],
                  'default_project_id': u['project_id']}
                 for u in self.identity.users.values()
                 if req.GET.get('name') in (None, u['name'])]
        return wsgi.json_response({'users': users})

    def _list_roles(self, req):
        self.authorize(req)
        return wsgi.json_response({'roles': [
            {'id': rid, 'name': name, 'domain_id': None}
            for name, rid in self.identity.roles.items()]})
