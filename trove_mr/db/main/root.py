"""Region DB API of root: who enabled it, when, and the kept password.

The password is stored encrypted under ``inst_rpc_key_encr_key`` (its
key ring, purpose ``root-password``; the resource id as associated data,
so a value cannot be moved to another resource); only
:func:`root_password_get` sees it in clear. ``trove-mr-manage keys
rewrap`` re-encrypts the kept passwords after a rotation.
"""

import sqlalchemy as sa

from trove_mr.common import cfg
from trove_mr.common import crypto
from trove_mr.common import keys
from trove_mr.db import engines
from trove_mr.db import rows
from trove_mr.db.main import models

CONF = cfg.CONF
RootHistory = models.RootHistory


def _row(session, resource_id):
    return session.execute(
        sa.select(RootHistory).where(RootHistory.resource_id == resource_id)
    ).scalars().first()


def _upsert(session, resource_type, resource_id, values):
    row = _row(session, resource_id)
    values = dict(values, updated=rows.now())
    if row is None:
        values.setdefault('enabled', False)
        row = RootHistory(resource_id=resource_id,
                          resource_type=resource_type, **values)
        session.add(row)
    else:
        for key, value in values.items():
            setattr(row, key, value)
    session.flush()
    return row


@engines.region_reader
def root_get(context, resource_id):
    """The root record of an instance or cluster, or None if never set."""
    return _row(context.session, resource_id)


@engines.region_writer
def root_set_enabled(context, resource_type, resource_id, enabled,
                     user_id=None, change_id=None):
    """Record that root was enabled (by ``user_id``) or disabled, now.

    ``change_id`` names the password change asked for; it becomes the
    latest one.
    """
    now = rows.now()
    if enabled:
        values = {'enabled': True, 'enabled_at': now, 'enabled_by': user_id,
                  'disabled_at': None}
    else:
        values = {'enabled': False, 'disabled_at': now}
    values['change_id'] = change_id
    return _upsert(context.session, resource_type, resource_id, values)


@engines.region_writer
def root_restore(context, resource_type, resource_id, previous):
    """Put back the record ``previous`` (a row read before, or None)."""
    row = _row(context.session, resource_id)
    if previous is None:
        if row is not None:
            context.session.delete(row)
        return
    _upsert(context.session, resource_type, resource_id,
            {'enabled': previous.enabled,
             'enabled_at': previous.enabled_at,
             'enabled_by': previous.enabled_by,
             'disabled_at': previous.disabled_at,
             'change_id': previous.change_id})


@engines.region_writer
def root_password_set(context, resource_type, resource_id, password,
                      change_id=None):
    """Keep ``password`` (encrypted) as the one set on the datastore.

    With ``change_id``, only while that change is still the latest one;
    returns whether it was kept.
    """
    if change_id is not None:
        row = _row(context.session, resource_id)
        if row is None or row.change_id != change_id:
            return False
    sealed = _ring().encrypt(password, resource_id.encode())
    _upsert(context.session, resource_type, resource_id,
            {'encrypted_password': sealed, 'password_set_at': rows.now()})
    return True


@engines.region_reader
def root_change_is_latest(context, resource_id, change_id):
    """Whether ``change_id`` is the latest password change asked for."""
    row = _row(context.session, resource_id)
    return row is not None and row.change_id == change_id


@engines.region_reader
def root_password_get(context, resource_id):
    """The kept password in clear, or None when none was kept."""
    row = _row(context.session, resource_id)
    if row is None or not row.encrypted_password:
        return None
    return _open(_ring(), row.encrypted_password, resource_id)


def _ring():
    return keys.ring(keys.ROOT_PASSWORD)


def _open(ring, sealed, resource_id):
    try:
        return ring.decrypt(sealed, resource_id.encode())
    except crypto.DecryptionError:
        # Kept before the root-password purpose had a key of its own.
        return crypto.KeyRing(ring.secrets, crypto.GENERIC).decrypt(
            sealed, resource_id.encode())


@engines.region_writer
def root_passwords_rewrap(context):
    """Re-encrypt every kept password under the current key. Returns
    how many changed."""
    ring = _ring()
    count = 0
    for row in context.session.execute(
            sa.select(RootHistory).where(
                RootHistory.encrypted_password.is_not(None))).scalars():
        if ring.is_current(row.encrypted_password):
            try:
                ring.decrypt(row.encrypted_password,
                             row.resource_id.encode())
                continue
            except crypto.DecryptionError:
                pass  # the current key, but the older purpose
        row.encrypted_password = ring.encrypt(
            _open(ring, row.encrypted_password, row.resource_id),
            row.resource_id.encode())
        count += 1
    return count


@engines.region_reader
def root_password_key_ids(context):
    """{key id or 'v1': number of kept passwords sealed under it}."""
    return rows.key_id_counts(context.session,
                              RootHistory.encrypted_password)
