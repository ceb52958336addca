"""The dashboard in a real browser (Debian's headless chromium driven by
selenium) against a whole system: a Horizon of its own with the plugin,
the local cloud's Keystone for the login, the API through
python-troveclient.

demo creates an instance in RegionTwo from the form and sees it ACTIVE
with its region, creates a cluster with members in both regions and sees
each member's region; alt_demo sees none of them; demo deletes both from
the tables. Each page is saved as a screenshot in
``$TROVE_MR_DASHBOARD_SCREENSHOTS``, by default build/dashboard-screenshots
(ignored by git); doc/dashboard.rst's images are refreshed with
``TROVE_MR_DASHBOARD_SCREENSHOTS=doc/images/dashboard``.
"""

import contextlib
import os
import shutil
import tempfile
import time

import pytest
from selenium import webdriver
from selenium.common import exceptions as selenium_exceptions
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from tests.fixtures import horizon

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__)))))
SHOTS = os.path.abspath(os.environ.get('TROVE_MR_DASHBOARD_SCREENSHOTS') or
                        os.path.join(ROOT, 'build', 'dashboard-screenshots'))
CHROMIUM = '/usr/bin/chromium'
CHROMEDRIVER = '/usr/bin/chromedriver'
# Root in a container: no sandbox; nothing fetched by the browser itself.
CHROMIUM_ARGS = ('--headless', '--no-sandbox', '--disable-gpu',
                 '--disable-quic', '--no-first-run',
                 '--disable-background-networking',
                 '--disable-component-update', '--disable-sync',
                 '--disable-dev-shm-usage', '--window-size=1366,900')
ACTIVE_TIMEOUT = 150
INSTANCE = 'dash-redis'
CLUSTER = 'dash-cluster'
BACKUP = 'dash-backup'


@pytest.fixture(scope='module')
def dashboard(system):
    """A Horizon with the plugin against the system's local cloud."""
    proc = horizon.HorizonProcess(system.cloud.auth_url,
                                  os.path.join(system.state_dir, 'horizon'))
    try:
        proc.start()
    except Exception:
        proc.stop()
        raise
    yield proc
    proc.stop()


@contextlib.contextmanager
def chromium():
    """A headless chromium with a fresh profile (so a session of its own)."""
    profile = tempfile.mkdtemp(prefix='trove-mr-chromium-')
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in CHROMIUM_ARGS + ('--user-data-dir=' + profile,):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        driver.set_page_load_timeout(120)
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope='module')
def browser():
    """demo's browser, for the whole module."""
    with chromium() as driver:
        yield driver


def wait_for(predicate, timeout=30, interval=0.5, what='condition'):
    """The first true value of ``predicate()`` within ``timeout``."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except (selenium_exceptions.NoSuchElementException,
                selenium_exceptions.StaleElementReferenceException) as exc:
            last = exc
        time.sleep(interval)
    raise AssertionError('timed out waiting for %s (%s)' % (what, last))


def shot(driver, name):
    os.makedirs(SHOTS, exist_ok=True)
    driver.save_screenshot(os.path.join(SHOTS, name + '.png'))


def login(driver, dashboard, user, password):
    driver.get(dashboard.url + 'auth/login/')
    driver.find_element(By.ID, 'id_username').send_keys(user)
    driver.find_element(By.ID, 'id_password').send_keys(password)
    driver.find_element(By.ID, 'loginBtn').click()
    wait_for(lambda: '/trove_mr/' in driver.current_url, 60,
             what='the dashboard after login (at %s)' % driver.current_url)


def row_of(driver, table, name):
    """The table row of that name, else None."""
    rows = driver.find_elements(
        By.CSS_SELECTOR, '#%s tbody tr[data-display="%s"]' % (table, name))
    return rows[0] if rows else None


ROW_CELLS_JS = """
var row = document.querySelector(
    '#' + arguments[0] + ' tbody tr[data-display="' + arguments[1] + '"]');
if (!row) { return null; }
var titles = Array.from(row.closest('table').querySelectorAll(
    'thead tr.table_column_header th')).map(th => th.innerText.trim());
