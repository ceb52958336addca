"""``trove-mr-status upgrade check``: is this deployment ready to run?

Run before and after an upgrade (oslo.upgradecheck). Each check reads the
API database and every region's cell as ``[api_database]`` and the region
mappings describe them, and says what is wrong by name:

* **Database migrations**: the API database and every cell's database are
  at the head of their migration lines.
* **Cells reachable**: every region mapping's database answers and its
  message bus accepts a connection.
* **Encryption keys**: no key is still at its public default.
* **Guest images**: each active datastore version's image exists in the
  region of every cell offering it, with one checksum across regions.

Exit codes are the library's: 0 success, 1 warning, 2 failure, 255 error.
"""

import sys

import kombu
import oslo_messaging as messaging
import sqlalchemy as sa
from oslo_upgradecheck import upgradecheck

from trove_mr.common import cfg
from trove_mr.common import context as trove_context
from trove_mr.common import regions
from trove_mr.db import cells
from trove_mr.db import migration
from trove_mr.db.api import api as api_db
from trove_mr.db.main import api as db_api

CONF = cfg.CONF
Code = upgradecheck.Code
Result = upgradecheck.Result
# Seconds one cell's database or bus may take to answer.
CONNECT_TIMEOUT = 5


def _api_connection():
    # Without an API database both lines live in the region database.
    return CONF.api_database.connection or CONF.database.connection


def _cells():
    """(name, mapping, database URL, transport URL) of every cell.

    The region mappings of the API database; without any (a single-cell
    deployment), the cell this configuration describes (mapping None).
    """
    context = trove_context.get_admin_context(CONF.region_name)
    mappings = api_db.region_mapping_list(context)
    if not mappings:
        return [(CONF.region_name, None, CONF.database.connection,
                 CONF.transport_url)]
    return [(m.name, m, m.database_connection, m.transport_url)
            for m in mappings]


def _failure(problems):
    return Result(Code.FAILURE, '\n'.join(problems))


def _behind(line, url):
    current, head = migration.current(line, url), migration.head(line)
    if current != head:
        return 'at %s, head is %s' % (current or 'no revision', head)
    return None


def _reach_database(url):
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            connection.execute(sa.text('SELECT 1'))
    finally:
        engine.dispose()


def _reach_bus(transport_url):
    url = messaging.TransportURL.parse(CONF, transport_url)
    if not url.hosts:
        raise ValueError('the transport URL names no host')
    host = url.hosts[0]
    broker = kombu.Connection(
        hostname=host.hostname, port=host.port or 5672,
        userid=host.username, password=host.password,
        virtual_host=url.virtual_host or '/', connect_timeout=CONNECT_TIMEOUT)
    try:
        broker.ensure_connection(max_retries=1)
    finally:
        broker.release()


class Checks(upgradecheck.UpgradeCommands):
    """The checks of ``trove-mr-status upgrade check``."""

    def _check_migrations(self):
        problems = []
        behind = _behind('api', _api_connection())
        if behind:
            problems.append('API database: %s; run trove-mr-manage db sync'
                            % behind)
        for name, _mapping, db_url, _bus in _cells():
            try:
                behind = _behind('region', db_url)
            except Exception as exc:
                problems.append('Region %s: its database cannot be read '
                                '(%s)' % (name, type(exc).__name__))
                continue
            if behind:
                problems.append('Region %s: database %s; run trove-mr-manage '
                                'db sync with that region\'s configuration'
                                % (name, behind))
        if problems:
            return _failure(problems)
        return Result(Code.SUCCESS)

    def _check_cells_reachable(self):
        problems = []
        for name, _mapping, db_url, bus_url in _cells():
            for what, reach, url in (('database', _reach_database, db_url),
                                     ('message bus', _reach_bus, bus_url)):
                try:
                    reach(url)
                except Exception as exc:
                    # The type only: the text may carry a password.
                    problems.append('Region %s: its %s cannot be reached '
                                    '(%s)' % (name, what,
                                              type(exc).__name__))
        if problems:
            return _failure(problems)
        return Result(Code.SUCCESS)

    def _check_encryption_keys(self):
        left = cfg.keys_left_at_default()
        if left:
            return _failure(['%s is still at its public default; set a '
                             'secret of your own' % name for name in left])
        return Result(Code.SUCCESS)

    def _check_guest_images(self):
        problems, checksums = [], {}
        context = trove_context.get_admin_context(CONF.region_name)
        for name, mapping, _db, _bus in _cells():
            with cells.target_cell(context, mapping) as cctx:
                try:
                    versions = db_api.datastore_version_list(
                        cctx, only_active=True)
                except Exception as exc:
                    problems.append('Region %s: datastore versions cannot be '
                                    'read (%s)' % (name, type(exc).__name__))
                    continue
            for version in versions:
                key = (version.datastore.name, version.name)
                ref = version.image_id or version.image_name
                try:
                    image = regions.find_image(cctx, name, ref)
                except Exception as exc:
                    problems.append('Region %s: Glance cannot be asked for '
                                    'image %s (%s)' % (name, ref,
                                                       type(exc).__name__))
                    continue
                if image is None:
                    problems.append('Region %s: image %s of datastore '
                                    'version %s %s does not exist'
                                    % ((name, ref) + key))
                    continue
                checksums.setdefault(key, {})[name] = image.get('checksum')
        for (datastore, version), by_region in sorted(checksums.items()):
            if len(set(by_region.values())) > 1:
                problems.append(
                    'Datastore version %s %s: its image differs between '
                    'regions (%s); upload the same image bytes everywhere'
                    % (datastore, version, ', '.join(
                        '%s %s' % item for item in sorted(by_region.items()))))
        if problems:
            return _failure(problems)
        return Result(Code.SUCCESS)

    _upgrade_checks = (
        ('Database migrations', _check_migrations),
        ('Cells reachable', _check_cells_reachable),
        ('Encryption keys', _check_encryption_keys),
        ('Guest images', _check_guest_images),
    )


def main(argv=None):
    """Entry point of ``trove-mr-status``."""
    cfg.set_lib_defaults()
    return upgradecheck.main(
        CONF, project='trove-mr', upgrade_command=Checks(),
        argv=sys.argv[1:] if argv is None else argv)


if __name__ == '__main__':
    sys.exit(main())
