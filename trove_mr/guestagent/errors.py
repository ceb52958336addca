"""Errors of the guest agent's calls."""

from trove_mr.common import exceptions


class GuestError(exceptions.TroveMRError):
    """The guest cannot do what it was asked."""

    kind = 'guestError'
    default_message = 'The guest agent could not complete the request.'
