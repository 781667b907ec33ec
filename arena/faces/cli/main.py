"""`python -m arena <command>`: the operator's and scripts' entry point (DESIGN §2)."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from collections.abc import Callable, Sequence

from arena.bootstrap.database import open_database
from arena.engine.access import local_admin_token
from arena.engine.config.settings import PROJECT_ROOT, Settings, load_settings
from arena.faces.cli.commands import add_commands, cmd_profiles, cmd_reconcile, cmd_run
from arena.faces.cli.replay_command import add_replay_command, cmd_replay
from arena.faces.cli.signin import (
    HOW_TO_GET_A_LINK,
    add_signin_link_command,
    cmd_signin_link,
    dashboard_url,
    signin_url,
)
from arena.faces.cli.supervisor import Child, Supervisor
from arena.faces.web.paths import SERVER_SCRIPT
from arena.kernel.errors import ArenaError, ConfigurationError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m arena", description="Arena: multi-model AI decision arena")
    sub = parser.add_subparsers(dest="command", required=True)

    db = sub.add_parser("db", help="database schema")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("upgrade", help="migrate the database to the newest schema")

    serve = sub.add_parser("serve", help="the dashboard + REST API (and the worker unless --no-worker)")
    serve.add_argument("--no-worker", action="store_true", help="do not start the scheduler worker")
    sub.add_parser("worker", help="the scheduler worker alone (one active per database; others wait as standby)")
    add_commands(sub)
    add_replay_command(sub)
    add_signin_link_command(sub)
    return parser


WorkerEntry = Callable[[Settings], int]


def main(argv: Sequence[str] | None = None, *, worker: WorkerEntry | None = None) -> int:
    """Parse and dispatch. `worker` is the worker process's entry point, handed in by `arena/__main__.py` so this
    face never imports the worker package (they are independent layers)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Alembic logs every connection it inspects; an error must stay the one line on stderr.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
        return _dispatch(args, settings, worker)
    except ArenaError as exc:
        print(f"arena: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _dispatch(args: argparse.Namespace, settings: Settings, worker: WorkerEntry | None) -> int:
    if args.command == "db":
        db = open_database(settings)
        from arena.storage.migrate import current_revision

        print(f"database at migration {current_revision(db.engine)}")
        return 0
    if args.command == "run":
        return cmd_run(args, settings, open_database(settings))
    if args.command == "reconcile":
        return cmd_reconcile(args, settings, open_database(settings))
    if args.command == "replay":
        return cmd_replay(args, open_database(settings))
    if args.command == "profiles":
        return cmd_profiles(args, settings, open_database(settings))
    if args.command == "signin-link":
        return cmd_signin_link(args, settings)
    if args.command == "serve":
        return _serve(settings, with_worker=not args.no_worker)
    if args.command == "worker":
        if worker is None:
            raise ConfigurationError("this entry point cannot start the worker; use `python -m arena worker`")
        return worker(settings)
    raise AssertionError(f"unhandled command {args.command}")


def _serve(settings: Settings, *, with_worker: bool) -> int:
    """Migrate once, then run the web process (and the worker) as supervised children until we are stopped.

    A child that exits on its own is logged and restarted with backoff (supervisor.py), so a crashed worker never
    takes the dashboard and API down. SIGTERM/SIGINT stop every child and exit 0.
    """
    open_database(settings).engine.dispose()
    env = dict(os.environ)
    # uvicorn would rewrite the client address from X-Forwarded-For itself (for 127.0.0.1 by default), before
    # Arena can see who connected; Arena believes forwarded headers only from ARENA_TRUSTED_PROXIES
    # (arena/faces/web/proxy.py), so uvicorn's own handling is off.
    env["FORWARDED_ALLOW_IPS"] = ""
    token = settings.admin_token.get_secret_value().strip() if settings.admin_token is not None else ""
    if not token:  # zero-setup: nothing is shown without authentication, so make a local token once
        token_file = settings.admin_token_file
        token = local_admin_token(token_file)
        env["ARENA_ADMIN_TOKEN"] = token
        print(f"ARENA_ADMIN_TOKEN is not set: using the token in {token_file} (dashboard sign-in, API bearer)")
    web_cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(SERVER_SCRIPT),
        "--server.address",
        settings.host,
        "--server.port",
        str(settings.port),
    ]
    children = [Child("web", web_cmd)]
    if with_worker:
        children.append(Child("worker", [sys.executable, "-m", "arena", "worker"]))
    supervisor = Supervisor(
        children=children, cwd=PROJECT_ROOT, env=env, max_backoff_s=settings.serve_restart_max_backoff_s
    )
    # Handlers first: a signal that lands between two spawns must not orphan the first child.
    signal.signal(signal.SIGTERM, supervisor.request_stop)
    signal.signal(signal.SIGINT, supervisor.request_stop)
    _announce(settings, token)
    return supervisor.run()


def _announce(settings: Settings, token: str) -> None:
    """The dashboard address; the signed link only to a person at a terminal, never into a log file."""
    print(f"Arena dashboard: {dashboard_url(settings)}", flush=True)
    if sys.stdout.isatty():
        link = signin_url(token, base_url=dashboard_url(settings), ttl_s=settings.signin_link_ttl_s)
        print(f"Signed-in link (valid {settings.signin_link_ttl_s} s, works once): {link}", flush=True)
    else:
        print(f"For a signed-in link, run `{HOW_TO_GET_A_LINK}` at a terminal", flush=True)
