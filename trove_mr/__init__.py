"""trove-mr: a multi-region Database-as-a-Service control plane."""

# Every trove-mr process runs oslo.service on native threads; the backend
# has to be chosen before oslo_messaging is first imported, so it is chosen
# here, on the first import of the package.
from oslo_service import backend as _backend

if _backend.get_backend_type() is None:
    _backend.init_backend(_backend.BackendType.THREADING)
