"""Column types shared by the models and the migrations.

They live apart from the models so that migrations can use them without
importing the models, which change over time while a migration must not.
"""

import sqlalchemy as sa
from sqlalchemy.dialects import mysql

# Secrets such as connection URLs can outgrow TEXT's 64 KiB on MySQL.
MediumText = sa.Text().with_variant(mysql.MEDIUMTEXT(), 'mysql')

# MySQL keeps whole seconds unless asked; heartbeat ordering and keyset
# pagination need microseconds.
Timestamp = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql')

MYSQL_TABLE_ARGS = {'mysql_engine': 'InnoDB', 'mysql_charset': 'utf8mb4'}
