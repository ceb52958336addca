"""Horizon "enabled" files of the plugin."""
