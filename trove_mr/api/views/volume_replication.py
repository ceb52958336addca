"""Admin views of volume replication: never part of a tenant's view."""


def state_view(state):
    """One instance volume's replication state (``domain.state_view``)."""
    return dict(state)


def instance_view(state):
    return {'replication': state_view(state)}


def cluster_view(states):
    return {'replication': [state_view(s) for s in states]}


def targets_view(region_name, backends):
    return {'region': region_name,
            'backends': [dict(b) for b in backends]}


def failover_view(instance_ids, resource_id, resource_type='instance'):
    """What a failover request answers: the instances, in the order
    they fail over, and their task meanwhile."""
    return {'failover': {'%s_id' % resource_type: resource_id,
                         'instances': list(instance_ids),
                         'task': 'FAILING_OVER'}}
