"""JSON schema of ``nics`` (instances, cluster members)."""

_ID = {'type': 'string', 'minLength': 1, 'maxLength': 255}

# python-troveclient's Python API sends {"net-id": ...} (and "port-id",
# "v4-fixed-ip"); its command line {network_id, subnet_id, ip_address}.
_NIC = {
    'type': 'object',
    'additionalProperties': False,
    'properties': {
        'net-id': _ID, 'network_id': _ID, 'port-id': _ID, 'port_id': _ID,
        'subnet_id': _ID,
        'v4-fixed-ip': {'type': 'string', 'maxLength': 64},
        'ip_address': {'type': 'string', 'maxLength': 64},
    },
}

NICS = {'type': 'array', 'maxItems': 8, 'items': _NIC}
