"""Global (every cell) pages of clusters and backups.

The same two-round merge as the global instance list: keys from every
cell, then the page's rows from the cells that own them, so the work
follows the page size, not the number of cells. A cell that does not
answer in ``[api] cell_timeout`` is skipped and named.
"""

from trove_mr.api.domain import scatter
from trove_mr.common import cfg
from trove_mr.common import exceptions
from trove_mr.db import engines
from trove_mr.db.main import api as db_api

CONF = cfg.CONF


def is_global():
    return CONF.api.instance_list_scope == 'global'


def page(context, kind, tenant_id, limit, marker=None, instance_id=None,
         decorate=None, deleted=False):
    """``(rows, next_marker, unavailable_regions)`` of one global page.

    ``decorate(cell_context, rows)`` runs in each row's own cell after the
    rows are loaded, for what a view needs from that cell (members of a
    cluster, a backup's datastore version). ``tenant_id`` None pages every
    project's rows (admin lists); ``deleted`` the deleted ones.
    """
    after = _marker_key(context, kind, tenant_id, marker)

    def keys(cctx, cell_limit, cell_after):
        return db_api.global_list_keys(cctx, kind, tenant_id, cell_limit,
                                    after=cell_after,
                                    instance_id=instance_id,
                                    deleted=deleted)

    def rows(cctx, ids):
        found = db_api.global_get_many(cctx, kind, ids)
        if decorate is not None:
            decorate(cctx, found)
        return found

    found, last, unavailable = scatter.merged_page(
        context, keys, rows, limit, after=after,
        cell_read=engines.region_read)
    return found, (last.id if last is not None else None), unavailable


def _marker_key(context, kind, tenant_id, marker):
    if marker is None:
        return None
    found, unavailable = scatter.gather(
        context, lambda cctx, mapping: db_api.global_marker_key(
            cctx, kind, marker, tenant_id))
    keys = [key for key in found.values() if key is not None]
    if keys:
        return keys[0]
    if unavailable:
        raise exceptions.ServiceUnavailable(
            'Region %s is unavailable: the marker %s cannot be looked up '
            'there. Try again later.' % (', '.join(unavailable), marker))
    raise exceptions.BadRequest('Invalid marker: %s was not found.' % marker)
