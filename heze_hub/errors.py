"""Typed errors. Channels raise these; the core decides what is retried and what a user sees."""

from __future__ import annotations


class HubError(Exception):
    """Base of every error the hub reports to a user as a message instead of a traceback."""


class InputError(HubError):
    """Bad input: an item file, a field, a rule. Exit status 2; nothing is sent.

    The message is Chinese and names the file, the field and the rule.
    """

    def __init__(self, message: str, *, file: str | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.file = file
        self.field = field


class ConfigError(HubError):
    """Bad or incomplete configuration. Exit status 2; nothing is sent."""


class DeliveryError(HubError):
    """Base of errors raised by a channel while publishing."""


class TransientError(DeliveryError):
    """Worth retrying: connection errors, timeouts, 408/425/429/5xx, a platform's "busy" codes.

    ``retry_after`` (seconds) is the remote's own wish, e.g. from a ``Retry-After`` header or a
    quota code; the retry policy honours it within its bounds.
    """

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentError(DeliveryError):
    """Not worth retrying without a change by a person: 4xx, rejected content, bad credentials."""


class Deferred(DeliveryError):
    """The channel hands this delivery to a person (e.g. a file upload to a provincial platform).

    The delivery stays ``pending`` with this message and no receipt, until the outcome is
    recorded (``hub credit mark-uploaded``); nothing remote happened.
    """


class Unconfirmed(DeliveryError):
    """The request may or may not have taken effect (its answer was lost) and the remote cannot
    refuse a duplicate: the delivery becomes ``unconfirmed`` and is never resent automatically,
    only by ``hub retry --resend`` after a person has checked."""
