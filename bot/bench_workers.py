"""``python -m bot.bench --workers N --database postgresql``: complete payments per second and
their latency through N real ``python -m bot`` processes in webhook mode on one PostgreSQL.

Setup (not measured): a scratch database is created, ``--users`` users send /start and are
funded (in this process, as the default run does), then the N workers are started one after
another, each waited for until its ``/healthz`` answers 200. They talk to Telegram through
``TELEGRAM_BASE_URL``: the offline fake of ``bot.fakeapi`` served over HTTP on loopback by
this process, which also posts the updates to the workers' webhooks, as Telegram would.

One op is a complete payment: ``/send @user 1.00 bench<n>`` POSTed to one worker, then the
Confirm of the card that worker sent POSTed to the next worker (round-robin). It ends when
the Confirm was answered "Payment sent." and the payee's "you received" message (found by the
memo ``bench<n>``) reached the fake Bot API: its latency runs from posting the /send to the
later of the two, the payee's message in practice. At each ``--concurrency`` (payments in
flight), payments through all N workers and through worker 0 alone take turns in
``--rounds`` slices, so the two figures face the same machine. Each result line carries the
workers' own CPU per payment (read from /proc) beside this process's; a ``ratio`` line gives
N workers' rate over one worker's. After the workers stop: a ``workers`` line counts the
tracebacks in their logs, and a ``books`` line checks that every counted payment was posted
once, none is left on hold, and the books balance.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bot import buttons
from bot.bench import Report, check_books
from bot.bench_drivers import (
    AMOUNT,
    PAID,
    TOKEN,
    BenchFailure,
    CountingRequest,
    Database,
    bot_settings,
    confirm_data,
    make_users,
    open_ledger,
    register_all,
)
from bot.fakeapi import Telegram, serve_http
from bot.settings import Settings
from ledger.bench_run import Measurement, measure

SECRET = "bench-Webhook_secret-0123456789abcdefghij"
HOOK = "/tg-hook"
MEMO = re.compile(r"\bbench(\d+)\b")
STEP_TIMEOUT = 30.0  # a card, an answer or a notice later than this is a failed payment
START_TIMEOUT = 60.0  # a worker not healthy by then is a failed run
STOP_TIMEOUT = 30.0
SETTING_NAMES = {name.upper() for name in Settings.model_fields}


@dataclass
class WaitingRequest(CountingRequest):
    """The fake Bot API the workers call over HTTP: ``CountingRequest``'s answers, and each
    payment waiting for one of them is woken when it arrives: a card in the sender's chat, the
    answer to a press, the payee's notice (by its memo)."""

    waiting: dict[tuple[str, object], asyncio.Future[Any]] = field(default_factory=dict)
    receipts_as_messages: int = 0

    def expect(self, what: str, key: object) -> asyncio.Future[Any]:
        future = self.waiting[what, key] = asyncio.get_running_loop().create_future()
        return future

    def forget(self, *keys: tuple[str, object]) -> None:
        for key in keys:
            self.waiting.pop(key, None)

    def _result(self, method: str, params: dict[str, Any]) -> Any:
        result = super()._result(method, params)
        if method == "sendMessage":
            chat = int(params["chat_id"])
            # A card has Confirm; a payee's notice has buttons too (Say thanks, Send back).
            if buttons.CARD_CONFIRM in str(params.get("reply_markup") or ""):
                self._wake(("card", chat), self.cards.pop(chat))
            elif found := MEMO.search(str(params.get("text", ""))):
                # The payee's notice, or else the payer's receipt sent as a message of its own
                # instead of an edit of the card: the Confirm reached a worker before the
                # card's place was saved (counted; the payment is not failed for it).
                if not self._wake(("notice", (int(found.group(1)), chat)), chat):
                    self.receipts_as_messages += 1
        elif method == "answerCallbackQuery":
            query = str(params["callback_query_id"])
            self._wake(("answer", query), self.answer_texts.pop(query))
        return result

    def _wake(self, key: tuple[str, object], value: object) -> bool:
        """Hand ``value`` to the payment waiting for ``key``; False when none was."""
        future = self.waiting.pop(key, None)
        if future is None or future.done():
            return False
        future.set_result(value)
        return True


