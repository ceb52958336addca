"""Alembic environment of the api database's migration line."""

from alembic import context

from trove_mr.db import api_models
from trove_mr.db import migration

migration.run_env(context, 'api', api_models.APIBase.metadata)
