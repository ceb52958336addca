"""The key rings of each purpose, from configuration.

Every secret option has a companion list of *old* secrets that are still
read but never written with: during a rotation the new secret is the
option's value and the previous one moves to the list until everything
was re-encrypted (``trove-mr-manage keys rewrap``) and it is retired
(``trove-mr-manage keys retire``). One secret derives a different AES key
per purpose (HKDF, :mod:`trove_mr.common.crypto`).

=================== ======================================== ==========
purpose             secret option (+ ``*_old_keys``)          sealed data
=================== ======================================== ==========
``rpc-control``     ``taskmanager_rpc_encr_key``             control-plane RPC
``job-store``       ``taskmanager_rpc_encr_key``             job details
``instance-key``    ``inst_rpc_key_encr_key``                instance RPC keys
``cluster-password`` ``cluster_password_encr_key``           cluster passwords
``region-mapping``  ``[api_database] mapping_encr_key``      region mappings
``rpc-instance``    the instance's own key                   guest RPC
=================== ======================================== ==========
"""

from trove_mr.common import cfg
from trove_mr.common import crypto

CONF = cfg.CONF

RPC_CONTROL = 'rpc-control'
RPC_INSTANCE = 'rpc-instance'
JOB_STORE = 'job-store'
INSTANCE_KEY = 'instance-key'
CLUSTER_PASSWORD = 'cluster-password'
REGION_MAPPING = 'region-mapping'
ROOT_PASSWORD = 'root-password'

# purpose -> (group, option); the old secrets are in '<name>_old_keys' for
# an option '<name>_key'.
SECRET_OPTIONS = {
    RPC_CONTROL: (None, 'taskmanager_rpc_encr_key'),
    JOB_STORE: (None, 'taskmanager_rpc_encr_key'),
    INSTANCE_KEY: (None, 'inst_rpc_key_encr_key'),
    ROOT_PASSWORD: (None, 'inst_rpc_key_encr_key'),
    CLUSTER_PASSWORD: (None, 'cluster_password_encr_key'),
    REGION_MAPPING: ('api_database', 'mapping_encr_key'),
}


def old_option(option):
    """Name of the list of old secrets beside ``option``."""
    assert option.endswith('_key')
    return option[:-len('_key')] + '_old_keys'


def _value(group, name):
    section = CONF[group] if group else CONF
    return getattr(section, name)


def secrets_of(purpose):
    """[current secret] + old secrets configured for ``purpose``."""
    group, option = SECRET_OPTIONS[purpose]
    current = _value(group, option)
    if purpose == CLUSTER_PASSWORD and not current:
        # Not configured: sealed under the instance-key secret, still a
        # key of its own (HKDF with the cluster-password label).
        return secrets_of(INSTANCE_KEY)
    return [current] + list(_value(group, old_option(option)) or [])


def ring(purpose):
    """The KeyRing of ``purpose`` from the configuration now."""
    return crypto.KeyRing(secrets_of(purpose), purpose)


def instance_rpc_ring(instance_key):
    """The ring of one guest's own RPC key."""
    if isinstance(instance_key, crypto.KeyRing):
        return instance_key
    return crypto.KeyRing([instance_key], RPC_INSTANCE)
