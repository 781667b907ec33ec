"""The worker's own blocking database work, off the event loop: the lease has its own thread, so a busy
database (or a slow queue query) never delays a renewal."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


class WorkerThreads:
    def __init__(self) -> None:
        self._lease_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="worker-lease")
        self._db_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="worker-db")

    async def lease_call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a lease or heartbeat write on the lease thread."""
        return await asyncio.get_running_loop().run_in_executor(
            self._lease_pool, functools.partial(fn, *args, **kwargs)
        )

    async def db_call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run any other database work of the worker (queue claims, strategy reads, bookkeeping)."""
        return await asyncio.get_running_loop().run_in_executor(self._db_pool, functools.partial(fn, *args, **kwargs))

    def shutdown(self) -> None:
        self._lease_pool.shutdown(wait=False, cancel_futures=True)
        self._db_pool.shutdown(wait=False, cancel_futures=True)
