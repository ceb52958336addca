"""Region DB API: datastores and their versions."""

import sqlalchemy as sa
from oslo_utils import uuidutils

from trove_mr.common import exceptions
from trove_mr.db import engines
from trove_mr.db.main import models


def _datastore_query(session, id_or_name):
    query = sa.select(models.Datastore).where(sa.or_(
        models.Datastore.id == id_or_name,
        models.Datastore.name == id_or_name))
    found = session.execute(query).scalars().first()
    if found is None:
        raise exceptions.DatastoreNotFound(
            'Datastore %s could not be found.' % id_or_name)
    return found


@engines.region_writer
def datastore_create(context, values):
    """Create a datastore from ``values`` (name, optional id)."""
    values = dict(values)
    values.setdefault('id', uuidutils.generate_uuid())
    row = models.Datastore(**values)
    context.session.add(row)
    context.session.flush()
    return row


@engines.region_reader
def datastore_get(context, id_or_name):
    """A datastore by id or name; raises DatastoreNotFound."""
    return _datastore_query(context.session, id_or_name)


@engines.region_reader
def datastore_get_by_name(context, name):
    """A datastore by name; raises DatastoreNotFound."""
    query = sa.select(models.Datastore).where(models.Datastore.name == name)
    found = context.session.execute(query).scalars().first()
    if found is None:
        raise exceptions.DatastoreNotFound(
            'Datastore %s could not be found.' % name)
    return found


@engines.region_reader
def datastore_list(context):
    """Every datastore, by name."""
    query = sa.select(models.Datastore).order_by(models.Datastore.name)
    return list(context.session.execute(query).scalars())


def _set_default_version(session, datastore, version):
    session.execute(
        sa.update(models.DatastoreVersion)
        .where(models.DatastoreVersion.datastore_id == datastore.id)
        .values(is_default=(models.DatastoreVersion.id == version.id)))
    datastore.default_version_id = version.id


@engines.region_writer
def datastore_update(context, id_or_name, default_version=None):
    """Create the datastore if missing; set its default version by name.

    Returns the datastore. The default version must exist already.
    """
    session = context.session
    try:
        datastore = _datastore_query(session, id_or_name)
    except exceptions.DatastoreNotFound:
        datastore = models.Datastore(id=uuidutils.generate_uuid(),
                                     name=id_or_name)
        session.add(datastore)
        session.flush()
    if default_version:
        version = _version_query(session, datastore, default_version)
        _set_default_version(session, datastore, version)
    session.flush()
    return datastore


def _version_query(session, datastore, id_or_name):
    query = sa.select(models.DatastoreVersion).where(
        models.DatastoreVersion.datastore_id == datastore.id,
        sa.or_(models.DatastoreVersion.id == id_or_name,
               models.DatastoreVersion.name == id_or_name))
    found = session.execute(query).scalars().first()
    if found is None:
        raise exceptions.DatastoreVersionNotFound(
            'Datastore version %s of datastore %s could not be found.'
            % (id_or_name, datastore.name))
    return found


@engines.region_writer
def datastore_version_create(context, datastore, values):
    """Add a version to a datastore (id or name).

    ``values``: name, manager, image_name, image_id, image_tags (list or
    comma string), active, default. A default version becomes the
    datastore's default_version_id and the others lose the flag.
    """
    session = context.session
    parent = _datastore_query(session, datastore)
    values = dict(values)
    make_default = bool(values.pop('default', False))
    tags = values.get('image_tags')
    if isinstance(tags, (list, tuple)):
        values['image_tags'] = ','.join(tags)
    values.setdefault('id', uuidutils.generate_uuid())
    values.setdefault('active', True)
    version = models.DatastoreVersion(datastore_id=parent.id,
                                      is_default=False, **values)
    session.add(version)
    session.flush()
    if make_default:
        _set_default_version(session, parent, version)
        session.flush()
        session.refresh(version)
    return version


@engines.region_writer
def datastore_version_update(context, version_id, values):
    """Change a version's fields; ``default=True`` makes it the default."""
    session = context.session
    version = session.get(models.DatastoreVersion, version_id)
    if version is None:
        raise exceptions.DatastoreVersionNotFound(
            'Datastore version %s could not be found.' % version_id)
    values = dict(values)
    make_default = values.pop('default', None)
    tags = values.get('image_tags')
    if isinstance(tags, (list, tuple)):
        values['image_tags'] = ','.join(tags)
    for key, value in values.items():
        setattr(version, key, value)
    session.flush()
    if make_default:
        _set_default_version(session, version.datastore, version)
        session.flush()
        session.refresh(version)
    return version


@engines.region_reader
def datastore_version_get(context, version_id):
    """A version by id; raises DatastoreVersionNotFound."""
    version = context.session.get(models.DatastoreVersion, version_id)
    if version is None:
        raise exceptions.DatastoreVersionNotFound(
            'Datastore version %s could not be found.' % version_id)
    return version


@engines.region_reader
def datastore_version_get_by_name(context, datastore, version):
    """A version by datastore (id or name) and version (id or name)."""
    session = context.session
    return _version_query(session, _datastore_query(session, datastore),
                          version)


@engines.region_reader
def datastore_version_get_default(context, datastore):
    """The default version of a datastore (id or name).

    Raises DatastoreVersionNotFound when the datastore has none.
    """
    session = context.session
    parent = _datastore_query(session, datastore)
    if not parent.default_version_id:
        raise exceptions.DatastoreVersionNotFound(
            'Datastore %s has no default version.' % parent.name)
    return session.get(models.DatastoreVersion, parent.default_version_id)


@engines.region_reader
def datastore_version_list(context, datastore=None, only_active=False):
    """Versions, of one datastore (id or name) when given, by name."""
    session = context.session
    query = sa.select(models.DatastoreVersion)
    if datastore is not None:
        parent = _datastore_query(session, datastore)
        query = query.where(models.DatastoreVersion.datastore_id == parent.id)
    if only_active:
        query = query.where(models.DatastoreVersion.active.is_(True))
    query = query.order_by(models.DatastoreVersion.name)
    return list(session.execute(query).unique().scalars())
