"""A run's per-agent progress while it runs, for the Manual Run page — from what the engine really writes when.

* `ai_cost_telemetry` gets one row per LLM call **as each call ends** (with the agent's decision id, the profile
  version and the purpose), so mid-run an agent is `waiting` (not asked yet), `calling` (asked, no call ended
  yet), `answered` (a reply came back; its check is recorded with the result), `repairing` (a cheap repair was
  asked: the first reply did not validate) or `call failed`; a run that ended before recording its answers
  (cancelled, failed) shows calls `stopped` before their reply and agents `not asked`.
* `ai_arena_agent_decisions` is written once, **at the end of the run**: from then on each answer shows its real
  check — valid, repaired, invalid, timeout, error or skipped.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from arena.kernel.kinds import Phase, ProfileMode, Purpose
from arena.kernel.states import CallStatus, RunStatus
from arena.storage.models import AgentDecision, AgentProfile, AgentProfileVersion, ArenaRun, CostTelemetry
from arena.storage.read.values import as_float

WAITING, CALLING, ANSWERED, REPAIRING, CALL_FAILED = "waiting", "calling", "answered", "repairing", "call failed"
STOPPED, NOT_ASKED = "stopped", "not asked"  # a run that ended (cancelled, failed) before it recorded its answers
STAGE_BY_PURPOSE = {
    Purpose.AGENT: Phase.CHEAP,
    Purpose.DEBATE: Phase.DEBATE,
    Purpose.JUDGE: Phase.JUDGE,
    Purpose.ESCALATION: Phase.ESCALATION,
}
STAGE_BY_MODE = {ProfileMode.CHEAP_FIRST: Phase.CHEAP, ProfileMode.JUDGE_CHEAP: Phase.JUDGE}


@dataclass(frozen=True, slots=True)
class AgentLive:
    """One agent's answer in one stage of the run (or an agent not asked yet)."""

    name: str
    stage: str  # a Phase (cheap, debate, judge, escalation)
    round: int
    state: str  # WAITING … CALL_FAILED while running; an AgentStatus once the run recorded its result
    calls: int = 0
    cost_usd: float | None = None
    latency_ms: int = 0
    note: str = ""  # why a call failed or the answer did not count (Arena's text, or the provider's error class)


@dataclass(frozen=True, slots=True)
class RunLive:
    run_id: str
    status: RunStatus
    started_at: datetime | None
    finished_at: datetime | None
    inputs_ready: bool  # the market snapshot is stored: the agents are being asked
    recorded: bool  # the per-agent results are written (the run decided)
    cancel_requested_at: datetime | None
    cancel_requested_by: str | None
    agents: list[AgentLive] = field(default_factory=list)


@dataclass
class _Calls:
    name: str
    purposes: set[str] = field(default_factory=set)
    calls: int = 0
    cost: Decimal | None = None
    latency_ms: int = 0
    last_status: str = CallStatus.OK
    last_error: str | None = None


def run_live(*, session: Session, run_id: str) -> RunLive | None:
    run = session.get(ArenaRun, run_id)
    if run is None:
        return None
    decisions = list(
        session.scalars(select(AgentDecision).where(AgentDecision.run_id == run_id).order_by(AgentDecision.created_at))
    )
    calls = _calls_by_answer(session, run_id)
    agents = [_recorded(d, calls.get(d.id)) for d in decisions] if decisions else _in_flight(session, run, calls)
    return RunLive(
        run_id=run.id,
        status=RunStatus(run.status),
        started_at=run.started_at,
        finished_at=run.finished_at,
        inputs_ready=run.market_snapshot_hash is not None,
        recorded=bool(decisions),
        cancel_requested_at=run.cancel_requested_at,
        cancel_requested_by=run.cancel_requested_by,
        agents=agents,
    )


