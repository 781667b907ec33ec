"""Signed sign-in links for an operator at a terminal (`python -m arena signin-link`), never written to logs.

Why a command: `serve` usually runs under systemd or with its output in a log file, and a link in a log is a
credential anyone who reads the log can use. So `serve` prints the link only to an interactive terminal and
otherwise points here; this command mints a fresh, short-lived link on demand.
"""

from __future__ import annotations

import argparse
from urllib.parse import quote

from arena.engine.access import mint_token
from arena.engine.config.settings import Settings
from arena.kernel.errors import ConfigurationError, InvalidRequestError

MIN_TTL_S = 10
HOW_TO_GET_A_LINK = "python -m arena signin-link"


def add_signin_link_command(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    link = sub.add_parser("signin-link", help="print a fresh signed dashboard sign-in link (for a terminal)")
    link.add_argument(
        "--ttl",
        type=int,
        help=f"seconds the link stays valid ({MIN_TTL_S} up to ARENA_SIGNIN_LINK_TTL_S, which is also the default)",
    )
    link.add_argument("--base-url", help="where the dashboard is reached, e.g. https://admin.example/admin/arena/")


def dashboard_url(settings: Settings) -> str:
    return f"http://{settings.host}:{settings.port}/admin/arena/"


def signin_url(secret: str, *, base_url: str, ttl_s: int) -> str:
    return f"{base_url}?auth={quote(mint_token(secret, ttl_s=ttl_s), safe='.')}"


def existing_admin_token(settings: Settings) -> str:
    """ARENA_ADMIN_TOKEN, else the token `serve` keeps in ARENA_ADMIN_TOKEN_FILE; never makes a new one (a link
    signed with a token no server knows would not work)."""
    configured = settings.admin_token.get_secret_value().strip() if settings.admin_token is not None else ""
    if configured:  # stripped as the web reads it (api/auth.py), or the link's signature would not verify there
        return configured
    path = settings.admin_token_file
    try:
        token = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        token = ""
    except OSError as exc:
        raise ConfigurationError(f"cannot read the admin token file {path}: {exc.strerror}") from exc
    if not token:
        raise ConfigurationError(
            f"no admin token: set ARENA_ADMIN_TOKEN or start `python -m arena serve` once (it creates {path})"
        )
    return token


def cmd_signin_link(args: argparse.Namespace, settings: Settings) -> int:
    limit = settings.signin_link_ttl_s  # the web refuses links that live longer than this
    ttl_s = limit if args.ttl is None else args.ttl
    if not MIN_TTL_S <= ttl_s <= limit:
        raise InvalidRequestError(
            f"--ttl must be between {MIN_TTL_S} and {limit} seconds (ARENA_SIGNIN_LINK_TTL_S)", field="ttl"
        )
    base_url = args.base_url or dashboard_url(settings)
    if not base_url.startswith(("http://", "https://")):
        raise InvalidRequestError("--base-url must start with http:// or https://", field="base_url")
    if not base_url.endswith("/"):
        base_url += "/"
    print(signin_url(existing_admin_token(settings), base_url=base_url, ttl_s=ttl_s), flush=True)
    return 0
