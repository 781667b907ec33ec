"""All ORM models; importing this package registers every table on `Base.metadata`."""

from arena.storage.models.access import SignInLinkUse
from arena.storage.models.base import Base
from arena.storage.models.execution import BrokerOrder, Fill, OrderIntent, OutcomeLink, PositionSnapshot
from arena.storage.models.operations import (
    GuardrailSetting,
    RunRequest,
    SettingsAudit,
    Strategy,
    WorkerHeartbeat,
    WorkerLease,
)
from arena.storage.models.outcomes import DecisionScore, LeaderboardSnapshot
from arena.storage.models.profiles import AgentProfile, AgentProfileVersion
from arena.storage.models.prompts import PromptLabel, PromptTemplateVersion
from arena.storage.models.runs import AgentDecision, ArenaRun, Consensus, Snapshot
from arena.storage.models.telemetry import CostTelemetry, PowerCallBudget, SpendLedger
from arena.storage.models.tools import ToolCall

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
    "PromptLabel",
    "PromptTemplateVersion",
    "RunRequest",
    "SettingsAudit",
    "SignInLinkUse",
    "Snapshot",
    "SpendLedger",
    "Strategy",
    "ToolCall",
    "WorkerHeartbeat",
    "WorkerLease",
]
