"""`python -m arena <command>`: the operator's and scripts' entry point (DESIGN §2)."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Sequence

from arena.bootstrap.database import open_database
from arena.engine.access import MAX_TTL_S, local_admin_token, mint_token
from arena.engine.config.settings import PROJECT_ROOT, Settings, load_settings
from arena.faces.cli.commands import add_commands, cmd_profiles, cmd_reconcile, cmd_run
from arena.faces.web.paths import SERVER_SCRIPT
from arena.kernel.errors import ArenaError, ConfigurationError

log = logging.getLogger("arena.faces.cli.main")


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
    if args.command == "profiles":
        return cmd_profiles(args, settings, open_database(settings))
    if args.command == "serve":
        return _serve(settings, with_worker=not args.no_worker)
    if args.command == "worker":
        if worker is None:
            raise ConfigurationError("this entry point cannot start the worker; use `python -m arena worker`")
        return worker(settings)
    raise AssertionError(f"unhandled command {args.command}")


def _serve(settings: Settings, *, with_worker: bool) -> int:
    """Migrate once, then run the web process (and the worker) as children until one exits or we are stopped.

    Stopping on SIGTERM/SIGINT is a clean exit (0) once every child is gone; a child that dies on its own
    takes the others down and its exit code becomes ours, so a supervisor sees the failure.
    """
    open_database(settings).engine.dispose()
    env = dict(os.environ)
    token = settings.admin_token.get_secret_value() if settings.admin_token is not None else ""
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
    children: list[subprocess.Popen[bytes]] = []
    stopping = False

    def _stop(_signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True
        _terminate(children)

    # Handlers first: a signal that lands between two spawns must not orphan the first child.
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    try:
        children.append(subprocess.Popen(web_cmd, cwd=PROJECT_ROOT, env=env))
        if with_worker and not stopping:
            worker_cmd = [sys.executable, "-m", "arena", "worker"]
            children.append(subprocess.Popen(worker_cmd, cwd=PROJECT_ROOT, env=env))
        login = mint_token(token, ttl_s=MAX_TTL_S)
        print(f"Arena dashboard: http://{settings.host}:{settings.port}/admin/arena/", flush=True)
        print(
            f"Signed-in link (valid 1 h): http://{settings.host}:{settings.port}/admin/arena/?auth={login}", flush=True
        )
        while True:
            exited = [child.returncode for child in children if child.poll() is not None]
            if exited or stopping:
                _terminate(children)
                _reap(children)
                if stopping:
                    return 0
                return _exit_code(exited[0])
            with contextlib.suppress(subprocess.TimeoutExpired):
                children[0].wait(timeout=0.5)
    finally:
        _terminate(children)
        _reap(children)


def _terminate(children: list[subprocess.Popen[bytes]]) -> None:
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)


def _reap(children: list[subprocess.Popen[bytes]], timeout_s: float = 20.0) -> None:
    """Wait for every child; one that ignores SIGTERM is killed so none outlives us."""
    for child in children:
        try:
            child.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            log.warning("child %s ignored SIGTERM; killing it", child.pid)
            child.kill()
            child.wait()


def _exit_code(returncode: int) -> int:
    """A child killed by a signal reports -N; shells say 128+N. Any other failure stays non-zero."""
    if returncode < 0:
        return 128 - returncode
    return returncode or 1
