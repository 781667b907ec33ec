"""Outcomes: scoring decisions against the market, shadow accounts, the real account, the leaderboard."""
