"""The local cloud's own admin API: fault injection and endpoint info.

``POST /localcloud/faults`` with ``{"region": R, ...}`` and any of
``unreachable`` (bool), ``latency_ms`` (int), ``fail_next_servers`` (int),
``fail_next_volumes`` (int), ``fail_next_resizes`` (int),
``primary_unreadable`` (bool: the primary volume backend is lost, nothing
is replicated from it any more);
``DELETE /localcloud/faults`` clears every fault;
``GET /localcloud/faults`` shows them. All need an admin token.
``GET /localcloud/info`` (no token) lists regions and endpoints.
"""

from trove_mr_localcloud import wsgi

FAULT_KINDS = {'unreachable': bool, 'latency_ms': int,
               'fail_next_servers': int, 'fail_next_volumes': int,
               'fail_next_resizes': int, 'primary_unreadable': bool}


def no_faults():
    """The fault settings of a healthy region."""
    return {'unreachable': False, 'latency_ms': 0, 'fail_next_servers': 0,
            'fail_next_volumes': 0, 'fail_next_resizes': 0,
            'primary_unreadable': False}


class Admin:
    """Routes of ``/localcloud``."""

    def __init__(self, cloud):
        self.cloud = cloud
        self.router = wsgi.Router(style='nova')
        self.router.add('GET', r'/info', self._info)
        self.router.add('GET', r'/faults', self._show)
        self.router.add('POST', r'/faults', self._set)
        self.router.add('DELETE', r'/faults', self._clear)

    def _require_admin(self, req):
        info = self.cloud.keystone.authorize(req)
        if 'admin' not in info.roles:
            raise wsgi.HTTPError(403, 'Fault injection needs the admin '
                                      'role.')

    def info(self):
        """Regions, their endpoints, networks and address ranges."""
        regions = {}
        for region in self.cloud.regions.values():
            regions[region.name] = {
                'port': region.listener.port,
                'reachable': region.listener.running,
                'address_range': '127.%d.0.0/16' % (11 + region.index),
                'networks': [{'id': n['id'], 'name': n['name'],
                              'project_id': n['project_id'],
                              'cidr': [region.neutron.state['subnets'][s]
                                       ['cidr'] for s in n['subnets']],
                              'router:external': n['router:external']}
                             for n in region.neutron.state['networks']
                             .values()],
                'endpoints': {s: region.endpoint(s)
                              for s in region.SERVICES}}
        return {'auth_url': self.cloud.auth_url,
                'state_dir': self.cloud.state_dir,
                'regions': regions}

    def _info(self, req):
        return wsgi.json_response(self.info())

    def _faults(self):
        return {name: dict(region.faults)
                for name, region in self.cloud.regions.items()}

    def _show(self, req):
        self._require_admin(req)
        return wsgi.json_response({'faults': self._faults()})

    def set_faults(self, region_name, changes):
        """Apply fault settings to one region (400 on bad input)."""
        region = self.cloud.regions.get(region_name)
        if region is None:
            raise wsgi.HTTPError(400, 'Unknown region %r.' % region_name)
        for key, value in changes.items():
            kind = FAULT_KINDS.get(key)
            if kind is None:
                raise wsgi.HTTPError(400, 'Unknown fault %r.' % key)
            try:
                region.faults[key] = kind(value)
            except (TypeError, ValueError) as exc:
                raise wsgi.HTTPError(400, 'Bad value for %s.' % key) \
                    from exc
        if region.faults['unreachable']:
            region.listener.stop()
        else:
            region.listener.start()

    def _set(self, req):
        self._require_admin(req)
        body = wsgi.json_body(req)
        self.set_faults(body.pop('region', None), body)
        return wsgi.json_response({'faults': self._faults()})

    def _clear(self, req):
        self._require_admin(req)
        for name in self.cloud.regions:
            self.set_faults(name, no_faults())
        return wsgi.json_response(None, 204)
