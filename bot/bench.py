"""``python -m bot.bench``: complete payments per second through the real Application, as a
ratio to a plain echo bot measured in the same run, and the process's peak memory.

Both bots run in this process with the same offline Bot API (``bot.fakeapi``, answering at
once and keeping no calls) and receive the same Update JSON through ``process_update``:

- ``bot``: the payment bot of ``bot.app.build_application`` on a real Ledger (a fresh SQLite
  file by default, or a scratch PostgreSQL database). One op is a complete payment: ``/send
  @user 1.00`` from a registered, funded user, then a press on the Confirm button of the card
  the bot sent (its callback data read from the fake's sendMessage answer): two updates.
- ``echo``: the framework's own baseline, a minimal Application with one MessageHandler
  replying with the text, fed the same ``/send`` message updates. One op is one update.
- ``floor``: PTB alone doing a payment's I/O (the same two updates and four Bot API calls,
  no ledger, no checks), so the ratio can be split into PTB's share and the bot's own.

Setup (not measured): ``max(--users, --memory-users)`` users each send /start and are funded
with a ``kind="credit"`` transfer. On SQLite this runs with synchronous=OFF, then the bot is
started afresh with the durability under test (FULL, the program's default) and its caches
warmed with everyone. Per-user rate limiting is raised to its maximum: simulated users pay far
faster than people do. Then, at each ``--concurrency`` (asyncio tasks calling
``process_update``), echo, floor and bot take turns in ``--rounds`` slices among the first
``--users``, and ``ratio`` lines give, by rate and by this process's CPU per op, the floor and
one payment in echo updates (``payment/echo_update``, target: at most 4) and one payment in
PTB floors (``payment/floor``, targets: at most 2.5 at one payment in flight, 1.6 at 8).
Last, the memory phase: payments among all ``--memory-users``, then the peak resident memory
of the process (``ru_maxrss``, everything this run held included; target: under 150 MB). A
``books`` line checks that every payment counted was posted once and the ledger balances.
Output: one JSON line per result (the keys of ``python -m ledger.bench``), a summary on stderr.

``--workers N --database postgresql`` measures instead complete payments through N real
``python -m bot`` processes in webhook mode over HTTP, against one of them: see
``bot.bench_workers``.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import os
import random
import re
import resource
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from typing import Any, TextIO

from bot.bench_drivers import (
    DEFAULT_PG,
    FIRST_USER_ID,
    Database,
    Driver,
    echo_bot,
    echo_op,
    floor_bot,
    make_users,
    payment_bot,
    payment_op,
)
from bot.fakeapi import Telegram
from ledger import Ledger
from ledger.bench_run import JsonReport, Measurement, measure

RATIO_TARGET = 4.0  # a complete payment costs at most this many echo updates (issue 7)
# ... and at most this many PTB floors, by concurrency (issue 12); none at other concurrencies.
FLOOR_TARGETS = {1: 2.5, 8: 1.6}
RSS_TARGET_MB = 150.0
STRANGERS_TARGET_MB = 30.0  # growth over the idle process after --strangers people
STRANGERS_AT_ONCE = 8  # strangers whose command runs at the same time


def rss_mb() -> float:
    """The process's peak resident set so far (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024 if sys.platform == "darwin" else 1024)


def current_rss_mb() -> float | None:
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return None


# --- the phases --------------------------------------------------------------------------


