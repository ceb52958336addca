"""Datastore managers of the guest agent, one package per datastore."""
