"""The `run` and `profiles` commands (kept apart from the parser so each stays short)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from arena.bootstrap.database import Database
from arena.engine.config.profiles import starting_profiles
from arena.engine.config.settings import Settings
from arena.kernel.errors import InvalidRequestError
from arena.kernel.kinds import RunMode, Trigger
from arena.kernel.states import RunStatus
from arena.storage.read.run_report import run_summary
from arena.storage.read.values import jsonable
from arena.storage.repositories.profiles import upsert_profile


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    run = sub.add_parser("run", help="one arena run over the given symbols")
    run.add_argument("--symbols", required=True, help="comma-separated tickers, e.g. AAPL,MSFT")
    run.add_argument("--agents", help="comma-separated profile names (default: every enabled profile)")
    run.add_argument("--mode", choices=[m.value for m in RunMode], default=RunMode.COMPETITION.value)
    run.add_argument(
        "--debaters", help="with --mode debate: comma-separated cheap_first profiles that debate (default: all)"
    )
    run.add_argument("--enqueue", action="store_true", help="queue for the worker and print the run id at once")
    run.add_argument("--json", action="store_true", help="print one JSON object")

    reconcile = sub.add_parser("reconcile", help="bring open orders up to the broker's truth, record fills")
    reconcile.add_argument("--json", action="store_true", help="print the report as JSON")

    profiles = sub.add_parser("profiles", help="agent profiles")
    profiles_sub = profiles.add_subparsers(dest="profiles_command", required=True)
    profiles_sub.add_parser("init", help="create the three starting profiles (idempotent)")
    profiles_sub.add_parser("list", help="list current profile versions")


def _split(value: str | None) -> list[str] | None:
    if value is None:
        return None
    items = [v.strip() for v in value.split(",") if v.strip()]
    return items or None


def cmd_run(args: argparse.Namespace, settings: Settings, db: Database) -> int:
    from arena.bootstrap.services import build_services
    from arena.engine.runs.service import execute_run, start_run

    symbols = _split(args.symbols)
    if not symbols:
        raise InvalidRequestError("--symbols names no symbol", field="symbols")
    services = build_services(settings, db)
    started = start_run(
        sessions=db.sessions,
        settings=settings,
        symbols=symbols,
        agents=_split(args.agents),
        mode=args.mode,
        debaters=_split(args.debaters),
        trigger=Trigger.CLI,
        enqueue=args.enqueue,
        requested_by="cli",
        verify_with=services.ports.broker,
    )
    if args.enqueue:
        if args.json:
            print(json.dumps({"run_id": started.run_id, "trace_id": started.trace_id, "status": started.status}))
        else:
            print(started.run_id)
        return 0
    asyncio.run(
        execute_run(
            sessions=db.sessions,
            settings=settings,
            ports=services.ports,
            run_id=started.run_id,
        )
    )
    with db.sessions() as session:
        found = run_summary(session=session, run_id=started.run_id)
    assert found is not None
    summary: dict[str, Any] = jsonable(found)
    if args.json:
        print(json.dumps(summary))
    else:
        _print_human(summary)
    if summary["status"] != RunStatus.COMPLETED:
        print(f"arena: run {started.run_id} {summary['status']}: {summary['error']}", file=sys.stderr)
        return 1
    return 0


def _print_human(summary: dict[str, Any]) -> None:
    print(
        f"run {summary['run_id']} {summary['status']}: {summary['final_action']} "
        f"(escalated={summary['escalated']}, cost=${summary['cost_usd']}, trace {summary['trace_id']})"
    )
    if summary.get("decided_by"):
        reason = f": {summary['no_trade_reason']}" if summary.get("no_trade_reason") else ""
        print(f"  decided by {summary['decided_by']}{reason}")
    if summary.get("error"):
        print(f"  error: {summary['error']}", file=sys.stderr)
    agents = summary.get("agents")
    assert isinstance(agents, list)
    for a in agents:
        print(
            f"  {a['phase']:<10} {a['profile']:<22} {a['model']:<36} {a['action'] or '-':<5} "
            f"conf={a['confidence']} {a['status']}"
        )


def cmd_reconcile(args: argparse.Namespace, settings: Settings, db: Database) -> int:
    from dataclasses import asdict

    from arena.bootstrap.services import build_broker, build_market_data
    from arena.engine.execution.reconcile import reconcile_orders
    from arena.kernel.errors import ConfigurationError

    if not settings.broker_configured:
        raise ConfigurationError("reconciliation needs ALPACA_API_KEY and ALPACA_SECRET_KEY")
    report = reconcile_orders(sessions=db.sessions, broker=build_broker(settings), market=build_market_data(settings))
    if args.json:
        print(json.dumps(asdict(report)))
    else:
        print(
            f"checked {report.checked} open orders: {report.updated} updated, {report.fills} new fills, "
            f"{len(report.flagged)} flagged, {len(report.errors)} errors"
        )
        for line in report.flagged:
            print(f"  flagged: {line}")
        for line in report.errors:
            print(f"  error: {line}", file=sys.stderr)
    return 1 if report.errors else 0


def cmd_profiles(args: argparse.Namespace, settings: Settings, db: Database) -> int:
    if args.profiles_command == "init":
        from arena.engine.config.profile_service import check_cheap_price

        specs = starting_profiles(settings)
        for spec in specs:  # the same price ceiling as every other save, before anything is written
            check_cheap_price(spec, settings)
        with db.sessions() as session, session.begin():
            for spec in specs:
                values = spec.model_dump(exclude={"name"})
                from sqlalchemy import select

                from arena.storage.models import AgentProfile

                if session.scalar(select(AgentProfile).where(AgentProfile.name == spec.name)) is not None:
                    print(f"{spec.name}: exists, left as it is")
                    continue
                result = upsert_profile(session=session, name=spec.name, values=values, actor="cli:profiles init")
                print(f"{spec.name}: created (version {result.version}, {spec.provider}/{spec.model}, {spec.mode})")
        return 0
    from arena.storage.repositories.profiles import current_profiles

    with db.sessions() as session:
        for profile, version in current_profiles(session=session):
            state = "enabled" if profile.enabled else "disabled"
            print(
                f"{profile.name:<22} v{version.version:<3} {version.provider}/{version.model:<40} "
                f"{version.role:<18} {version.mode:<15} {state}"
            )
    return 0
