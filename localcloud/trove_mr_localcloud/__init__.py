"""A local multi-region OpenStack: Keystone, Nova, Cinder, Glance and
Swift, each region on a port of its own, servers as processes.

Run it with ``trove-mr-localcloud`` (:mod:`trove_mr_localcloud.cmd`).
"""
