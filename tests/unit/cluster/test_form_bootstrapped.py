"""Cluster creation in three rounds of guest calls (guest 1.7)."""

import threading

from trove_mr.cluster.redis.flows import join


class Client:
    def __init__(self, name, log, version='1.7'):
        self.name = name
        self.log = log
        self.version = version

    def can_send_version(self, version):
        return tuple(map(int, version.split('.'))) <= \
            tuple(map(int, self.version.split('.')))

    def _record(self, *call):
        with self.log['lock']:
            self.log['calls'].append((self.name,) + call)

    def cluster_bootstrap(self, first, last, epoch):
        self._record('bootstrap', first, last, epoch)
        return ['10.0.0.%s' % self.name[-1], 6379]

    def cluster_meet_many(self, nodes):
        self._record('meet_many', [tuple(n) for n in nodes])

    def cluster_replicate(self, ip, port):
        self._record('replicate', ip)

    def cluster_complete(self):
        self._record('complete')
        return {'cluster_state': 'ok'}

    def get_node_ip(self):
        self._record('get_node_ip')
        return ['10.0.0.%s' % self.name[-1], 6379]

    def cluster_meet(self, ip, port):
        self._record('meet', ip)

    def cluster_addslots(self, first, last):
        self._record('addslots', first, last)


def _joiner(names, version='1.7'):
    log = {'lock': threading.Lock(), 'calls': []}
    return join.ClusterJoiner({n: Client(n, log, version)
                               for n in names}), log['calls']


def test_masters_take_slots_and_distinct_epochs_before_one_meet():
    joiner, calls = _joiner(['m1', 'm2', 'm3', 'r4'])

    ranges = join.form(joiner, ['m1', 'm2', 'm3'], {'r4': 'm2'})

    boots = sorted(c for c in calls if c[1] == 'bootstrap')
    assert boots == [('m1', 'bootstrap', 0, 5461, 1),
                     ('m2', 'bootstrap', 5462, 10922, 2),
                     ('m3', 'bootstrap', 10923, 16383, 3),
                     ('r4', 'bootstrap', None, None, None)]
    meets = [c for c in calls if c[1] == 'meet_many']
    assert meets == [('m1', 'meet_many', [('10.0.0.2', 6379),
                                          ('10.0.0.3', 6379),
                                          ('10.0.0.4', 6379)])]
    # Every bootstrap before the meet, the meet before the rest.
    order = [c[1] for c in calls]
    assert order.index('meet_many') == 4
    assert ('r4', 'replicate', '10.0.0.2') in calls
    assert sorted(c[0] for c in calls if c[1] == 'complete') == \
        ['m1', 'm2', 'm3', 'r4']
    assert ranges['m3'] == [10923, 16383] or \
        tuple(ranges['m3']) == (10923, 16383)


def test_older_guests_form_the_cluster_the_old_way():
    joiner, calls = _joiner(['m1', 'm2'], version='1.5')

    join.form(joiner, ['m1', 'm2'], {})

    kinds = {c[1] for c in calls}
    assert 'bootstrap' not in kinds and 'meet_many' not in kinds
    assert ('m1', 'meet', '10.0.0.2') in calls
    assert {c[0] for c in calls if c[1] == 'addslots'} == {'m1', 'm2'}
