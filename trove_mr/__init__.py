"""trove-mr: a multi-region Database-as-a-Service control plane."""

# Every trove-mr process runs oslo.service on native threads; the backend
# has to be chosen before oslo_messaging is first imported, so it is chosen
# here, on the first import of the package.
import warnings as _warnings

from oslo_service import backend as _backend

# oslo.service still depends on eventlet, and futurist warns as soon as it
# sees it installed; trove-mr never uses it.
_warnings.filterwarnings('ignore', message=r'\s*Eventlet is deprecated')

if _backend.get_backend_type() is None:
    _backend.init_backend(_backend.BackendType.THREADING)
