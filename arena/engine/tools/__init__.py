"""Read-only tools an agent may call while it decides (function calling): quotes, bars, indicators, the account,
its position and news. Arguments are validated before anything is fetched; results are compact, size-capped JSON."""
