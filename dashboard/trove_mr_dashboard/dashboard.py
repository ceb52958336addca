"""The trove-mr dashboard: databases with the region of each."""

import horizon
from django.utils.translation import gettext_lazy as _


class TroveMR(horizon.Dashboard):
    name = _('Databases')
    slug = 'trove_mr'
    panels = ('instances', 'clusters', 'backups')
    default_panel = 'instances'


horizon.register(TroveMR)
