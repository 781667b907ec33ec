"""Run Details widgets. Model text (rationale, raw output, errors) is only ever shown with st.text / st.code /
st.json / st.dataframe — never as Markdown or HTML; anything interpolated into a label is escaped first."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pandas as pd
import streamlit as st

from arena.faces.web.widgets import charts
from arena.faces.web.widgets.format import (
    DASH,
    cents,
    column_labels,
    confidence,
    duration_ms,
    md_escape,
    sizing,
    symbols,
    table,
    usd,
    when,
)
from arena.faces.web.widgets.run_story import failed_checks, headline, how_decided
from arena.kernel.kinds import ExecutionMode, FinalAction, Phase
from arena.kernel.lifecycles import ACTIVE_RUN_STATUSES
from arena.kernel.states import AgentStatus, RunStatus
from arena.storage.read.execution_trail import ExecutionTrail
from arena.storage.read.run_views import ConsensusView, DecisionDetail, RunDetails
from arena.storage.read.values import jsonable

ACTION_COLOURS: dict[str, str] = {  # keyed by FinalAction; an agent's Action is one of its members
    FinalAction.BUY: "green",
    FinalAction.SELL: "red",
    FinalAction.HOLD: "gray",
    FinalAction.NO_TRADE: "orange",
}
STATUS_COLOURS = {
    AgentStatus.VALID: "green",
    AgentStatus.REPAIRED: "blue",
    AgentStatus.INVALID: "red",
    AgentStatus.TIMEOUT: "orange",
    AgentStatus.ERROR: "red",
}
LINK_COLUMNS = ["client_order_id", "broker_order_id", "order_status", "final", "fill_ids", "position_snapshot_ids"]
PHASE_TITLES = {
    Phase.CHEAP: "Cheap agents (round 1)",
    Phase.JUDGE: "Cheap judge",
    Phase.ESCALATION: "Escalation (powerful models)",
}


def _facts(rows: list[tuple[str, Any]]) -> None:
    """Aligned `name  value` lines in a code block: plain text, selectable, with a copy button."""
    width = max(len(k) for k, _ in rows)
    lines = [f"{k.ljust(width)}  {DASH if v in (None, '', []) else v}" for k, v in rows]
    st.code("\n".join(lines), language=None)


ROW_PX = 35
CALL_COLUMNS = [
    "id",
    "purpose",
    "provider",
    "model",
    "status",
    "tokens_in",
    "tokens_out",
    "cost_usd",
    "cost_source",
    "latency_ms",
    "attempts",
    "output_mode",
    "error_class",
    "error_message",
    "finish_reason",
    "note",
    "created_at",
    "prompt_hash",
]
TABS = ["Decision", "Agents", "Consensus & guardrails", "Orders", "LLM calls & prompts"]
FAILED_ROW = "background-color: rgba(207, 34, 46, 0.15); color: #cf222e; font-weight: 600"


def nothing(d: RunDetails, what: str) -> str:
    """Why a section is empty, in the run's own terms (a failed run is not "not yet")."""
    if d.status in ACTIVE_RUN_STATUSES:
        return f"No {what} recorded yet: the run is {d.status}."
    if d.status in (RunStatus.FAILED, RunStatus.ABANDONED):
        return f"No {what}: the run {'failed' if d.status == RunStatus.FAILED else 'was abandoned'} before that."
    return f"No {what} recorded."


def render_why(d: RunDetails) -> None:
    """The one line at the top: what the run ended with and why; then the numbers an operator looks at first."""
    line = headline(d)
    with st.container(horizontal=True, vertical_alignment="center"):
        _badge(line.label, line.colour)
        st.markdown(f"**{md_escape(line.why)}**")
    if line.quote:
        st.text(f"in its words: {line.quote}")
    if d.error and d.error.strip() and d.error.strip() != d.error.strip().splitlines()[0]:  # more than one line
        st.code(d.error, language=None, wrap_lines=True)
    cols = st.columns(5)
    cols[0].metric("Status", str(d.status))
    cols[1].metric("Cost", cents(d.cost_usd), help=f"{usd(d.cost_usd, digits=6)} in LLM calls")
    cols[2].metric("Latency", duration_ms(d.latency_ms))
    cols[3].metric("LLM calls", d.llm_calls)
    cols[4].metric("Tokens in / out", f"{d.tokens_in:,} / {d.tokens_out:,}")


def run_json(d: RunDetails) -> str:
    """The whole run as JSON: the read model `GET /api/admin/arena/runs/{id}` is built from, for a ticket or a diff."""
    return json.dumps(jsonable(d), indent=2, default=str)


