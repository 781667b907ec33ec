"""Process-wide resources for the pages: settings and the database, cached once per process."""

from __future__ import annotations

import streamlit as st

from arena.errors import ArenaError
from arena.runtime import Database, open_database
from arena.settings import Settings, load_settings


@st.cache_resource(show_spinner=False)
def _database() -> Database:
    return open_database(load_settings())


def settings() -> Settings:
    return load_settings()


def database() -> Database | None:
    """The database, or None after showing the operator why it cannot be opened."""
    try:
        return _database()
    except ArenaError as exc:
        st.error(f"Database unavailable: {exc}")
        return None
