"""Recording sign-in link use: one INSERT that succeeds once per link on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from arena.storage.models import SignInLinkUse


def record_first_use(*, session: Session, link_id: str, used_at: datetime, expires_at: datetime) -> bool:
    """True when this is the link's first use (row inserted), False when it was recorded before."""
    values = {"link_id": link_id, "used_at": used_at, "expires_at": expires_at}
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(SignInLinkUse).values(**values).on_conflict_do_nothing(index_elements=["link_id"])
    inserted = session.execute(statement).rowcount  # type: ignore[attr-defined]
    return bool(inserted)


def forget_expired(*, session: Session, before: datetime) -> None:
    """Expired links are refused by their signature check anyway; their rows need not be kept."""
    session.execute(delete(SignInLinkUse).where(SignInLinkUse.expires_at < before))
