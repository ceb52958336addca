"""trove-mr-manage: databases, region mappings, datastores, versions, jobs.

    trove-mr-manage --config-file /etc/trove-mr/trove-mr.conf db sync
    trove-mr-manage ... region_mapping create --name RegionTwo \\
        --transport-url rabbit://... --database-connection mysql+pymysql://...
    trove-mr-manage ... datastore_version_update redis 7.0 redis redis-7 \\
        --image-tags trove,redis --active --default
    trove-mr-manage ... db_load_datastore_config_parameters redis 7.0 \
        [validation-rules.json]
    trove-mr-manage ... job list [--operation OP] [--resource ID] \\
        [--format json]
    trove-mr-manage ... job show JOB_UUID
    trove-mr-manage ... job abandon JOB_UUID [--force]
    trove-mr-manage ... job trash JOB_UUID [--force]
"""

import sys

from oslo_config import cfg as oslo_cfg

from trove_mr.common import cfg
from trove_mr.common import configuration
from trove_mr.common import context as trove_context
from trove_mr.common import crypto
from trove_mr.common import exceptions
from trove_mr.db import migration
from trove_mr.db.api import api as api_db
from trove_mr.db.main import api as db_api
from trove_mr.flows import engine as flow_engine
from trove_mr.flows import jobs as flow_jobs

CONF = cfg.CONF


class CommandError(Exception):
    """A command cannot do what it was asked; its message is printed."""


def _api_connection():
    # Without an API database the single-database deployment keeps both
    # lines (with their own version tables) in the region database.
    return CONF.api_database.connection or CONF.database.connection


def _lines():
    if CONF.category.api_only and CONF.category.region_only:
        raise CommandError('--api-only and --region-only exclude each other')
    if CONF.category.api_only:
        return [('api', _api_connection())]
    if CONF.category.region_only:
        return [('region', CONF.database.connection)]
    return [('api', _api_connection()), ('region', CONF.database.connection)]


def db_sync():
    """Upgrade the API and region databases to the newest revision.

    The region database also holds TaskFlow's persistence (the flow and
    task details of every job), upgraded by TaskFlow's own migrations.
    """
    for line, url in _lines():
        migration.upgrade(line, url)
        print('%s database at revision %s'
              % (line, migration.current(line, url)))
        if line == 'region':
            url = CONF.taskflow.persistence_connection or url
            flow_engine.upgrade_persistence(url)
            print('job persistence (TaskFlow) upgraded')


def db_version():
    """Print the revision of both databases."""
    for line, url in (('api', _api_connection()),
                      ('region', CONF.database.connection)):
        print('%s: %s (head %s)' % (line, migration.current(line, url),
                                    migration.head(line)))


def _print_mapping(mapping):
    for key, value in mapping.masked().items():
        print('%-20s %s' % (key, value))


def region_mapping_create(ctx):
    """Map a region's cell: its message bus and its database."""
    args = CONF.category
    missing = [flag for flag, value in (
        ('--name', args.mapping_name),
        ('--transport-url', args.transport_url),
        ('--database-connection', args.database_connection)) if not value]
    if missing:
        raise CommandError('missing %s' % ', '.join(missing))
    _print_mapping(api_db.region_mapping_create(
        ctx, args.mapping_name, args.transport_url, args.database_connection))


def region_mapping_list(ctx):
    """One line per mapping, URLs masked."""
    print('%-36s  %-20s  %s  |  %s' % ('uuid', 'name', 'transport_url',
                                       'database_connection'))
    for mapping in api_db.region_mapping_list(ctx):
        masked = mapping.masked()
        print('%-36s  %-20s  %s  |  %s' % (
            masked['uuid'], masked['name'], masked['transport_url'],
            masked['database_connection']))


def region_mapping_show(ctx):
    """A mapping, by uuid or name, URLs masked."""
    _print_mapping(api_db.region_mapping_get(ctx, CONF.category.mapping))


def region_mapping_delete(ctx):
    """Delete a mapping that owns no instance or cluster."""
    mapping = api_db.region_mapping_get(ctx, CONF.category.mapping)
    api_db.region_mapping_delete(ctx, mapping.uuid)
    print('Deleted region mapping %s (%s)' % (mapping.name, mapping.uuid))


def region_mapping_rotate_key(ctx):
    """Re-encrypt every mapping from --old-key to mapping_encr_key."""
    if not CONF.category.old_key:
        raise CommandError('missing --old-key')
    count = api_db.region_mapping_rotate_key(ctx, CONF.category.old_key)
    print('Re-encrypted %d region mapping(s) under the configured key'
          % count)


def datastore_update(ctx):
    """Create a datastore or set its default version."""
    args = CONF.category
    datastore = db_api.datastore_update(ctx, args.datastore,
                                        args.default_version or None)
    print('Datastore %s updated (default version: %s)'
          % (datastore.name, datastore.default_version_id or 'none'))


