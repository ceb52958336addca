"""Views of the clusters panel."""

from django.urls import reverse
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _
from horizon import exceptions
from horizon import forms
from horizon import tables

from trove_mr_dashboard import api
from trove_mr_dashboard import views as common
from trove_mr_dashboard.clusters import forms as cluster_forms
from trove_mr_dashboard.clusters import tables as cluster_tables

INDEX_URL = 'horizon:trove_mr:clusters:index'


class IndexView(common.RegionsBannerMixin, tables.DataTableView):
    table_class = cluster_tables.ClustersTable
    template_name = 'trove_mr/index.html'
    page_title = _('Clusters')

    def get_data(self):
        return common.filtered(
            self.table, self.listed(api.cluster_list, _('clusters')))


def _cluster(request, cluster_id):
    try:
        return api.cluster_get(request, cluster_id)
    except Exception as exc:
        exceptions.handle(request, _('Unable to show the cluster: %s')
                          % api.error_text(exc),
                          redirect=reverse(INDEX_URL))


class DetailView(tables.DataTableView):
    table_class = cluster_tables.MembersTable
    template_name = 'trove_mr/clusters/detail.html'

    def get_cluster(self):
        if not hasattr(self, '_cluster'):
            self._cluster = _cluster(self.request, self.kwargs['cluster_id'])
        return self._cluster

    def get_data(self):
        return [api.Row(m) for m in self.get_cluster().get('instances') or ()]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        cluster = self.get_cluster()
        context['cluster'] = cluster
        context['task'] = cluster_tables.task_of(cluster)
        context['members_per_region'] = cluster_tables.members_per_region(
            cluster)
        context['masters'] = cluster_tables.masters_of(cluster)
        context['page_title'] = cluster.name
        return context


class CreateView(forms.ModalFormView):
    form_class = cluster_forms.CreateClusterForm
    template_name = 'trove_mr/clusters/create.html'
    form_id = 'create_cluster_form'
    page_title = _('Launch Cluster')
    success_url = reverse_lazy(INDEX_URL)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = context['form']
        rows = form.members() if form.is_bound else []
        context['member_rows'] = rows or [
            (form.home, '', '1'), (form.home, '', '1'), (form.home, '', '1')]
        context['regions'] = form.regions
        context['flavors'] = form.flavors
        context['submit_url'] = self.request.path
        return context


class GrowView(common.ModalFormMixin, forms.ModalFormView):
    form_class = cluster_forms.GrowClusterForm
    form_id = 'grow_cluster_form'
    modal_header = _('Grow Cluster')
    submit_label = _('Grow')
    page_title = _('Grow Cluster')
    success_url = reverse_lazy(INDEX_URL)
    help_text = _('A new master joins empty (rebalance to give it slots); '
                  'a slave replicates its master from any region.')

    def get_initial(self):
        if not hasattr(self, '_cluster'):
            self._cluster = _cluster(self.request, self.kwargs['cluster_id'])
        return {'cluster': self._cluster}
