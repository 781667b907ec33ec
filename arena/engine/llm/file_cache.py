"""Tables read from operator-editable files (prices, capabilities): parsed once per version of the file, not on
every run that asks for them."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar, cast

T = TypeVar("T")


def load_cached(load: Callable[[str], T], path: Path | str) -> T:
    """`load(path)`, read again only when the file changes (its mtime or size); a file that cannot be read goes
    straight to `load`, for its clear ConfigurationError."""
    try:
        stat = Path(path).stat()
    except OSError:
        return load(str(path))
    return cast(T, _load_once(load, str(path), stat.st_mtime_ns, stat.st_size))


@functools.lru_cache(maxsize=16)
def _load_once(load: Callable[[str], Any], path: str, mtime_ns: int, size: int) -> Any:
    """One parse per (loader, file version): the key changes when the operator edits the file."""
    return load(path)