var cells = {};
Array.from(row.children).forEach(function (td, i) {
    if (titles[i]) { cells[titles[i]] = td.innerText.trim(); }
});
cells['href'] = (row.querySelector('a[href*="/trove_mr/"]') || {}).href;
return cells;
"""


def cells(driver, table, name):
    """{column title: text} of the row of that name (read at once: rows
    are redrawn as their status changes), else None."""
    return driver.execute_script(ROW_CELLS_JS, table, name)


def open_modal(driver, button_id, form_id):
    driver.find_element(By.ID, button_id).click()
    return wait_for(lambda: _visible(driver, form_id), 60,
                    what='the form %s' % form_id)


def _visible(driver, element_id):
    found = driver.find_elements(By.ID, element_id)
    return found[0] if found and found[0].is_displayed() else None


def test_login_as_demo_shows_the_databases_dashboard(system, dashboard,
                                                     browser):
    browser.get(dashboard.url + 'auth/login/')
    shot(browser, 'login')
    login(browser, dashboard, 'demo', system.password)
    assert browser.find_element(By.ID, 'instances')
    nav = browser.find_element(By.ID, 'sidebar').text
    for panel in ('Instances', 'Clusters', 'Backups'):
        assert panel in nav


def test_instance_created_in_region_two_from_the_form(system, dashboard,
                                                      browser):
    browser.get(dashboard.url + 'trove_mr/')
    form = open_modal(browser, 'instances__action_create',
                      'create_instance_form')
    form.find_element(By.ID, 'id_name').send_keys(INSTANCE)
    Select(form.find_element(By.ID, 'id_region')).select_by_value(
        'RegionTwo')
    flavor = wait_for(lambda: _visible(browser, 'id_flavor__RegionTwo'),
                      what="RegionTwo's flavors")
    # Only the chosen region's flavors are shown.
    assert not browser.find_element(By.ID,
                                    'id_flavor__RegionOne').is_displayed()
    Select(flavor).select_by_index(1)
    volume = form.find_element(By.ID, 'id_volume')
    volume.clear()
    volume.send_keys('1')
    shot(browser, 'instance-create')
    form.find_element(By.CSS_SELECTOR, '[type=submit]').click()
    row = wait_for(lambda: cells(browser, 'instances', INSTANCE), 60,
                   what='the new row')
    assert row['Region'] == 'RegionTwo'

    def active():
        # The row refreshes itself while the instance builds.
        found = cells(browser, 'instances', INSTANCE)
        assert found is None or found['Status'] != 'ERROR', found
        return found is not None and found['Status'] == 'ACTIVE' and found
    row = wait_for(active, ACTIVE_TIMEOUT, 1, what='ACTIVE')
    assert row['Region'] == 'RegionTwo'
    assert row['Datastore'].startswith('redis')
    shot(browser, 'instances')
    # What the API says, through the client of the same user.
    listed = {i.name: i for i in system.trove('demo').instances.list()}
    assert listed[INSTANCE].region == 'RegionTwo'

    browser.get(row['href'])
    region = wait_for(lambda: browser.find_element(
        By.CSS_SELECTOR, '.instance-region').text, what='the detail page')
    assert region == 'RegionTwo'
    shot(browser, 'instance-detail')


def test_backup_of_the_instance_shows_its_source_region(system, dashboard,
                                                        browser):
    browser.get(dashboard.url + 'trove_mr/')
    wait_for(lambda: cells(browser, 'instances', INSTANCE), what='the row')
    # Create Backup is the row's first action.
    browser.execute_script("""
        document.querySelector('#instances tbody tr[data-display="'
            + arguments[0] + '"] a[id$="__action_backup"]').click();""",
        INSTANCE)
    form = wait_for(lambda: _visible(browser, 'create_backup_form'), 60,
                    what='the backup form')
    form.find_element(By.ID, 'id_name').send_keys(BACKUP)
    form.find_element(By.CSS_SELECTOR, '[type=submit]').click()
    wait_for(lambda: '/trove_mr/backups/' in browser.current_url, 60,
             what='the backups table')

    def completed():
        found = cells(browser, 'backups', BACKUP)
        assert found is None or found['Status'] != 'FAILED', found
        return found is not None and found['Status'] == 'COMPLETED' \
            and found
    row = wait_for(completed, ACTIVE_TIMEOUT, 1, what='COMPLETED')
    assert row['Source Region'] == 'RegionTwo'
    shot(browser, 'backups')
    # Restore: into a region chosen, with that region's flavors.
    browser.execute_script("""
        document.querySelector('#backups tbody tr[data-display="'
            + arguments[0] + '"] a[id$="__action_restore"]').click();""",
        BACKUP)
    form = wait_for(lambda: _visible(browser, 'restore_backup_form'), 60,
                    what='the restore form')
    Select(form.find_element(By.ID, 'id_region')).select_by_value(
        'RegionOne')
    wait_for(lambda: _visible(browser, 'id_flavor__RegionOne'),
             what="RegionOne's flavors")
    form.find_element(By.ID, 'id_name').send_keys('dash-restored')
    shot(browser, 'backup-restore')


def test_cluster_with_members_in_both_regions(system, dashboard, browser):
    browser.get(dashboard.url + 'trove_mr/clusters/create/')
    form = browser.find_element(By.ID, 'create_cluster_form')
    form.find_element(By.ID, 'id_name').send_keys(CLUSTER)
    # Three rows to start with; add one, remove it again, then put the
    # last member in RegionTwo.
    form.find_element(By.CSS_SELECTOR, '.add-member').click()
    rows = form.find_elements(By.CSS_SELECTOR, '.member-row')
    assert len(rows) == 4
    rows[-1].find_element(By.CSS_SELECTOR, '.remove-member').click()
    rows = form.find_elements(By.CSS_SELECTOR, '.member-row')
    assert len(rows) == 3
    Select(rows[0].find_element(By.CSS_SELECTOR, '.member-region')
           ).select_by_value('RegionOne')
    Select(rows[2].find_element(By.CSS_SELECTOR, '.member-region')
           ).select_by_value('RegionTwo')
    shot(browser, 'cluster-create')
    form.find_element(By.ID, 'launch_cluster').click()
    row = wait_for(lambda: cells(browser, 'clusters', CLUSTER), 60,
                   what='the cluster row')
    assert row['Members per Region'] == 'RegionOne: 2, RegionTwo: 1'
    shot(browser, 'clusters')
    browser.get(row['href'])
    wait_for(lambda: browser.find_elements(By.ID, 'members'), 60,
             what='the cluster detail page')
    names = [r.get_attribute('data-display') for r in browser.find_elements(
        By.CSS_SELECTOR, '#members tbody tr[data-display]')]
    regions = sorted(cells(browser, 'members', n)['Region'] for n in names)
    assert regions == ['RegionOne', 'RegionOne', 'RegionTwo']
    [cluster] = [c for c in system.trove('demo').clusters.list()
                 if c.name == CLUSTER]
    api_regions = sorted(m['region'] for m in cluster.instances)
    assert regions == api_regions
    shot(browser, 'cluster-building')

    def built():
        # The task, with its progress, until the cluster is whole.
        browser.refresh()
        task = browser.find_element(By.CSS_SELECTOR, '.cluster-task').text
        assert not task.startswith('FAILED'), task
        return task == 'NONE'
    wait_for(built, ACTIVE_TIMEOUT, 2, what='the cluster built')
    shot(browser, 'cluster-detail')


def test_alt_demo_sees_none_of_them(system, dashboard):
    with chromium() as browser:
        _alt_demo_sees_none(system, dashboard, browser)


def _alt_demo_sees_none(system, dashboard, browser):
    login(browser, dashboard, 'alt_demo', system.password)
    assert row_of(browser, 'instances', INSTANCE) is None
    assert INSTANCE not in browser.find_element(By.ID, 'instances').text
    browser.get(dashboard.url + 'trove_mr/clusters/')
    assert row_of(browser, 'clusters', CLUSTER) is None
    assert browser.find_element(By.ID, 'clusters')
    # Nor by its address.
    demo_id = {i.name: i.id for i in
               system.trove('demo').instances.list()}[INSTANCE]
    browser.get(dashboard.url + 'trove_mr/%s/' % demo_id)
    assert INSTANCE not in browser.find_element(By.ID, 'content_body').text


def _delete(browser, table, name):
    """Delete a row with its own Delete action (a button of the row, in
    its menu when not the first action), confirmed in Horizon's dialog.
    Clicked from a script at once: the row is redrawn while it builds."""
    clicked = browser.execute_script("""
        var row = document.querySelector(
            '#' + arguments[0] + ' tbody tr[data-display="' + arguments[1]
            + '"]');
        var button = row && row.querySelector(
            'button[id$="__action_delete"]');
        if (!button) { return false; }
        button.click();
        return true;""", table, name)
    assert clicked, 'no Delete action on %s' % name
    confirm = wait_for(lambda: [b for b in browser.find_elements(
        By.CSS_SELECTOR, '.modal-footer .btn-danger') if b.is_displayed()],
        what='the confirmation')
    confirm[0].click()
    # The confirmation posts the table's form and the page reloads: wait
    # for it, or a page asked for next may be replaced by the reload.
    wait_for(lambda: _stale(confirm[0]), what='the page after the delete')


def _stale(element):
    """Whether ``element`` left the page (reloaded) or was hidden."""
    try:
        return not element.is_displayed()
    except selenium_exceptions.StaleElementReferenceException:
        return True


def test_demo_deletes_both_from_the_tables(system, dashboard, browser):
    browser.get(dashboard.url + 'trove_mr/clusters/')
    _delete(browser, 'clusters', CLUSTER)

    def instance_row():
        browser.get(dashboard.url + 'trove_mr/')
        return row_of(browser, 'instances', INSTANCE)
    wait_for(instance_row, interval=2, what='the instance row')
    _delete(browser, 'instances', INSTANCE)
    client = system.trove('demo')

    def gone():
        # Other tests of the same system may own other resources of demo.
        return INSTANCE not in {i.name for i in client.instances.list()} \
            and CLUSTER not in {c.name for c in client.clusters.list()}
    wait_for(gone, 120, 1, what='both deleted')
    browser.get(dashboard.url + 'trove_mr/')
    assert row_of(browser, 'instances', INSTANCE) is None
