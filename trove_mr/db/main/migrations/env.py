"""Alembic environment of the region database's migration line."""

from alembic import context

from trove_mr.db import migration
from trove_mr.db.main import models

migration.run_env(context, 'region', models.RegionBase.metadata)
