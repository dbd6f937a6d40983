"""Smoke tests of ``python -m bot.bench``, not timed tests: the tool runs for a fraction of a
second with a few users and its output is checked for shape and for the payments it claims
(each one posted in the ledger), never for speed."""

from __future__ import annotations

import pytest

from bot.bench import main
from tests.bench_support import REQUIRED
from tests.bench_support import run_bench as run_support


def run_bench(*args: str) -> tuple[int, list[dict], str]:
    return run_support(main, *args)


def test_a_short_run_prints_rates_the_ratio_and_the_memory_as_json_lines(tmp_path) -> None:
    code, lines, err = run_bench(
        "--users", "6", "--memory-users", "8", "--seconds", "0.3", "--warmup", "0",
        "--rounds", "1", "--concurrency", "1,2", "--dir", str(tmp_path),
    )  # fmt: skip
    assert code == 0
    results = [line for line in lines if "impl" in line]
    kinds = (("echo", "echo"), ("floor", "payment_io"), ("bot", "payment"))
    assert {(r["impl"], r["workload"], r["concurrency"]) for r in results} == {
        (impl, workload, c) for impl, workload in kinds for c in (1, 2)
    }
    for result in results:
        assert REQUIRED <= result.keys()
        assert result["database"] == "sqlite"
        assert result["ops_per_s"] > 0 and result["ops"] > 0
        assert 0 < result["p50_ms"] <= result["p99_ms"]
        assert result["errors"] == {}  # registered, funded users: every payment goes through
        assert result["updates_per_op"] == (1 if result["impl"] == "echo" else 2)
        if result["impl"] == "bot":  # SQLite writes run on the ledger's writer thread
            assert result["thread_cpu_us_per_op"]["ledger-sqlite-writer"] > 0

    ratios = [line for line in lines if "ratio" in line]
    assert [(r["ratio"], r["concurrency"]) for r in ratios] == [
        ("floor/echo_update", 1),
        ("payment/echo_update", 1),
        ("floor/echo_update", 2),
        ("payment/echo_update", 2),
    ]
    for ratio in ratios:
        assert ratio["value"] > 0 and ratio["cpu_value"] > 0
        if ratio["ratio"] == "payment/echo_update":  # the target is the bot's, not PTB's
            assert ratio["target"] == 4.0 and isinstance(ratio["met"], bool)
        else:
            assert "target" not in ratio

    (memory,) = [line for line in lines if "rss_mb" in line]
    assert memory["users"] == 8 and memory["registered_via"] == "/start"
    assert memory["rss_mb"] > 0 and memory["payments"] > 0 and memory["errors"] == {}

    (setup,) = [line for line in lines if line.get("info") == "setup"]
    assert setup["registered"] == 8 and setup["sqlite_synchronous"] == "FULL"
    (books,) = [line for line in lines if line.get("info") == "books"]
    assert books["ok"] and books["pending"] == 0  # every counted payment posted once, none held
    assert books["payments_counted"] == books["payments_in_ledger"] > memory["payments"]
    assert "one payment costs" in err and "peak RSS" in err and "targets missed:" in err


def test_the_memory_phase_can_be_skipped_and_one_concurrency_chosen(tmp_path) -> None:
    code, lines, _ = run_bench(
        "--users", "3", "--memory-users", "0", "--seconds", "0.2", "--warmup", "0",
        "--rounds", "1", "--concurrency", "3", "--sqlite-synchronous", "normal",
        "--dir", str(tmp_path),
    )  # fmt: skip
    assert code == 0
    results = [line for line in lines if "impl" in line]
    assert sorted((r["impl"], r["concurrency"]) for r in results) == [
        ("bot", 3),
        ("echo", 3),
        ("floor", 3),
    ]
    assert not [line for line in lines if "rss_mb" in line]


def test_unreachable_postgres_fails_when_asked_for() -> None:
    code, lines, err = run_bench(
        "--database", "postgresql", "--postgres-url", "postgresql://postgres@127.0.0.1:1/none",
        "--seconds", "0.1",
    )  # fmt: skip
    assert code == 2
    assert "PostgreSQL unreachable" in err
    assert not [line for line in lines if "impl" in line]


@pytest.mark.parametrize("args", [["--users", "1"], ["--seconds", "0"], ["--database", "mysql"]])
def test_bad_options_are_refused(args: list[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(args)
    assert exit_.value.code == 2
