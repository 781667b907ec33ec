"""Two real workers on PostgreSQL: one active, every queued request run exactly once, clean SIGTERM."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.alpaca_server import AlpacaServer
from tests.support.databases import TemplateDatabases
from tests.support.llm_server import LLMServer
from tests.worker.conftest import start_pair
from tests.worker.support import Pair, Script, check_exactly_once

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


@pytest.fixture(scope="module")
def pair(
    templates: TemplateDatabases,
    tmp_path_factory: pytest.TempPathFactory,
    llm: LLMServer,
    alpaca: AlpacaServer,
    script: Script,
) -> Iterator[Pair]:
    yield from start_pair("postgres", templates, tmp_path_factory, llm, alpaca, script)


def test_one_active_worker_runs_every_request_exactly_once(pair: Pair) -> None:
    check_exactly_once(pair)
    active = pair.active()
    assert active.stop() == 0  # it releases the lease: the other takes over at its next beat
    other = pair.active(timeout=5)
    assert other.stop() == 0
    for worker in pair.workers:
        log = worker.log()
        assert "Traceback" not in log, log
        assert "stopped cleanly (SIGTERM)" in log
