"""Sign-in links already used: a link (its SHA-256) is accepted once, then refused until it would expire anyway."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from arena.storage.models.base import Base
from arena.storage.types import UTCDateTime

LINK_ID_LENGTH = 64  # hex SHA-256 of the link token


class SignInLinkUse(Base):
    """One redeemed sign-in link; the primary key makes a second redemption fail atomically."""

    __tablename__ = "ai_signin_link_uses"
    __table_args__ = (Index("ix_signin_link_uses_expires_at", "expires_at"),)

    link_id: Mapped[str] = mapped_column(String(LINK_ID_LENGTH), primary_key=True)
    used_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
