"""Payouts survive a crash at any moment: the process settling them is killed with SIGKILL
at random moments, again and again, then restarted; in the end every payout settled or
returned exactly once, its owner was told (at least once, and again only after a kill
between telling and marking told), and the books balance. Both databases."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sys
from collections import Counter
from datetime import timedelta
from pathlib import Path

from ledger import Ledger, utcnow
from ledger.payments.funding import FundingLimits, Fundings

WORKER = Path(__file__).with_name("payout_crash_worker.py")
PEOPLE = range(1, 61)
KILLS = 5
KILL_WINDOW_S = (0.0, 0.1)
RETURNING = "4000 0000 0000 0077"  # the card that cannot receive: its payouts come back


async def hold_payouts(url: str) -> dict[int, bool]:
    """Sixty people, each with a payout held; which of them should settle (else return)."""
    ledger = await Ledger.open(url, "USD", clock=utcnow)
    fundings = Fundings(
        ledger, settle_after=timedelta(0), default_limits=FundingLimits(10**9, 10**9)
    )
    settles = {}
    try:
        for person in PEOPLE:
            await ledger.transfer(
                ledger.issuance_account_id,
                await ledger.open_account(person),
                10_000,
                key=f"fund:{person}",
                kind="credit",
            )
            good = person % 4 != 0
            await fundings.link_card(person, "4242424242424242" if good else RETURNING, "12/40")
            proposed = await fundings.propose_payout(person, 1_000 + person)
            await fundings.confirm_payout(proposed.token, person)
            settles[person] = good
    finally:
        await ledger.close()
    return settles


async def still_held(url: str) -> int:
    ledger = await Ledger.open(url, "USD", migrate=False)
    try:
        rows = await ledger.db.read_one(
            "SELECT COUNT(*) FROM transfers WHERE kind = 'payout' AND state = 'pending'", {}
        )
        return int(rows[0][0])
    finally:
        await ledger.close()


async def run_worker(url: str, log: Path, gen: int, kill_after: float | None) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(WORKER),
        url,
        str(log),
        str(gen),
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": os.getcwd()},
    )
    assert process.stdout is not None
    ready = await asyncio.wait_for(process.stdout.readline(), 60)
    assert ready.strip() == b"ready", ready
    if kill_after is None:
        assert (await asyncio.wait_for(process.stdout.readline(), 120)).strip() == b"done"
        assert await process.wait() == 0
        return
    await asyncio.sleep(kill_after)
    if process.returncode is None:
        process.send_signal(signal.SIGKILL)
    await process.wait()


async def test_payouts_settle_once_and_are_told_through_kills(
    database: str, database_url: str, tmp_path: Path
) -> None:
    seed = int(os.environ.get("CRASH_SEED", random.randrange(2**32)))
    moments = random.Random(seed)
    context = f"[{database}, CRASH_SEED={seed}]"
    settles = await hold_payouts(database_url)
    log = tmp_path / "told.log"
    left = []  # payouts still held after each kill
    for gen in range(1, KILLS + 1):
        await run_worker(database_url, log, gen, moments.uniform(*KILL_WINDOW_S))
        left.append(await still_held(database_url))
    await run_worker(database_url, log, KILLS + 1, None)
    # The kills fell while there was work to do (else this would prove nothing).
    assert any(0 < n < len(settles) for n in left), f"{context} {left}"

    ledger = await Ledger.open(database_url, "USD", clock=lambda: utcnow() + timedelta(hours=1))
    try:
        report = await ledger.verify()
        assert report.ok and report.pending_transfers == 0, f"{context} {report.summary()}"
        rows = await ledger.db.read_one(
            "SELECT t.id, t.state, a.owner_id, t.amount FROM transfers t "
            "JOIN accounts a ON a.id = t.debit_account_id WHERE t.kind = 'payout'",
            {},
        )
        assert len(rows) == len(settles), context
        for _id, state, owner, amount in rows:
            assert state == ("posted" if settles[owner] else "voided"), f"{context} {owner}"
            account = await ledger.account(await ledger.open_account(owner))
            paid = amount if settles[owner] else 0
            assert (account.available, account.on_hold) == (10_000 - paid, 0), context
        outbox = await ledger.db.read_one(
            "SELECT event_key, sent_at IS NOT NULL FROM outbox WHERE kind LIKE 'payout_%'", {}
        )
        assert len(outbox) == len(settles) and all(sent for _, sent in outbox), context
        told = Counter(log.read_text().split())
        assert set(told) == {key for key, _ in outbox}, f"{context}: someone was never told"
        repeats = sum(count - 1 for count in told.values())
        assert repeats <= KILLS, f"{context}: {repeats} repeated notices for {KILLS} kills"
        print(
            f"\n{context}: {KILLS} kills, {len(settles)} payouts, held after each kill {left}, "
            f"{repeats} notices repeated"
        )
    finally:
        await ledger.close()
