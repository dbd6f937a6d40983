"""``python -m ledger.bench``: the ledger's throughput as a ratio to its own engine.

For each database (SQLite always; PostgreSQL when reachable), workload (``single``:
single-phase transfers between random accounts; ``payment``: create_pending then post;
``hot``: every transfer pays one merchant account) and concurrency (asyncio tasks sharing
one Ledger), it measures the raw-driver baseline (``ledger.bench_baseline``) and the ledger
for the same time, taking turns in short slices (``--rounds``) so that the two sides of
every ratio meet the same machine, and prints one JSON line per result:

    {"impl": "ledger"|"baseline", "database": ..., "workload": ..., "concurrency": ...,
     "ops_per_s": ..., "p50_ms": ..., "p99_ms": ..., "ops": ..., "errors": {...}, ...}

then one ``"ratio"`` line per comparison, with the target and whether it was met (a summary
goes to stderr). One op is one transfer; for ``payment`` it is create_pending + post.
PostgreSQL: a scratch database is created on the server of ``DATABASE_URL`` (or the local
default) and dropped afterwards. SQLite: files in a temporary directory on local disk.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from typing import Any, TextIO, cast

from sqlalchemy.pool import QueuePool

from ledger.bench_baseline import SYNCHRONOUS, PostgresBaseline, SqliteBaseline
from ledger.bench_ledger import open_funded, operations
from ledger.bench_run import JsonReport, Measurement, measure

DATABASES = ("sqlite", "postgresql")
WORKLOADS = ("single", "payment", "hot")
CONCURRENCY = (1, 8, 16)
IMPLS = ("baseline", "ledger")
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"
# (database, workload, concurrency or None for each, minimum ledger/baseline)
BASELINE_TARGETS = (("postgresql", "single", 16, 0.5), ("sqlite", "single", None, 0.1))
HOT_TARGET = (16, 0.5)  # hot at 16 clients >= 0.5x the ledger's own single rate, no errors


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    def choices(allowed: tuple[str, ...]) -> Callable[[str], list[str]]:
        def parse(text: str) -> list[str]:
            picked = [part.strip() for part in text.split(",") if part.strip()]
            bad = [p for p in picked if p not in allowed]
            if bad or not picked:
                raise argparse.ArgumentTypeError(f"choose from {', '.join(allowed)}")
            return picked

        return parse

    def counts(text: str) -> list[int]:
        try:
            values = [int(part) for part in text.split(",")]
        except ValueError:
            raise argparse.ArgumentTypeError("a comma-separated list of integers") from None
        if not values or min(values) < 1:
            raise argparse.ArgumentTypeError("concurrency must be at least 1")
        return values

    parser = argparse.ArgumentParser(
        prog="python -m ledger.bench", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--database", type=choices(DATABASES), help="sqlite,postgresql")
    parser.add_argument("--workload", type=choices(WORKLOADS), default=list(WORKLOADS))
    parser.add_argument("--concurrency", type=counts, default=list(CONCURRENCY))
    parser.add_argument("--impl", type=choices(IMPLS), default=list(IMPLS))
    parser.add_argument("--seconds", type=float, default=2.0, help="measured time per result")
    parser.add_argument(
        "--warmup", type=float, default=0.3, help="unmeasured lead-in before each slice"
    )
    parser.add_argument(
        "--rounds", type=int, default=2, help="baseline/ledger alternations per result"
    )
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument(
        "--sqlite-synchronous",
        default="FULL",
        type=str.upper,
        choices=("OFF", "NORMAL", "FULL", "EXTRA"),
        help="SQLite durability for the ledger AND the baseline (default: the ledger's, FULL)",
    )
    parser.add_argument("--dir", dest="tmpdir", help="where the SQLite files go (default: TMPDIR)")
    parser.add_argument("--pool-size", type=int, help="Ledger.open pool_size (default: its own)")
    parser.add_argument("--postgres-url", default=os.environ.get("DATABASE_URL") or DEFAULT_PG)
    options = parser.parse_args(argv)
    if options.seconds <= 0 or options.warmup < 0 or options.accounts < 2 or options.rounds < 1:
        parser.error("--seconds must be > 0, --warmup >= 0, --accounts >= 2, --rounds >= 1")
    return options


class Report(JsonReport):
    """The ledger benchmark's results, and its ratios to the baseline and the targets."""

    def find(self, impl: str, database: str, workload: str, concurrency: int) -> dict | None:
        for r in self.results:
            if (r["impl"], r["database"], r["workload"], r["concurrency"]) == (
                impl,
                database,
                workload,
                concurrency,
            ):
                return r
        return None

    def ratios(self, err: TextIO) -> int:
        """Emit ledger/baseline for every pair and the hot/single ratios; return the misses."""
        misses = 0
        for r in [r for r in self.results if r["impl"] == "ledger"]:
            base = self.find("baseline", r["database"], r["workload"], r["concurrency"])
            if base is None or not base["ops_per_s"]:
                continue
            target = None
            for database, workload, concurrency, minimum in BASELINE_TARGETS:
                if (database, workload) == (r["database"], r["workload"]) and concurrency in (
                    None,
                    r["concurrency"],
                ):
                    target = minimum
            misses += self._ratio(
                err, "ledger/baseline", r, r["ops_per_s"] / base["ops_per_s"], target
            )
        for r in [r for r in self.results if r["workload"] == "hot"]:
            single = self.find(r["impl"], r["database"], "single", r["concurrency"])
            if single is None or not single["ops_per_s"]:
                continue
            target = (
                HOT_TARGET[1]
                if (r["impl"], r["concurrency"]) == ("ledger", HOT_TARGET[0])
                else None
            )
            value = r["ops_per_s"] / single["ops_per_s"]
            misses += self._ratio(err, f"{r['impl']} hot/single", r, value, target, r["errors"])
        return misses

    def _ratio(
        self,
        err: TextIO,
        name: str,
        r: dict,
        value: float,
        target: float | None,
        errors: dict | None = None,
    ) -> int:
        line: dict[str, Any] = {
            "ratio": name,
            "database": r["database"],
            "workload": r["workload"],
            "concurrency": r["concurrency"],
            "value": round(value, 3),
        }
        missed = False
        if target is not None:
            missed = value < target or bool(errors)
            line.update(target=target, met=not missed)
        self.emit(line)
        flag = "" if target is None else ("  MISS" if missed else "  ok")
        goal = (
            ""
            if target is None
            else f" (target >= {target}{', no errors' if errors is not None else ''})"
        )
        print(
            f"{name:22} {r['database']:10} {r['workload']:8} c={r['concurrency']:<3} "
            f"{value:7.3f}{goal}{flag}",
            file=err,
        )
        return int(missed)


