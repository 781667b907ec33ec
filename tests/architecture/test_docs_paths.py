"""Docs point at files that exist: the reality matrix's files and tests, every code path in the docs, and every
dotted `arena.…` name they cite (a moved module or a renamed function must take its docs with it)."""

from __future__ import annotations

import importlib
import json
import re

from arena.engine.config.settings import PROJECT_ROOT

DOCS = PROJECT_ROOT / "docs"
DOTTED_NAME = re.compile(r"`(arena(?:\.\w+)+)(?:\([^`]*\))?`")  # `arena.x.y.Attr`, or a call `arena.x.f(…)`
CODE_PATH = re.compile(r"`((?:arena|tests|scripts|deploy|bench)/[\w/.\-]+?\.(?:py|json|toml|conf|sh))(?:::\w+)?`")


def test_every_file_the_reality_matrix_names_exists() -> None:
    matrix = json.loads((DOCS / "DOC_REALITY_MATRIX.json").read_text())
    named = [
        path
        for section in matrix.values()
        if isinstance(section, list)
        for entry in section
        if isinstance(entry, dict)
        for key in ("files", "tests")
        for path in entry.get(key, [])
    ]
    assert len(named) > 20
    missing = [path for path in named if not any(PROJECT_ROOT.glob(path))]
    assert not missing, missing


def test_every_code_path_in_the_docs_exists() -> None:
    named = {
        (doc.name, match.group(1))
        for doc in [*DOCS.glob("*.md"), PROJECT_ROOT / "README.md"]
        for match in CODE_PATH.finditer(doc.read_text())
    }
    assert len(named) > 30
    missing = sorted((doc, path) for doc, path in named if "*" not in path and not (PROJECT_ROOT / path).exists())
    assert not missing, missing


def _resolves(dotted: str) -> bool:
    """The longest importable module prefix of `dotted`, then attributes for the rest."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        module = ".".join(parts[:cut])
        try:
            found: object = importlib.import_module(module)
        except ModuleNotFoundError as missing:
            if missing.name is not None and module.startswith(missing.name):
                continue  # not a module: try the shorter prefix
            raise  # an existing module failing to import is a bug of its own
        for attribute in parts[cut:]:
            if not hasattr(found, attribute):
                return False
            found = getattr(found, attribute)
        return True
    return False


def test_every_dotted_arena_name_in_the_docs_resolves() -> None:
    named = {
        (doc.name, match.group(1))
        for doc in [*DOCS.glob("*.md"), PROJECT_ROOT / "README.md"]
        for match in DOTTED_NAME.finditer(doc.read_text())
    }
    assert len(named) > 5
    missing = sorted((doc, name) for doc, name in named if not _resolves(name))
    assert not missing, missing
