"""Arena's exception tree, named for what the caller should do. Every exception Arena raises on purpose is here.

ArenaError
├── ConfigurationError      stop: the operator must fix settings (bad DATABASE_URL, missing key)
├── DatabaseError           stop: the database is unreachable or at an unknown migration
├── InvalidRequestError     reject the request: bad symbols, unknown agent, bad mode
│   └── BadCursor           a listing cursor this code did not produce (or that was tampered with)
├── RunNotClaimable         the run is no longer queued: another worker has it, or it ended; skip it
├── IllegalTransition       a run or order was asked to move where its transition table does not allow
├── RetryLater              a temporary fault (rate limit, 5xx, timeout): retrying may succeed
│   └── BrokerUnavailable   the broker or market-data service did not answer usefully (network, 5xx, 429)
└── GiveUpAndRecord         a permanent fault for this call: record it and move on
    └── BrokerRejected      the broker refused the request (4xx)
        └── DuplicateClientOrderId   an order with this client_order_id exists already (idempotency)

Faces add their own leaves (the REST API's `ApiError` carries an HTTP status) under ArenaError too.
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


class BadCursor(InvalidRequestError):
    """The cursor was not produced by this listing (or was tampered with)."""

    def __init__(self, message: str = "cursor is not valid") -> None:
        super().__init__(message, field="cursor")


class RunNotClaimable(ArenaError):
    """The run is no longer queued (another worker claimed it, or it was finished or abandoned): skip it."""


class IllegalTransition(ArenaError):
    """A run (or order) was asked to move to a state its table does not allow from where it is."""


class RetryLater(ArenaError):
    """A temporary fault at a provider or broker; the same call may succeed later."""


class GiveUpAndRecord(ArenaError):
    """A permanent fault for this call; record it and continue without it."""


class BrokerUnavailable(RetryLater):
    """The broker or its market data did not answer usefully (network failure, timeout, 429, 5xx)."""


class BrokerRejected(GiveUpAndRecord):
    """The broker answered and refused the request (a 4xx); retrying the same request will not help."""

    def __init__(self, message: str, *, status: int | None = None, code: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class DuplicateClientOrderId(BrokerRejected):
    """An order with this client_order_id already exists at the broker: look it up instead of resubmitting."""
