"""`python -m arena <command>`: the operator's and scripts' entry point (DESIGN §2)."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import subprocess
import sys
from collections.abc import Sequence

from arena.commands import add_commands, cmd_profiles, cmd_run
from arena.errors import ArenaError
from arena.runtime import open_database
from arena.settings import PROJECT_ROOT, Settings, load_settings

log = logging.getLogger("arena.cli")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m arena", description="Arena: multi-model AI decision arena")
    sub = parser.add_subparsers(dest="command", required=True)

    db = sub.add_parser("db", help="database schema")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("upgrade", help="migrate the database to the newest schema")

    serve = sub.add_parser("serve", help="the dashboard + REST API (and the worker unless --no-worker)")
    serve.add_argument("--no-worker", action="store_true", help="do not start the scheduler worker")
    add_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
        return _dispatch(args, settings)
    except ArenaError as exc:
        print(f"arena: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _dispatch(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "db":
        db = open_database(settings)
        from storage.migrate import current_revision

        print(f"database at migration {current_revision(db.engine)}")
        return 0
    if args.command == "run":
        return cmd_run(args, settings, open_database(settings))
    if args.command == "profiles":
        return cmd_profiles(args, settings, open_database(settings))
    if args.command == "serve":
        return _serve(settings, with_worker=not args.no_worker)
    raise AssertionError(f"unhandled command {args.command}")


def _serve(settings: Settings, *, with_worker: bool) -> int:
    """Migrate once, then run the web process (and the worker) as children until one exits or we are stopped."""
    open_database(settings).engine.dispose()
    env = dict(os.environ)
    web_cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(PROJECT_ROOT / "server.py"),
        "--server.address",
        settings.host,
        "--server.port",
        str(settings.port),
    ]
    children: list[subprocess.Popen[bytes]] = [subprocess.Popen(web_cmd, cwd=PROJECT_ROOT, env=env)]
    if with_worker:
        worker_cmd = [sys.executable, "-m", "arena", "worker"]
        children.append(subprocess.Popen(worker_cmd, cwd=PROJECT_ROOT, env=env))
    print(f"Arena dashboard: http://{settings.host}:{settings.port}/admin/arena/", flush=True)

    def _stop(_signum: int, _frame: object) -> None:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    code = 0
    try:
        while True:
            for child in children:
                rc = child.poll()
                if rc is not None:
                    code = rc
                    _stop(signal.SIGTERM, None)
                    for other in children:
                        other.wait(timeout=30)
                    return code
            with contextlib.suppress(subprocess.TimeoutExpired):
                children[0].wait(timeout=0.5)
    finally:
        _stop(signal.SIGTERM, None)
