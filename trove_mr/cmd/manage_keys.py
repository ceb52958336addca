"""``trove-mr-manage keys``: rotate the encryption keys of a deployment.

A rotation, for any of the secret options (see doc/security.rst)::

    trove-mr-manage keys add OPTION --config-file-to-edit F   # everywhere
    # restart: every service reads the new key, still writes the old
    trove-mr-manage keys promote OPTION KEY_ID --config-file-to-edit F
    # restart: every service writes the new key, still reads the old
    trove-mr-manage keys rewrap                  # once per cell
    trove-mr-manage keys retire OPTION OLD_KEY_ID --config-file-to-edit F
    # restart: the old key is gone

``keys status`` shows the configured key ids and, for what the databases
keep sealed, how many ciphertexts each key id holds.
"""

import configparser
import json
import os

from trove_mr.cluster.redis import password as cluster_password
from trove_mr.common import cfg
from trove_mr.common import crypto
from trove_mr.common import keys
from trove_mr.db.api import api as api_db
from trove_mr.db.main import api as db_api

CONF = cfg.CONF

# option -> (section, purposes sharing it)
OPTIONS = {
    'taskmanager_rpc_encr_key': ('DEFAULT',
                                 (keys.RPC_CONTROL, keys.JOB_STORE)),
    'inst_rpc_key_encr_key': ('DEFAULT', (keys.INSTANCE_KEY,
                                          keys.ROOT_PASSWORD)),
    'cluster_password_encr_key': ('DEFAULT', (keys.CLUSTER_PASSWORD,)),
    'mapping_encr_key': ('api_database', (keys.REGION_MAPPING,)),
}


class KeyCommandError(Exception):
    """A keys command that cannot be carried out."""


def _stored_key_ids(ctx, purpose):
    """{key id: count} of what a database keeps sealed for ``purpose``,
    or None when nothing is stored for it."""
    if purpose == keys.INSTANCE_KEY:
        return db_api.instance_rpc_key_ids(ctx)
    if purpose == keys.ROOT_PASSWORD:
        return db_api.root_password_key_ids(ctx)
    if purpose == keys.CLUSTER_PASSWORD:
        return db_api.cluster_password_key_ids(ctx)
    if purpose == keys.REGION_MAPPING:
        return api_db.region_mapping_key_ids(ctx)
    return None


def status(ctx):
    """Configured key ids per option, and stored ciphertexts per key id."""
    report = {}
    for option, (_, purposes) in OPTIONS.items():
        secrets = keys.secrets_of(purposes[0])
        entry = {'current': crypto.key_id(secrets[0]),
                 'old': [crypto.key_id(s) for s in secrets[1:]],
                 'stored': {}}
        for purpose in purposes:
            for kid, count in (_stored_key_ids(ctx, purpose) or {}).items():
                entry['stored'][kid] = entry['stored'].get(kid, 0) + count
        report[option] = entry
    return report


def rewrap(ctx):
    """Re-encrypt everything stored under the current keys."""
    return {'instance_rpc_keys': db_api.instance_rpc_keys_rewrap(ctx),
            'cluster_passwords': cluster_password.rewrap_all(ctx),
            'root_passwords': db_api.root_passwords_rewrap(ctx),
            'region_mappings': api_db.region_mappings_rewrap(ctx)}


class ConfigEdit:
    """One option and its old keys in a configuration file (0600)."""

    def __init__(self, path, option):
        if option not in OPTIONS:
            raise KeyCommandError('unknown key option %s (one of %s)'
                                  % (option, ', '.join(sorted(OPTIONS))))
        self.path = path
        self.option = option
        self.section = OPTIONS[option][0]
        self.old_option = keys.old_option(option)
        self.parser = configparser.RawConfigParser()
        self.parser.optionxform = str
        if not self.parser.read(path):
            raise KeyCommandError('cannot read %s' % path)
        if self.section != 'DEFAULT' and \
                not self.parser.has_section(self.section):
            self.parser.add_section(self.section)

    def _get(self, name):
        return self.parser.get(self.section, name, fallback='') or ''

    @property
    def current(self):
        value = self._get(self.option)
        if not value:
            # Not set in this file: what the service runs with.
            purpose = OPTIONS[self.option][1][0]
            value = keys.secrets_of(purpose)[0]
        return value

    @property
    def old(self):
        return [v for v in self._get(self.old_option).split(',') if v]

    def set(self, current, old):
        self.parser.set(self.section, self.option, current)
        self.parser.set(self.section, self.old_option, ','.join(old))
        fd = os.open(self.path, os.O_WRONLY | os.O_TRUNC | os.O_CREAT,
                     0o600)
        with os.fdopen(fd, 'w') as f:
            self.parser.write(f)
        os.chmod(self.path, 0o600)


