"""Running the tool calls a model asked for: refuse what the policy or the arguments do not allow, fetch the rest
through the MarketData port with a time budget, and hand back compact, size-capped JSON.

Nothing a tool returns is ever put in a system prompt: results go back only as `tool` messages, capped at
RESULT_MAX_BYTES, and news text is cut to short summaries (third-party text is data, never instructions).
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from arena.engine.llm.types import ToolRequest
from arena.engine.market.snapshot import MarketSnapshot, sha256_hex
from arena.engine.ports import MarketData
from arena.engine.tools.catalog import ARGUMENTS, BarsArgs, NewsArgs, SymbolArgs, ToolName
from arena.engine.tools.policy import ToolPlan
from arena.kernel.errors import ArenaError
from arena.kernel.states import ToolCallStatus

RESULT_MAX_BYTES = 8_192  # what one tool result may put into the conversation
PREVIEW_CHARS = 2_000  # what is stored and shown of a result
HEADLINE_MAX = 200
SUMMARY_MAX = 400
ERROR_MAX = 300


@dataclass
class ToolCallRecord:
    """One tool call as asked, judged and answered; `content` is exactly what the model got back."""

    call_id: str
    name: str
    arguments: dict[str, Any] | None
    raw_arguments: str
    status: ToolCallStatus
    content: str
    result_bytes: int
    result_hash: str
    latency_ms: int
    round: int
    llm_call_key: str | None = None
    error: str | None = None

    @property
    def preview(self) -> str:
        return self.content[:PREVIEW_CHARS]


@dataclass
class ToolBox:
    """The tools of one run: its universe, its snapshot (for indicators and the as-of time), the market port."""

    market: MarketData
    snapshot: MarketSnapshot
    universe: list[str]
    spent_s: dict[str, float] = field(default_factory=dict)  # tool seconds used per agent decision

    @property
    def as_of(self) -> datetime:
        return self.snapshot.as_of

    async def run(
        self, request: ToolRequest, plan: ToolPlan, *, budget_key: str, round_no: int, llm_call_key: str | None
    ) -> ToolCallRecord:
        """Judge and (if allowed) run one tool call within what is left of the decision's tool-time budget."""
        started = time.monotonic()
        arguments, problem = self._judge(request, plan)
        if problem is not None:
            return self._record(
                request, arguments, ToolCallStatus.REFUSED, {"error": problem}, started, round_no, llm_call_key, problem
            )
        assert arguments is not None
        left = plan.max_seconds - self.spent_s.get(budget_key, 0.0)
        if left <= 0:
            why = f"tool-time budget of {plan.max_seconds:g} s used up"
            return self._record(
                request, arguments, ToolCallStatus.REFUSED, {"error": why}, started, round_no, llm_call_key, why
            )
        try:
            result = await asyncio.wait_for(
                asyncio.to_thread(self._fetch, ToolName(request.name), arguments), timeout=left
            )
            status, error = ToolCallStatus.OK, None
        except TimeoutError:
            status, error = ToolCallStatus.TIMEOUT, f"no answer within the {left:.1f} s of tool time left"
            result = {"error": error}
        except (ArenaError, ValueError) as exc:
            status, error = ToolCallStatus.ERROR, (str(exc) or type(exc).__name__)[:ERROR_MAX]
            result = {"error": error}
        finally:
            self.spent_s[budget_key] = self.spent_s.get(budget_key, 0.0) + (time.monotonic() - started)
        return self._record(request, arguments, status, result, started, round_no, llm_call_key, error)

    def _judge(self, request: ToolRequest, plan: ToolPlan) -> tuple[dict[str, Any] | None, str | None]:
        """The validated arguments, or why the call is refused (nothing is fetched for a refused call)."""
        try:
            parsed = json.loads(request.arguments or "{}")
        except ValueError:
            return None, "arguments are not valid JSON"
        arguments = parsed if isinstance(parsed, dict) else None
        if request.name not in set(ToolName):
            return arguments, f"unknown tool {request.name!r}"
        name = ToolName(request.name)
        if name not in plan.offered:
            return arguments, f"tool {name} is not allowed for this agent"
        if arguments is None:
            return None, "arguments must be a JSON object"
        try:
            model = ARGUMENTS[name].model_validate(arguments)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first.get("loc", ())) or "arguments"
            return arguments, f"invalid arguments: {where}: {first.get('msg')}"
        symbol = getattr(model, "symbol", None)
        if symbol is not None and symbol.upper() not in self.universe:
            return arguments, f"symbol {symbol!r} is outside the run's universe ({', '.join(self.universe)})"
        return model.model_dump(), None

    def _fetch(self, name: ToolName, arguments: dict[str, Any]) -> Any:
        """The data behind one allowed call (runs in a worker thread)."""
        if name == ToolName.GET_ACCOUNT:
            portfolio = self.market.portfolio()
            return {
                "equity": portfolio.equity,
                "cash": portfolio.cash,
                "buying_power": portfolio.buying_power,
                "open_positions": len(portfolio.positions),
            }
        if name == ToolName.GET_BARS:
            bars_args = BarsArgs.model_validate(arguments)
            bars = self.market.recent_bars(
                bars_args.symbol.upper(), timeframe=bars_args.timeframe, limit=bars_args.limit, end=self.as_of
            )
            return {
                "symbol": bars_args.symbol.upper(),
                "timeframe": bars_args.timeframe,
                "columns": ["t", "o", "h", "l", "c", "v"],
                "bars": [[b.t.isoformat(), b.o, b.h, b.l, b.c, b.v] for b in bars if b.t <= self.as_of],
            }
        if name == ToolName.GET_NEWS:
            news_args = NewsArgs.model_validate(arguments)
            items = self.market.news(news_args.symbol.upper(), limit=news_args.limit, end=self.as_of)
            return {
                "symbol": news_args.symbol.upper(),
                "articles": [
                    {
                        "headline": n.headline[:HEADLINE_MAX],
                        "summary": n.summary[:SUMMARY_MAX],
                        "source": n.source,
                        "created_at": n.created_at.isoformat(),
                    }
                    for n in items
                    if n.created_at <= self.as_of
                ],
            }
        symbol = SymbolArgs.model_validate(arguments).symbol.upper()
        if name == ToolName.GET_QUOTE:
            quote = self.market.latest_quotes([symbol]).get(symbol)
            return {"symbol": symbol, "bid": quote.bid if quote else None, "ask": quote.ask if quote else None}
        if name == ToolName.GET_INDICATORS:
            found = next((s for s in self.snapshot.symbols if s.symbol == symbol), None)
            if found is None:
                raise ValueError(f"no snapshot data for {symbol}")
            return {"symbol": symbol, "as_of": self.as_of.isoformat(), **found.indicators.model_dump()}
        if name == ToolName.GET_POSITION:
            portfolio = self.market.portfolio()
            held = next((p for p in portfolio.positions if p.symbol == symbol), None)
            if held is None:
                return {"symbol": symbol, "qty": 0, "market_value": 0, "avg_entry_price": None, "side": "flat"}
            return {"symbol": symbol, **held.model_dump(mode="json", exclude={"symbol"})}
        raise ValueError(f"unknown tool {name}")

    def _record(
        self,
        request: ToolRequest,
        arguments: dict[str, Any] | None,
        status: ToolCallStatus,
        result: Any,
        started: float,
        round_no: int,
        llm_call_key: str | None,
        error: str | None,
    ) -> ToolCallRecord:
        text = json.dumps(result, separators=(",", ":"), ensure_ascii=False, default=str)
        encoded = text.encode("utf-8")
        content = text
        if len(encoded) > RESULT_MAX_BYTES:
            cut = encoded[: RESULT_MAX_BYTES - 64].decode("utf-8", errors="ignore")
            content = json.dumps({"truncated": True, "bytes": len(encoded), "partial": cut})
        return ToolCallRecord(
            call_id=request.id,
            name=request.name,
            arguments=arguments,
            raw_arguments=request.arguments,
            status=status,
            content=content,
            result_bytes=len(encoded),
            result_hash=sha256_hex(text),
            latency_ms=int((time.monotonic() - started) * 1000),
            round=round_no,
            llm_call_key=llm_call_key,
            error=error,
        )
