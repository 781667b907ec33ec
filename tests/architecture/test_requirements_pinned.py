"""Supply chain: every dependency is pinned exactly, and the compromised litellm releases can never come in."""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

import pytest

from arena.engine.config.settings import PROJECT_ROOT

RUNTIME = PROJECT_ROOT / "requirements.txt"
DEV = PROJECT_ROOT / "requirements-dev.txt"
# litellm 1.82.7 and 1.82.8 shipped a credential stealer (DESIGN §3).
COMPROMISED = {("litellm", "1.82.7"), ("litellm", "1.82.8")}
PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)(\[[A-Za-z0-9._,-]+\])?==(?P<version>[A-Za-z0-9.+!_-]+)$")
DIRECT_RUNTIME = {
    "streamlit",
    "sqlalchemy",
    "psycopg",
    "psycopg-binary",
    "pandas",
    "plotly",
    "litellm",
    "pydantic",
    "pydantic-settings",
    "alpaca-py",
    "apscheduler",
    "alembic",
}
DIRECT_DEV = {"pytest", "ruff", "mypy", "playwright"}


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def parse(path: Path, *, allow_include: str | None = None) -> dict[str, str]:
    """name → version for every requirement line; anything that is not an exact pin fails the test."""
    pins: dict[str, str] = {}
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if allow_include is not None and line == f"-r {allow_include}":
            continue
        match = PIN.match(line)
        assert match, f"{path.name}:{number}: not an exact pin: {raw!r}"
        name, version = canonical(match["name"]), match["version"]
        assert name not in pins, f"{path.name}:{number}: {name} listed twice"
        assert (name, version) not in COMPROMISED, f"{path.name}:{number}: compromised release {line}"
        pins[name] = version
    return pins


def test_runtime_requirements_are_all_pinned_and_complete() -> None:
    pins = parse(RUNTIME)
    assert pins.keys() >= DIRECT_RUNTIME
    assert pins["litellm"] == "1.110.2"
    assert not pins.keys() & DIRECT_DEV, "test tools belong in requirements-dev.txt"


def test_dev_requirements_include_runtime_and_are_all_pinned() -> None:
    lines = [line.strip() for line in DEV.read_text(encoding="utf-8").splitlines()]
    assert "-r requirements.txt" in lines
    pins = parse(DEV, allow_include="requirements.txt")
    assert pins.keys() >= DIRECT_DEV
    assert not pins.keys() & parse(RUNTIME).keys(), "a runtime pin repeated in dev could drift"


@pytest.mark.parametrize("bad", ["litellm==1.82.7", "LiteLLM==1.82.8", "litellm>=1.80", "streamlit", "-e ."])
def test_the_checker_rejects_bad_lines(tmp_path: Path, bad: str) -> None:
    path = tmp_path / "requirements.txt"
    path.write_text(f"# comment\nsix==1.17.0\n{bad}\n", encoding="utf-8")
    with pytest.raises(AssertionError):
        parse(path)


def test_installed_packages_match_the_pins() -> None:
    """The environment the tests run in is the one the files describe (scripts/test.sh installs them)."""
    wanted = {**parse(RUNTIME), **parse(DEV, allow_include="requirements.txt")}
    installed = {canonical(d.metadata["Name"]): d.version for d in metadata.distributions()}
    assert ("litellm", installed.get("litellm")) not in COMPROMISED
    mismatched = {
        name: (version, installed.get(name)) for name, version in wanted.items() if installed.get(name) != version
    }
    assert mismatched == {}
