"""Offline evaluation of recorded runs: policy replay (counterfactual routing, zero LLM calls)."""
