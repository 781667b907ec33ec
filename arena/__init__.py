"""Arena: several LLM agents propose trades, a consensus decides, everything is recorded."""
