"""trove-mr-taskmanager: the RPC server that runs provisioning work."""

import sys

from trove_mr.common import service
from trove_mr.taskmanager import service as taskmanager_service


def main():
    """Entry point of ``trove-mr-taskmanager``."""
    service.prepare_service(sys.argv)
    service.serve(taskmanager_service.create_service())


if __name__ == '__main__':
    main()
