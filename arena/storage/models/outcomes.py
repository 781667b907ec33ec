"""Scored outcomes of decisions and the leaderboard snapshots the worker materialises from them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from arena.kernel.clock import utcnow
from arena.kernel.kinds import Action, LeaderboardGroup, LeaderboardWindow, ScoreSubject
from arena.storage.models.base import Base, check_in
from arena.storage.types import UTCDateTime


class DecisionScore(Base):
    """One decision judged by the market after its time horizon.

    subject: `agent` (one agent's vote), `consensus` (the run's final decision), `cheap_consensus` (what the
    cheap round alone would have decided, on escalated runs — the baseline for escalation value) or `baseline` (a
    free rule — cash, buy_and_hold, momentum — on the same snapshot, symbol and horizon; its name in profile_name).
    """

    __tablename__ = "ai_decision_scores"
    __table_args__ = (
        UniqueConstraint("subject", "subject_key", name="uq_score_subject"),
        CheckConstraint(check_in("subject", ScoreSubject), name="subject"),
        CheckConstraint(check_in("action", Action), name="action"),
        CheckConstraint("confidence IS NULL OR (confidence >= 0 AND confidence <= 1)", name="confidence"),
        Index("ix_scores_entry", "entry_at"),
        Index("ix_scores_profile_entry", "profile_version_id", "entry_at"),
        Index("ix_scores_run", "run_id"),
        Index("ix_scores_subject_exit", "subject", "exit_at"),  # the leaderboard reads a window of one subject
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    subject: Mapped[str] = mapped_column(String(16))
    subject_key: Mapped[str] = mapped_column(String(40))  # decision id; run id (consensus); digest (baseline)
    run_id: Mapped[str] = mapped_column(ForeignKey("ai_arena_runs.id", ondelete="CASCADE"))
    agent_decision_id: Mapped[str | None] = mapped_column(
        ForeignKey("ai_arena_agent_decisions.id", ondelete="CASCADE"), nullable=True
    )
    profile_version_id: Mapped[int | None] = mapped_column(ForeignKey("ai_agent_profile_versions.id"), nullable=True)
    profile_name: Mapped[str | None] = mapped_column(String(64), nullable=True)
    model: Mapped[str | None] = mapped_column(String(128), nullable=True)
    prompt: Mapped[str | None] = mapped_column(String(80), nullable=True)
    strategy: Mapped[str | None] = mapped_column(String(64), nullable=True)
    market: Mapped[str] = mapped_column(String(32), default="us_equities")
    escalated: Mapped[bool] = mapped_column(Boolean, default=False)
    escalation_reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    symbol: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(8))
    confidence: Mapped[float | None] = mapped_column(Float, nullable=True)
    notional_usd: Mapped[float] = mapped_column(Float, default=0.0)
    horizon_days: Mapped[int] = mapped_column(Integer)
    entry_at: Mapped[datetime] = mapped_column(UTCDateTime())
    exit_at: Mapped[datetime] = mapped_column(UTCDateTime())
    entry_price: Mapped[float] = mapped_column(Float)
    exit_price: Mapped[float] = mapped_column(Float)
    forward_return_pct: Mapped[float] = mapped_column(Float)
    signed_return_pct: Mapped[float] = mapped_column(Float)  # BUY: r, SELL: -r, HOLD: 0 (no position)
    pnl_usd: Mapped[float] = mapped_column(Float)  # shadow trade PnL: notional × signed return
    hit: Mapped[bool] = mapped_column(Boolean)
    llm_cost_usd: Mapped[float | None] = mapped_column(Float, nullable=True)
    scored_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class LeaderboardSnapshot(Base):
    """The computed leaderboard for one (window, group_by, market, strategy); replaced on each recompute."""

    __tablename__ = "ai_leaderboard_snapshots"
    __table_args__ = (
        UniqueConstraint("time_window", "group_by", "market", "strategy", name="uq_leaderboard_key"),
        CheckConstraint(check_in("time_window", LeaderboardWindow), name="time_window"),
        CheckConstraint(check_in("group_by", LeaderboardGroup), name="group_by"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    time_window: Mapped[str] = mapped_column(String(4))
    group_by: Mapped[str] = mapped_column(String(16))
    market: Mapped[str] = mapped_column(String(32), default="*")
    strategy: Mapped[str] = mapped_column(String(64), default="*")
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