async def bench(report: Report, options: argparse.Namespace, database: Database) -> None:
    """One payment bot with every user registered; the echo bot beside it. Payments among the
    first ``--users`` of them against echo updates, then (the memory phase) payments among all
    ``--memory-users``, and the process's peak resident memory."""
    everyone = make_users(max(options.users, options.memory_users))
    started = time.perf_counter()
    async with (
        database.fresh() as url,
        payment_bot(url, everyone, options.sqlite_synchronous) as bot,
        echo_bot() as echo,
        floor_bot() as floor,
    ):
        report.emit(
            {
                "info": "setup",
                "database": database.name,
                "registered": len(everyone),
                "registered_via": "/start",
                "setup_s": round(time.perf_counter() - started, 1),
                "sqlite_synchronous": options.sqlite_synchronous
                if database.name == "sqlite"
                else None,
            }
        )
        drivers = {"echo": echo, "floor": floor, "bot": bot}
        await throughput(report, options, database.name, drivers, everyone[: options.users])
        if options.memory_users:
            await memory(report, options, database.name, bot, everyone[: options.memory_users])
        if options.strangers:
            await strangers(report, options, database.name, bot)
        await check_books(report, bot.app.bot_data["ledger"], bot.paid, funded=len(everyone))


async def throughput(
    report: Report,
    options: argparse.Namespace,
    database: str,
    drivers: dict[str, Driver],
    users: list[dict[str, Any]],
) -> None:
    sides: list[tuple[str, str, Driver, Callable[[random.Random], Awaitable[Any]]]] = [
        (impl, workload, drivers[impl], make(drivers[impl], users))
        for impl, workload, make in (
            ("echo", "echo", echo_op),
            ("floor", "payment_io", payment_op),
            ("bot", "payment", payment_op),
        )
    ]
    for concurrency in options.concurrency:
        totals: dict[str, Measurement] = {}
        for _ in range(options.rounds):  # the two take turns, so load from elsewhere hits both
            for impl, _workload, _driver, op in sides:
                m = await measure(
                    op,
                    concurrency=concurrency,
                    seconds=options.seconds / options.rounds,
                    warmup=options.warmup,
                )
                if impl in totals:
                    totals[impl].merge(m)
                else:
                    totals[impl] = m
        for impl, workload, driver, _op in sides:
            m = totals[impl]
            m.errors.update(driver.errors)
            driver.errors.clear()
            report.result(
                impl,
                database,
                workload,
                m,
                users=len(users),
                updates_per_op=1 if impl == "echo" else 2,
            )
        report.cost_ratio(database, concurrency)


async def memory(
    report: Report,
    options: argparse.Namespace,
    database: str,
    bot: Driver,
    users: list[dict[str, Any]],
) -> None:
    m = await measure(
        payment_op(bot, users),
        concurrency=max(options.concurrency),
        seconds=options.seconds / options.rounds,
        warmup=0,
    )
    m.errors.update(bot.errors)
    bot.errors.clear()
    peak, now = rss_mb(), current_rss_mb()
    met = peak < RSS_TARGET_MB and not m.errors
    report.emit(
        {
            "rss_mb": round(peak, 1),
            "rss_now_mb": None if now is None else round(now, 1),
            "database": database,
            "users": len(users),
            "registered_via": "/start",
            "payments": m.ops,
            "errors": dict(m.errors),
            "target_mb": RSS_TARGET_MB,
            "met": met,
        }
    )
    report.note(
        f"peak RSS with {len(users)} users: {peak:.1f} MB (target < {RSS_TARGET_MB:g})  "
        + ("ok" if met else "MISS")
    )
    report.misses += not met


async def strangers(
    report: Report, options: argparse.Namespace, database: str, bot: Driver
) -> None:
    """``--strangers`` people the bot never met each send one command (/help): what the
    process keeps of them is its memory growth over the idle process (target: at most
    STRANGERS_TARGET_MB), since nothing about a person may outlive their update."""
    gc.collect()
    idle = current_rss_mb()
    first = FIRST_USER_ID + 10_000_000

    async def one(n: int) -> None:
        await bot.say(
            Telegram.user(first + n, f"stranger{n}", f"S{n}", language_code="en"), "/help"
        )

    started = time.perf_counter()
    for batch in range(0, options.strangers, STRANGERS_AT_ONCE):
        end = min(options.strangers, batch + STRANGERS_AT_ONCE)
        await asyncio.gather(*(one(n) for n in range(batch, end)))
    gc.collect()
    after = current_rss_mb()
    if idle is None or after is None:
        report.note("RSS per stranger: not measurable here (no /proc)")
        return
    growth = after - idle
    met = growth <= STRANGERS_TARGET_MB and not bot.errors
    report.emit(
        {
            "info": "strangers",
            "database": database,
            "strangers": options.strangers,
            "rss_idle_mb": round(idle, 1),
            "rss_after_mb": round(after, 1),
            "growth_mb": round(growth, 1),
            "seconds": round(time.perf_counter() - started, 1),
            "errors": dict(bot.errors),
            "target_mb": STRANGERS_TARGET_MB,
            "met": met,
        }
    )
    report.note(
        f"RSS after {options.strangers} strangers each sent one command: {growth:+.1f} MB over "
        f"the idle process (target at most +{STRANGERS_TARGET_MB:g})  " + ("ok" if met else "MISS")
    )
    bot.errors.clear()
    report.misses += not met


