"""The Horizon plugin's own logic, without a browser or an API: regions
from the catalog, list pages, filters, switchable fields, cluster views."""

import os
import types

import pytest

os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'trove_mr_dashboard.settings')


@pytest.fixture(scope='module', autouse=True)
def django_setup(tmp_path_factory):
    os.environ.setdefault('TROVE_MR_DASHBOARD_STATE',
                          str(tmp_path_factory.mktemp('horizon')))
    import django
    django.setup()


def _request(catalog, chosen=None):
    user = types.SimpleNamespace(service_catalog=catalog,
                                 services_region=chosen)
    return types.SimpleNamespace(user=user)


CATALOG = [
    {'type': 'compute', 'endpoints': [
        {'region_id': 'RegionThree', 'interface': 'public', 'url': 'x'}]},
    {'type': 'database', 'endpoints': [
        {'region_id': 'RegionTwo', 'interface': 'public', 'url': 'a'},
        {'region': 'RegionOne', 'interface': 'public', 'url': 'b'},
        {'region_id': 'RegionTwo', 'interface': 'admin', 'url': 'a'}]},
]


def test_regions_are_those_publishing_the_database_service():
    from trove_mr_dashboard import api
    assert api.database_regions(_request(CATALOG)) == [
        'RegionOne', 'RegionTwo']


def test_home_region_follows_the_header_choice_when_it_has_the_service():
    from trove_mr_dashboard import api
    assert api.home_region(_request(CATALOG, 'RegionTwo')) == 'RegionTwo'
    assert api.home_region(_request(CATALOG, 'RegionThree')) == 'RegionOne'
    with pytest.raises(Exception, match='No database endpoint'):
        api.home_region(_request(CATALOG[:1]))


def test_next_page_marker_comes_from_the_next_link():
    from trove_mr_dashboard import api
    assert api._next_marker({'links': [{
        'rel': 'next', 'href': 'http://api/v1.0/p/instances?limit=2&'
                               'marker=abc'}]}) == 'abc'
    assert api._next_marker({'links': []}) is None
    assert api._next_marker({}) is None


def test_a_list_keeps_every_page_and_the_unavailable_regions(monkeypatch):
    from trove_mr_dashboard import api
    pages = {
        '/instances': {'instances': [{'id': '1', 'name': 'a'}],
                       'links': [{'rel': 'next', 'href':
                                  'http://api/instances?marker=1'}],
                       'unavailable_regions': ['RegionTwo']},
        '/instances?marker=1': {'instances': [{'id': '2', 'name': 'b'}],
                                'links': []},
    }
    client = types.SimpleNamespace(get=lambda path: (None, pages[path]))
    monkeypatch.setattr(api, 'troveclient', lambda request, region=None:
                        types.SimpleNamespace(client=client))
    rows = api.instance_list(object())
    assert [r.name for r in rows] == ['a', 'b']
    assert rows.unavailable_regions == ['RegionTwo']
    assert rows[0].get('missing', '-') == '-'


def test_switched_fields_name_the_region_as_jquery_looks_it_up():
    from trove_mr_dashboard import forms
    assert forms.switch_attr('region', 'RegionTwo') == \
        'data-region--region-two'
    assert forms.switch_attr('region', 'east') == 'data-region-east'


def test_server_side_filter_by_region_or_name():
    from trove_mr_dashboard import api
    from trove_mr_dashboard import views
    rows = [api.Row({'name': 'a', 'region': 'RegionOne'}),
            api.Row({'name': 'b', 'region': 'RegionTwo'})]

    def table(field, text):
        return types.SimpleNamespace(get_filter_field=lambda: field,
                                     get_filter_string=lambda: text)
    assert [r.name for r in views.filtered(table('region', 'two'), rows)] \
        == ['b']
    assert [r.name for r in views.filtered(table('name', 'a'), rows)] == [
        'a']
    assert views.filtered(table('region', ''), rows) == rows


def test_cluster_rows_show_members_per_region_and_task_progress():
    from trove_mr_dashboard import api
    from trove_mr_dashboard.clusters import tables
    cluster = api.Row({'instances': [
        {'region': 'RegionOne'}, {'region': 'RegionTwo'},
        {'region': 'RegionOne'}],
        'task': {'name': 'REBALANCING',
                 'description': 'Rebalancing: 10 of 20 slots moved.'}})
    assert tables.members_per_region(cluster) == 'RegionOne: 2, RegionTwo: 1'
    assert tables.task_of(cluster) == \
        'REBALANCING: Rebalancing: 10 of 20 slots moved.'
    idle = api.Row({'task': {'name': 'NONE', 'description': 'No tasks.'}})
    assert tables.task_of(idle) == 'NONE'


def test_cluster_page_lists_each_masters_slots_and_slaves():
    from django.template import loader
    from trove_mr_dashboard import api
    from trove_mr_dashboard.clusters import tables
    cluster = api.Row({'instances': [
        {'id': 'm1', 'name': 'a', 'type': 'master', 'region': 'RegionOne',
         'slots': 10923},
        {'id': 'm2', 'name': 'b', 'type': 'master', 'region': 'RegionTwo'},
        {'id': 's1', 'name': 'c', 'type': 'slave', 'region': 'RegionTwo',
         'related_to': 'm1'}]})
    masters = tables.masters_of(cluster)
    assert [(m['name'], m['slots'], [s['name'] for s in m['slaves']])
            for m in masters] == [('a', 10923, ['c']), ('b', None, [])]
    template = loader.get_template('trove_mr/clusters/detail.html')
    source = template.template.source
    assert 'master-slots' in source and 'm.slots' in source