async def _run_pairs(
    report: Report,
    options: argparse.Namespace,
    database: str,
    ledger_ops: Any,
    baseline: Any,
    extra: dict,
) -> None:
    """For each concurrency, every (workload, impl) takes its turn in each of ``--rounds``
    rounds, a slice of the measured time each: the figures a ratio compares (ledger vs
    baseline, hot vs single) are taken at nearly the same moments, so a burst of load from
    elsewhere on the machine hits both sides alike."""
    sides = []
    if baseline is not None:
        sides.append(("baseline", baseline.operations(), baseline.inline))
    if ledger_ops is not None:
        sides.append(("ledger", ledger_ops, False))
    for concurrency in options.concurrency:
        report.note(f"{database}: measuring at concurrency {concurrency}")
        totals: dict[tuple[str, str], Measurement] = {}
        for _ in range(options.rounds):
            for workload in options.workload:
                for impl, ops, inline in sides:
                    m = await measure(
                        ops[workload],
                        concurrency=concurrency,
                        seconds=options.seconds / options.rounds,
                        warmup=options.warmup,
                        inline=inline,
                    )
                    if (workload, impl) in totals:
                        totals[workload, impl].merge(m)
                    else:
                        totals[workload, impl] = m
        for (workload, impl), m in totals.items():
            report.result(impl, database, workload, m, **extra[impl])


async def sqlite_settings(setup: Any) -> dict[str, Any]:
    """The ledger's own PRAGMAs, read back through its engine (not assumed)."""
    db = setup.ledger.db
    mode = (await db.read_one("PRAGMA journal_mode", {}))[0][0]
    sync = (await db.read_one("PRAGMA synchronous", {}))[0][0]
    return {"journal_mode": mode, "synchronous": SYNCHRONOUS[sync]}


