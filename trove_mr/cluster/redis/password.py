"""The password every member of one Redis cluster shares.

Members authenticate to each other with one ``requirepass`` /
``masterauth`` value, and members added by a later grow need the same
one. Rather than storing it, it is derived from the cluster id under the
deployment's ``inst_rpc_key_encr_key`` (HMAC-SHA256, with a label of its
own so that it never equals another value derived from that key): the API
shows it once at create, the taskmanager derives it again for each build.
"""

import base64
import hashlib
import hmac

from trove_mr.common import cfg
from trove_mr.db.main import api as db_api

CONF = cfg.CONF

_LABEL = b'trove-mr redis cluster password\0'


def cluster_password(cluster_id):
    """The Redis password of cluster ``cluster_id`` (43 URL-safe chars)."""
    key = (CONF.inst_rpc_key_encr_key or '').encode('utf-8')
    digest = hmac.new(key, _LABEL + cluster_id.encode('utf-8'),
                      hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode('ascii').rstrip('=')


def current_password(context, cluster_id):
    """The password the cluster's members have now.

    The derived one, unless root was enabled or disabled since: then the
    one the control plane kept (``root_history``), so that members added
    later authenticate like the others.
    """
    return (db_api.root_password_get(context, cluster_id) or
            cluster_password(cluster_id))
