"""The Alpaca adapter: the only package that imports alpaca-py (trading and market data over HTTP).

client.py       AlpacaClients — one TradingClient and one data client, built on first use (one set per process)
errors.py       the one table from alpaca-py / requests failures to arena.kernel.errors
broker.py       AlpacaBroker — the engine's Broker port
market_data.py  AlpacaMarketData — the engine's MarketFeed port (raw bars, quotes, account)
_convert.py     alpaca-py's loose numbers and enums → floats and lower-case text
"""
