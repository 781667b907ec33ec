"""From an executable consensus to a paper order: guardrails, sizing, idempotent submission, reconciliation."""
