"""All ORM models; importing this package registers every table on `Base.metadata`."""

from storage.models.base import Base
from storage.models.execution import BrokerOrder, Fill, OrderIntent, OutcomeLink, PositionSnapshot
from storage.models.operations import (
    GuardrailSetting,
    RunRequest,
    SettingsAudit,
    Strategy,
    WorkerHeartbeat,
    WorkerLease,
)
from storage.models.outcomes import DecisionScore, LeaderboardSnapshot
from storage.models.profiles import AgentProfile, AgentProfileVersion
from storage.models.runs import AgentDecision, ArenaRun, Consensus, Snapshot
from storage.models.telemetry import CostTelemetry, PowerCallBudget

__all__ = [
    "AgentDecision",
    "AgentProfile",
    "AgentProfileVersion",
    "ArenaRun",
    "Base",
    "BrokerOrder",
    "Consensus",
    "CostTelemetry",
    "DecisionScore",
    "Fill",
    "GuardrailSetting",
    "LeaderboardSnapshot",
    "OrderIntent",
    "OutcomeLink",
    "PositionSnapshot",
    "PowerCallBudget",
    "RunRequest",
    "SettingsAudit",
    "Snapshot",
    "Strategy",
    "WorkerHeartbeat",
    "WorkerLease",
]
