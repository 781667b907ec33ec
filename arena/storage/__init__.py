"""Persistence: models, sessions, migrations and repository/query functions (no engine logic)."""
