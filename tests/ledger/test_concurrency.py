"""Many people pressing at once: the books stay balanced and every press counts once.

The bank test runs real concurrent callers for a fixed stretch of wall-clock time (a workload
length, never a timed assertion) and then checks the ledger against what the API acknowledged.
Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta

import pytest

from ledger import Ledger, Transfer
from ledger.errors import AccountFrozen, AlreadyResolved, IdempotencyConflict, InsufficientFunds
from tests.conftest import FakeClock

ACCOUNTS = 20
TASKS = 16
FUNDS = 50_000  # each account's starting balance, from issuance
WORKLOAD_SECONDS = 10.0
HOLD = timedelta(minutes=5)
ADMIN = 77


@pytest.fixture
def database_url(fresh_database_url: str) -> str:
    """A migrated database of the test's own, cloned (see tests/ledger/conftest.py)."""
    return fresh_database_url


@dataclass
class Books:
    """What the API said, by reference: each acknowledged transfer and how it ended.

    A transfer resolves once, so every answer about one reference must name the same end
    state, whoever gave it: the presser, a freeze that voided it, or the expiry sweeper.
    """

    acknowledged: dict[str, Transfer] = field(default_factory=dict)
    resolved: dict[str, str] = field(default_factory=dict)
    outcomes: Counter[str] = field(default_factory=Counter)

    def ack(self, transfer: Transfer) -> None:
        assert not transfer.replayed
        assert transfer.ref not in self.acknowledged
        self.acknowledged[transfer.ref] = transfer
        if transfer.state != "pending":
            self.resolve(transfer.ref, transfer.state)

    def resolve(self, ref: str, state: str) -> None:
        assert self.resolved.setdefault(ref, state) == state, (ref, self.resolved[ref], state)

    def final_state(self, ref: str) -> str:
        return self.resolved.get(ref, "pending")


async def fund(ledger: Ledger) -> list[int]:
    accounts = [await ledger.open_account(1_000 + i) for i in range(ACCOUNTS)]
    for account in accounts:
        await ledger.transfer(
            ledger.issuance_account_id, account, FUNDS, key=f"fund-{account}", kind="credit"
        )
    return accounts


async def settle(ledger: Ledger, books: Books, held: Transfer, key: str, roll: float) -> None:
    """Press confirm, cancel, both at once, or nothing, and file what the ledger answers."""
    if roll < 0.70:
        calls = [ledger.post(held.ref, key=f"{key}-post")]
    elif roll < 0.85:
        calls = [ledger.void(held.ref, key=f"{key}-void")]
    elif roll < 0.97:  # two presses arrive together
        calls = [ledger.post(held.ref, key=f"{key}-post"), ledger.void(held.ref, key=f"{key}-void")]
    else:
        books.outcomes["left-pending"] += 1
        return
    results = await asyncio.gather(*calls, return_exceptions=True)
    won = [r for r in results if isinstance(r, Transfer)]
    assert len(won) <= 1, results  # never two winners
    for result in results:
        if isinstance(result, Transfer):
            assert result.ref == held.ref and not result.replayed
            books.resolve(held.ref, result.state)
            books.outcomes[result.state + ("-race" if len(calls) > 1 else "")] += 1
        elif isinstance(result, AlreadyResolved):
            # The other press won, a freeze voided the hold, or its time ran out.
            assert result.state in {"posted", "voided", "expired"}, result
            if not won:
                assert result.state in {"voided", "expired"}, result
            books.resolve(held.ref, result.state)
            books.outcomes[f"lost-to-{result.state}"] += 1
        elif isinstance(result, AccountFrozen):
            # A freeze voids every hold of the account, including one committed while the
            # freeze was running, so no press can ever meet a live hold on a frozen account.
            raise AssertionError(f"hold {held.ref} survived a freeze")
        else:
            raise result