async def check_books(report: Report, ledger: Ledger, paid: int, funded: int) -> None:
    """Every payment counted (``paid``) was posted once, none is left on hold, and the books
    balance."""
    books = await ledger.verify()
    posted = books.transfers_checked - funded  # one credit per user, then the payments
    ok = books.ok and posted == paid and books.pending_transfers == 0
    report.emit(
        {
            "info": "books",
            "payments_counted": paid,
            "payments_in_ledger": posted,
            "pending": books.pending_transfers,
            "balanced": books.ok,
            "ok": ok,
        }
    )
    if not ok:
        report.note(f"BOOKS WRONG: {books.summary()}; counted {paid}, ledger has {posted}")
        report.misses += 1


class Report(JsonReport):
    """Prints one JSON line per result (the keys of ``python -m ledger.bench``), keeps them for
    the ratio, and counts the targets missed; a summary for humans goes to ``err``."""

    def __init__(self, out: TextIO, err: TextIO) -> None:
        super().__init__(out, err)
        self.misses = 0

    def find(self, impl: str, concurrency: int) -> dict[str, Any] | None:
        return next(
            (r for r in self.results if (r["impl"], r["concurrency"]) == (impl, concurrency)),
            None,
        )

    def cost_ratio(self, database: str, concurrency: int) -> None:
        """What one op costs in ops of another, by rate (``value``: their rate / its rate)
        and by this process's CPU per op (``cpu_value``, what a busy machine disturbs least):
        the PTB floor in echo updates (PTB's share, no target), a complete payment in echo
        updates (target ``RATIO_TARGET``), and a payment in PTB floors (``FLOOR_TARGETS``)."""
        for name, impl, unit, target in (
            ("floor/echo_update", "floor", "echo", None),
            ("payment/echo_update", "bot", "echo", RATIO_TARGET),
            ("payment/floor", "bot", "floor", FLOOR_TARGETS.get(concurrency)),
        ):
            measured, base = self.find(impl, concurrency), self.find(unit, concurrency)
            if base is None or measured is None or not measured["ops_per_s"]:
                continue
            value = base["ops_per_s"] / measured["ops_per_s"]
            cpu = measured["client_cpu_us_per_op"] / max(base["client_cpu_us_per_op"], 1e-9)
            line: dict[str, Any] = {
                "ratio": name,
                "database": database,
                "workload": measured["workload"],
                "concurrency": concurrency,
                "value": round(value, 3),
                "cpu_value": round(cpu, 3),
            }
            verdict = ")"
            if target is not None:
                met = value <= target and not measured["errors"] and not base["errors"]
                line.update(target=target, goal="at most", met=met)
                verdict = f"; target <= {target:g})  {'ok' if met else 'MISS'}"
                self.misses += not met
            self.emit(line)
            what = "one payment" if impl == "bot" else "PTB floor of one"
            units = "echo updates" if unit == "echo" else "PTB floors  "
            self.note(
                f"{what:<16} costs {value:6.2f} {units} at c={concurrency:<3} "
                f"({database}; by CPU {cpu:.2f}{verdict}"
            )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    def counts(text: str) -> list[int]:
        try:
            values = [int(part) for part in text.split(",")]
        except ValueError:
            raise argparse.ArgumentTypeError("a comma-separated list of integers") from None
        if not values or min(values) < 1:
            raise argparse.ArgumentTypeError("concurrency must be at least 1")
        return values

    parser = argparse.ArgumentParser(prog="python -m bot.bench", description=__doc__.split("\n")[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--postgres-url", default=os.environ.get("DATABASE_URL") or DEFAULT_PG)
    parser.add_argument("--users", type=int, default=1_000, help="users paying each other")
    parser.add_argument(
        "--memory-users", type=int, default=10_000, help="users of the memory phase (0: skip it)"
    )
    parser.add_argument(
        "--strangers",
        type=int,
        default=100_000,
        help="people never met who each send one command, for memory growth (0: skip)",
    )
    parser.add_argument("--concurrency", type=counts, default=[1, 8])
    parser.add_argument("--seconds", type=float, default=4.0, help="measured time per result")
    parser.add_argument(
        "--warmup", type=float, default=0.3, help="unmeasured lead-in before each slice"
    )
    parser.add_argument("--rounds", type=int, default=2, help="echo/bot alternations per result")
    parser.add_argument(
        "--sqlite-synchronous",
        default="FULL",
        type=str.upper,
        choices=("NORMAL", "FULL", "EXTRA"),
        help="the bot's SQLITE_SYNCHRONOUS (default: its default, FULL)",
    )
    parser.add_argument("--dir", dest="tmpdir", help="where the SQLite files go (default: TMPDIR)")
    parser.add_argument(
        "--workers",
        type=int,
        default=0,
        help="measure payments through this many `python -m bot` webhook processes instead "
        "(needs --database postgresql; see bot/bench_workers.py)",
    )
    options = parser.parse_args(argv)
    if options.workers:
        if options.workers < 1 or options.database != "postgresql":
            parser.error("--workers must be at least 1 and needs --database postgresql")
        options.memory_users = 0  # the memory phase is the in-process bot's
    if options.seconds <= 0 or options.warmup < 0 or options.rounds < 1:
        parser.error("--seconds must be > 0, --warmup >= 0, --rounds >= 1")
    if options.users < 2 or options.memory_users < 0 or options.memory_users == 1:
        parser.error("--users must be at least 2, --memory-users 0 or at least 2")
    if max(options.concurrency) > min(options.users, options.memory_users or options.users):
        parser.error("each concurrent sender needs a user of its own: lower --concurrency")
    return options


async def run(options: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    report = Report(out, err)
    report.machine(
        options,
        users=options.users,
        memory_users=options.memory_users,
        rss_at_start_mb=round(rss_mb(), 1),
        **({"workers": options.workers} if options.workers else {}),
    )
    admin_url = re.sub(r"^postgresql\+\w+://", "postgresql://", options.postgres_url)
    if options.database == "postgresql":
        import asyncpg

        try:
            await (await asyncpg.connect(admin_url, timeout=3)).close()
        except Exception as error:  # any failure to connect means "not reachable"
            print(f"PostgreSQL unreachable: {type(error).__name__}: {error}", file=err)
            return 2
    with tempfile.TemporaryDirectory(prefix="bot-bench-", dir=options.tmpdir) as folder:
        database = Database(options.database, folder, admin_url)
        if options.workers:
            from bot.bench_workers import bench_workers  # it builds on this module

            await bench_workers(report, options, database)
        else:
            await bench(report, options, database)
    print(f"targets missed: {report.misses}", file=err)
    return 0


def main(
    argv: list[str] | None = None, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    options = parse_args(argv)
    # A loaded machine makes APScheduler warn that the sweeper ran late; not a result.
    logging.getLogger("apscheduler").setLevel(logging.ERROR)
    return asyncio.run(run(options, out or sys.stdout, err or sys.stderr))


if __name__ == "__main__":
    sys.exit(main())