def datastore_version_update(ctx):
    """Create or change a datastore version (the datastore must exist)."""
    args = CONF.category
    values = {'manager': args.manager, 'image_name': args.image_name or None}
    if args.image_tags is not None:
        values['image_tags'] = ','.join(
            t.strip() for t in args.image_tags.split(',') if t.strip())
    if args.active is not None:
        values['active'] = args.active
    if args.default:
        values['default'] = True
    try:
        version = db_api.datastore_version_get_by_name(
            ctx, args.datastore, args.version_name)
    except exceptions.DatastoreVersionNotFound:
        values['name'] = args.version_name
        version = db_api.datastore_version_create(ctx, args.datastore,
                                                  values)
    else:
        version = db_api.datastore_version_update(ctx, version.id, values)
    print('Datastore version %s of %s updated (active: %s, default: %s)'
          % (version.name, args.datastore, version.active,
             version.is_default))


def db_load_datastore_config_parameters(ctx):
    """Register the parameters tenants may set for a datastore version.

    From a rules file in upstream Trove's format; without one, the file
    shipped for the version's manager. Loading again replaces the list.
    """
    args = CONF.category
    version = db_api.datastore_version_get_by_name(ctx, args.datastore,
                                                   args.version_name)
    path = args.config_file_location or \
        configuration.default_rules_file(version.manager)
    try:
        rules = configuration.load_rules_file(path)
    except (OSError, ValueError) as exc:
        raise CommandError('cannot load %s: %s' % (path, exc)) from None
    count = db_api.parameters_replace(ctx, version.id, rules)
    print('Loaded %d configuration parameters for %s %s from %s'
          % (count, args.datastore, version.name, path))


def _print_lines(lines):
    for line in lines:
        print(line)


def _job_board():
    if not flow_engine.jobboard_enabled():
        raise CommandError('[taskflow] jobboard_backend is none: operations '
                           'run in memory and leave no job to show')
    return flow_jobs.open_board()


def job_list(ctx):
    """One line per job of this cell's board, oldest first."""
    args = CONF.category
    with _job_board() as board:
        views = flow_jobs.list_jobs(board, operation=args.operation,
                                    resource=args.resource)
    if args.output_format == 'json':
        print(flow_jobs.dumps([flow_jobs.for_json(v, atoms=False)
                               for v in views]))
        return
    _print_lines(flow_jobs.list_lines(views))
    for view in views:
        if view['flow'].get('error'):
            print('warning: job %s: %s' % (view['uuid'],
                                           view['flow']['error']),
                  file=sys.stderr)


def job_show(ctx):
    """Every field of one job (never its sealed secrets) and its atoms."""
    args = CONF.category
    with _job_board() as board:
        view = flow_jobs.describe(board, flow_jobs.find_job(board,
                                                            args.job_uuid))
    if args.output_format == 'json':
        print(flow_jobs.dumps(flow_jobs.for_json(view)))
        return
    _print_lines(flow_jobs.show_lines(view))


def _what(job):
    details = job.details or {}
    return '%s of %s %s' % (details.get('operation') or job.name,
                            details.get('resource_type') or '-',
                            details.get('resource_id') or '-')


def job_abandon(ctx):
    """Release a stuck claim: another taskmanager resumes the job."""
    args = CONF.category
    with _job_board() as board:
        job, claim = flow_jobs.abandon(board, args.job_uuid,
                                       force=args.force)
    if claim['owner'] is None:
        print('Job %s (%s) is not claimed: nothing to abandon; the next '
              'taskmanager that looks at the board claims it.'
              % (job.uuid, _what(job)))
        return
    print('Abandoned job %s (%s): released the claim of %s (its claim %s). '
          'The job is UNCLAIMED; the next taskmanager to claim it resumes '
          'it from its last saved task.'
          % (job.uuid, _what(job), claim['owner'], claim['note']))


def job_trash(ctx):
    """Take a job off the board for good: it never runs (again)."""
    args = CONF.category
    with _job_board() as board:
        job, claim = flow_jobs.trash(board, args.job_uuid, force=args.force)
    print('Trashed job %s (%s)%s: it will not run again. What it already '
          'did is not reverted; its flow details stay in the persistence.'
          % (job.uuid, _what(job), ', taken from %s' % claim['owner']
             if claim['owner'] else ''))


def _add_db(subparsers):
    db = subparsers.add_parser('db', help='database schema')
    actions = db.add_subparsers(dest='action')
    sync = actions.add_parser('sync', help='upgrade to the newest schema')
    only = sync.add_mutually_exclusive_group()
    only.add_argument('--api-only', action='store_true',
                      help='only the API database')
    only.add_argument('--region-only', action='store_true',
                      help='only the region database')
    actions.add_parser('version', help='print the current revisions')


