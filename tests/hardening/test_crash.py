"""A payment process is killed with SIGKILL at random moments, again and again, while eight
tasks move money; after every kill the books are checked against what it acknowledged.

Each worker is a fresh process (forked by ``crash_worker.py`` after its imports, so a restart
costs milliseconds); it logs each movement before it starts and again, fsynced, once the
ledger acknowledges it. After each kill: every acknowledged transfer is in the
database exactly once, under its key, with its figures; nothing is there that was never
begun; ``verify()`` is clean (counters match the transfers, debits equal credits); holds
match the pending transfers; the money in the system is what was issued. Each restart
retries the movements the kill left in flight with their own keys: they land exactly once.
A last run finishes everything and the balances must equal a replay of the log.

The ledger runs with its default durability (``sqlite_synchronous="FULL"``), checked here.
``CRASH_KILLS`` sets the number of kills per database (default 12; CI may use fewer);
``CRASH_SEED`` replays a run's kill moments.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import sys
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from ledger import Ledger
from tests.hardening.crash_worker import FUNDING, OWNERS, LogState, fund_key, post_key, read_log

pytestmark = pytest.mark.slow

KILLS = max(1, int(os.environ.get("CRASH_KILLS", "12")))
WORKER = Path(__file__).with_name("crash_worker.py")
KILL_WINDOW_S = (0.0, 0.4)  # how long after the worker reports running it may live
HANG_GUARD_S = 120  # a worker that says nothing for this long has hung: fail, don't wait forever


class Workers:
    """The worker server (``crash_worker.py``): imports once, forks a fresh process per run."""

    def __init__(self, process: asyncio.subprocess.Process, stderr: Path) -> None:
        self.process, self.stderr = process, stderr

    @classmethod
    async def start(cls, url: str, log: Path, run: str) -> Workers:
        stderr = log.with_name("workers.stderr")
        with stderr.open("wb") as sink:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                str(WORKER),
                url,
                str(log),
                "--run",
                run,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=sink,
                start_new_session=True,  # its own process group, with every worker it forks
            )
        return cls(process, stderr)

    async def _send(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(f"{line}\n".encode())
        await self.process.stdin.drain()

    async def _receive(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = await asyncio.wait_for(self.process.stdout.readline(), HANG_GUARD_S)
        message = json.loads(line) if line else {"died": True}
        if "died" in message:
            pytest.fail(f"a worker failed:\n{self.stderr.read_text()}")
        return message

    async def run(self, gen: int) -> dict[str, Any]:
        """Start a worker; return its report, sent once it is moving money."""
        await self._send(f"run {gen}")
        return await self._receive()

    async def kill(self) -> None:
        """SIGKILL the running worker (the server does it: the pid is surely its child)."""
        await self._send("kill")
        assert (await self._receive())["exit"] == -signal.SIGKILL

    async def finish(self, gen: int) -> None:
        await self._send(f"finish {gen}")
        await self._receive()  # its report
        assert (await self._receive())["exit"] == 0

    async def close(self) -> None:
        if self.process.returncode is None:
            assert self.process.stdin is not None
            self.process.stdin.close()  # the server kills any worker left, then exits
            try:
                await asyncio.wait_for(self.process.wait(), HANG_GUARD_S)
            except TimeoutError:
                os.killpg(self.process.pid, signal.SIGKILL)  # the server and its workers
                await self.process.wait()


async def test_sigkill_at_random_moments_loses_and_doubles_nothing(
    database: str, database_url: str, tmp_path: Path
) -> None:
    seed = int(os.environ.get("CRASH_SEED", random.randrange(2**32)))
    moments = random.Random(seed)
    run, log = uuid.uuid4().hex[:8], tmp_path / "transfers.log"
    context = f"[{database}, CRASH_SEED={seed}]"

    workers = await Workers.start(database_url, log, run)
    try:
        for gen in range(KILLS):
            report = await workers.run(gen)
            if database == "sqlite":
                # 2 = FULL: the WAL is fsynced at every commit, so an acknowledged transfer
                # survives power loss as well as this kill.
                assert (report["synchronous"], report["journal_mode"]) == (2, "wal"), context
            await asyncio.sleep(moments.uniform(*KILL_WINDOW_S))
            await workers.kill()
            await check_books(database_url, read_log(log), run, context=f"{context} kill {gen}")
        await workers.finish(KILLS)
    finally:
        await workers.close()  # a failed check must not leave a worker running

    state = read_log(log)
    await check_books(database_url, state, run, context=f"{context} final", final=True)
    retries = [ack for acks in state.acks.values() for ack in acks if ack["retry"]]
    # Eight tasks are almost always inside a ledger call, so every kill leaves some in flight.
    assert retries, f"{context}: no kill left a transfer in flight"
    print(
        f"\n{context}: {KILLS} kills, {len(state.acks)} transfers acknowledged, "
        f"{len(retries)} in-flight retried ({sum(a['replayed'] for a in retries)} had "
        f"committed before the kill, the rest were made by the retry), "
        f"{sum(p[0]['retry'] for p in state.posts.values())} holds posted after a restart, "
        f"{state.torn_lines} torn log lines"
    )


async def check_books(
    url: str, state: LogState, run: str, *, context: str, final: bool = False
) -> None:
    if url.startswith("postgresql"):
        await asyncio.wait_for(sessions_gone(url), HANG_GUARD_S)
    ledger = await Ledger.open(url, "USD", migrate=False)
    try:
        report = await ledger.verify()
        assert report.ok, f"{context}: {report.summary()}"
        account = {owner: await ledger.account_of(owner) for owner in OWNERS}
        rows = await ledger.db.read_one(
            "SELECT ref, idempotency_key, kind, state, amount, debit_account_id, "
            "credit_account_id, resolution_key FROM transfers",
            {},
        )
        issuance_id = ledger.issuance_account_id
        balances = await ledger.accounts([*account.values(), issuance_id])
    finally:
        await ledger.close()

    by_key = {row[1]: row for row in rows}
    assert len(by_key) == len(rows) == len({row[0] for row in rows}), context

    # Every acknowledged transfer is there exactly once, as acknowledged.
    for key, acks in state.acks.items():
        begun = state.begun[key]
        assert key in by_key, f"{context}: acknowledged {key} is missing"
        ref, _, kind, status, amount, debit, credit, resolution = by_key[key]
        assert {ack["ref"] for ack in acks} == {ref}, f"{context}: {key} refs differ"
        assert (kind, amount) == ("payment", begun["a"]), f"{context}: {key}"
        assert (debit, credit) == (account[begun["d"]], account[begun["c"]]), f"{context}: {key}"
        if begun["op"] == "transfer":
            assert status == "posted", f"{context}: {key} is {status}"
        elif key in state.posts:
            assert (status, resolution) == ("posted", post_key(key)), f"{context}: {key}"
        else:
            assert status in ("pending", "posted"), f"{context}: hold {key} is {status}"
    # Nothing is there that was never begun, nor anything the ledger refused.
    for key, row in by_key.items():
        if row[2] == "credit":
            assert key in {fund_key(run, owner) for owner in OWNERS}, f"{context}: {key}"
        else:
            assert key in state.begun and key not in state.refused, f"{context}: stray {key}"

    # Holds match the pending transfers, and no money was made or lost.
    held: Counter[int] = Counter()
    for row in rows:
        if row[3] == "pending":
            held[row[5]] += row[4]
    for account_id in account.values():
        assert balances[account_id].on_hold == held[account_id], f"{context}: holds differ"
    issued = len(OWNERS) * FUNDING
    users = [balances[a] for a in account.values()]
    assert sum(a.credits_posted - a.debits_posted for a in users) == issued, context
    issuance = balances[issuance_id]
    assert issuance.debits_posted - issuance.credits_posted == issued, context

    if final:
        # The last run finished everything: each balance is a replay of the log.
        assert not state.in_flight() and not state.unposted(), context
        assert not held, f"{context}: holds left open"
        expected = Counter({owner: FUNDING for owner in OWNERS})
        for key in state.acks:
            begun = state.begun[key]
            expected[begun["d"]] -= begun["a"]
            expected[begun["c"]] += begun["a"]
        actual = {owner: balances[account[owner]].available for owner in OWNERS}
        assert actual == dict(expected), context


async def sessions_gone(url: str) -> None:
    """Wait until the killed worker's server sessions have ended. A session busy with a
    statement when its client died finishes (and may commit) that statement first, so
    until then the books could still change under the check."""
    import asyncpg

    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        while True:
            others = await connection.fetchval(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            if not others:
                return
            await asyncio.sleep(0.01)  # polling the server: nothing to wait on here
    finally:
        await connection.close()
