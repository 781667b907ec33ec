"""`python -m arena` as a real process against loopback servers: the environment it gets, and the servers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from tests.support.alpaca_server import AlpacaServer
from tests.support.llm_server import LOOPBACK_API_BASES, LLMServer

ROOT = Path(__file__).resolve().parents[3]
CLOSES = [100 + i * 0.5 for i in range(40)]


@contextmanager
def loopback_servers() -> Iterator[tuple[LLMServer, AlpacaServer]]:
    """An LLM server and an Alpaca server with AAPL bars, a quote, an open market and a $100k account."""
    with LLMServer() as llm, AlpacaServer() as broker:
        broker.set_bars("AAPL", CLOSES, end=date.today())
        broker.set_quote("AAPL", 119.49, 119.51)
        broker.set_account(100_000, 100_000, 200_000)
        broker.set_clock(True)
        broker.set_asset("AAPL", tradable=True, fractionable=True, shortable=True)
        yield llm, broker


def arena(db_url: str, broker: AlpacaServer, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    full_env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("ARENA_", "ALPACA_", "OPENAI_", "OPENROUTER_"))},
        **cli_env(db_url, broker, **env),
    }
    return subprocess.run(
        [sys.executable, "-m", "arena", *args], cwd=ROOT, env=full_env, capture_output=True, text=True, timeout=120
    )


def run_json(db_url: str, broker: AlpacaServer, *args: str, **env: str) -> dict[str, Any]:
    """`arena run … --json`, which must succeed; its one JSON object."""
    done = arena(db_url, broker, "run", *args, "--json", **env)
    assert done.returncode == 0, done.stderr
    out: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return out


def cli_env(db_url: str, broker: AlpacaServer, **env: str) -> dict[str, str]:
    """The environment `arena` gets in these tests (provider keys, the loopback broker, execution on)."""
    return {
        "DATABASE_URL": db_url,
        "OPENAI_API_KEY": "sk-openai-test",
        "OPENROUTER_API_KEY": "sk-or-test",
        "ALPACA_API_KEY": "key-id",
        "ALPACA_SECRET_KEY": "secret",
        "ALPACA_TRADING_URL": broker.url,
        "ALPACA_DATA_URL": broker.url,
        "ARENA_EXECUTION": "on",
        "ARENA_ALLOWED_API_BASES": LOOPBACK_API_BASES,
        **env,
    }


def run_json_in_process(
    monkeypatch: Any, capsys: Any, db_url: str, broker: AlpacaServer, *args: str, **env: str
) -> dict[str, Any]:
    """`arena run … --json` through the CLI's own `main` in this process: the same parser, commands and
    composition root as the real process, without paying litellm's import once per scenario."""
    from arena.faces.cli.main import main

    for name in [n for n in os.environ if n.startswith(("ARENA_", "ALPACA_", "OPENAI_", "OPENROUTER_"))]:
        monkeypatch.delenv(name)
    for name, value in cli_env(db_url, broker, **env).items():
        monkeypatch.setenv(name, value)
    capsys.readouterr()
    code = main(["run", *args, "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    out: dict[str, Any] = json.loads(captured.out.strip().splitlines()[-1])
    return out