def _add_region_mapping(subparsers):
    parser = subparsers.add_parser('region_mapping',
                                   help='where each region\'s cell is')
    actions = parser.add_subparsers(dest='action')
    create = actions.add_parser('create', help='map a region\'s cell')
    create.add_argument('--name', dest='mapping_name')
    create.add_argument('--transport-url', dest='transport_url')
    create.add_argument('--database-connection', dest='database_connection')
    actions.add_parser('list', help='list mappings')
    for action in ('show', 'delete'):
        sub = actions.add_parser(action, help='%s a mapping' % action)
        sub.add_argument('mapping', help='uuid or name')
    rotate = actions.add_parser('rotate_key',
                                help='re-encrypt under the configured key')
    rotate.add_argument('--old-key', dest='old_key')


def _add_datastores(subparsers):
    parser = subparsers.add_parser('datastore_update',
                                   help='create a datastore or set its '
                                        'default version')
    parser.add_argument('datastore')
    parser.add_argument('default_version', nargs='?')
    version = subparsers.add_parser('datastore_version_update',
                                    help='create or change a version')
    version.add_argument('datastore')
    version.add_argument('version_name')
    version.add_argument('manager')
    version.add_argument('image_name')
    version.add_argument('--image-tags', dest='image_tags',
                         help='comma separated Glance tags')
    active = version.add_mutually_exclusive_group()
    active.add_argument('--active', dest='active', action='store_true',
                        default=None)
    active.add_argument('--inactive', dest='active', action='store_false')
    version.add_argument('--default', action='store_true')
    params = subparsers.add_parser(
        'db_load_datastore_config_parameters',
        help='register the configuration parameters of a version')
    params.add_argument('datastore')
    params.add_argument('version_name')
    params.add_argument('config_file_location', nargs='?',
                        help='rules file (JSON); default: the one shipped '
                             'for the version\'s manager')


def _add_format(parser):
    parser.add_argument('--format', dest='output_format',
                        choices=('table', 'json'), default='table',
                        help='table (default) or json for scripts')


def _add_jobs(subparsers):
    parser = subparsers.add_parser('job', help='jobs of this cell\'s '
                                              'jobboard')
    actions = parser.add_subparsers(dest='action')
    listing = actions.add_parser('list', help='one line per job')
    listing.add_argument('--operation', help='only jobs of this operation')
    listing.add_argument('--resource', help='only jobs of this resource id '
                         '(or building this instance)')
    _add_format(listing)
    show = actions.add_parser('show', help='a job, its details and atoms')
    show.add_argument('job_uuid', metavar='JOB_UUID')
    _add_format(show)
    abandon = actions.add_parser(
        'abandon', help='release the claim of a dead taskmanager')
    trash = actions.add_parser(
        'trash', help='remove a job that must never run (again)')
    for sub in (abandon, trash):
        sub.add_argument('job_uuid', metavar='JOB_UUID')
        sub.add_argument('--force', action='store_true',
                         help='even when the owner\'s claim is kept alive')


def add_command_parsers(subparsers):
    """Sub-commands of trove-mr-manage."""
    _add_db(subparsers)
    _add_region_mapping(subparsers)
    _add_datastores(subparsers)
    _add_jobs(subparsers)


_COMMANDS = {
    ('db', 'sync'): lambda ctx: db_sync(),
    ('db', 'version'): lambda ctx: db_version(),
    ('region_mapping', 'create'): region_mapping_create,
    ('region_mapping', 'list'): region_mapping_list,
    ('region_mapping', 'show'): region_mapping_show,
    ('region_mapping', 'delete'): region_mapping_delete,
    ('region_mapping', 'rotate_key'): region_mapping_rotate_key,
    ('datastore_update', None): datastore_update,
    ('datastore_version_update', None): datastore_version_update,
    ('db_load_datastore_config_parameters', None):
        db_load_datastore_config_parameters,
    ('job', 'list'): job_list,
    ('job', 'show'): job_show,
    ('job', 'abandon'): job_abandon,
    ('job', 'trash'): job_trash,
}


def _register_cli():
    if 'category' not in CONF:
        CONF.register_cli_opt(oslo_cfg.SubCommandOpt(
            'category', title='Commands', handler=add_command_parsers,
            help='what to manage'))


def main(argv=None):
    """Entry point of trove-mr-manage; returns the exit code."""
    _register_cli()
    argv = sys.argv if argv is None else argv
    try:
        cfg.parse_args(argv)
    except oslo_cfg.Error as exc:
        print('error: %s' % exc, file=sys.stderr)
        return 2
    category = CONF.category.name
    action = getattr(CONF.category, 'action', None)
    command = _COMMANDS.get((category, action))
    if command is None:
        print('error: choose an action for %s' % category, file=sys.stderr)
        return 2
    try:
        command(trove_context.get_admin_context(CONF.region_name))
    except (CommandError, exceptions.TroveMRError) as exc:
        print('error: %s' % exc, file=sys.stderr)
        return 1
    except crypto.DecryptionError as exc:
        print('error: %s (is [api_database] mapping_encr_key right?)'
              % exc, file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
