"""Nova keypairs (per user, as in Nova): create/import, list, show, delete."""

import base64
import hashlib

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from trove_mr_localcloud import wsgi


def fingerprint(public_key):
    """MD5 fingerprint of an OpenSSH public key, as Nova shows it."""
    try:
        blob = base64.b64decode(public_key.split()[1])
    except (IndexError, ValueError) as exc:
        raise wsgi.HTTPError(400, 'Keypair data is invalid.') from exc
    digest = hashlib.md5(blob).hexdigest()
    return ':'.join(digest[i:i + 2] for i in range(0, len(digest), 2))


def generate():
    """A new (private, public) OpenSSH key pair."""
    key = ed25519.Ed25519PrivateKey.generate()
    private = key.private_bytes(serialization.Encoding.PEM,
                                serialization.PrivateFormat.OpenSSH,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(
        serialization.Encoding.OpenSSH,
        serialization.PublicFormat.OpenSSH).decode()
    return private, public + ' Generated-by-Nova'


def _mine(nova, token):
    return nova.data['keypairs'].setdefault(token.user_id, {})


def find(nova, token, name):
    """The caller's keypair of that name, or None."""
    return _mine(nova, token).get(name)


def _view(kp):
    return {'name': kp['name'], 'public_key': kp['public_key'],
            'fingerprint': kp['fingerprint'], 'type': kp['type'],
            'user_id': kp['user_id']}


def add_routes(router, nova):
    """Register the os-keypairs routes of ``nova`` on ``router``."""

    def list_keypairs(req):
        token = req.environ['localcloud.token']
        return wsgi.json_response({'keypairs': [
            {'keypair': _view(kp)}
            for kp in sorted(_mine(nova, token).values(),
                             key=lambda k: k['name'])]})

    def create_keypair(req):
        token = req.environ['localcloud.token']
        spec = wsgi.json_body(req).get('keypair') or {}
        name = spec.get('name')
        if not name:
            raise wsgi.HTTPError(400, "Invalid input: 'name' is required.")
        private = None
        public = spec.get('public_key')
        if not public:
            private, public = generate()
        with nova.region.store.transaction():
            if name in _mine(nova, token):
                raise wsgi.HTTPError(409, 'Key pair %r already exists.'
                                     % name)
            kp = {'name': name, 'public_key': public,
                  'fingerprint': fingerprint(public),
                  'type': spec.get('type', 'ssh'), 'user_id': token.user_id}
            _mine(nova, token)[name] = kp
        view = _view(kp)
        if private:
            view['private_key'] = private
        status = 201 if req.environ['localcloud.version'] >= (2, 2) else 200
        return wsgi.json_response({'keypair': view}, status)

    def show_keypair(req, name):
        kp = find(nova, req.environ['localcloud.token'], name)
        if kp is None:
            raise wsgi.HTTPError(404, 'Keypair %s not found.' % name)
        return wsgi.json_response({'keypair': _view(kp)})

    def delete_keypair(req, name):
        token = req.environ['localcloud.token']
        with nova.region.store.transaction():
            if _mine(nova, token).pop(name, None) is None:
                raise wsgi.HTTPError(404, 'Keypair %s not found.' % name)
        status = 204 if req.environ['localcloud.version'] >= (2, 2) else 202
        return wsgi.json_response(None, status)

    router.add('GET', r'/os-keypairs', list_keypairs)
    router.add('POST', r'/os-keypairs', create_keypair)
    router.add('GET', r'/os-keypairs/(?P<name>[^/]+)', show_keypair)
    router.add('DELETE', r'/os-keypairs/(?P<name>[^/]+)', delete_keypair)
