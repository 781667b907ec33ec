"""Market data and portfolio state: the inputs agents decide on."""
