"""trove-mr-api: serve the API with gunicorn (gthread workers)."""

import sys

from trove_mr.api import service as api_service
from trove_mr.common import service


def main():
    """Entry point of ``trove-mr-api``."""
    service.prepare_service(sys.argv)
    api_service.create_service().run()


if __name__ == '__main__':
    main()
