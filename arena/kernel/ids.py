"""Typed identifiers: a run id is not a decision id, even though both are 32 hex characters.

`NewType` costs nothing at run time; mypy keeps them apart at every call site that names its kind.
"""

from __future__ import annotations

import uuid
from typing import NewType

RunId = NewType("RunId", str)
DecisionId = NewType("DecisionId", str)
ClientOrderId = NewType("ClientOrderId", str)
WorkerId = NewType("WorkerId", str)


def new_id() -> str:
    """A random 32-hex identifier for runs, decisions and traces."""
    return uuid.uuid4().hex


def client_order_id(decision_id: str) -> ClientOrderId:
    """The idempotency key sent to the broker: one order per decision, ever."""
    return ClientOrderId(f"arena-{decision_id}")
