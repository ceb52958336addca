"""Horizon's local_settings for the local cloud (trove_mr_dashboard.settings
puts this folder first on sys.path, where Horizon looks for
``local.local_settings``). Everything comes from the environment that
``./run.sh dashboard`` and the browser tests set."""

import os

_STATE = os.environ.get('TROVE_MR_DASHBOARD_STATE') or os.path.join(
    os.getcwd(), '.run', 'dashboard')

DEBUG = False
ALLOWED_HOSTS = ['127.0.0.1', 'localhost']
WEBROOT = '/'

SECRET_KEY = os.environ.get('TROVE_MR_DASHBOARD_SECRET_KEY') or \
    'trove-mr-local-cloud-only'

OPENSTACK_KEYSTONE_URL = os.environ.get(
    'TROVE_MR_DASHBOARD_KEYSTONE_URL', 'http://127.0.0.1:5000/v3')
OPENSTACK_KEYSTONE_DEFAULT_DOMAIN = 'Default'
OPENSTACK_KEYSTONE_MULTIDOMAIN_SUPPORT = False
OPENSTACK_KEYSTONE_DEFAULT_ROLE = 'member'
OPENSTACK_ENDPOINT_TYPE = 'publicURL'

# One process (runserver): sessions and caches in its memory, nothing
# shared with any other Horizon or memcached on the machine.
# Sessions in a cache of their own: the default one holds django-
# compressor's entries (one per static file), whose culling would drop
# sessions, logging users out at random.
CACHES = {
    'default': {'BACKEND': 'django.core.cache.backends.locmem.LocMemCache',
                'OPTIONS': {'MAX_ENTRIES': 100000}},
    'sessions': {'BACKEND': 'django.core.cache.backends.locmem.LocMemCache',
                 'LOCATION': 'sessions',
                 'OPTIONS': {'MAX_ENTRIES': 100000}},
}
SESSION_ENGINE = 'django.contrib.sessions.backends.cache'
SESSION_CACHE_ALIAS = 'sessions'
SESSION_TIMEOUT = 3600

STATIC_ROOT = os.path.join(_STATE, 'static')
MEDIA_ROOT = os.path.join(_STATE, 'media')
COMPRESS_OFFLINE = False

# Plain HTTP on loopback.
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False

USER_MENU_LINKS = []
LOGGING = {
    'version': 1,
    'disable_existing_loggers': False,
    'handlers': {'console': {'class': 'logging.StreamHandler'}},
    'root': {'handlers': ['console'], 'level': 'WARNING'},
}
