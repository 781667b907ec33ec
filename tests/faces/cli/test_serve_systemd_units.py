"""The shipped systemd units (deploy/systemd/): each starts the command it claims, restarts on failure, stops
gracefully within a timeout longer than Arena's own, is hardened, and passes `systemd-analyze verify`."""

from __future__ import annotations

import configparser
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from arena.engine.config.settings import PROJECT_ROOT, Settings
from arena.faces.cli.main import build_parser
from arena.faces.cli.supervisor import STOP_TIMEOUT_S

UNITS = PROJECT_ROOT / "deploy" / "systemd"
INSTALL_DIR = "/opt/arena"


def service(name: str) -> dict[str, str]:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # systemd keys are case-sensitive
    parser.read_string((UNITS / name).read_text(encoding="utf-8"))
    assert parser.has_section("Install") and parser["Install"]["WantedBy"] == "multi-user.target"
    return dict(parser["Service"])


def arena_args(exec_start: str) -> list[str]:
    argv = shlex.split(exec_start)
    assert argv[:3] == [f"{INSTALL_DIR}/.venv/bin/python", "-m", "arena"], exec_start
    return argv[3:]


def seconds(value: str) -> float:
    assert value.isdigit(), f"write plain seconds: {value!r}"
    return float(value)


@pytest.mark.parametrize(
    ("unit", "command", "no_worker"),
    [("arena-web.service", "serve", True), ("arena-worker.service", "worker", None)],
)
def test_each_unit_starts_its_command_and_is_restarted_and_hardened(
    unit: str, command: str, no_worker: bool | None
) -> None:
    svc = service(unit)
    args = build_parser().parse_args(arena_args(svc["ExecStart"]))
    assert args.command == command
    assert getattr(args, "no_worker", None) is no_worker, "the web unit must not start a second worker"
    assert svc["Restart"] == "on-failure"
    assert seconds(svc["RestartSec"]) > 0
    assert svc["EnvironmentFile"] == "/etc/arena/arena.env"
    assert svc["WorkingDirectory"] == INSTALL_DIR
    assert svc["User"] == "arena"
    assert svc["KillSignal"] == "SIGTERM"
    for key, value in {"NoNewPrivileges": "true", "ProtectSystem": "strict", "PrivateTmp": "true"}.items():
        assert svc[key] == value, key
    assert f"{INSTALL_DIR}/data" in svc["ReadWritePaths"].split()


def test_stop_timeouts_outlast_the_graceful_stops() -> None:
    grace_s = Settings.model_fields["worker_grace_s"].default
    assert seconds(service("arena-worker.service")["TimeoutStopSec"]) >= grace_s + 10
    web = service("arena-web.service")
    assert seconds(web["TimeoutStopSec"]) > STOP_TIMEOUT_S, "serve's own SIGKILL fallback must come first"
    assert web["KillMode"] == "mixed", "serve stops its children itself"


def test_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    names = ["arena-web.service", "arena-worker.service"]
    for name in names:  # installed here instead of /opt/arena, so the ExecStart binary exists
        text = (UNITS / name).read_text(encoding="utf-8").replace(INSTALL_DIR, str(PROJECT_ROOT))
        (tmp_path / name).write_text(text, encoding="utf-8")
    done = subprocess.run(
        [analyze, "verify", *(str(tmp_path / n) for n in names)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == "", done.stderr  # unknown keys and bad values are only warnings
