"""The real CLI, in a subprocess, on bad input: one line on stderr, non-zero exit, no traceback, nothing written."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import inspect, text

from arena.engine.config.settings import PROJECT_ROOT
from arena.storage import migrate
from arena.storage.session import make_engine

DB_UPGRADE = ["db", "upgrade"]
SERVE = ["serve", "--no-worker"]
Case = tuple[list[str], str, Path]  # (arguments, DATABASE_URL, working directory)


def run_cli(cases: list[Case]) -> list[subprocess.CompletedProcess[str]]:
    """`python -m arena ...` as an operator would run it, with only DATABASE_URL configured.

    The cases run concurrently: each start costs about a second of imports, and the suite must stay fast.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARENA_") and k != "DATABASE_URL"}
    env.update(PYTHONPATH=str(PROJECT_ROOT), ARENA_PORT="1")
    started = [
        (
            args,
            subprocess.Popen(
                [sys.executable, "-m", "arena", *args],
                cwd=cwd,
                env={**env, "DATABASE_URL": url},
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                stdin=subprocess.DEVNULL,
                text=True,
            ),
        )
        for args, url, cwd in cases
    ]
    results = []
    for args, proc in started:
        try:
            out, err = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
        results.append(subprocess.CompletedProcess(args, proc.returncode, out, err))
    return results


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    """The failure is a non-zero exit with exactly one `arena: ...` line on stderr and nothing on stdout."""
    assert result.returncode != 0, result
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("arena: ")
    assert result.stdout == ""
    return lines[0]


def tree(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


MALFORMED = [
    ("not a url", "DATABASE_URL is malformed"),
    ("sqlite:{cwd}/made/arena.db", "DATABASE_URL is malformed"),
    ("postgresql://arena:hunter2@db:notaport/arena", "DATABASE_URL is malformed"),
]  # the other rejected shapes (mysql://, :memory:, no database) are unit-tested in test_storage_models


def _workdir(root: Path, name: str) -> Path:
    path = root / name
    path.mkdir()
    return path


def test_malformed_database_url(tmp_path: Path) -> None:
    cases: list[tuple[Case, str]] = []
    for i, (url, expected) in enumerate(MALFORMED):
        cwd = _workdir(tmp_path, f"db{i}")
        cases.append(((DB_UPGRADE, url.format(cwd=cwd), cwd), expected))
    serve_cwd = _workdir(tmp_path, "serve")
    url, expected = MALFORMED[1]
    cases.append(((SERVE, url.format(cwd=serve_cwd), serve_cwd), expected))

    for (case, expected), result in zip(cases, run_cli([c for c, _ in cases]), strict=True):
        line = one_error_line(result)
        assert expected in line, (case, line)
        assert "hunter2" not in line
        assert tree(case[2]) == []  # no SQLite file, no data/ folder


def test_unreachable_postgres(tmp_path: Path) -> None:
    url = "postgresql://arena:hunter2@127.0.0.1:1/arena"
    cases = [(DB_UPGRADE, url, _workdir(tmp_path, "db")), (SERVE, url, _workdir(tmp_path, "serve"))]
    for case, result in zip(cases, run_cli(cases), strict=True):
        line = one_error_line(result)
        assert "database unreachable" in line
        assert "port 1" in line
        assert "hunter2" not in line
        assert tree(case[2]) == []


def test_unusable_sqlite_locations(tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where a folder should be", encoding="utf-8")
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite" * 100)

    folder, not_db = run_cli(
        [(DB_UPGRADE, f"sqlite:///{blocker}/arena.db", tmp_path), (DB_UPGRADE, f"sqlite:///{junk}", tmp_path)]
    )

    assert "cannot create the SQLite folder" in one_error_line(folder)
    assert "file is not a database" in one_error_line(not_db)
    assert junk.read_bytes() == b"this is not sqlite" * 100
    assert tree(tmp_path) == ["blocker", "junk.db"]


def _fingerprint(url: str) -> tuple[str | None, list[str], str]:
    """Revision, tables, and (for SQLite) the file's bytes: enough to prove the database was not touched."""
    engine = make_engine(url)
    try:
        revision = migrate.current_revision(engine)
        tables = sorted(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    digest = ""
    if url.startswith("sqlite:///"):
        digest = hashlib.sha256(Path(url.removeprefix("sqlite:///")).read_bytes()).hexdigest()
    return revision, tables, digest


def test_database_at_a_newer_migration_is_left_untouched(db_url: str, tmp_path: Path) -> None:
    engine = make_engine(db_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = 'zz99_newer_code'"))
    finally:
        engine.dispose()
    before = _fingerprint(db_url)
    cases = [(DB_UPGRADE, db_url, _workdir(tmp_path, "db")), (SERVE, db_url, _workdir(tmp_path, "serve"))]

    for case, result in zip(cases, run_cli(cases), strict=True):
        line = one_error_line(result)
        assert "zz99_newer_code" in line
        assert "does not know" in line
        assert tree(case[2]) == []

    assert before[0] == "zz99_newer_code"
    assert _fingerprint(db_url) == before
