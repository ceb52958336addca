"""Redis Cluster strategies: API checks, taskmanager work, guest calls."""
