"""The password every member of one Redis cluster shares.

Members authenticate to each other with one ``requirepass`` /
``masterauth`` value, and members added by a later grow need the same
one. It is made when the cluster is created, derived from the cluster id
under the cluster-password key (``cluster_password_encr_key``, or a key
derived for this purpose only from ``inst_rpc_key_encr_key`` when unset;
HKDF with a label of its own), and stored in the cluster's row sealed
under that key (the cluster id as associated data). The API shows it once
at create; the taskmanager reads it back for each build. Rotating the key
re-encrypts the stored value (``trove-mr-manage keys rewrap``): the
password itself never changes.

Clusters of the previous release have no stored password: theirs was an
HMAC of the cluster id under ``inst_rpc_key_encr_key``, which is still
derived for them (with the oldest configured value of that key, which a
rotation keeps among the old keys) until ``keys rewrap`` stores it.
"""

import base64
import hashlib
import hmac

from trove_mr.common import cfg
from trove_mr.common import crypto
from trove_mr.common import keys
from trove_mr.db.main import api as db_api

CONF = cfg.CONF

_LEGACY_LABEL = b'trove-mr redis cluster password\0'


def _text(raw):
    return base64.urlsafe_b64encode(raw).decode('ascii').rstrip('=')


def legacy_cluster_password(cluster_id):
    """The password of a cluster created by the previous release."""
    secrets = keys.secrets_of(keys.INSTANCE_KEY)
    key = (secrets[-1] or '').encode('utf-8')
    return _text(hmac.new(key, _LEGACY_LABEL + cluster_id.encode('utf-8'),
                          hashlib.sha256).digest())


def derived_cluster_password(cluster_id):
    """The password a cluster created now gets (43 URL-safe chars)."""
    secret = keys.secrets_of(keys.CLUSTER_PASSWORD)[0]
    return _text(crypto.derive_bytes(secret, 'redis-cluster-password|' +
                                     cluster_id))


def _ad(cluster_id):
    return cluster_id.encode('utf-8')


def seal(cluster_id, password):
    """``password`` sealed for the cluster row."""
    return keys.ring(keys.CLUSTER_PASSWORD).encrypt(password,
                                                    _ad(cluster_id))


def new_sealed_password(cluster_id):
    """``(password, sealed)`` of a cluster being created."""
    password = derived_cluster_password(cluster_id)
    return password, seal(cluster_id, password)


def cluster_password(cluster_id, context=None):
    """The Redis password of cluster ``cluster_id``.

    With a ``context`` on the cluster's cell, the stored one (or, for a
    cluster of the previous release, the legacy derivation); without,
    the value a new cluster gets.
    """
    if context is None:
        return derived_cluster_password(cluster_id)
    sealed = db_api.cluster_password_get(context, cluster_id)
    if not sealed:
        return legacy_cluster_password(cluster_id)
    return keys.ring(keys.CLUSTER_PASSWORD).decrypt(sealed, _ad(cluster_id))


def open_sealed(cluster_id, sealed):
    """The password from a sealed value (a cluster row's, or the copy of
    it another cell keeps); the legacy derivation when there is none."""
    if not sealed:
        return legacy_cluster_password(cluster_id)
    return keys.ring(keys.CLUSTER_PASSWORD).decrypt(sealed, _ad(cluster_id))


def rewrap_all(context):
    """Store every cluster's password under the current key: legacy ones
    sealed for the first time, others re-encrypted. Returns the count."""
    ring = keys.ring(keys.CLUSTER_PASSWORD)

    def rewrap(cluster_id, sealed):
        if sealed is None:
            return seal(cluster_id, legacy_cluster_password(cluster_id))
        if ring.is_current(sealed):
            return None
        return ring.rewrap(sealed, _ad(cluster_id))
    return db_api.cluster_passwords_rewrap(context, rewrap)


def current_password(context, cluster_id):
    """The password the cluster's members have now.

    The cluster's own (stored sealed, see :func:`cluster_password`),
    unless root was enabled or disabled since: then the one the control
    plane kept (``root_history``), so that members added later
    authenticate like the others.
    """
    return (db_api.root_password_get(context, cluster_id) or
            cluster_password(cluster_id, context))
