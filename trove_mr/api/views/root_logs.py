"""Views of root and of the guest logs, as python-troveclient reads them.
"""

ROOT_USER = 'root'


def root_created_view(password):
    """What root enable answers: the user and its new password."""
    return {'user': {'name': ROOT_USER, 'password': password}}


def root_enabled_view(enabled):
    return {'rootEnabled': bool(enabled)}


def log_view(log):
    """One log: name, type, status, published, pending, container,
    prefix, metafile."""
    return {key: log.get(key) for key in (
        'name', 'type', 'status', 'published', 'pending', 'container',
        'prefix', 'metafile')}


def log_list_view(logs):
    return {'logs': [log_view(log) for log in logs]}