def render_download(d: RunDetails) -> None:
    st.download_button(
        "Download this run (JSON)",
        run_json(d),
        file_name=f"arena-run-{d.run_id}.json",
        mime="application/json",
        icon=":material/download:",
    )


def render_facts(d: RunDetails) -> None:
    """Ids, times and snapshot hashes: copyable, below the decision they belong to."""
    left, right = st.columns(2)
    with left:
        _facts(
            [
                ("run id", d.run_id),
                ("trace id", d.trace_id),
                ("decision id", d.decision_id),
                ("symbols", symbols(d.symbols)),
            ]
        )
    with right:
        _facts(
            [
                ("trigger / mode", f"{d.trigger} / {d.mode} (execution {d.execution_mode})"),
                ("created", when(d.created_at)),
                ("started", when(d.started_at)),
                ("finished", when(d.finished_at)),
            ]
        )
    snaps = d.snapshots
    _facts(
        [
            ("market snapshot", snaps.market),
            ("universe snapshot", snaps.universe),
            ("portfolio snapshot", snaps.portfolio),
        ]
    )


def render_decision(d: RunDetails) -> None:
    c = d.consensus
    st.subheader("Final decision")
    if c is None:
        st.info(nothing(d, "consensus"))
        return
    line = headline(d)
    _badge(line.label, line.colour)
    st.text(
        f"outcome: {c.outcome} · rule: {c.rule} · symbol: {c.symbol or DASH} · "
        f"confidence: {confidence(c.confidence)} · sizing: {sizing(c.sizing)}"
    )
    if c.no_trade_reason:
        st.text(f"NO_TRADE because: {c.no_trade_reason}")
    st.markdown("**How it was decided**")
    st.text(
        how_decided(
            decided_by=d.decided_by,
            escalated=d.escalated,
            reasons=d.escalation_reasons,
            quorum=d.quorum,
            veto=d.veto,
            judge=d.judge,
        )
    )


def render_debate(d: RunDetails) -> None:
    """A debate's transcript, round by round: who argued what, with which confidence."""
    if not d.debate:
        return
    st.subheader("Debate transcript")
    for round_no in sorted({int(t.get("round", 0)) for t in d.debate}):
        st.markdown(f"**Round {round_no}**")
        for turn in (t for t in d.debate if int(t.get("round", 0)) == round_no):
            st.text(
                f"{turn.get('role')}: {turn.get('action')} {symbols(turn.get('symbols') or [])} "
                f"(confidence {confidence(turn.get('confidence'))})"
            )
            st.text(str(turn.get("argument") or "(no argument)"))


def _badge(label: str, colour: str) -> None:
    st.badge(md_escape(label), color=colour)  # type: ignore[arg-type]


def _agent_card(first: DecisionDetail, revisions: list[DecisionDetail], versions: dict[int, int]) -> None:
    with st.container(border=True):
        version = versions.get(first.profile_version_id)
        st.markdown(f"**{md_escape(first.profile)}** · {md_escape(first.role)} · v{version or '?'}")
        with st.container(horizontal=True):
            _badge(first.action or "no vote", ACTION_COLOURS.get(first.action or "", "gray"))
            _badge(first.status, STATUS_COLOURS.get(first.status, "gray"))
            if revisions:
                last = revisions[-1]
                _badge(f"after debate: {last.action or 'no vote'}", ACTION_COLOURS.get(last.action or "", "gray"))
        st.text(f"{first.provider} / {first.model}")
        st.text(
            f"confidence {confidence(first.confidence)} · horizon {first.time_horizon or DASH} · "
            f"symbols {symbols(first.symbols)}"
        )
        st.text(
            f"cost {cents(first.cost_usd)} · latency {duration_ms(first.latency_ms)} · "
            f"tokens {first.tokens_in:,} in / {first.tokens_out:,} out"
        )
        st.text("risk flags: " + (", ".join(first.risk_flags) or "none"))
        _decision_body(first)
        if revisions:
            with st.expander(f"Debate rounds ({len(revisions)})"):
                for rev in revisions:
                    st.text(
                        f"round {rev.round}: {rev.action or 'no vote'} ({rev.status}), confidence "
                        f"{confidence(rev.confidence)}, cost {cents(rev.cost_usd)}, "
                        f"flags: {', '.join(rev.risk_flags) or 'none'}"
                    )
                    st.text(rev.rationale or "(no rationale)")


