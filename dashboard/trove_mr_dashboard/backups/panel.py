import horizon
from django.utils.translation import gettext_lazy as _

from trove_mr_dashboard import dashboard


class Backups(horizon.Panel):
    name = _('Backups')
    slug = 'backups'


dashboard.TroveMR.register(Backups)
