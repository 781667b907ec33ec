"""`replay policy`: re-decide the recorded runs of a window under other routing settings (0 LLM calls)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from arena.bootstrap.database import Database
from arena.engine.evaluation.policy_replay import replay_policy
from arena.engine.evaluation.scenarios import ACCEPTED_KEYS, MAX_SCENARIOS


def add_replay_command(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    replay = sub.add_parser("replay", help="offline evaluation of recorded runs (no LLM calls)")
    replay_sub = replay.add_subparsers(dest="replay_command", required=True)
    policy = replay_sub.add_parser(
        "policy", help="re-decide recorded runs under other routing settings (cartesian product of --set lists)"
    )
    policy.add_argument("--window", default="30d", help="how far back, in days (e.g. 7d, 30d, 90d; default 30d)")
    policy.add_argument(
        "--set",
        action="append",
        default=[],
        dest="sets",
        metavar="KEY=V1,V2",
        help=f"values to try for one setting ({ACCEPTED_KEYS}); repeatable; at most {MAX_SCENARIOS} combinations",
    )
    policy.add_argument("--json", action="store_true", help="print one JSON object")


def _num(value: float | None, fmt: str) -> str:
    return "—" if value is None else format(value, fmt)


def _ci(interval: Any, fmt: str) -> str:
    return "" if not interval else f" [{format(interval[0], fmt)}, {format(interval[1], fmt)}]"


def _line(label: str, row: dict[str, Any]) -> str:
    hit = _num(row["hit_rate"], ".1%") + _ci(row["hit_rate_ci"], ".1%")
    ret = _num(row["mean_return_pct"], "+.2f") + _ci(row["mean_return_ci"], "+.2f")
    changed = row.get("decisions_changed", "—")
    unknown = row.get("unknown", "—")
    return (
        f"{label:<58} {row['escalations']:>5} {row['power_calls']:>6} {row['cost_usd']:>10.4f} {changed!s:>7} "
        f"{unknown!s:>7} {row['scored']:>6}  {hit}  {ret}"
    )


def cmd_replay(args: argparse.Namespace, db: Database) -> int:
    with db.sessions() as session:
        report = replay_policy(session=session, window=args.window, sets=args.sets)
    if args.json:
        print(json.dumps(report))
        return 0
    print(f"window {report['window']} (since {report['since']}): {report['runs_considered']} runs re-decided")
    for reason, count in report["skipped"].items():
        print(f"  skipped {count}: {reason}")
    print(
        f"{'settings':<58} {'escal':>5} {'power':>6} {'cost_usd':>10} {'changed':>7} {'unknown':>7} {'scored':>6}  hit rate  mean return %"
    )
    print(_line("actual (what happened)", report["actual"]))
    current = report["actual"]["settings"]
    for row in report["scenarios"]:
        changed = [f"{k}={v:g}" for k, v in row["settings"].items() if v != current[k]]
        print(_line(", ".join(changed) or "no change *", row))
    print(
        "* the current guardrail settings ("
        + ", ".join(f"{k}={v:g}" for k, v in current.items())
        + "); cost is a lower bound where runs are unknown (docs/EVALUATION.md)"
    )
    return 0
