"""The restart policy of `serve`'s supervisor: how long it waits, and how it names an exit (no clocks involved)."""

from __future__ import annotations

import pytest

from arena.faces.cli.supervisor import STABLE_AFTER_S, Child, backoff_s, describe_exit


def test_backoff_doubles_from_one_second_up_to_the_cap() -> None:
    assert [backoff_s(n, cap_s=60) for n in range(1, 9)] == [1, 2, 4, 8, 16, 32, 60, 60]
    assert backoff_s(1000, cap_s=5) == 5
    with pytest.raises(ValueError):
        backoff_s(0, cap_s=60)


def test_quick_failures_grow_the_delay_and_a_stable_run_resets_it() -> None:
    child = Child("worker", ["true"], started_at=100.0)
    assert child.note_exit(now=100.5, cap_s=60) == 1
    child.started_at = 101.5
    assert child.note_exit(now=102.0, cap_s=60) == 2
    child.started_at = 104.0
    assert child.note_exit(now=105.0, cap_s=60) == 4
    assert child.restart_at == 109.0
    child.started_at = 109.0
    assert child.note_exit(now=109.0 + STABLE_AFTER_S, cap_s=60) == 1, "a child that ran stably starts over at 1 s"


@pytest.mark.parametrize(
    ("code", "text"),
    [
        (-9, "code -9 (SIGKILL)"),
        (-15, "code -15 (SIGTERM)"),
        (1, "code 1"),
        (0, "code 0"),
        (-200, "code -200 (signal 200)"),
    ],
)
def test_an_exit_is_named_with_its_code_and_signal(code: int, text: str) -> None:
    assert describe_exit(code) == text
