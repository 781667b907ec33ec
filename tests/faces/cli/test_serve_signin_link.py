"""`python -m arena signin-link`: a fresh signed link for an operator at a terminal, from the same token `serve`
uses (ARENA_ADMIN_TOKEN, else the token file), with a bounded lifetime; clear errors otherwise."""

from __future__ import annotations

import contextlib
import os
import pty
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from arena.engine.access import verify_token
from arena.engine.config.settings import PROJECT_ROOT
from arena.faces.cli.main import main
from tests.faces.web.api.processes import free_port


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for name in [n for n in os.environ if n.startswith(("ARENA_", "ALPACA_", "OPENAI_", "OPENROUTER_"))]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'arena.db'}")
    monkeypatch.setenv("ARENA_HOST", "127.0.0.1")
    monkeypatch.setenv("ARENA_PORT", "8600")
    token_file = tmp_path / "admin_token"
    monkeypatch.setenv("ARENA_ADMIN_TOKEN_FILE", str(token_file))
    monkeypatch.chdir(tmp_path)
    return token_file


def token_of(link: str) -> str:
    return parse_qs(urlsplit(link).query)["auth"][0]


def test_the_link_is_signed_with_the_configured_token_and_lives_the_default_ttl(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ARENA_ADMIN_TOKEN", "configured-secret")
    monkeypatch.setenv("ARENA_SIGNIN_LINK_TTL_S", "120")
    assert main(["signin-link"]) == 0
    link = capsys.readouterr().out.strip()
    assert link.startswith("http://127.0.0.1:8600/admin/arena/?auth=")
    token = token_of(link)
    assert verify_token("configured-secret", token, max_ttl_s=120)  # as the web checks it
    assert not verify_token("another-secret", token)
    expires = int(token.split(".")[1])
    assert 0 < expires - time.time() <= 120
    assert not clean_env.exists(), "a configured token must not create a token file"


def test_a_configured_token_with_stray_spaces_signs_as_the_web_reads_it(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ARENA_ADMIN_TOKEN", "  configured-secret \n")  # the web strips it (api/auth.py)
    assert main(["signin-link"]) == 0
    token = token_of(capsys.readouterr().out.strip())
    assert verify_token("configured-secret", token)
    assert not verify_token("  configured-secret \n", token)


def test_the_token_file_serve_made_is_used_and_ttl_and_base_url_are_honoured(
    clean_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clean_env.write_text("file-secret\n", encoding="utf-8")
    assert main(["signin-link", "--ttl", "30", "--base-url", "https://admin.example/admin/arena"]) == 0
    link = capsys.readouterr().out.strip()
    assert link.startswith("https://admin.example/admin/arena/?auth=")
    token = token_of(link)
    assert verify_token("file-secret", token, max_ttl_s=300)
    assert int(token.split(".")[1]) - time.time() <= 30


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--ttl", "5"], "--ttl must be between 10 and 300 seconds (ARENA_SIGNIN_LINK_TTL_S)"),
        (["--ttl", "301"], "--ttl must be between 10 and 300 seconds (ARENA_SIGNIN_LINK_TTL_S)"),
        (["--base-url", "admin.example/arena"], "--base-url must start with http:// or https://"),
    ],
)
def test_bad_options_are_refused_with_one_line(
    clean_env: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    clean_env.write_text("file-secret\n", encoding="utf-8")
    assert main(["signin-link", *args]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert message in captured.err


def test_without_any_token_it_says_how_to_get_one_and_makes_none(
    clean_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["signin-link"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "no admin token: set ARENA_ADMIN_TOKEN or start `python -m arena serve` once" in captured.err
    assert not clean_env.exists()


@pytest.mark.slow
def test_the_real_command_prints_a_link_that_verifies(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ARENA_", "OPENAI_", "OPENROUTER_", "ALPACA_"))}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'arena.db'}",
        ARENA_ADMIN_TOKEN="process-secret",
        PYTHONPATH=str(PROJECT_ROOT),
    )
    done = subprocess.run(
        [sys.executable, "-m", "arena", "signin-link", "--ttl", "60"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert verify_token("process-secret", token_of(done.stdout.strip()))


@pytest.mark.slow
def test_serve_prints_a_verifying_link_to_a_terminal(tmp_path: Path) -> None:
    """The other side of the piped-output test in test_serve_supervision.py: at a terminal the link is shown."""
    token_file = tmp_path / "admin_token"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ARENA_", "OPENAI_", "OPENROUTER_", "ALPACA_"))}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'arena.db'}",
        ARENA_HOST="127.0.0.1",
        ARENA_PORT=str(free_port()),
        ARENA_ADMIN_TOKEN_FILE=str(token_file),
        ARENA_SIGNIN_LINK_TTL_S="90",
        PYTHONPATH=str(PROJECT_ROOT),
    )
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "arena", "serve", "--no-worker"],
        cwd=tmp_path,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=follower,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    os.close(follower)
    link_line = re.compile(rb"Signed-in link \(valid 90 s, works once\): (http://\S+)\r?\n")
    shown = b""
    try:
        deadline = time.monotonic() + 60
        while (match := link_line.search(shown)) is None:
            assert time.monotonic() < deadline and proc.poll() is None, shown.decode(errors="replace")
            if select.select([leader], [], [], 1.0)[0]:
                with contextlib.suppress(OSError):  # EIO once serve has exited; the assert above says so
                    shown += os.read(leader, 65536)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
        os.close(leader)
    token = token_of(match.group(1).decode())
    assert verify_token(token_file.read_text().strip(), token)
    assert int(token.split(".")[1]) - time.time() <= 90
