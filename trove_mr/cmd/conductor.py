"""trove-mr-conductor: records what guests report, for its cell."""

import sys

from trove_mr.common import cfg
from trove_mr.common import service
from trove_mr.conductor import service as conductor_service


def main():
    """Entry point of ``trove-mr-conductor``."""
    service.prepare_service(sys.argv)
    service.serve(conductor_service.create_service(),
                  workers=cfg.CONF.conductor_workers)


if __name__ == '__main__':
    main()
