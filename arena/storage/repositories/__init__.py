"""Repository functions: keyword-only, take a session, never open their own."""