def _decision_body(x: DecisionDetail) -> None:
    st.caption("Reasoning")
    st.text(x.rationale or "(no rationale: the reply was not a valid decision)")
    if x.sizing:
        st.text("sizing: " + sizing(x.sizing))
    if x.validation_errors:
        st.text("Validation errors:\n" + "\n".join(f"- {e}" for e in x.validation_errors))
    with st.expander(f"Tool calls ({len(x.tool_calls)})"):
        if x.tools_note:
            st.caption(f"No tools: {x.tools_note}")
        if not x.tool_calls:
            st.caption("The agent called no tool.")
        for n, call in enumerate(x.tool_calls, 1):
            arguments = ", ".join(f"{k}={v}" for k, v in (call.arguments or {}).items())
            st.markdown(
                f"{n}. `{md_escape(call.name)}({md_escape(arguments)})` · **{call.status}** · "
                f"{duration_ms(call.latency_ms)} · round {call.round} · {call.result_bytes:,} bytes"
            )
            if call.error:
                st.caption(call.error)
            st.code(call.result_preview or "(empty)", language="json", wrap_lines=True)
        st.caption(
            "The model's own lists: required tools "
            + (", ".join(x.required_tools) or "none")
            + " · data dependencies "
            + (", ".join(x.data_dependencies) or "none")
        )
    with st.expander("Raw model output"):
        st.code(x.raw_output or "(empty)", language=None, wrap_lines=True)
        st.caption(f"prompt hash {x.prompt_hash or DASH}")


def render_prompts(decisions: list[DecisionDetail]) -> None:
    """What each model was asked: its template and version, and the messages of its first call, as sent."""
    st.subheader("Prompts")
    for x in decisions:
        template = f"{x.prompt_template_id}@v{x.prompt_version}" if x.prompt_template_id else "not recorded"
        # profile and template names are validated identifiers ([a-z0-9_]), safe in a label as they are
        with st.expander(f"Prompt · {x.profile} · {x.phase} round {x.round} ({template})"):
            if x.prompt_template_id:
                st.markdown(f"[Template {md_escape(template)}](profiles?template={x.prompt_template_id})")
            if not x.messages:
                st.caption("No call was made for this answer.")
            for message in x.messages:
                role = str(message.get("role", "?"))
                content = message.get("content")
                st.caption(role)
                st.code(content if isinstance(content, str) else str(content), language=None, wrap_lines=True)


def render_agents(d: RunDetails, versions: dict[int, int]) -> None:
    decisions = d.decisions
    st.subheader("Agents")
    if not decisions:
        st.info(nothing(d, "agent answer"))
        return
    for phase in PHASE_TITLES:
        firsts = [x for x in decisions if x.phase == phase]
        if not firsts:
            continue
        st.markdown(f"**{PHASE_TITLES[phase]}**")
        cols = st.columns(min(3, len(firsts)))
        for i, first in enumerate(firsts):
            revisions = [x for x in decisions if x.phase == Phase.DEBATE and x.profile == first.profile]
            with cols[i % len(cols)]:
                _agent_card(first, revisions if phase == Phase.CHEAP else [], versions)


def render_consensus(d: RunDetails) -> None:
    c = d.consensus
    st.subheader("Consensus trace")
    if c is None:
        st.info(nothing(d, "consensus"))
        return
    trace = c.trace or {}
    cheap = trace.get("cheap", {})
    power_votes = (trace.get("power") or {}).get("votes", [])
    st.text(
        f"decided by: {trace.get('decided_by', DASH)} · cheap rule: {cheap.get('rule', DASH)} · "
        f"weighting: {cheap.get('weighting', DASH)} · winner: {cheap.get('winner', DASH)} · "
        f"disagreement: {confidence(cheap.get('disagreement_rate'))} · "
        f"confidence: {confidence(cheap.get('confidence'))}"
    )
    judge = trace.get("judge_result") or {}
    judge_votes = [v for v in judge.get("votes", []) if v.get("agent") == judge.get("judge")]
    votes = [
        {**v, "risk_flags": ", ".join(v.get("risk_flags") or []), "stage": stage}
        for stage, part in (("cheap", cheap.get("votes", [])), ("judge", judge_votes), ("powerful", power_votes))
        for v in part
    ]
    if votes:
        st.dataframe(
            votes,
            hide_index=True,
            column_order=["stage", "agent", "role", "option", "confidence", "weight", "risk_flags"],
            column_config=column_labels(["stage", "agent", "role", "option", "confidence", "weight", "risk_flags"]),
        )
    with st.expander("Full trace (scores, thresholds, veto)"):
        st.json(trace, expanded=False)