@dataclass
class Worker:
    """One ``python -m bot`` process in webhook mode."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def hook(self) -> str:
        return f"http://127.0.0.1:{self.port}{HOOK}"

    def tracebacks(self) -> int:
        return self.log.read_text(errors="replace").count("Traceback")


@dataclass
class Cluster:
    """The workers, the client posting updates to their webhooks, and the payments made."""

    workers: list[Worker]
    api: WaitingRequest
    client: httpx.AsyncClient
    database: asyncpg.Pool  # one connection to the same database, to read the server's pids
    tg: Telegram = field(default_factory=Telegram)
    tags: Iterator[int] = field(default_factory=itertools.count)  # each payment's memo
    paid: int = 0  # complete payments seen through, every check passed

    async def post(self, worker: Worker, update: dict[str, Any]) -> None:
        response = await self.client.post(
            worker.hook,
            content=json.dumps(update).encode(),
            headers={"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRET},
        )
        if response.status_code != 200:
            raise BenchFailure(f"the webhook answered {response.status_code}")

    async def cpu_s(self) -> tuple[float, float]:
        """CPU seconds used so far by the workers, and by the database's server processes
        serving this database (its backends, not PostgreSQL's own background processes)."""
        async with self.database.acquire() as connection:
            backends = await connection.fetch(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            )
        return (
            sum(cpu_s(worker.process.pid) for worker in self.workers),
            sum(cpu_s(row["pid"]) for row in backends),
        )


def cpu_s(pid: int) -> float:
    """CPU seconds process ``pid`` has used so far (Linux's /proc; 0 when unreadable)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def spawn(folder: Path, index: int, settings: dict[str, str]) -> Worker:
    """Start ``python -m bot`` in webhook mode on a free port, its output in a log file."""
    port = free_port()
    log = folder / f"worker{index}.log"
    env = {k: v for k, v in os.environ.items() if k.upper() not in SETTING_NAMES}
    env |= settings | {
        "MODE": "webhook",
        "WEBHOOK_URL": f"http://127.0.0.1:{port}{HOOK}",
        "WEBHOOK_SECRET": SECRET,
        "LISTEN": "127.0.0.1",
        "PORT": str(port),
        "NO_PROXY": "127.0.0.1,localhost",
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot"],
            cwd=folder,  # no .env of a checkout is read
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return Worker(process, port, log)


async def start_worker(folder: Path, index: int, settings: dict[str, str]) -> Worker:
    """Start a worker and wait until its /healthz answers 200."""
    worker = spawn(folder, index, settings)
    process, port = worker.process, worker.port
    deadline = time.monotonic() + START_TIMEOUT
    async with httpx.AsyncClient(trust_env=False, timeout=2) as client:
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if (await client.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200:
                    return worker
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
    stop(worker)
    tail = worker.log.read_text(errors="replace")[-3000:]
    raise SystemExit(f"worker {index} did not become healthy; its log ends:\n{tail}")


def stop(worker: Worker) -> int:
    """SIGTERM, then the exit code (killed if it does not stop in time)."""
    if worker.process.poll() is None:
        worker.process.send_signal(signal.SIGTERM)
    try:
        return worker.process.wait(STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        worker.process.kill()
        return worker.process.wait()


@asynccontextmanager
async def cluster(count: int, settings: Settings, folder: Path) -> AsyncIterator[Cluster]:
    """``count`` workers with the database and rate limit of ``settings``, started one after
    another, with the fake Bot API they call served from this process; all stopped on the
    way out."""
    api = WaitingRequest()
    server, base_url = serve_http(api, TOKEN)
    environment = {
        "BOT_TOKEN": TOKEN,
        "DATABASE_URL": settings.database_url,
        "TELEGRAM_BASE_URL": base_url,
        "RATE_LIMIT_PER_MINUTE": str(settings.rate_limit_per_minute),
    }
    workers: list[Worker] = []
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=None)
    try:
        async with httpx.AsyncClient(
            trust_env=False, timeout=STEP_TIMEOUT, limits=limits
        ) as client:
            for index in range(count):  # one at a time: each applies the migrations first
                workers.append(await start_worker(folder, index, environment))
            async with asyncpg.create_pool(
                re.sub(r"^postgresql\+\w+://", "postgresql://", settings.database_url),
                min_size=1,
                max_size=1,
            ) as database:
                yield Cluster(workers, api, client, database)
    finally:
        for worker in workers:
            stop(worker)
        server.stop()


async def step(future: asyncio.Future[Any], missing: str) -> Any:
    try:
        return await asyncio.wait_for(future, STEP_TIMEOUT)
    except TimeoutError:
        raise BenchFailure(missing) from None


def payment_op(
    c: Cluster, workers: list[Worker], users: list[dict[str, Any]]
) -> Callable[[Any], Any]:
    """One complete payment: /send to one of ``workers``, Confirm to the next one."""
    idle = deque(users)  # a sender has one payment in flight at a time: its card is its own
    turn = itertools.count()

    async def pay(rng: Any) -> None:
        sender = idle.popleft()
        n, tag = next(turn), next(c.tags)
        recipient = sender
        while recipient is sender:
            recipient = users[rng.randrange(len(users))]
        keys: list[tuple[str, object]] = [
            ("card", sender["id"]),
            ("notice", (tag, recipient["id"])),
        ]
        try:
            card, notice = c.api.expect(*keys[0]), c.api.expect(*keys[1])
            text = f"/send @{recipient['username']} {AMOUNT} bench{tag}"
            await c.post(workers[n % len(workers)], c.tg.message(sender, text))
            message = await step(card, "no confirmation card")
            press = c.tg.callback(sender, confirm_data(message), message)
            keys.append(("answer", press["callback_query"]["id"]))
            answer = c.api.expect(*keys[-1])
            await c.post(workers[(n + 1) % len(workers)], press)
            if await step(answer, "Confirm was not answered") != PAID:
                raise BenchFailure("Confirm was not answered with the payment sent")
            await step(notice, "the payee was not told")
            c.paid += 1
        finally:
            c.api.forget(*keys)
            idle.append(sender)

    return pay


async def bench_workers(report: Report, options: argparse.Namespace, database: Database) -> None:
    users = make_users(options.users)
    started = time.perf_counter()
    async with database.fresh() as url:
        settings = bot_settings(url)
        ledger = await open_ledger(settings, settings.sqlite_synchronous)
        try:
            await register_all(settings, ledger, users)
        finally:
            await ledger.close()
        folder = Path(database.folder)
        async with cluster(options.workers, settings, folder) as c:
            report.emit(
                {
                    "info": "setup",
                    "database": database.name,
                    "registered": len(users),
                    "registered_via": "/start",
                    "workers": options.workers,
                    "setup_s": round(time.perf_counter() - started, 1),
                }
            )
            await throughput(report, options, database.name, c, users)
        tracebacks = {w.log.name: w.tracebacks() for w in c.workers if w.tracebacks()}
        report.emit(
            {
                "info": "workers",
                "workers": len(c.workers),
                "tracebacks": tracebacks,
                "receipts_as_messages": c.api.receipts_as_messages,
            }
        )
        for worker in c.workers:  # the logs go with the temporary folder: their first trace
            if worker.tracebacks():
                log = worker.log.read_text(errors="replace")
                first = log[log.index("Traceback") :][:3000]
                report.note(f"TRACEBACKS in {worker.log.name}: {tracebacks}; the first:\n{first}")
                report.misses += 1
                break
        ledger = await open_ledger(settings, settings.sqlite_synchronous)
        try:
            await check_books(report, ledger, c.paid, funded=len(users))
        finally:
            await ledger.close()


async def throughput(
    report: Report,
    options: argparse.Namespace,
    database: str,
    c: Cluster,
    users: list[dict[str, Any]],
) -> None:
    sides = {1: c.workers[:1], len(c.workers): c.workers}  # one worker, then all of them
    ops = {count: payment_op(c, workers, users) for count, workers in sides.items()}
    for concurrency in options.concurrency:
        totals: dict[int, Measurement] = {}
        worker_cpu: dict[int, float] = dict.fromkeys(sides, 0.0)
        database_cpu: dict[int, float] = dict.fromkeys(sides, 0.0)
        for _ in range(options.rounds):  # the sides take turns: load from elsewhere hits both
            for count, op in ops.items():
                workers_before, database_before = await c.cpu_s()
                m = await measure(
                    op,
                    concurrency=concurrency,
                    seconds=options.seconds / options.rounds,
                    warmup=options.warmup,
                )
                workers_after, database_after = await c.cpu_s()
                worker_cpu[count] += workers_after - workers_before
                database_cpu[count] += database_after - database_before
                if count in totals:
                    totals[count].merge(m)
                else:
                    totals[count] = m
        for count, m in totals.items():
            per_op = {
                "workers_cpu_us_per_op": round(1e6 * worker_cpu[count] / max(m.completed, 1), 1),
                "database_cpu_us_per_op": round(1e6 * database_cpu[count] / max(m.completed, 1), 1),
            }
            report.result(
                "webhook",
                database,
                "payment",
                m,
                workers=count,
                users=len(users),
                updates_per_op=2,
                latency_to="payee notice",
                **per_op,
            )
            report.note(
                f"{count} worker{'s' if count > 1 else ' '} c={concurrency:<3} "
                f"{m.ops_per_s:8.1f} payments/s  p50 {m.percentile_ms(0.5):7.1f} ms  "
                f"p99 {m.percentile_ms(0.99):7.1f} ms  "
                f"CPU µs/payment: workers {per_op['workers_cpu_us_per_op']:6.0f}, "
                f"PostgreSQL {per_op['database_cpu_us_per_op']:5.0f}, "
                f"this process {m.cpu_us_per_op:5.0f}"
            )
        one, many = totals[1], totals[len(c.workers)]
        if len(c.workers) > 1 and one.ops_per_s:
            value = many.ops_per_s / one.ops_per_s
            report.emit(
                {
                    "ratio": f"webhook_{len(c.workers)}_workers/1_worker",
                    "database": database,
                    "workload": "payment",
                    "concurrency": concurrency,
                    "value": round(value, 3),
                }
            )
            report.note(
                f"{len(c.workers)} workers pay {value:.2f}x the rate of one at c={concurrency}"
            )
