"""The processes the crash test kills: concurrent transfers through the public ledger API,
each one written to an fsynced log before it starts and again once the ledger acknowledges it.

Run as ``python tests/hardening/crash_worker.py URL LOG --run ID``. It imports everything
once, then serves commands read from stdin, each run in a freshly forked process (imports
are slow; a fork is not; the parent never touches the database):
  ``run GEN``    fork a worker; it prints one JSON report line once its first new transfer
                 is acknowledged, then moves money until the next line, ``kill``, makes the
                 parent SIGKILL it; the parent then prints ``{"exit": code}``;
  ``finish GEN`` fork a worker that only finishes what the killed ones left open, prints
                 its report and exits; then ``{"exit": code}``.
A worker that fails prints ``{"died": true}`` (traceback on stderr) and exits 1.

Each worker starts by reading the log and finishing what the killed one left open: every
movement begun but never acknowledged is retried with its own idempotency key (the ledger
must hand back the original, or make it exactly once), and every acknowledged hold is posted.

Log lines (JSON, one per line, the last one may be torn by the kill):
  {"e": "begin", "op": "transfer"|"pending", "key", "d", "c", "a"}   owners and amount
  {"e": "ack", "key", "ref", "state", "replayed", "retry", "gen"}      the ledger said yes
  {"e": "refused", "key", "code"}                                     the ledger said no
  {"e": "begin_post", "key", "ref"} / {"e": "posted", "key", "ref", "replayed", "retry"}
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import sys
import traceback
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import ledger.migrate  # noqa: F401 - alembic is slow to import: do it once, before forking
from ledger import Ledger, Limits
from ledger.errors import DatabaseUnavailable, LedgerError

OWNERS = range(1, 21)  # twenty funded people
FUNDING = 10_000_000  # each person's starting credit, in minor units
MAX_AMOUNT = 500  # so nobody runs dry: a refusal would be allowed but is not the point
TASKS = 8
HOLD = timedelta(hours=1)


def fund_key(run: str, owner: int) -> str:
    return f"{run}-fund-{owner}"


def post_key(key: str) -> str:
    return f"{key}:post"


@dataclass
class LogState:
    """What the log says happened, as the test and a restarted worker both read it."""

    begun: dict[str, dict[str, Any]] = field(default_factory=dict)
    acks: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    refused: dict[str, str] = field(default_factory=dict)
    post_begun: dict[str, str] = field(default_factory=dict)  # pending key -> ref
    posts: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    torn_lines: int = 0

    def in_flight(self) -> list[dict[str, Any]]:
        """Movements begun but neither acknowledged nor refused: their outcome is unknown."""
        return [
            entry
            for key, entry in self.begun.items()
            if key not in self.acks and key not in self.refused
        ]

    def unposted(self) -> dict[str, str]:
        """Acknowledged holds not yet acknowledged as posted: key -> ref."""
        return {
            key: acks[0]["ref"]
            for key, acks in self.acks.items()
            if self.begun[key]["op"] == "pending" and key not in self.posts
        }


def read_log(path: Path) -> LogState:
    state = LogState()
    if not path.exists():
        return state
    lines = path.read_bytes().split(b"\n")
    for number, raw in enumerate(lines):
        if not raw:
            continue
        try:
            line = json.loads(raw)
        except ValueError:
            # Only the very last line can be torn (the kill hit mid-write).
            if number != len(lines) - 1:
                raise
            state.torn_lines += 1
            continue
        event, key = line["e"], line["key"]
        if event == "begin":
            state.begun[key] = line
        elif event == "ack":
            state.acks.setdefault(key, []).append(line)
        elif event == "refused":
            state.refused[key] = line["code"]
        elif event == "begin_post":
            state.post_begun[key] = line["ref"]
        elif event == "posted":
            state.posts.setdefault(key, []).append(line)
    return state


class Log:
    """Append-only, one fsync per line: a line read back after a kill was really written."""

    def __init__(self, path: Path) -> None:
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def write(self, **line: Any) -> None:
        os.write(self._fd, (json.dumps(line, separators=(",", ":")) + "\n").encode())
        os.fsync(self._fd)


class Worker:
    def __init__(self, ledger: Ledger, log_path: Path, run: str, gen: int) -> None:
        self.ledger, self.log_path, self.run, self.gen = ledger, log_path, run, gen
        self.log = Log(log_path)
        self.account: dict[int, int] = {}
        self.first_ack = asyncio.Event()

    async def setup(self) -> None:
        for owner in OWNERS:
            account = await self.ledger.open_account(owner)
            self.account[owner] = account
            await self.ledger.transfer(
                self.ledger.issuance_account_id,
                account,
                FUNDING,
                key=fund_key(self.run, owner),
                kind="credit",
            )

    async def create(self, entry: dict[str, Any], *, retry: bool) -> str | None:
        """Make the movement ``entry`` describes; log the outcome; return its ref."""
        debit, credit = self.account[entry["d"]], self.account[entry["c"]]
        try:
            if entry["op"] == "transfer":
                made = await self.ledger.transfer(debit, credit, entry["a"], key=entry["key"])
            else:
                made = await self.ledger.create_pending(
                    debit, credit, entry["a"], key=entry["key"], expires_in=HOLD
                )
        except DatabaseUnavailable:
            raise
        except LedgerError as refusal:
            self.log.write(e="refused", key=entry["key"], code=refusal.code)
            return None
        self.log.write(
            e="ack",
            key=entry["key"],
            ref=made.ref,
            state=made.state,
            replayed=made.replayed,
            retry=retry,
            gen=self.gen,
        )
        self.first_ack.set()
        return made.ref

    async def post(self, key: str, ref: str, *, retry: bool) -> None:
        self.log.write(e="begin_post", key=key, ref=ref)
        posted = await self.ledger.post(ref, key=post_key(key))
        self.log.write(e="posted", key=key, ref=posted.ref, replayed=posted.replayed, retry=retry)

    async def recover(self, state: LogState) -> dict[str, int]:
        """Retry every movement whose outcome the kill hid, then post every open hold."""
        in_flight = state.in_flight()
        for entry in in_flight:
            await self.create(entry, retry=True)
        # Holds the retries just acknowledged are in the log now, so read it again.
        unposted = read_log(self.log_path).unposted()
        for key, ref in unposted.items():
            await self.post(key, ref, retry=True)
        return {"in_flight": len(in_flight), "unposted": len(unposted)}

    async def load(self, task: int) -> None:
        rng = random.Random(f"{self.run}-{self.gen}-{task}")
        for n in range(10**9):
            debit, credit = rng.sample(list(OWNERS), 2)
            op = "transfer" if rng.random() < 0.6 else "pending"
            entry = {
                "op": op,
                "key": f"{self.run}-g{self.gen}-t{task}-{n}",
                "d": debit,
                "c": credit,
                "a": rng.randint(1, MAX_AMOUNT),
            }
            self.log.write(e="begin", **entry)
            ref = await self.create(entry, retry=False)
            if ref is not None and op == "pending":
                await self.post(entry["key"], ref, retry=False)


async def generation(url: str, log: Path, run: str, gen: int, *, finish: bool) -> int:
    state = read_log(log)
    # The ledger's default durability (sqlite_synchronous="FULL") is what is under test.
    ledger = await Ledger.open(
        url, "USD", default_limits=Limits(max_transfer=10**9, daily_limit=10**15)
    )
    try:
        worker = Worker(ledger, log, run, gen)
        await worker.setup()
        recovery = await worker.recover(state)
        report: dict[str, Any] = {"gen": gen, "pid": os.getpid(), **recovery}
        if ledger.db.is_sqlite:
            rows = await ledger.db.read_one("PRAGMA synchronous", {})
            report["synchronous"] = rows[0][0]
            rows = await ledger.db.read_one("PRAGMA journal_mode", {})
            report["journal_mode"] = rows[0][0]
        if finish:
            print(json.dumps(report), flush=True)
            return 0
        tasks = [asyncio.create_task(worker.load(t)) for t in range(TASKS)]
        waiter = asyncio.create_task(worker.first_ack.wait())
        await asyncio.wait([waiter, *tasks], return_when=asyncio.FIRST_COMPLETED)
        if waiter.done():
            print(json.dumps({**report, "running": True}), flush=True)
        await asyncio.gather(*tasks)  # runs until killed; a task's error ends the process
        return 1
    finally:
        await ledger.close()


def worker_process(args: argparse.Namespace, gen: int, *, finish: bool) -> int:
    """The body of a forked worker: one generation, then out without the parent's cleanup."""
    try:
        return asyncio.run(generation(args.url, args.log, args.run, gen, finish=finish))
    except BaseException:
        traceback.print_exc()
        print(json.dumps({"died": True}), flush=True)
        return 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()


def serve(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("log", type=Path)
    parser.add_argument("--run", required=True)
    args = parser.parse_args(argv)
    for command in sys.stdin:
        verb, gen = command.split()
        pid = os.fork()
        if pid == 0:
            os._exit(worker_process(args, int(gen), finish=verb == "finish"))
        if verb == "run":
            sys.stdin.readline()  # "kill", or the test went away: either way it ends now
            os.kill(pid, signal.SIGKILL)  # our own child, not yet reaped: its pid is ours
        _, status = os.waitpid(pid, 0)
        print(json.dumps({"exit": os.waitstatus_to_exitcode(status)}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(serve(sys.argv[1:]))
