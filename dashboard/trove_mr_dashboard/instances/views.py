"""Views of the instances panel."""

from django.shortcuts import render
from django.urls import reverse
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _
from django.views import generic
from horizon import exceptions
from horizon import forms
from horizon import tables

from trove_mr_dashboard import api
from trove_mr_dashboard import views as common
from trove_mr_dashboard.backups import tables as backup_tables
from trove_mr_dashboard.instances import forms as instance_forms
from trove_mr_dashboard.instances import tables as instance_tables

INDEX_URL = 'horizon:trove_mr:instances:index'


def flavor_names(request, rows):
    """{(region, flavor id): name} for the regions of ``rows``."""
    names = {}
    for region in sorted({row.get('region') for row in rows} - {None, ''}):
        try:
            for flavor in api.flavor_list(request, region):
                names[(region, str(flavor.id))] = flavor.name
        except Exception:
            continue
    return names


def name_flavors(request, rows):
    names = flavor_names(request, rows)
    for row in rows:
        flavor_id = str((row.get('flavor') or {}).get('id', ''))
        row._info['flavor_name'] = names.get((row.get('region'), flavor_id),
                                             flavor_id)
    return rows


class IndexView(common.RegionsBannerMixin, tables.DataTableView):
    table_class = instance_tables.InstancesTable
    template_name = 'trove_mr/index.html'
    page_title = _('Instances')

    def get_data(self):
        rows = self.listed(api.instance_list, _('instances'))
        return name_flavors(self.request, common.filtered(self.table, rows))


def _instance(request, instance_id):
    try:
        return api.instance_get(request, instance_id)
    except Exception as exc:
        exceptions.handle(request, _('Unable to show the instance: %s')
                          % api.error_text(exc),
                          redirect=reverse(INDEX_URL))


class DetailView(generic.TemplateView):
    template_name = 'trove_mr/instances/detail.html'

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        instance = _instance(self.request, kwargs['instance_id'])
        name_flavors(self.request, [instance])
        try:
            backups = api.instance_backups(self.request, instance.id)
        except Exception as exc:
            backups = []
            exceptions.handle(self.request, api.error_text(exc))
        context['instance'] = instance
        context['flavor_name'] = instance.get('flavor_name')
        context['backups_table'] = backup_tables.BackupsTable(
            self.request, data=backups)
        context['page_title'] = instance.name
        return context


class _InstanceFormView(common.ModalFormMixin, forms.ModalFormView):
    """A modal form about one instance (``initial['instance']``)."""
    success_url = reverse_lazy(INDEX_URL)
    help_text = ''

    def get_object(self):
        if not hasattr(self, '_object'):
            self._object = _instance(self.request, self.kwargs['instance_id'])
        return self._object

    def get_initial(self):
        return {'instance': self.get_object()}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context['instance'] = self.get_object()
        return context


class CreateView(common.ModalFormMixin, forms.ModalFormView):
    form_class = instance_forms.CreateInstanceForm
    form_id = 'create_instance_form'
    modal_header = _('Launch Instance')
    submit_label = _('Launch')
    submit_url = reverse_lazy('horizon:trove_mr:instances:create')
    success_url = reverse_lazy(INDEX_URL)
    page_title = _('Launch Instance')

    def get_initial(self):
        return {'backup': self.request.GET.get('backup', '')}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context['help_text'] = _(
            'The region is where the instance, its server and its volume '
            'are built; the flavors and volume types listed are those of '
            'the region chosen. The API checks that the datastore image and '
            'the flavor match across regions and says which differs.')
        return context


class CreateReplicaView(_InstanceFormView):
    form_class = instance_forms.CreateReplicaForm
    form_id = 'create_replica_form'
    modal_header = _('Create Replica')
    submit_label = _('Create Replica')
    page_title = _('Create Replica')
    help_text = _('A replica follows the instance from any region; its '
                  'flavor and volume are the master\'s.')


class CreateBackupView(_InstanceFormView):
    form_class = instance_forms.CreateBackupForm
    form_id = 'create_backup_form'
    modal_header = _('Create Backup')
    submit_label = _('Create Backup')
    page_title = _('Create Backup')
    success_url = reverse_lazy('horizon:trove_mr:backups:index')
    help_text = _('The backup is stored in the object store of the '
                  'instance\'s region and can be restored into any region.')


class ResizeFlavorView(_InstanceFormView):
    form_class = instance_forms.ResizeFlavorForm
    form_id = 'resize_flavor_form'
    modal_header = _('Resize Instance')
    submit_label = _('Resize')
    page_title = _('Resize Instance')
    help_text = _('Flavors of the instance\'s region.')


class ResizeVolumeView(_InstanceFormView):
    form_class = instance_forms.ResizeVolumeForm
    form_id = 'resize_volume_form'
    modal_header = _('Resize Volume')
    submit_label = _('Resize')
    page_title = _('Resize Volume')
    help_text = _('A volume only grows.')


class EnableRootView(_InstanceFormView):
    form_class = instance_forms.EnableRootForm
    form_id = 'enable_root_form'
    modal_header = _('Enable Root')
    submit_label = _('Enable Root')
    page_title = _('Enable Root')
    help_text = _('Sets a new Redis password (requirepass). It is shown '
                  'once, on the next page.')

    def form_valid(self, form):
        answer = form.handle(self.request, form.cleaned_data)
        if not answer:
            return self.form_invalid(form)
        response = render(self.request,
                          'trove_mr/instances/root_password.html',
                          dict(answer, instance=self.get_object()))
        return response
