"""Forms of the instances panel. Each validates what the API validates
(required fields, volume size at least 1 GB) and shows the API's own error
text when the API refuses."""

from django.utils.translation import gettext_lazy as _
from horizon import forms
from horizon import messages

from trove_mr_dashboard import api
from trove_mr_dashboard import forms as common


class CreateInstanceForm(forms.SelfHandlingForm):
    name = forms.CharField(label=_('Instance Name'), max_length=255)
    volume = forms.IntegerField(label=_('Volume Size (GB)'), min_value=1,
                                initial=1)
    backup = forms.CharField(widget=forms.HiddenInput(), required=False)
    replica_of = forms.CharField(widget=forms.HiddenInput(), required=False)

    def __init__(self, request, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields['region'] = common.region_field(request)
        self.fields['datastore'] = common.datastore_field(request)
        common.add_region_fields(self, request)
        self.order_fields(['name', 'region', 'datastore', 'volume'])

    def clean(self):
        cleaned = super().clean()
        region, flavor, volume_type = common.region_values(self, cleaned)
        cleaned['flavor'], cleaned['volume_type'] = flavor, volume_type
        return cleaned

    def handle(self, request, data):
        datastore, version = data['datastore'].split('|', 1)
        try:
            instance = api.instance_create(
                request, data['name'], data['region'], data['flavor'],
                data['volume'], datastore, version,
                volume_type=data['volume_type'],
                backup_id=data.get('backup') or None,
                replica_of=data.get('replica_of') or None)
        except Exception as exc:
            return common.api_failed(self, request, exc)
        messages.success(request, _('Creating instance "%(name)s" in '
                                    '%(region)s.') % {
            'name': instance.name, 'region': instance.region})
        return instance


class CreateReplicaForm(forms.SelfHandlingForm):
    """A replica of a running instance, in any region."""
    name = forms.CharField(label=_('Replica Name'), max_length=255)

    def __init__(self, request, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields['region'] = common.region_field(
            request, label=_('Replica Region'))

    def handle(self, request, data):
        master = self.initial['instance']
        store = master.get('datastore') or {}
        try:
            replica = api.instance_create(
                request, data['name'], data['region'], None, None,
                store.get('type'), store.get('version'),
                replica_of=master.id)
        except Exception as exc:
            return common.api_failed(self, request, exc)
        messages.success(request, _('Creating replica "%(name)s" of '
                                    '"%(master)s" in %(region)s.') % {
            'name': replica.name, 'master': master.name,
            'region': replica.region})
        return replica


class CreateBackupForm(forms.SelfHandlingForm):
    name = forms.CharField(label=_('Backup Name'), max_length=255)
    description = forms.CharField(label=_('Description'), required=False,
                                  widget=forms.Textarea(attrs={'rows': 3}))

    def handle(self, request, data):
        instance = self.initial['instance']
        try:
            backup = api.backup_create(request, data['name'], instance.id,
                                       data['description'])
        except Exception as exc:
            return common.api_failed(self, request, exc)
        messages.success(request, _('Backing up "%(name)s" in %(region)s.')
                         % {'name': instance.name,
                            'region': backup.get('region') or
                            instance.region})
        return backup


class ResizeFlavorForm(forms.SelfHandlingForm):
    def __init__(self, request, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        instance = self.initial['instance']
        flavors = api.flavor_list(request, instance.region)
        self.fields['flavor'] = forms.ChoiceField(
            label=_('New Flavor (%s)') % instance.region,
            choices=[(f.name, '%s (%s MB RAM)' % (f.name, f.ram))
                     for f in flavors
                     if str(f.id) != str(instance.flavor.get('id'))])

    def handle(self, request, data):
        instance = self.initial['instance']
        try:
            api.instance_resize_flavor(request, instance.id, data['flavor'])
        except Exception as exc:
            return common.api_failed(self, request, exc)
        messages.success(request, _('Resizing "%s".') % instance.name)
        return True


class ResizeVolumeForm(forms.SelfHandlingForm):
    size = forms.IntegerField(label=_('New Size (GB)'), min_value=1)

    def clean_size(self):
        size = self.cleaned_data['size']
        current = (self.initial['instance'].get('volume') or {}).get('size')
        if current and size <= current:
            raise forms.ValidationError(
                _('The new size must be larger than %d GB.') % current)
        return size

    def handle(self, request, data):
        instance = self.initial['instance']
        try:
            api.instance_resize_volume(request, instance.id, data['size'])
        except Exception as exc:
            return common.api_failed(self, request, exc)
        messages.success(request, _('Resizing the volume of "%s".')
                         % instance.name)
        return True


class EnableRootForm(forms.SelfHandlingForm):
    """Sets a new Redis password; the answer is shown once."""

    def handle(self, request, data):
        try:
            user, password = api.root_enable(request,
                                             self.initial['instance'].id)
        except Exception as exc:
            return common.api_failed(self, request, exc)
        return {'user': user, 'password': password}
