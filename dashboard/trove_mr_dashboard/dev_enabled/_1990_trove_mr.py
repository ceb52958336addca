from trove_mr_dashboard.enabled._1990_trove_mr import *  # noqa: F401,F403

DEFAULT = True
