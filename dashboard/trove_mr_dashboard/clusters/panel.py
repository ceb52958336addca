import horizon
from django.utils.translation import gettext_lazy as _

from trove_mr_dashboard import dashboard


class Clusters(horizon.Panel):
    name = _('Clusters')
    slug = 'clusters'


dashboard.TroveMR.register(Clusters)
