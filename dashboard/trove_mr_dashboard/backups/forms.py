"""Restore a backup into a chosen region."""

from django.utils.translation import gettext_lazy as _
from horizon import forms
from horizon import messages

from trove_mr_dashboard import api
from trove_mr_dashboard import forms as common


class RestoreForm(forms.SelfHandlingForm):
    name = forms.CharField(label=_('Instance Name'), max_length=255)
    volume = forms.IntegerField(label=_('Volume Size (GB)'), min_value=1,
                                initial=1)

    def __init__(self, request, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields['region'] = common.region_field(
            request, label=_('Restore Into Region'))
        common.add_region_fields(self, request)
        self.order_fields(['name', 'region', 'volume'])

    def clean(self):
        cleaned = super().clean()
        region, flavor, volume_type = common.region_values(self, cleaned)
        cleaned['flavor'], cleaned['volume_type'] = flavor, volume_type
        return cleaned

    def handle(self, request, data):
        backup = self.initial['backup']
        store = backup.get('datastore') or {}
        try:
            instance = api.instance_create(
                request, data['name'], data['region'], data['flavor'],
                data['volume'], store.get('type'), store.get('version'),
                volume_type=data['volume_type'], backup_id=backup.id)
        except Exception as exc:
            return common.api_failed(self, request, exc)
        messages.success(request, _('Restoring "%(backup)s" into a new '
                                    'instance in %(region)s.') % {
            'backup': backup.name, 'region': instance.region})
        return instance
