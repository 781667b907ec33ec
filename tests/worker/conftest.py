"""Shared for the worker tests: loopback LLM + Alpaca servers and a pair of real worker processes per module.

Starting a worker costs several seconds of imports (litellm), so each module starts its pair once and its tests
use it in file order; every test finds the active worker afresh and only looks at the runs it queued itself.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from arena.bootstrap.database import Database
from arena.storage.session import make_engine, session_factory
from tests.engine.harness import add_profiles
from tests.support.alpaca_server import AlpacaServer
from tests.support.databases import TemplateDatabases
from tests.support.llm_server import LLMServer
from tests.worker.support import Pair, Script, WorkerProcess, set_market, worker_env


@pytest.fixture(scope="module")
def script() -> Script:
    return Script()


@pytest.fixture(autouse=True)
def _calm_script(script: Script) -> None:
    """Every test starts with quick LLM replies."""
    with script.lock:
        script.delay_s = 0.2
        script.slow.clear()


@pytest.fixture(scope="module")
def llm(script: Script) -> Iterator[LLMServer]:
    with LLMServer() as server:
        script.install(server)
        yield server


@pytest.fixture(scope="module")
def alpaca() -> Iterator[AlpacaServer]:
    with AlpacaServer() as server:
        set_market(server)
        yield server


def start_pair(
    backend: str,
    templates: TemplateDatabases,
    tmp_path_factory: pytest.TempPathFactory,
    llm: LLMServer,
    alpaca: AlpacaServer,
    script: Script,
    **env: str,
) -> Iterator[Pair]:
    folder = tmp_path_factory.mktemp(f"workers-{backend}")
    with templates.fresh(backend, folder) as url:
        engine = make_engine(url)
        db = Database(engine=engine, sessions=session_factory(engine))
        add_profiles(db, llm, timeout_s=60)  # long: tests hold runs at the LLM on purpose
        environment = worker_env(url, llm, alpaca, **env)
        workers = [WorkerProcess.start(name, environment, folder / "logs") for name in ("a", "b")]
        try:
            yield Pair(db, environment, workers, llm, script)
        finally:
            for worker in workers:
                worker.ensure_dead()
            engine.dispose()
