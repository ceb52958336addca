"""Alembic environment of the api database's migration line."""

from alembic import context

from trove_mr.db import migration
from trove_mr.db.api import models as api_models

migration.run_env(context, 'api', api_models.APIBase.metadata)
