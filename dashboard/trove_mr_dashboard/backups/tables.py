"""The backups table: each backup with its source region."""

from django.template import defaultfilters
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
from horizon import tables

from trove_mr_dashboard import api

STATUS_CHOICES = (('COMPLETED', True), ('FAILED', False),
                  ('DELETE_FAILED', False), ('NEW', None),
                  ('BUILDING', None))


class RestoreBackup(tables.LinkAction):
    name = 'restore'
    verbose_name = _('Restore Backup')
    classes = ('ajax-modal',)
    icon = 'cloud-upload'

    def get_link_url(self, datum):
        return reverse('horizon:trove_mr:backups:restore', args=[datum.id])

    def allowed(self, request, backup=None):
        return backup is None or backup.status == 'COMPLETED'


class DeleteBackup(tables.DeleteAction):
    @staticmethod
    def action_present(count):
        return ngettext_lazy('Delete Backup', 'Delete Backups', count)

    @staticmethod
    def action_past(count):
        return ngettext_lazy('Scheduled deletion of Backup',
                             'Scheduled deletion of Backups', count)

    def delete(self, request, obj_id):
        api.backup_delete(request, obj_id)


class UpdateRow(tables.Row):
    ajax = True

    def get_data(self, request, backup_id):
        return api.backup_get(request, backup_id)


class RegionFilter(tables.FilterAction):
    filter_type = 'server'
    filter_choices = (('region', _('Source Region ='), True),
                      ('name', _('Name ='), True))


def _instance_link(backup):
    if backup.get('instance_id'):
        return reverse('horizon:trove_mr:instances:detail',
                       args=[backup.instance_id])
    return None


def _size(backup):
    """The API's size (MB, a float) in readable units."""
    if backup.get('size') is None:
        return '-'
    return defaultfilters.filesizeformat(int(backup.size * 1024 * 1024))


class BackupsTable(tables.DataTable):
    name = tables.WrappingColumn('name', verbose_name=_('Name'))
    region = tables.Column('region', verbose_name=_('Source Region'))
    instance = tables.Column(lambda b: b.get('instance_id') or '-',
                             verbose_name=_('Instance'), link=_instance_link)
    datastore = tables.Column(
        lambda b: '%s %s' % ((b.get('datastore') or {}).get('type', ''),
                             (b.get('datastore') or {}).get('version', '')),
        verbose_name=_('Datastore'))
    size = tables.Column(_size, verbose_name=_('Size'))
    status = tables.Column('status', verbose_name=_('Status'), status=True,
                           status_choices=STATUS_CHOICES)
    created = tables.Column('created', verbose_name=_('Created'))

    def get_object_display(self, datum):
        return datum.name

    class Meta:
        name = 'backups'
        verbose_name = _('Backups')
        status_columns = ('status',)
        row_class = UpdateRow
        table_actions = (RegionFilter, DeleteBackup)
        row_actions = (RestoreBackup, DeleteBackup)
