"""Where the web process's scripts live: Streamlit runs them by file path, not by module name."""

from __future__ import annotations

from pathlib import Path

WEB_DIR = Path(__file__).resolve().parent
APP_SCRIPT = WEB_DIR / "app.py"
SERVER_SCRIPT = WEB_DIR / "server.py"
SCREENS_DIR = WEB_DIR / "screens"
