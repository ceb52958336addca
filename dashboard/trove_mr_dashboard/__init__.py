"""trove-mr's Horizon plugin: databases with their regions.

Enable it in a Horizon by copying ``enabled/_1990_trove_mr.py`` into
``openstack_dashboard/local/enabled/`` (see doc/dashboard.rst).
"""
