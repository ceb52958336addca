"""Form parts shared by the panels: regions, flavors per region, the
API's errors shown in the form."""

import re

from django.utils.translation import gettext_lazy as _
from horizon import exceptions
from horizon import forms

from trove_mr_dashboard import api


def switch_attr(slug, value):
    """The ``data-`` attribute Horizon's switchable fields read for a
    value: jQuery looks ``<slug>-<value>`` up with each capital letter as
    ``-<lower>``, so ``RegionTwo`` is ``data-region--region-two``."""
    return 'data-%s-%s' % (slug, re.sub(
        '[A-Z]', lambda m: '-' + m.group().lower(), value))


def region_field(request, label=_('Region'), slug='region'):
    regions = api.database_regions(request)
    return forms.ChoiceField(
        label=label, choices=[(r, r) for r in regions],
        initial=api.home_region(request),
        help_text=_('Where the instance is built: the regions whose '
                    'catalog publishes the database service.'),
        widget=forms.Select(attrs={'class': 'switchable',
                                   'data-slug': slug}))


def add_region_fields(form, request, slug='region', volume_types=True):
    """One flavor field (and volume type field) per region, shown for the
    region chosen; named ``flavor__<region>``, ``volume_type__<region>``."""
    for region in api.database_regions(request):
        try:
            flavors = api.flavor_list(request, region)
        except Exception as exc:
            flavors = []
            exceptions.handle(request, _('Flavors of %(region)s: %(err)s')
                              % {'region': region,
                                 'err': api.error_text(exc)})
        form.fields['flavor__%s' % region] = forms.ChoiceField(
            label=_('Flavor'), required=False,
            choices=[('', _('Select a flavor'))] + [
                (f.name, '%s (%s MB RAM, %s vCPU)' % (f.name, f.ram,
                                                      f.vcpus))
                for f in flavors],
            widget=forms.Select(attrs={
                'class': 'switched', 'data-switch-on': slug,
                switch_attr(slug, region): _('Flavor (%s)') % region}))
        if volume_types:
            types = api.volume_type_list(request, region)
            form.fields['volume_type__%s' % region] = forms.ChoiceField(
                label=_('Volume Type'), required=False,
                choices=[('', _('Default'))] + [(t, t) for t in types],
                widget=forms.Select(attrs={
                    'class': 'switched', 'data-switch-on': slug,
                    switch_attr(slug, region):
                        _('Volume Type (%s)') % region}))


def region_values(form, cleaned, slug='region'):
    """(region, flavor, volume type) chosen; a flavor is required."""
    region = cleaned.get(slug)
    flavor = cleaned.get('flavor__%s' % region)
    if region and not flavor:
        form.add_error(None, _('A flavor is required for each instance.'))
    return region, flavor, cleaned.get('volume_type__%s' % region) or None


def datastore_field(request):
    try:
        versions = api.datastore_versions(request)
    except Exception as exc:
        versions = []
        exceptions.handle(request, api.error_text(exc))
    return forms.ChoiceField(
        label=_('Datastore Version'),
        choices=[('%s|%s' % v, '%s %s' % v) for v in versions])


def api_failed(form, request, exc):
    """Show the API's answer in the form; False keeps the form open."""
    form.api_error(api.error_text(exc))
    return False