async def bench_sqlite(report: Report, options: argparse.Namespace) -> None:
    sync = options.sqlite_synchronous
    with tempfile.TemporaryDirectory(prefix="ledger-bench-", dir=options.tmpdir) as folder:
        setup = baseline = None
        try:
            if "ledger" in options.impl:
                url = f"sqlite+aiosqlite:///{os.path.join(folder, 'ledger.db')}"
                began = time.monotonic()
                setup = await open_funded(
                    url, options.accounts, sqlite_synchronous=sync, pool_size=None
                )
                report.note(f"sqlite: ledger set up in {time.monotonic() - began:.0f} s")
            if "baseline" in options.impl:
                baseline = SqliteBaseline(
                    os.path.join(folder, "baseline.db"), options.accounts, sync
                )
            info: dict[str, Any] = {"info": "sqlite", "path": folder}
            if baseline is not None:
                info["baseline"] = "sqlite3 inline on the event loop thread"
                info.update({f"baseline_{k}": v for k, v in baseline.settings().items()})
            if setup is not None:
                info["ledger"] = (
                    "one statement per transfer, group-committed on the ledger's writer thread "
                    "(sqlite3); point reads inline"
                )
                info.update({f"ledger_{k}": v for k, v in (await sqlite_settings(setup)).items()})
            report.emit(info)
            extra = {
                "baseline": {"synchronous": sync, "driver": "sqlite3 inline"},
                "ledger": {"synchronous": sync, "driver": "sqlite3 writer thread"},
            }
            await _run_pairs(
                report, options, "sqlite", setup and operations(setup), baseline, extra
            )
        finally:
            if setup is not None:
                await setup.ledger.close()
            if baseline is not None:
                baseline.close()


async def postgres_reason(admin_url: str) -> str | None:
    import asyncpg

    try:
        conn = await asyncpg.connect(admin_url, timeout=3)
    except Exception as error:  # any failure to connect means "not reachable"
        return f"{type(error).__name__}: {error}"
    await conn.close()
    return None


async def bench_postgres(report: Report, options: argparse.Namespace, admin_url: str) -> None:
    import asyncpg

    name = f"ledger_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = await asyncpg.connect(admin_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    dsn = f"{admin_url.rsplit('/', 1)[0]}/{name}"
    setup = baseline = None
    try:
        if "ledger" in options.impl:
            url = dsn.replace("postgresql://", "postgresql+asyncpg://", 1)
            began = time.monotonic()
            setup = await open_funded(
                url, options.accounts, sqlite_synchronous="FULL", pool_size=options.pool_size
            )
            report.note(f"postgresql: ledger set up in {time.monotonic() - began:.0f} s")
        if "baseline" in options.impl:
            baseline = await PostgresBaseline.create(
                dsn, options.accounts, max(options.concurrency)
            )
            report.emit(
                {
                    "info": "postgresql",
                    "baseline": "asyncpg pool, one CTE statement per transfer",
                    **await baseline.settings(),
                }
            )
        # A PostgreSQL engine of ledger.db.create_engine: an AsyncAdaptedQueuePool (a QueuePool).
        pool = cast(QueuePool, setup.ledger.db.engine.pool) if setup else None
        extra = {
            "baseline": {"driver": "asyncpg", "pool": max(options.concurrency)},
            "ledger": {"driver": "sqlalchemy+asyncpg", "pool": pool.size() if pool else None},
        }
        await _run_pairs(
            report, options, "postgresql", setup and operations(setup), baseline, extra
        )
        if baseline is not None:  # deadlocks it retried (the ledger retries its own, unseen)
            report.emit({"info": "postgresql baseline retries", "retries": baseline.retries})
    finally:
        if setup is not None:
            await setup.ledger.close()
        if baseline is not None:
            await baseline.close()
        admin = await asyncpg.connect(admin_url)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


async def run(options: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    report = Report(out, err)
    admin_url = re.sub(r"^postgresql\+\w+://", "postgresql://", options.postgres_url)
    databases = options.database or list(DATABASES)
    report.machine(
        options,
        accounts=options.accounts,
    )
    if "sqlite" in databases:
        await bench_sqlite(report, options)
    if "postgresql" in databases:
        reason: str | None
        if not admin_url.startswith("postgresql"):
            reason = f"{options.postgres_url!r} is not a PostgreSQL URL"
        else:
            reason = await postgres_reason(admin_url)
        if reason is None:
            await bench_postgres(report, options, admin_url)
        elif options.database:
            print(f"PostgreSQL unreachable: {reason}", file=err)
            return 2
        else:
            print(f"PostgreSQL skipped (unreachable: {reason})", file=err)
    misses = report.ratios(err)
    print(f"targets missed: {misses}", file=err)
    return 0


def main(
    argv: list[str] | None = None, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    options = parse_args(argv)
    return asyncio.run(run(options, out or sys.stdout, err or sys.stderr))


if __name__ == "__main__":
    sys.exit(main())
