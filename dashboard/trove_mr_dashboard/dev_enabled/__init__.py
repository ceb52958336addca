"""The dashboards of the development Horizon (trove_mr_dashboard.settings):
the plugin, as its default, and the user settings the header links to."""
