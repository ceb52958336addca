"""Request context of trove-mr.

The context travels with every API request and RPC message. Besides the
caller's identity it can carry a *cell*: the database and the message bus of
the control plane that owns a resource. ``trove_mr.db.cells`` sets those
for the length of one call; the DB API and the RPC clients use them when
they are set and the process's own database and bus otherwise.
"""

from oslo_context import context
from oslo_serialization import jsonutils


class RequestContext(context.RequestContext):
    """A user's (or a service's) request, possibly targeted at a cell.

    ``trove_mr.db.engines`` makes it an enginefacade transaction context
    provider (``context.session``) when a process first uses a database,
    so that processes without one (the guest agent) never load SQLAlchemy.
    """

    def __init__(self, region_name=None, service_catalog=None, **kwargs):
        super().__init__(**kwargs)
        # Region of the control plane serving the request; set by the API.
        self.region_name = region_name
        self.service_catalog = service_catalog or []
        # Set by cells.target_cell() only, never serialised: a targeted
        # call does not travel.
        self.db_connection = None
        self.cell_transport = None
        # The URL of cell_transport's bus, for notifications
        # (trove_mr.common.notifications), which need their own transport.
        self.cell_transport_url = None
        self.cell_name = None

    @classmethod
    def from_environ(cls, environ, **kwargs):
        """A context from auth_token's headers, with the service catalog
        (``X-Service-Catalog``) so that the tenant's endpoints, such as
        its object store for backups, can be found."""
        if 'service_catalog' not in kwargs:
            raw = environ.get('HTTP_X_SERVICE_CATALOG')
            if raw:
                try:
                    kwargs['service_catalog'] = jsonutils.loads(raw)
                except ValueError:
                    kwargs['service_catalog'] = []
        return super().from_environ(environ, **kwargs)

    def to_dict(self):
        values = super().to_dict()
        values['region_name'] = self.region_name
        return values

    @classmethod
    def from_dict(cls, values, **kwargs):
        kwargs.setdefault('region_name', values.get('region_name'))
        return super().from_dict(values, **kwargs)

    def elevated(self):
        """A copy of this context with admin rights, for internal work."""
        ctx = self.__class__.from_dict(self.to_dict())
        ctx.is_admin = True
        if 'admin' not in ctx.roles:
            ctx.roles.append('admin')
        ctx.db_connection = self.db_connection
        ctx.cell_transport = self.cell_transport
        ctx.cell_transport_url = self.cell_transport_url
        ctx.cell_name = self.cell_name
        return ctx


def get_admin_context(region_name=None):
    """A context for the services' own work (periodic tasks, recovery)."""
    return RequestContext(user_id=None, project_id=None, is_admin=True,
                          roles=['admin'], region_name=region_name,
                          overwrite=False)
