"""Docs point at files that exist: the reality matrix's files and tests, and every code path in the architecture
page (a moved module must take its docs with it)."""

from __future__ import annotations

import json
import re

from arena.engine.config.settings import PROJECT_ROOT

DOCS = PROJECT_ROOT / "docs"
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
