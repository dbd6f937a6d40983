"""Smoke tests of the benchmark tool (``python -m ledger.bench``), not timed tests: the tool
runs for a fraction of a second and its output is checked for shape, not for speed."""

import asyncio
import os
import random
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from ledger.bench import main
from ledger.bench_run import Measurement, measure
from tests.bench_support import REQUIRED
from tests.bench_support import run_bench as run_support


def run_bench(*args: str) -> tuple[int, list[dict], str]:
    return run_support(main, *args)


def test_sqlite_run_prints_a_json_line_per_result_and_the_ratios(tmp_path) -> None:
    code, lines, err = run_bench(
        "--database", "sqlite", "--seconds", "0.15", "--warmup", "0", "--accounts", "20",
        "--concurrency", "1,3", "--dir", str(tmp_path),
    )  # fmt: skip
    assert code == 0
    results = [line for line in lines if "impl" in line]
    combos = {(r["impl"], r["workload"], r["concurrency"]) for r in results}
    assert combos == {
        (impl, workload, c)
        for impl in ("baseline", "ledger")
        for workload in ("single", "payment", "hot")
        for c in (1, 3)
    }
    for result in results:
        assert REQUIRED <= result.keys()
        assert result["database"] == "sqlite"
        assert result["ops_per_s"] > 0 and result["ops"] > 0
        assert 0 < result["p50_ms"] <= result["p99_ms"]
        assert result["errors"] == {}  # funded accounts: nothing may be refused
        assert result["synchronous"] == "FULL"  # the ledger's default durability, both sides
    info = next(line for line in lines if line.get("info") == "sqlite")
    assert info["ledger_synchronous"] == info["baseline_synchronous"] == "FULL"
    assert info["ledger_journal_mode"] == info["baseline_journal_mode"] == "wal"
    ratios = [line for line in lines if "ratio" in line]
    targeted = [r for r in ratios if "target" in r]
    assert {(r["ratio"], r["workload"], r["concurrency"]) for r in targeted} == {
        ("ledger/baseline", "single", 1),
        ("ledger/baseline", "single", 3),
    }
    assert all(r["value"] > 0 for r in ratios)
    assert "ledger/baseline" in err and "targets missed:" in err


def test_options_narrow_the_run(tmp_path) -> None:
    code, lines, _ = run_bench(
        "--database", "sqlite", "--workload", "hot", "--impl", "ledger", "--concurrency", "2",
        "--seconds", "0.1", "--warmup", "0", "--accounts", "5", "--sqlite-synchronous", "normal",
        "--dir", str(tmp_path),
    )  # fmt: skip
    assert code == 0
    results = [line for line in lines if "impl" in line]
    assert [(r["impl"], r["workload"], r["concurrency"]) for r in results] == [("ledger", "hot", 2)]
    assert results[0]["synchronous"] == "NORMAL"
    info = next(line for line in lines if line.get("info") == "sqlite")
    assert info["ledger_synchronous"] == "NORMAL"


def test_unreachable_postgres_fails_when_asked_for_explicitly() -> None:
    code, lines, err = run_bench(
        "--database", "postgresql", "--postgres-url", "postgresql://postgres@127.0.0.1:1/none",
        "--seconds", "0.1",
    )  # fmt: skip
    assert code == 2
    assert "PostgreSQL unreachable" in err
    assert not [line for line in lines if "impl" in line]


def test_bad_option_is_refused() -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--workload", "sideways"])
    assert exit_.value.code == 2


def test_failures_are_counted_by_type_and_left_out_of_the_rate() -> None:
    calls = {"n": 0}

    async def flaky(rng: random.Random) -> None:
        calls["n"] += 1
        await asyncio.sleep(0)
        if calls["n"] % 2:
            raise LookupError("refused")

    m = asyncio.run(measure(flaky, concurrency=2, seconds=0.05, warmup=0))
    assert m.errors["LookupError"] > 0
    assert m.ops > 0 and len(m.latencies) == m.ops
    assert abs(m.errors["LookupError"] - m.ops) <= 2  # every other call failed


@pytest.mark.skipif(not os.path.exists("/proc/self/task"), reason="per-thread CPU is Linux's")
def test_the_cpu_a_worker_thread_spends_is_reported_under_its_name() -> None:
    """An operation whose work runs on a named thread: the split shows that thread's CPU per
    call, and a thread that only sleeps shows none."""

    def spin() -> None:
        end = time.thread_time() + 0.002
        while time.thread_time() < end:
            pass

    async def main() -> Measurement:
        loop = asyncio.get_running_loop()
        with ThreadPoolExecutor(1, thread_name_prefix="busy") as busy:
            with ThreadPoolExecutor(1, thread_name_prefix="idle") as idle:
                await loop.run_in_executor(idle, time.sleep, 0)  # started, then only waits

                async def op(rng: random.Random) -> None:
                    await loop.run_in_executor(busy, spin)

                return await measure(op, concurrency=1, seconds=0.3, warmup=0)

    m = asyncio.run(main())
    split = m.thread_cpu_us_per_op()
    assert split["busy_0"] >= 1_000  # 2 ms of CPU per call; the kernel's tick is 10 ms
    assert split.get("idle_0", 0.0) < 200
    assert m.cpu_us_per_op >= split["busy_0"] * 0.8


def test_new_ref_draws_ten_crockford_letters_and_all_of_them() -> None:
    # new_ref was rewritten for speed (one token_bytes call): still the same alphabet, uniform.
    from ledger.refs import _REF_ALPHABET, new_ref

    refs = [new_ref() for _ in range(2_000)]
    assert all(len(ref) == 10 for ref in refs)
    letters = set("".join(refs))
    assert letters == set(_REF_ALPHABET)  # 20,000 draws: every one of the 32 shows up
    assert not letters & set("ILOU")
    assert len(set(refs)) == len(refs)
