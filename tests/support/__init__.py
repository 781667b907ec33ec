"""Test-only helpers: loopback servers and database fixtures. Never imported by the app."""
