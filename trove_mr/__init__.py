"""trove-mr: a multi-region Database-as-a-Service control plane."""

# Every trove-mr process runs oslo.service on native threads; the backend
# has to be chosen before oslo_messaging is first imported, so it is chosen
# here, on the first import of the package.
import sys as _sys
import warnings as _warnings

# eventlet is installed (oslo.service depends on it) but never run here;
# futurist and oslo.utils import it merely because it is there, which costs
# every process about 20 MB and 0.2 s of start. Hidden unless something
# imported it first; the libraries trove-mr uses treat it as absent.
_sys.modules.setdefault('eventlet', None)

from oslo_service import backend as _backend  # noqa: E402

# oslo.service still depends on eventlet, and futurist warns as soon as it
# sees it installed; trove-mr never uses it.
_warnings.filterwarnings('ignore', message=r'\s*Eventlet is deprecated')

if _backend.get_backend_type() is None:
    _backend.init_backend(_backend.BackendType.THREADING)