def _find(edit, key_id):
    for secret in edit.old:
        if crypto.key_id(secret) == key_id:
            return secret
    raise KeyCommandError('no old key with id %s for %s in %s'
                          % (key_id, edit.option, edit.path))


def add(path, option, secret=None):
    """Add a new secret, read but not yet written with; its key id."""
    edit = ConfigEdit(path, option)
    secret = secret or crypto.generate_key()
    if ',' in secret:
        raise KeyCommandError('a key must not contain a comma')
    edit.set(edit.current, [secret] + [s for s in edit.old if s != secret])
    return crypto.key_id(secret)


def promote(path, option, key_id):
    """Make an added key the one written with; the previous one is kept
    for reading."""
    edit = ConfigEdit(path, option)
    secret = _find(edit, key_id)
    previous = edit.current
    edit.set(secret, [previous] + [s for s in edit.old
                                   if s not in (secret, previous)])
    return crypto.key_id(previous)


def retire(ctx, path, option, key_id):
    """Drop an old key, once nothing stored is sealed under it."""
    edit = ConfigEdit(path, option)
    if crypto.key_id(edit.current) == key_id:
        raise KeyCommandError('%s is the current key of %s: promote another '
                              'first' % (key_id, option))
    secret = _find(edit, key_id)
    purposes = list(OPTIONS[option][1])
    if option == 'inst_rpc_key_encr_key':
        # Cluster passwords not yet stored derive from its oldest value,
        # and without a key of their own they are sealed under it.
        purposes.append(keys.CLUSTER_PASSWORD)
    for purpose in purposes:
        stored = _stored_key_ids(ctx, purpose) or {}
        # v1 texts name no key: any old key may be the one they need.
        left = stored.get(key_id, 0) + stored.get('v1', 0)
        if option == 'inst_rpc_key_encr_key':
            left += stored.get('none', 0)
        if left:
            raise KeyCommandError('%d %s ciphertext(s) still need key %s: '
                                  'run "keys rewrap" first'
                                  % (left, purpose, key_id))
    edit.set(edit.current, [s for s in edit.old if s != secret])


# -- command line --------------------------------------------------------

def add_parsers(subparsers):
    parser = subparsers.add_parser('keys', help='rotate encryption keys')
    actions = parser.add_subparsers(dest='action')
    status_parser = actions.add_parser(
        'status', help='key ids configured and in use')
    status_parser.add_argument('--format', dest='output_format',
                               choices=('table', 'json'), default='table')
    actions.add_parser('rewrap', help='re-encrypt everything stored in '
                                      'this cell and the API database under '
                                      'the current keys')
    for name, help_text in (
            ('add', 'add a new key: read, not yet written with'),
            ('promote', 'write with an added key, keep reading the old'),
            ('retire', 'remove an old key nothing needs any more')):
        sub = actions.add_parser(name, help=help_text)
        sub.add_argument('option', choices=sorted(OPTIONS))
        if name != 'add':
            sub.add_argument('key_id')
        else:
            sub.add_argument('--secret', help='the new key (default: a '
                                              'random one)')
        sub.add_argument('--config-file-to-edit', dest='edit_file',
                         required=True,
                         help='the configuration file to change')


def _run(ctx):
    args = CONF.category
    try:
        if args.action == 'status':
            report = status(ctx)
            if args.output_format == 'json':
                print(json.dumps(report, indent=2, sort_keys=True))
            else:
                for option, entry in report.items():
                    print('%-28s current %s  old %s  stored %s' % (
                        option, entry['current'],
                        ','.join(entry['old']) or '-',
                        ' '.join('%s=%d' % kv for kv in
                                 sorted(entry['stored'].items())) or '-'))
        elif args.action == 'rewrap':
            for what, count in rewrap(ctx).items():
                print('%s: %d re-encrypted' % (what, count))
        elif args.action == 'add':
            print('Added key %s to %s (read only until promoted)'
                  % (add(args.edit_file, args.option, args.secret),
                     args.option))
        elif args.action == 'promote':
            previous = promote(args.edit_file, args.option, args.key_id)
            print('%s now writes with key %s; %s is kept for reading'
                  % (args.option, args.key_id, previous))
        elif args.action == 'retire':
            retire(ctx, args.edit_file, args.option, args.key_id)
            print('Retired key %s of %s' % (args.key_id, args.option))
    except KeyCommandError as exc:
        from trove_mr.cmd import manage
        raise manage.CommandError(str(exc)) from exc


COMMANDS = {('keys', action): _run
            for action in ('status', 'rewrap', 'add', 'promote', 'retire')}
