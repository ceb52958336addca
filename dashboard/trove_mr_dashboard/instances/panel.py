import horizon
from django.utils.translation import gettext_lazy as _

from trove_mr_dashboard import dashboard


class Instances(horizon.Panel):
    name = _('Instances')
    slug = 'instances'


dashboard.TroveMR.register(Instances)
