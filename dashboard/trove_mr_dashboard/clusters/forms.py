"""Cluster forms: create with a region per member row, grow with a
region."""

from django.utils.translation import gettext_lazy as _
from horizon import forms
from horizon import messages

from trove_mr_dashboard import api
from trove_mr_dashboard import forms as common

MAX_MEMBERS = 32


class CreateClusterForm(forms.SelfHandlingForm):
    """Name and datastore; the members come as parallel lists
    ``member_region``, ``member_flavor``, ``member_volume`` (one entry per
    member row of the page, rows added and removed in the browser)."""
    name = forms.CharField(label=_('Cluster Name'), max_length=255)

    def __init__(self, request, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields['datastore'] = common.datastore_field(request)
        self.regions = api.database_regions(request)
        self.home = api.home_region(request)
        try:
            self.flavors = api.flavor_list(request, self.home)
        except Exception as exc:
            self.flavors = []
            self.api_error(api.error_text(exc))

    def members(self):
        post = self.data
        regions = post.getlist('member_region')
        flavors = post.getlist('member_flavor')
        volumes = post.getlist('member_volume')
        return list(zip(regions, flavors, volumes, strict=False))

    def clean(self):
        cleaned = super().clean()
        rows = self.members()
        if not rows:
            raise forms.ValidationError(_('A cluster needs members.'))
        if len(rows) > MAX_MEMBERS:
            raise forms.ValidationError(_('At most %d members.')
                                        % MAX_MEMBERS)
        members = []
        for number, (region, flavor, volume) in enumerate(rows, 1):
            if region not in self.regions:
                raise forms.ValidationError(
                    _('Member %(n)d: unknown region %(region)s.')
                    % {'n': number, 'region': region})
            if not flavor:
                raise forms.ValidationError(
                    _('A flavor is required for each instance in the '
                      'cluster.'))
            try:
                size = int(volume)
            except ValueError:
                size = 0
            if size < 1:
                raise forms.ValidationError(
                    _('Member %d: the volume size must be at least 1 GB.')
                    % number)
            members.append({'region': region, 'flavor': flavor,
                            'volume_size': size})
        cleaned['members'] = members
        return cleaned

    def handle(self, request, data):
        datastore, version = data['datastore'].split('|', 1)
        try:
            cluster = api.cluster_create(request, data['name'], datastore,
                                         version, data['members'])
        except Exception as exc:
            return common.api_failed(self, request, exc)
        regions = sorted({m['region'] for m in data['members']})
        messages.success(request, _('Creating cluster "%(name)s" with '
                                    '%(n)d members in %(regions)s.') % {
            'name': cluster.name, 'n': len(data['members']),
            'regions': ', '.join(regions)})
        return cluster


class GrowClusterForm(forms.SelfHandlingForm):
    member_type = forms.ChoiceField(
        label=_('Member Type'), choices=(('master', _('Master')),
                                         ('slave', _('Slave'))),
        widget=forms.Select(attrs={'class': 'switchable',
                                   'data-slug': 'mtype'}))
    related_to = forms.ChoiceField(
        label=_('Replicates Master'), required=False,
        widget=forms.Select(attrs={
            'class': 'switched', 'data-switch-on': 'mtype',
            'data-mtype-slave': _('Replicates Master')}))
    volume = forms.IntegerField(label=_('Volume Size (GB)'), min_value=1,
                                initial=1)

    def __init__(self, request, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        cluster = self.initial['cluster']
        self.fields['related_to'].choices = [
            (m['id'], '%s (%s)' % (m['name'], m.get('region')))
            for m in cluster.get('instances') or ()
            if m.get('type', 'master') == 'master']
        self.fields['region'] = common.region_field(
            request, label=_('Region of the New Member'))
        common.add_region_fields(self, request, volume_types=False)
        self.order_fields(['region', 'member_type', 'related_to', 'volume'])

    def clean(self):
        cleaned = super().clean()
        region, flavor, _type = common.region_values(self, cleaned)
        cleaned['flavor'] = flavor
        if cleaned.get('member_type') == 'slave' and \
                not cleaned.get('related_to'):
            self.add_error('related_to', _('A slave needs its master.'))
        return cleaned

    def handle(self, request, data):
        cluster = self.initial['cluster']
        try:
            api.cluster_grow(
                request, cluster.id, data['region'], data['flavor'],
                data['volume'], data['member_type'],
                data['related_to'] if data['member_type'] == 'slave'
                else None)
        except Exception as exc:
            return common.api_failed(self, request, exc)
        messages.success(request, _('Growing "%(name)s" with a %(type)s in '
                                    '%(region)s.') % {
            'name': cluster.name, 'type': data['member_type'],
            'region': data['region']})
        return True
