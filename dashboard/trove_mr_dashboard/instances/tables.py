"""The instances table: one row per instance, with its region."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
from horizon import tables

from trove_mr_dashboard import api

# Status: final ones stop the row's refresh; others are polled.
BUSY = ('BUILD', 'REBOOT', 'RESIZE', 'BACKUP', 'PROMOTE', 'EJECT',
        'DETACH', 'CONFIGURING', 'UPGRADE', 'REBUILD', 'MIGRATE')
STATUS_CHOICES = (('ACTIVE', True), ('SHUTDOWN', True), ('ERROR', False),
                  ('RESTART_REQUIRED', True), ('HEALTHY', True)) + tuple(
                      (status, None) for status in BUSY)


class RegionFilter(tables.FilterAction):
    """Server-side filter: by region, or by name."""
    filter_type = 'server'
    filter_choices = (('region', _('Region ='), True),
                      ('name', _('Name ='), True))


class CreateInstance(tables.LinkAction):
    name = 'create'
    verbose_name = _('Launch Instance')
    url = 'horizon:trove_mr:instances:create'
    classes = ('ajax-modal',)
    icon = 'plus'


class DeleteInstance(tables.DeleteAction):
    @staticmethod
    def action_present(count):
        return ngettext_lazy('Delete Instance', 'Delete Instances', count)

    @staticmethod
    def action_past(count):
        return ngettext_lazy('Scheduled deletion of Instance',
                             'Scheduled deletion of Instances', count)

    def delete(self, request, obj_id):
        api.instance_delete(request, obj_id)


class RestartInstance(tables.BatchAction):
    name = 'restart'
    classes = ('btn-danger',)

    @staticmethod
    def action_present(count):
        return ngettext_lazy('Restart Instance', 'Restart Instances', count)

    @staticmethod
    def action_past(count):
        return ngettext_lazy('Restarted Instance', 'Restarted Instances',
                             count)

    def allowed(self, request, instance=None):
        return instance is None or instance.status in ('ACTIVE', 'SHUTDOWN')

    def action(self, request, obj_id):
        api.instance_restart(request, obj_id)


class _RowLink(tables.LinkAction):
    classes = ('ajax-modal',)
    verb = ''

    def get_link_url(self, datum):
        return reverse(self.url, args=[datum.id])

    def allowed(self, request, instance=None):
        return instance is None or instance.status == 'ACTIVE'


class CreateBackup(_RowLink):
    name = 'backup'
    verbose_name = _('Create Backup')
    url = 'horizon:trove_mr:instances:backup'


class CreateReplica(_RowLink):
    name = 'replica'
    verbose_name = _('Create Replica')
    url = 'horizon:trove_mr:instances:replica'


class ResizeFlavor(_RowLink):
    name = 'resize_flavor'
    verbose_name = _('Resize Instance')
    url = 'horizon:trove_mr:instances:resize_flavor'


class ResizeVolume(_RowLink):
    name = 'resize_volume'
    verbose_name = _('Resize Volume')
    url = 'horizon:trove_mr:instances:resize_volume'


class EnableRoot(_RowLink):
    # A page of its own, not a modal: the password is shown on the next.
    classes = ()
    name = 'enable_root'
    verbose_name = _('Enable Root')
    url = 'horizon:trove_mr:instances:enable_root'


class UpdateRow(tables.Row):
    ajax = True

    def get_data(self, request, instance_id):
        # A 404 (deleted) removes the row; Horizon handles it.
        return api.instance_get(request, instance_id)


def datastore_of(instance):
    store = instance.get('datastore') or {}
    return '%s %s' % (store.get('type', ''), store.get('version', ''))


def addresses_of(instance):
    return ', '.join(a['address'] for a in instance.get('addresses') or ()
                     if not a.get('management')) or '-'


def size_of(instance):
    flavor = instance.get('flavor_name') or \
        (instance.get('flavor') or {}).get('id', '')
    volume = (instance.get('volume') or {}).get('size')
    return '%s | %s GB' % (flavor, volume) if volume else flavor


class InstancesTable(tables.DataTable):
    name = tables.WrappingColumn(
        'name', verbose_name=_('Name'),
        link='horizon:trove_mr:instances:detail')
    region = tables.Column('region', verbose_name=_('Region'))
    datastore = tables.Column(datastore_of, verbose_name=_('Datastore'))
    status = tables.Column('status', verbose_name=_('Status'), status=True,
                           status_choices=STATUS_CHOICES)
    operating_status = tables.Column(
        lambda i: i.get('operating_status', '-'),
        verbose_name=_('Operating Status'))
    addresses = tables.Column(addresses_of, verbose_name=_('Addresses'))
    size = tables.Column(size_of, verbose_name=_('Size'))
    created = tables.Column('created', verbose_name=_('Created'))

    def get_object_display(self, datum):
        return datum.name

    class Meta:
        name = 'instances'
        verbose_name = _('Instances')
        status_columns = ('status',)
        row_class = UpdateRow
        table_actions = (RegionFilter, CreateInstance, DeleteInstance)
        row_actions = (CreateBackup, CreateReplica, ResizeFlavor,
                       ResizeVolume, EnableRoot, RestartInstance,
                       DeleteInstance)
