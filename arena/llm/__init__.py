"""LLM access: the gateway (the only litellm importer), prices and prompts."""
