"""Django settings of the development Horizon that ``./run.sh dashboard``
and the browser tests start against the local cloud.

Horizon's own settings with the local cloud's ``local_settings`` (in
``devhorizon/local/``); the dashboards are this plugin's (the default
one) and the user settings, not Horizon's compute, identity and admin
dashboards, which need services the local cloud does not emulate.
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                'devhorizon'))

import openstack_dashboard.dashboards.project as _project_dashboard  # noqa
from horizon.utils import file_discovery as _file_discovery  # noqa: E402
from openstack_dashboard.settings import *  # noqa: E402,F401,F403
from openstack_dashboard.utils import settings as _settings_utils  # noqa

from trove_mr_dashboard import dev_enabled as _dev_enabled  # noqa: E402

INSTALLED_APPS = [app for app in INSTALLED_APPS  # noqa: F405
                  if not app.startswith('openstack_dashboard.dashboards.')]
# What Horizon's enabled files added goes; its own static files are
# found again.
for _key in ('dashboards', 'default_dashboard', 'panel_customization',
             'angular_modules', 'header_sections', 'extra_tabs',
             'extra_steps', 'js_files', 'js_spec_files', 'scss_files',
             'external_templates', 'xstatic_modules'):
    HORIZON_CONFIG.pop(_key, None)  # noqa: F405
_settings_utils.find_static_files(HORIZON_CONFIG, AVAILABLE_THEMES,  # noqa
                                  THEME_COLLECTION_DIR, ROOT_PATH)  # noqa
# Horizon's own Angular core needs the project dashboard's scripts (its
# launch-instance workflow module) even when that dashboard is not shown.
_project_static = os.path.join(os.path.dirname(os.path.abspath(
    _project_dashboard.__file__)), 'static')
STATICFILES_DIRS = list(STATICFILES_DIRS) + [_project_static]  # noqa: F405
_file_discovery.populate_horizon_config(HORIZON_CONFIG,  # noqa: F405
                                        _project_static + '/')
_settings_utils.update_dashboards([_dev_enabled], HORIZON_CONFIG,  # noqa
                                  INSTALLED_APPS)