def _calls_by_answer(session: Session, run_id: str) -> dict[str, _Calls]:
    """The run's LLM calls so far, grouped by the answer (agent decision id) they were made for, in call order."""
    rows = session.execute(
        select(
            CostTelemetry.agent_decision_id,
            AgentProfile.name,
            CostTelemetry.purpose,
            CostTelemetry.status,
            CostTelemetry.cost_usd,
            CostTelemetry.latency_ms,
            CostTelemetry.error_class,
        )
        .outerjoin(AgentProfileVersion, AgentProfileVersion.id == CostTelemetry.profile_version_id)
        .outerjoin(AgentProfile, AgentProfile.id == AgentProfileVersion.profile_id)
        .where(CostTelemetry.run_id == run_id)
        .order_by(CostTelemetry.created_at, CostTelemetry.id)
    )
    out: dict[str, _Calls] = {}
    for answer_id, name, purpose, status, cost, latency, error_class in rows:
        key = answer_id or f"call:{len(out)}"
        entry = out.setdefault(key, _Calls(name=name or "?"))
        if purpose != Purpose.REPAIR:
            entry.name = name or entry.name  # a repair is made by the cheap repair model, for this answer
        entry.purposes.add(purpose)
        entry.calls += 1
        entry.cost = (entry.cost or Decimal(0)) + cost if cost is not None else entry.cost
        entry.latency_ms += int(latency or 0)
        entry.last_status, entry.last_error = status, error_class
    return out


def _recorded(d: AgentDecision, calls: _Calls | None) -> AgentLive:
    note = "; ".join(d.validation_errors or [])
    return AgentLive(
        name=d.profile_name,
        stage=d.phase,
        round=d.round,
        state=d.status,
        calls=calls.calls if calls else 0,
        cost_usd=as_float(d.cost_usd),
        latency_ms=int(d.latency_ms or 0),
        note=note,
    )


def _in_flight(session: Session, run: ArenaRun, calls: dict[str, _Calls]) -> list[AgentLive]:
    """Mid-run: one line per answer with a call so far, then each expected agent not asked yet."""
    out: list[AgentLive] = []
    rounds: dict[tuple[str, str], int] = defaultdict(int)
    for entry in calls.values():
        main = [p for p in entry.purposes if p != Purpose.REPAIR]
        stage = STAGE_BY_PURPOSE.get(Purpose(main[0]), Phase.CHEAP) if main else Phase.CHEAP
        rounds[(entry.name, stage)] += 1
        if entry.last_error == "CancelledError":  # the gateway's row for a call stopped before it finished
            state, note = STOPPED, "the call was stopped before its reply came"
        elif entry.last_status != CallStatus.OK:
            state, note = CALL_FAILED, f"{entry.last_status}: {entry.last_error or 'no detail'}"
        elif Purpose.REPAIR in entry.purposes:
            state, note = REPAIRING, "the reply did not validate; a cheap model was asked to repair it"
        else:
            state, note = ANSWERED, "checked when the run records its result"
        out.append(
            AgentLive(
                name=entry.name,
                stage=stage,
                round=rounds[(entry.name, stage)] + (1 if stage == Phase.DEBATE else 0),
                state=state,
                calls=entry.calls,
                cost_usd=as_float(entry.cost),
                latency_ms=entry.latency_ms,
                note=note,
            )
        )
    asked = {a.name for a in out}
    running = run.status == RunStatus.RUNNING and run.market_snapshot_hash is not None
    ended = run.status not in (RunStatus.QUEUED, RunStatus.RUNNING)
    for name, mode in _expected(session, run):
        if name in asked:
            continue
        stage = STAGE_BY_MODE.get(ProfileMode(mode), Phase.ESCALATION)
        if ended:
            out.append(AgentLive(name=name, stage=stage, round=1, state=NOT_ASKED, note="the run ended first"))
        elif running and mode == ProfileMode.CHEAP_FIRST:
            out.append(AgentLive(name=name, stage=stage, round=1, state=CALLING, note="asked; no answer yet"))
        else:
            why = "asked when the run starts" if mode == ProfileMode.CHEAP_FIRST else "asked only if needed"
            out.append(AgentLive(name=name, stage=stage, round=1, state=WAITING, note=why))
    return out


def _expected(session: Session, run: ArenaRun) -> list[tuple[str, str]]:
    """(name, mode) of the agents the run will ask: the ones it names, else every enabled profile (as the run plans)."""
    query = (
        select(AgentProfile.name, AgentProfileVersion.mode)
        .join(
            AgentProfileVersion,
            (AgentProfileVersion.profile_id == AgentProfile.id)
            & (AgentProfileVersion.version == AgentProfile.current_version),
        )
        .order_by(AgentProfile.name)
    )
    if run.requested_agents:
        query = query.where(AgentProfile.name.in_(run.requested_agents))
    else:
        query = query.where(AgentProfile.enabled.is_(True))
    return [(str(n), str(m)) for n, m in session.execute(query)]
