"""Views of the backups panel."""

from django.urls import reverse
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _
from horizon import exceptions
from horizon import forms
from horizon import tables

from trove_mr_dashboard import api
from trove_mr_dashboard import views as common
from trove_mr_dashboard.backups import forms as backup_forms
from trove_mr_dashboard.backups import tables as backup_tables


class IndexView(common.RegionsBannerMixin, tables.DataTableView):
    table_class = backup_tables.BackupsTable
    template_name = 'trove_mr/index.html'
    page_title = _('Backups')

    def get_data(self):
        return common.filtered(
            self.table, self.listed(api.backup_list, _('backups')))


class RestoreView(common.ModalFormMixin, forms.ModalFormView):
    form_class = backup_forms.RestoreForm
    form_id = 'restore_backup_form'
    modal_header = _('Restore Backup')
    submit_label = _('Restore')
    page_title = _('Restore Backup')
    success_url = reverse_lazy('horizon:trove_mr:instances:index')

    def get_object(self):
        if not hasattr(self, '_object'):
            try:
                self._object = api.backup_get(self.request,
                                              self.kwargs['backup_id'])
            except Exception as exc:
                exceptions.handle(
                    self.request, api.error_text(exc),
                    redirect=reverse('horizon:trove_mr:backups:index'))
        return self._object

    def get_initial(self):
        return {'backup': self.get_object()}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context['help_text'] = _(
            'The new instance reads the backup from its own region\'s '
            'object store, whichever region the backup was taken in.')
        return context