def render_guardrails(c: ConsensusView | None) -> None:
    st.subheader("Guardrail checks")
    checks = c.guardrail_checks if c is not None else []
    if not checks:
        st.info("No guardrail checks recorded: only BUY/SELL decisions go through the execution guardrails.")
        return
    failed = failed_checks(checks)
    if failed:
        names = ", ".join(str(f.get("name")) for f in failed)
        st.error(md_escape(f"{len(failed)} of {len(checks)} checks failed ({names}): the order was not sent."))
        for f in failed:
            st.markdown(f"**{md_escape(f.get('name'))}** — {md_escape(f.get('reason'))}")
    else:
        st.success(f"All {len(checks)} checks passed.")
    ordered = failed + [ch for ch in checks if ch.get("passed")]  # the failing ones first, highlighted
    frame = pd.DataFrame(
        [{"name": ch.get("name"), "passed": bool(ch.get("passed")), "reason": ch.get("reason")} for ch in ordered]
    )
    styled = frame.style.apply(lambda row: ["" if row["passed"] else FAILED_ROW] * len(row), axis=1)
    st.dataframe(
        styled,
        hide_index=True,
        height=ROW_PX * (len(ordered) + 1) + 3,  # every check visible, no inner scroll
        column_config={
            "name": st.column_config.TextColumn("Check"),
            "passed": st.column_config.CheckboxColumn("Passed"),
            "reason": st.column_config.TextColumn("What it compared", width="large"),
        },
    )


def render_execution(trail: ExecutionTrail, d: RunDetails) -> None:
    st.subheader("Order → fills → positions")
    if not trail.links:
        if d.consensus is None:
            st.info(nothing(d, "order"))
            return
        reason = (
            "execution is off for this run"
            if d.execution_mode != ExecutionMode.ON
            else "the decision did not lead to one"
        )
        st.info(f"No order: {reason}.")
        return
    st.dataframe(
        table(trail.links), hide_index=True, column_order=LINK_COLUMNS, column_config=column_labels(LINK_COLUMNS)
    )
    steps: tuple[tuple[str, Sequence[Any], str], ...] = (
        ("Order intent", trail.intents, "No order intent recorded."),
        ("Broker orders", trail.orders, "The broker has not acknowledged an order yet."),
        ("Fills", trail.fills, "No fills yet."),
    )
    for title, rows, empty in steps:
        st.markdown(f"**{title}**")
        if rows:
            shown = table(rows)
            st.dataframe(shown, hide_index=True, column_config=column_labels(shown[0]))
        else:
            st.text(empty)
    st.markdown("**Position snapshots**")
    if not trail.positions:
        st.text("No position snapshot linked yet (taken at reconciliation).")
    for snap in trail.positions:
        st.text(
            f"{when(snap.taken_at)}: equity {usd(snap.equity, digits=2)}, cash {usd(snap.cash, digits=2)}, "
            f"buying power {usd(snap.buying_power, digits=2)}, {len(snap.positions)} positions"
        )
        if snap.positions:
            st.dataframe(snap.positions, hide_index=True, column_config=column_labels(snap.positions[0]))


def _cost_in_cents(fig: Any) -> Any:
    """The cost chart in cents: a dollar axis of LLM calls reads "$160µ" (SI prefixes), cents read 0.016¢."""
    for trace in fig.data:
        trace.y = [None if v is None else v * 100 for v in trace.y]
    fig.update_layout(title="Cost by model and purpose (cents)", yaxis_tickprefix="", yaxis_ticksuffix="¢")
    fig.update_yaxes(tickformat=".3~r")
    return fig


def render_calls(d: RunDetails) -> None:
    calls = d.llm_calls_detail
    st.subheader("LLM calls")
    if not calls:
        st.info(nothing(d, "LLM call"))
        return
    left, right = st.columns(2)
    left.plotly_chart(charts.latency_waterfall(calls, d.started_at), key="latency_chart")
    right.plotly_chart(_cost_in_cents(charts.cost_breakdown(calls)), key="cost_breakdown")
    rows = [
        row | {"cost_usd": None if c.cost_usd is None else c.cost_usd * 100}
        for row, c in zip(table(calls), calls, strict=True)
    ]
    st.dataframe(
        rows,
        hide_index=True,
        column_order=CALL_COLUMNS,
        column_config=column_labels(CALL_COLUMNS)
        | {
            "cost_usd": st.column_config.NumberColumn("Cost (¢)", format="%.4f¢"),
            "latency_ms": st.column_config.NumberColumn("Latency (ms)", format="%d ms"),
            "output_mode": "Structured output",
            "created_at": "Created (UTC)",
        },
    )
    stepped = [c for c in calls if c.note]
    if stepped:
        st.warning(
            "A provider rejected the structured-output mode it was asked with; Arena asked again with a weaker "
            "mode and keeps using it for that model: " + "; ".join(md_escape(c.note or "") for c in stepped[:3])
        )
