from openstack_dashboard.enabled._5000_settings import *  # noqa: F401,F403
