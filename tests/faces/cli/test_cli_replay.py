"""`python -m arena replay policy` as a real process: the --json shape on a run the real engine recorded, and bad
--set or --window values refused with one `arena: …` line and exit 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from arena.bootstrap.database import Database
from arena.engine.config.settings import PROJECT_ROOT
from tests.engine.factories import decision_json
from tests.engine.harness import CHEAP_A, CHEAP_B, add_profiles, make_settings, run_arena
from tests.support.llm_server import LLMServer, Reply


def _start(url: str, *args: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARENA_") and k != "DATABASE_URL"}
    env.update(PYTHONPATH=str(PROJECT_ROOT), DATABASE_URL=url)
    return subprocess.Popen(
        [sys.executable, "-m", "arena", "replay", "policy", *args],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_replay_policy_json_and_bad_input(sqlite_url: str, sqlite_database: Database) -> None:
    with LLMServer() as llm:
        llm.on(CHEAP_A, Reply(content=decision_json("BUY", 0.8), cost=0.001))
        llm.on(CHEAP_B, Reply(content=decision_json("BUY", 0.75), cost=0.002))
        add_profiles(sqlite_database, llm)
        run_arena(sqlite_database, make_settings())

    started = {
        "json": _start(sqlite_url, "--window", "7d", "--set", "min_confidence=0.62,0.9", "--json"),
        "table": _start(sqlite_url, "--set", "min_valid_votes=1,2"),
        "unknown_key": _start(sqlite_url, "--set", "max_power_calls=1"),
        "bad_value": _start(sqlite_url, "--set", "min_confidence=1.5"),
        "bad_window": _start(sqlite_url, "--window", "thirty"),
    }
    done = {name: (p.wait(timeout=120), *p.communicate()) for name, p in started.items()}

    code, out, err = done["json"]
    assert code == 0, err
    report = json.loads(out)
    assert set(report) >= {"window", "runs_considered", "actual", "scenarios"}
    assert report["window"] == "7d" and report["runs_considered"] == 1
    keys = {"settings", "escalations", "power_calls", "cost_usd", "decisions_changed", "unknown", "hit_rate"}
    assert all(keys | {"mean_return_pct"} <= set(s) for s in report["scenarios"])
    current, strict = report["scenarios"]
    assert current["decisions_changed"] == 0 and current["unknown"] == 0
    assert current["cost_usd"] == report["actual"]["cost_usd"] == 0.003
    # at 0.9 the agreeing run (confidence 0.775) would have asked the powerful model, whose answer nobody recorded
    assert strict["unknown"] == 1 and strict["escalations"] == 1 and strict["hit_rate"] is None

    code, out, err = done["table"]
    assert code == 0, err
    rows = [line.split("  ")[0] for line in out.splitlines()]
    assert "actual (what happened)" in rows and "no change *" in rows and "min_valid_votes=1" in rows

    for name, field in (
        ("unknown_key", "unknown key 'max_power_calls'"),
        ("bad_value", "min_confidence=1.5"),
        ("bad_window", "window must be a number of days"),
    ):
        code, out, err = done[name]
        assert code == 2 and out == "", name
        assert err.count("\n") == 1 and err.startswith("arena: ") and field in err, (name, err)