async def worker(
    ledger: Ledger, accounts: list[int], books: Books, n: int, deadline: float
) -> None:
    rng = random.Random(n)
    i = 0
    while time.monotonic() < deadline:
        i += 1
        key = f"w{n}-{i}"
        debit, credit = rng.sample(accounts, 2)
        amount = rng.randint(1, FUNDS // 20)
        roll = rng.random()
        try:
            if roll < 0.45:
                paid = await ledger.transfer(debit, credit, amount, key=key)
                books.ack(paid)
                books.outcomes["transfer"] += 1
                if rng.random() < 0.1:  # a client retry of the same request
                    again = await ledger.transfer(debit, credit, amount, key=key)
                    assert again.replayed and again.ref == paid.ref
                continue
            expires_in = timedelta(minutes=rng.randint(1, 10))
            held = await ledger.create_pending(
                debit, credit, amount, key=key, expires_in=expires_in
            )
        except InsufficientFunds:
            books.outcomes["insufficient"] += 1
            continue
        except AccountFrozen:
            books.outcomes["frozen"] += 1
            continue
        books.ack(held)
        await settle(ledger, books, held, key, roll)


async def moderator(ledger: Ledger, accounts: list[int], books: Books, deadline: float) -> None:
    """An admin freezing and unfreezing people while they pay each other."""
    rng = random.Random("moderator")
    while time.monotonic() < deadline:
        account = rng.choice(accounts)
        result = await ledger.freeze(account, actor=ADMIN, reason="check")
        for voided in result.voided:
            books.resolve(voided.ref, "voided")
        books.outcomes["freeze-voids"] += len(result.voided)
        await asyncio.sleep(0.05)
        await ledger.unfreeze(account, actor=ADMIN, reason="ok")
        await asyncio.sleep(0.05)


async def sweeper(ledger: Ledger, clock: FakeClock, books: Books, deadline: float) -> None:
    """The expiry job, with the clock moving 30 s per tick so holds run out mid-workload."""
    while time.monotonic() < deadline:
        await asyncio.sleep(0.05)
        clock.advance(30)
        for expired in await ledger.expire_overdue():
            books.resolve(expired.ref, "expired")
            books.outcomes["swept"] += 1


async def auditor(ledger: Ledger, books: Books, deadline: float) -> None:
    """verify() while money moves: it reads one snapshot, so it is clean at every moment."""
    while time.monotonic() < deadline:
        report = await ledger.verify()
        assert report.ok, report.summary()
        books.outcomes["verified-mid-run"] += 1
        await asyncio.sleep(0.2)


@pytest.mark.slow
async def test_concurrent_bank_conserves_money_and_forgets_nothing(
    ledger: Ledger, clock: FakeClock
) -> None:
    accounts = await fund(ledger)
    books = Books()
    deadline = time.monotonic() + WORKLOAD_SECONDS
    await asyncio.gather(
        moderator(ledger, accounts, books, deadline),
        sweeper(ledger, clock, books, deadline),
        auditor(ledger, books, deadline),
        *(worker(ledger, accounts, books, n, deadline) for n in range(TASKS)),
    )

    # Enough happened for the test to mean something, including every kind of operation.
    assert len(books.acknowledged) >= 200, books.outcomes
    outcomes = ("transfer", "posted", "voided", "posted-race", "left-pending", "swept")
    for outcome in (*outcomes, "verified-mid-run"):
        assert books.outcomes[outcome] > 0, books.outcomes
    assert books.outcomes["frozen"] + books.outcomes["freeze-voids"] > 0, books.outcomes

    # Every acknowledged transfer is in the database, as acknowledged; nothing else is.
    rows = await ledger.db.read_one(
        "SELECT ref, state, debit_account_id, credit_account_id, amount FROM transfers "
        "WHERE kind = 'payment'",
        {},
    )
    stored = {row[0]: tuple(row[1:]) for row in rows}
    for ref, t in books.acknowledged.items():
        expected = (books.final_state(ref), t.debit_account_id, t.credit_account_id, t.amount)
        assert stored.get(ref) == expected, ref
    assert len(stored) == len(books.acknowledged)
    rows = await ledger.db.read_one("SELECT COUNT(*) FROM transfers", {})
    assert rows[0][0] == len(books.acknowledged) + ACCOUNTS  # plus the funding credits
    for ref in random.Random(0).sample(sorted(books.acknowledged), 100):  # and through the API
        assert (await ledger.get_transfer(ref)).state == books.final_state(ref)

    # The balances are exactly what the acknowledged transfers add up to.
    posted = dict.fromkeys(accounts, FUNDS)
    held = dict.fromkeys(accounts, 0)
    for ref, t in books.acknowledged.items():
        if books.final_state(ref) == "posted":
            posted[t.debit_account_id] -= t.amount
            posted[t.credit_account_id] += t.amount
        elif books.final_state(ref) == "pending":
            held[t.debit_account_id] += t.amount
    final = await ledger.accounts(accounts)
    for account in accounts:
        assert final[account].credits_posted - final[account].debits_posted == posted[account]
        assert final[account].on_hold == held[account]
        assert final[account].available >= 0
    total = sum(a.available + a.on_hold for a in final.values())
    assert total == ACCOUNTS * FUNDS
    issuance = await ledger.account(ledger.issuance_account_id)
    assert issuance.debits_posted - issuance.credits_posted == ACCOUNTS * FUNDS
    report = await ledger.verify()
    assert report.ok, report.summary()
    still_pending = [ref for ref in books.acknowledged if books.final_state(ref) == "pending"]
    assert report.pending_transfers == len(still_pending)
    if not ledger.db.is_sqlite:
        # Locks are taken in one order, so there are none to retry (the server log has each).
        count, database = await deadlocks(ledger)
        assert count == 0, f"{count} deadlocks in database {database}"


async def deadlocks(ledger: Ledger) -> tuple[int, str]:
    """Deadlocks PostgreSQL detected in this test's database (each one a second's stall,
    hidden from the API by the retry loop)."""
    # A backend's statistics are complete once it has exited: close the pool's connections
    # and wait until no other session is left on the database.
    await ledger.db.engine.dispose()
    for _ in range(100):
        rows = await ledger.db.read_one(
            "SELECT (SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()),"
            " current_database(), (SELECT COUNT(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid())",
            {},
        )
        if rows[0][2] == 0:
            break
        await asyncio.sleep(0.05)
    return int(rows[0][0]), rows[0][1]


# --- double press --------------------------------------------------------------------------


async def pair(ledger: Ledger, funds: int = 10_000) -> tuple[int, int]:
    alice, bob = await ledger.open_account(1), await ledger.open_account(2)
    await ledger.transfer(ledger.issuance_account_id, alice, funds, key="fund", kind="credit")
    return alice, bob


async def presses(calls: list) -> tuple[list[Transfer], list[BaseException]]:  # type: ignore[type-arg]
    results = await asyncio.gather(*calls, return_exceptions=True)
    return (
        [r for r in results if isinstance(r, Transfer)],
        [r for r in results if isinstance(r, BaseException)],
    )


async def test_fifty_presses_of_confirm_post_once(ledger: Ledger) -> None:
    alice, bob = await pair(ledger)
    held = await ledger.create_pending(alice, bob, 1_250, key="send", expires_in=HOLD)
    won, lost = await presses([ledger.post(held.ref, key=f"press-{i}") for i in range(50)])
    assert len(won) == 1 and won[0].state == "posted" and not won[0].replayed
    assert len(lost) == 49
    assert all(isinstance(e, AlreadyResolved) and e.state == "posted" for e in lost), lost
    accounts = await ledger.accounts([alice, bob])
    assert (accounts[alice].debits_posted, accounts[alice].debits_pending) == (1_250, 0)
    assert (accounts[bob].credits_posted, accounts[bob].credits_pending) == (1_250, 0)
    audit = await ledger.audit_log(limit=100, admin_only=False)
    assert [r.action for r in audit if r.transfer_ref == held.ref] == [
        "payment.posted",
        "payment.pending",
    ]
    assert (await ledger.verify()).ok


async def test_fifty_retries_of_one_press_post_once_and_replay(ledger: Ledger) -> None:
    """The same press delivered 50 times (same key): one posts, 49 get the same answer back."""
    alice, bob = await pair(ledger)
    held = await ledger.create_pending(alice, bob, 1_250, key="send", expires_in=HOLD)
    won, lost = await presses([ledger.post(held.ref, key="press") for _ in range(50)])
    assert not lost
    assert sum(not t.replayed for t in won) == 1
    assert {(t.ref, t.state) for t in won} == {(held.ref, "posted")}
    assert (await ledger.account(bob)).credits_posted == 1_250
    assert (await ledger.verify()).ok


async def test_confirm_and_cancel_pressed_together_resolve_once(ledger: Ledger) -> None:
    alice, bob = await pair(ledger)
    balance = 10_000
    for round_ in range(3):  # who is first in line changes each round
        held = await ledger.create_pending(alice, bob, 1_000, key=f"send-{round_}", expires_in=HOLD)
        calls = []
        for i in range(50):
            resolve = ledger.post if (i + round_) % 2 else ledger.void
            calls.append(resolve(held.ref, key=f"press-{round_}-{i}"))
        won, lost = await presses(calls)
        assert len(won) == 1 and len(lost) == 49
        state = won[0].state
        assert all(isinstance(e, AlreadyResolved) and e.state == state for e in lost), lost
        balance -= 1_000 if state == "posted" else 0
        accounts = await ledger.accounts([alice, bob])
        assert (accounts[alice].available, accounts[alice].on_hold) == (balance, 0)
        assert (accounts[bob].available, accounts[bob].credits_pending) == (10_000 - balance, 0)
        assert (await ledger.get_transfer(held.ref)).state == state
    assert (await ledger.verify()).ok


async def test_a_late_press_reports_how_the_hold_really_ended(
    ledger: Ledger, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Confirm pressed after expiry expires the hold on the way; if a freeze voids it in that
    moment, the presser must hear "voided", the state the hold really has."""
    alice, bob = await pair(ledger)
    held = await ledger.create_pending(alice, bob, 100, key="send", expires_in=HOLD)
    clock.advance(HOLD.total_seconds())
    expire = ledger.expire

    async def freeze_gets_there_first(ref: str, **key: str) -> Transfer:
        await ledger.freeze(bob, actor=ADMIN, reason="fraud")
        return await expire(ref, **key)

    monkeypatch.setattr(ledger, "expire", freeze_gets_there_first)
    with pytest.raises(AlreadyResolved) as late:
        await ledger.post(held.ref, key="press")
    assert late.value.state == (await ledger.get_transfer(held.ref)).state == "voided"
    assert (await ledger.account(alice)).available == 10_000


# --- idempotency ---------------------------------------------------------------------------


async def test_a_retried_request_returns_the_original(ledger: Ledger) -> None:
    alice, bob = await pair(ledger)
    paid = await ledger.transfer(alice, bob, 300, key="pay", memo="lunch")
    again = await ledger.transfer(alice, bob, 300, key="pay", memo="lunch")
    assert again.replayed and not paid.replayed
    assert (again.ref, again.id, again.state, again.amount) == (paid.ref, paid.id, "posted", 300)

    held = await ledger.create_pending(alice, bob, 200, key="hold", expires_in=HOLD)
    assert (await ledger.create_pending(alice, bob, 200, key="hold", expires_in=HOLD)).replayed
    await ledger.post(held.ref, key="post")
    after = await ledger.create_pending(alice, bob, 200, key="hold", expires_in=HOLD)
    assert after.replayed and after.ref == held.ref and after.state == "posted"
    assert (await ledger.post(held.ref, key="post")).replayed

    credit = await ledger.transfer(ledger.issuance_account_id, bob, 5, key="gift", kind="credit")
    assert (
        await ledger.transfer(ledger.issuance_account_id, bob, 5, key="gift", kind="credit")
    ).ref == credit.ref

    # A retry of a request that went through is answered even when a fresh one would be refused.
    await ledger.transfer(alice, bob, 10_000 - 500, key="empty-alice")
    assert (await ledger.transfer(alice, bob, 300, key="pay", memo="lunch")).replayed
    accounts = await ledger.accounts([alice, bob])
    assert (accounts[alice].available, accounts[bob].available) == (0, 10_005)
    rows = await ledger.db.read_one("SELECT COUNT(*) FROM transfers", {})
    assert rows[0][0] == 5
    assert (await ledger.verify()).ok


async def test_twenty_concurrent_retries_move_money_once(ledger: Ledger) -> None:
    alice, bob = await pair(ledger)
    won, lost = await presses(
        [ledger.transfer(alice, bob, 700, key="pay", memo="rent") for _ in range(20)]
    )
    assert not lost
    assert sum(not t.replayed for t in won) == 1 and len({t.ref for t in won}) == 1
    held, lost = await presses(
        [ledger.create_pending(alice, bob, 900, key="hold", expires_in=HOLD) for _ in range(20)]
    )
    assert not lost
    assert sum(not t.replayed for t in held) == 1 and len({t.ref for t in held}) == 1
    accounts = await ledger.accounts([alice, bob])
    assert (accounts[alice].available, accounts[alice].on_hold) == (10_000 - 700 - 900, 900)
    assert accounts[bob].available == 700
    assert (await ledger.verify()).ok


CHANGES = [
    ({"amount": 301}, "amount"),
    ({"credit": "carol"}, "recipient"),
    ({"debit": "carol"}, "sender"),
    ({"memo": "dinner"}, "memo"),
    ({"kind": "credit"}, "kind"),
    ({"pending": True}, "phase"),
]


async def test_the_same_key_with_different_fields_is_refused_naming_the_field(
    ledger: Ledger,
) -> None:
    alice, bob = await pair(ledger)
    carol = await ledger.open_account(3)
    await ledger.transfer(alice, carol, 1_000, key="fund-carol")
    await ledger.transfer(alice, bob, 300, key="pay", memo="lunch")
    before = await ledger.accounts([alice, bob, carol])
    for change, named in CHANGES:
        request = {"debit": alice, "credit": bob, "amount": 300, "memo": "lunch"}
        request |= {"kind": "payment", **change}
        for side in ("debit", "credit"):
            if request[side] == "carol":
                request[side] = carol
        with pytest.raises(IdempotencyConflict) as conflict:
            if request.pop("pending", False):
                await ledger.create_pending(**request, key="pay", expires_in=HOLD)  # type: ignore[arg-type]
            else:
                await ledger.transfer(**request, key="pay")  # type: ignore[arg-type]
        assert (conflict.value.key, conflict.value.field) == ("pay", named)
        assert named in str(conflict.value)
    assert await ledger.accounts([alice, bob, carol]) == before
    rows = await ledger.db.read_one("SELECT COUNT(*) FROM transfers", {})
    assert rows[0][0] == 3
