"""The clusters table (members per region) and a cluster's members."""

import collections

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
from horizon import tables

from trove_mr_dashboard import api
from trove_mr_dashboard.instances import tables as instance_tables

TASK_CHOICES = (('NONE', True), ('FAILED', False), ('BUILDING', None),
                ('GROWING_CLUSTER', None), ('SHRINKING_CLUSTER', None),
                ('REBALANCING', None), ('DELETING', None))


def task_of(cluster):
    """The task, with its progress when the task reports one."""
    task = cluster.get('task') or {}
    name = task.get('name', '')
    description = task.get('description') or ''
    if description and name != 'NONE' and description != name:
        return '%s: %s' % (name, description)
    return name


def members_per_region(cluster):
    counts = collections.Counter(m.get('region') or '-'
                                 for m in cluster.get('instances') or ())
    return ', '.join('%s: %d' % item for item in sorted(counts.items()))


def masters_of(cluster):
    """Each master with ``slots`` (the hash slots its guest last
    reported; None until it reports) and ``slaves``."""
    members = cluster.get('instances') or ()
    return [dict(m, slots=m.get('slots'), slaves=[
        s for s in members if s.get('related_to') in (m['id'], m['name'])])
        for m in members if m.get('type', 'master') == 'master']


class CreateCluster(tables.LinkAction):
    name = 'create'
    verbose_name = _('Launch Cluster')
    url = 'horizon:trove_mr:clusters:create'
    icon = 'plus'


class GrowCluster(tables.LinkAction):
    name = 'grow'
    verbose_name = _('Grow Cluster')
    classes = ('ajax-modal',)

    def get_link_url(self, datum):
        return reverse('horizon:trove_mr:clusters:grow', args=[datum.id])

    def allowed(self, request, cluster=None):
        return cluster is None or (cluster.get('task') or {}).get(
            'name') == 'NONE'


class RebalanceCluster(tables.BatchAction):
    name = 'rebalance'

    @staticmethod
    def action_present(count):
        return ngettext_lazy('Rebalance Cluster', 'Rebalance Clusters',
                             count)

    @staticmethod
    def action_past(count):
        return ngettext_lazy('Rebalancing Cluster', 'Rebalancing Clusters',
                             count)

    def allowed(self, request, cluster=None):
        return cluster is None or (cluster.get('task') or {}).get(
            'name') == 'NONE'

    def action(self, request, obj_id):
        api.cluster_rebalance(request, obj_id)


class DeleteCluster(tables.DeleteAction):
    @staticmethod
    def action_present(count):
        return ngettext_lazy('Delete Cluster', 'Delete Clusters', count)

    @staticmethod
    def action_past(count):
        return ngettext_lazy('Scheduled deletion of Cluster',
                             'Scheduled deletion of Clusters', count)

    def delete(self, request, obj_id):
        api.cluster_delete(request, obj_id)


class UpdateRow(tables.Row):
    ajax = True

    def get_data(self, request, cluster_id):
        return api.cluster_get(request, cluster_id)


class RegionFilter(tables.FilterAction):
    filter_type = 'server'
    filter_choices = (('region', _('Region ='), True),
                      ('name', _('Name ='), True))


def task_name(cluster):
    return (cluster.get('task') or {}).get('name', '')


class ClustersTable(tables.DataTable):
    name = tables.WrappingColumn('name', verbose_name=_('Name'),
                                 link='horizon:trove_mr:clusters:detail')
    region = tables.Column('region', verbose_name=_('Region'))
    datastore = tables.Column(instance_tables.datastore_of,
                              verbose_name=_('Datastore'))
    members = tables.Column(members_per_region,
                            verbose_name=_('Members per Region'))
    task = tables.Column(task_of, verbose_name=_('Task'))
    state = tables.Column(task_name, verbose_name=_('State'), status=True,
                          status_choices=TASK_CHOICES, hidden=True)
    created = tables.Column('created', verbose_name=_('Created'))

    def get_object_display(self, datum):
        return datum.name

    class Meta:
        name = 'clusters'
        verbose_name = _('Clusters')
        status_columns = ('state',)
        row_class = UpdateRow
        table_actions = (RegionFilter, CreateCluster, DeleteCluster)
        row_actions = (GrowCluster, RebalanceCluster, DeleteCluster)


class ShrinkCluster(tables.BatchAction):
    """Removes the chosen members (the API refuses one owning slots)."""
    name = 'shrink'
    classes = ('btn-danger',)

    @staticmethod
    def action_present(count):
        return ngettext_lazy('Remove Member', 'Remove Members', count)

    @staticmethod
    def action_past(count):
        return ngettext_lazy('Removing Member', 'Removing Members', count)

    def action(self, request, obj_id):
        api.cluster_shrink(request, self.table.kwargs['cluster_id'],
                           [obj_id])


class MembersTable(tables.DataTable):
    name = tables.Column('name', verbose_name=_('Name'),
                         link='horizon:trove_mr:instances:detail')
    region = tables.Column('region', verbose_name=_('Region'))
    type = tables.Column('type', verbose_name=_('Type'))
    related_to = tables.Column(lambda m: m.get('related_to') or '-',
                               verbose_name=_('Replicates'))
    status = tables.Column(lambda m: m.get('status', ''),
                           verbose_name=_('Status'))
    addresses = tables.Column(lambda m: ', '.join(m.get('ip') or ()) or '-',
                              verbose_name=_('Addresses'))

    class Meta:
        name = 'members'
        verbose_name = _('Members')
        table_actions = (ShrinkCluster,)
        row_actions = (ShrinkCluster,)
