"""The kernel: errors, state/kind vocabularies, typed ids and the clock. Imports nothing of the project."""
