"""Parsing of CLUSTER NODES and CLUSTER INFO replies."""

from trove_mr.guestagent.datastore.redis import cluster

NODES = (
    'aaa 127.99.0.1:6379@16379 myself,master - 0 0 1 connected 0-5460\n'
    'bbb 127.99.0.2:6379@16379 master - 0 1700 2 connected 5461-10922 '
    '[10923->-ccc]\n'
    'ccc 127.99.0.3:6379@16379,host-c master - 0 1700 3 connected '
    '10923-16382 16383\n'
    'ddd 127.99.0.4:6379@16379 slave aaa 0 1700 1 connected\n'
    'eee :0@0 master,noaddr - 0 0 0 disconnected\n'
)


def test_nodes_are_parsed_into_plain_dicts():
    nodes = {node['id']: node for node in cluster.parse_cluster_nodes(NODES)}

    assert nodes['aaa'] == {
        'id': 'aaa', 'ip': '127.99.0.1', 'port': 6379,
        'flags': ['myself', 'master'], 'master_id': None,
        'slots': [[0, 5460]], 'link_state': 'connected', 'myself': True}
    assert nodes['ccc']['ip'] == '127.99.0.3'
    assert nodes['ccc']['slots'] == [[10923, 16382], [16383, 16383]]
    assert nodes['ddd']['master_id'] == 'aaa'
    assert nodes['ddd']['slots'] == []
    assert nodes['ddd']['myself'] is False


def test_migrating_slots_are_not_counted_as_owned():
    nodes = {node['id']: node for node in cluster.parse_cluster_nodes(NODES)}
    assert nodes['bbb']['slots'] == [[5461, 10922]]


def test_node_without_address_is_kept_with_port_zero():
    nodes = {node['id']: node for node in cluster.parse_cluster_nodes(NODES)}
    assert nodes['eee']['ip'] == ''
    assert nodes['eee']['port'] == 0
    assert nodes['eee']['link_state'] == 'disconnected'


def test_cluster_info_numbers_are_ints():
    info = cluster.parse_cluster_info(
        'cluster_state:ok\r\ncluster_slots_assigned:16384\r\n'
        'cluster_known_nodes:3\r\n')
    assert info == {'cluster_state': 'ok', 'cluster_slots_assigned': 16384,
                    'cluster_known_nodes': 3}
