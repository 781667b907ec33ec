"""The screens stay thin: they hold no SQL, and rendering them never loads litellm (a ~3 s, ~190 MB import that
belongs to the worker's LLM gateway) nor the Alpaca SDK (the broker and market data belong to the engine's runs)."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

from arena.engine.config.settings import PROJECT_ROOT
from arena.faces.web.paths import APP_SCRIPT, SCREENS_DIR

PAGES = sorted(SCREENS_DIR.glob("*.py"))
SQL = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE)\s|(?<![.\w])(select|text|update|delete|insert)\(")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_pages_are_thin_and_hold_no_sql() -> None:
    assert len(PAGES) == APP_SCRIPT.read_text().count('st.Page("screens/')  # every screen is in the navigation
    for page in PAGES:
        source = page.read_text()
        assert not SQL.search(source), f"{page.name} holds SQL; put it in a storage query function"
        assert "sqlalchemy" not in _imports(page), f"{page.name} imports sqlalchemy"
        assert len(source.splitlines()) < 150, f"{page.name} is not thin; move its parts to arena/faces/web/widgets/"
        assert "litellm" not in source


def test_rendering_every_page_never_imports_litellm_or_alpaca(sqlite_url: str, tmp_path: Path) -> None:
    script = f"""
import sys
from streamlit.testing.v1 import AppTest
for page in {[f"screens/{p.name}" for p in PAGES]!r}:
    at = AppTest.from_file({str(APP_SCRIPT)!r}, default_timeout=60)
    at.session_state["arena_signed_in"] = True
    at.run()
    at.switch_page(page)
    at.run()
    assert not at.exception, (page, [e.value for e in at.exception])
loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("litellm", "openai", "tiktoken", "alpaca"))
print("LOADED", loaded)
sys.exit(1 if loaded else 0)
"""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(DATABASE_URL=sqlite_url, PYTHONPATH=str(PROJECT_ROOT))
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=240
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    assert "LOADED []" in done.stdout
