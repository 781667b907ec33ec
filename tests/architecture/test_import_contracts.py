"""The layer contracts in pyproject.toml hold, and they are not a check that cannot fail: a deliberately wrong
import in a copy of the tree breaks exactly the contract it should."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from arena.engine.config.settings import PROJECT_ROOT

LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(root / "pyproject.toml"), "--no-cache"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin", "COLUMNS": "250"},  # one contract per line
    )


@pytest.fixture(scope="module")
def tree_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("tree")
    shutil.copytree(PROJECT_ROOT / "arena", root / "arena", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(PROJECT_ROOT / "pyproject.toml", root / "pyproject.toml")
    return root


def test_the_tree_keeps_every_contract() -> None:
    result = _lint(PROJECT_ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


# One deliberately wrong import per contract (and per side of the two-sided ones).
WRONG_IMPORTS = [
    ("arena/engine/decide/wrong.py", "import arena.faces.web.api", "One-way layers"),
    ("arena/storage/wrong.py", "import arena.engine.decide.consensus", "One-way layers"),
    ("arena/engine/runs/wrong.py", "import arena.worker.worker", "One-way layers"),
    ("arena/faces/cli/wrong.py", "import arena.worker.worker", "One-way layers"),
    ("arena/engine/wrong.py", "import litellm", "litellm only in the LLM gateway adapter"),
    ("arena/adapters/llm/wrong.py", "import litellm", "litellm only in the LLM gateway adapter"),
    ("arena/engine/execution/wrong.py", "import alpaca.trading.client", "alpaca-py only in the Alpaca adapter"),
    ("arena/faces/cli/wrong.py", "import streamlit", "streamlit only in the web face"),
    ("arena/faces/web/wrong.py", "import arena.adapters.alpaca.broker", "via the composition root"),
    ("arena/adapters/alpaca/wrong.py", "import arena.storage.repositories.runs", "Adapters see only engine ports"),
    ("arena/adapters/llm/wrong.py", "import arena.adapters.alpaca.broker", "Each vendor adapter stands alone"),
    ("arena/kernel/wrong.py", "import pydantic", "The kernel imports nothing of the project"),
]


def test_every_contract_has_a_wrong_import_that_breaks_it() -> None:
    config = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())
    names = [c["name"] for c in config["tool"]["importlinter"]["contracts"]]
    assert len(names) == 8
    for name in names:
        assert any(broken in name for _, _, broken in WRONG_IMPORTS), f"no wrong import exercises {name!r}"


@pytest.mark.parametrize(("module", "line", "broken"), WRONG_IMPORTS)
def test_a_wrong_import_breaks_its_contract(tree_copy: Path, module: str, line: str, broken: str) -> None:
    assert broken in _kept(_lint(tree_copy).stdout), "the contract must hold before the wrong import is added"
    target = tree_copy / module
    target.write_text(f'"""A deliberately wrong import."""\n\n{line}\n')
    try:
        result = _lint(tree_copy)
    finally:
        target.unlink()
    assert result.returncode != 0, result.stdout
    assert broken in _status_lines(result.stdout, "BROKEN"), result.stdout


def _status_lines(stdout: str, status: str) -> str:
    """The contract lines with this verdict ("… KEPT", "… KEPT (1 ignored import)", "… BROKEN")."""
    return "\n".join(ln for ln in stdout.splitlines() if f" {status}" in ln)


def _kept(stdout: str) -> str:
    return _status_lines(stdout, "KEPT")
