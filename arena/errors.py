"""Arena's exception tree, named for what the caller should do.

ArenaError
├── ConfigurationError      stop: the operator must fix settings (bad DATABASE_URL, missing key)
├── DatabaseError           stop: the database is unreachable or at an unknown migration
├── InvalidRequestError     reject the request: bad symbols, unknown agent, bad mode
├── RetryLater              a temporary fault (rate limit, 5xx, timeout): retrying may succeed
└── GiveUpAndRecord         a permanent fault for this call: record it and move on
"""

from __future__ import annotations


class ArenaError(Exception):
    """Base of every error Arena raises on purpose."""


class ConfigurationError(ArenaError):
    """Settings are missing or malformed; nothing can run until the operator fixes them."""


class DatabaseError(ArenaError):
    """The database cannot be used (unreachable, or at a migration this code does not know)."""


class InvalidRequestError(ArenaError):
    """A request was rejected before anything was stored."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class RetryLater(ArenaError):
    """A temporary fault at a provider or broker; the same call may succeed later."""


class GiveUpAndRecord(ArenaError):
    """A permanent fault for this call; record it and continue without it."""