def test_enabled_file_adds_the_dashboard_and_its_error_classes():
    from trove_mr_dashboard.enabled import _1990_trove_mr as enabled
    from troveclient.apiclient import exceptions
    assert enabled.DASHBOARD == 'trove_mr'
    assert enabled.ADD_INSTALLED_APPS == ['trove_mr_dashboard']
    assert exceptions.BadRequest in enabled.ADD_EXCEPTIONS['recoverable']
    assert exceptions.NotFound in enabled.ADD_EXCEPTIONS['not_found']


def test_development_settings_show_only_the_plugin_and_user_settings():
    from django.conf import settings
    assert settings.HORIZON_CONFIG['dashboards'] == ('trove_mr', 'settings')
    assert settings.HORIZON_CONFIG['default_dashboard'] == 'trove_mr'
    assert not [a for a in settings.INSTALLED_APPS
                if a.startswith('openstack_dashboard.dashboards.')
                and a != 'openstack_dashboard.dashboards.settings']
    assert settings.SESSION_CACHE_ALIAS == 'sessions'


def test_unavailable_regions_are_kept_for_the_banner():
    from trove_mr_dashboard import api
    from trove_mr_dashboard import views

    class Base:
        def get_context_data(self, **kwargs):
            return dict(kwargs)

    class View(views.RegionsBannerMixin, Base):
        request = object()

    view = View()
    rows = view.listed(lambda request: api.Listing(
        [api.Row({'name': 'a'})], ['RegionTwo']), 'instances')
    assert [r.name for r in rows] == ['a']
    assert view.get_context_data()['unavailable_regions'] == ['RegionTwo']


def test_banner_names_the_regions_that_did_not_answer():
    from django.template import loader
    banner = loader.render_to_string('trove_mr/_unavailable.html',
                                     {'unavailable_regions': ['RegionTwo']})
    assert 'Region RegionTwo did not answer' in banner
    assert 'alert-warning' in banner
    both = loader.render_to_string(
        'trove_mr/_unavailable.html',
        {'unavailable_regions': ['RegionOne', 'RegionTwo']})
    assert 'Regions RegionOne, RegionTwo did not answer' in both
    assert loader.render_to_string('trove_mr/_unavailable.html', {
        'unavailable_regions': []}).strip() == ''


@pytest.fixture
def fake_api(monkeypatch):
    from trove_mr_dashboard import api
    monkeypatch.setattr(api, 'database_regions',
                        lambda request: ['RegionOne', 'RegionTwo'])
    monkeypatch.setattr(api, 'home_region', lambda request: 'RegionOne')
    monkeypatch.setattr(api, 'datastore_versions',
                        lambda request: [('redis', '7.0')])
    monkeypatch.setattr(api, 'flavor_list', lambda request, region: [
        api.Row({'id': '7', 'name': 'm1.redis', 'ram': 1024, 'vcpus': 1})])
    monkeypatch.setattr(api, 'volume_type_list',
                        lambda request, region: ['fast'])
    return api


def _cluster_form(rows):
    from django.http import QueryDict
    from trove_mr_dashboard.clusters import forms
    data = QueryDict(mutable=True)
    data.update({'name': 'c1', 'datastore': 'redis|7.0'})
    for region, flavor, volume in rows:
        data.appendlist('member_region', region)
        data.appendlist('member_flavor', flavor)
        data.appendlist('member_volume', volume)
    return forms.CreateClusterForm(types.SimpleNamespace(), data=data)


def test_cluster_form_takes_a_region_per_member_row(fake_api):
    form = _cluster_form([('RegionOne', 'm1.redis', '1'),
                          ('RegionTwo', 'm1.redis', '2')])
    assert form.is_valid(), form.errors
    assert form.cleaned_data['members'] == [
        {'region': 'RegionOne', 'flavor': 'm1.redis', 'volume_size': 1},
        {'region': 'RegionTwo', 'flavor': 'm1.redis', 'volume_size': 2}]


@pytest.mark.parametrize('rows, error', [
    ([], 'A cluster needs members.'),
    ([('RegionNine', 'm1.redis', '1')], 'unknown region RegionNine'),
    ([('RegionOne', '', '1')], 'A flavor is required for each instance'),
    ([('RegionOne', 'm1.redis', '0')], 'at least 1 GB'),
])
def test_cluster_form_refuses_what_the_api_refuses(fake_api, rows, error):
    form = _cluster_form(rows)
    assert not form.is_valid()
    assert error in ' '.join(form.non_field_errors())


def test_launch_form_lists_each_regions_flavors_for_that_region(fake_api):
    from trove_mr_dashboard.instances import forms
    form = forms.CreateInstanceForm(types.SimpleNamespace(), data={
        'name': 'r1', 'region': 'RegionTwo', 'datastore': 'redis|7.0',
        'volume': '1', 'flavor__RegionTwo': 'm1.redis',
        'volume_type__RegionTwo': 'fast'})
    attrs = form.fields['flavor__RegionTwo'].widget.attrs
    assert attrs['data-switch-on'] == 'region'
    assert 'data-region--region-two' in attrs
    assert form.is_valid(), form.errors
    assert (form.cleaned_data['flavor'],
            form.cleaned_data['volume_type']) == ('m1.redis', 'fast')
    missing = forms.CreateInstanceForm(types.SimpleNamespace(), data={
        'name': 'r1', 'region': 'RegionTwo', 'datastore': 'redis|7.0',
        'volume': '0', 'flavor__RegionOne': 'm1.redis'})
    assert not missing.is_valid()
    assert 'volume' in missing.errors
    assert 'A flavor is required for each instance.' in \
        missing.non_field_errors()
