"""Credits in shard rows (migration 0003, PostgreSQL): payments to one account do not wait for
each other, and nothing the old row update guaranteed is lost.

On PostgreSQL a credit goes to one of an account's ``account_credits`` rows instead of its
``accounts`` row; the account's credits are the row's plus the shards'. These tests show:
concurrent payments to one account land on several shards and sum exactly, and one does not
wait for another's commit; a freeze and a payment to the frozen account still exclude each
other (both ways round); the database still refuses an overdraft written in raw SQL, and
shards cannot be lowered or deleted; the migration moves open holds and the downgrade folds
everything back. The overdraft checks run on SQLite too, where the CHECK constraint stays.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Awaitable
from datetime import timedelta
from typing import Any, TypeVar

import asyncpg
import pytest
from alembic import command
from sqlalchemy.engine import Connection

from ledger import Ledger
from ledger.errors import AccountFrozen, AlreadyResolved, InsufficientFunds
from ledger.migrate import alembic_config, upgrade
from ledger.migrations.sql_0003 import SHARDS
from ledger.models import to_micros
from tests.conftest import FakeClock

POSTGRESQL_ONLY = pytest.mark.parametrize("database", ["postgresql"], indirect=True)
HOLD = timedelta(minutes=5)
ADMIN = 77
HANG_GUARD_S = 60.0  # only ever reached when a lock is not taken or not released
T = TypeVar("T")


@pytest.fixture
def migrated_url(fresh_database_url: str) -> str:
    return fresh_database_url


@pytest.fixture
async def ledger(migrated_url: str, clock: FakeClock, limits: Any) -> AsyncIterator[Ledger]:
    ledger = await Ledger.open(
        migrated_url, "USD", clock=clock, default_limits=limits, sqlite_synchronous="NORMAL"
    )
    try:
        yield ledger
    finally:
        await ledger.close()


async def guarded(work: Awaitable[T]) -> T:
    """``work``, failing the test instead of hanging it if a lock is never granted."""
    return await asyncio.wait_for(work, HANG_GUARD_S)


async def funded(ledger: Ledger, owners: range, funds: int = 10_000) -> list[int]:
    accounts = [await ledger.open_account(owner) for owner in owners]
    for account in accounts:
        await ledger.transfer(
            ledger.issuance_account_id, account, funds, key=f"fund-{account}", kind="credit"
        )
    return accounts


async def shards(ledger: Ledger, account: int) -> dict[int, tuple[int, int]]:
    rows = await ledger.db.read_one(
        "SELECT shard, credits_posted, credits_pending FROM account_credits WHERE account_id = :a",
        {"a": account},
    )
    return {row[0]: (row[1], row[2]) for row in rows}


async def row_credits(ledger: Ledger, account: int) -> tuple[int, int]:
    rows = await ledger.db.read_one(
        "SELECT credits_posted, credits_pending FROM accounts WHERE id = :a", {"a": account}
    )
    return rows[0][0], rows[0][1]


async def wait_for_lock_waits(ledger: Ledger, count: int = 1) -> None:
    """Return once ``count`` sessions of this database are waiting for a lock. Asked outside
    any transaction: pg_stat_activity is read once per transaction."""
    while True:  # bounded by the caller's guard
        rows = await ledger.db.read_one(
            "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock'",
            {},
        )
        if rows[0][0] >= count:
            return
        await asyncio.sleep(0.01)


_RAW_PAYMENT = """
INSERT INTO transfers (ref, idempotency_key, kind, debit_account_id, credit_account_id, amount,
                       currency, state, memo, created_at, expires_at)
VALUES ($1, $1, 'payment', $2, $3, $4, 'USD', $5, '', $6, $7) RETURNING id"""


async def raw_payment(
    raw: asyncpg.Connection, ledger: Ledger, ref: str, debit: int, credit: int, pending: bool
) -> int:
    now = to_micros(ledger.clock())
    expires = now + int(HOLD.total_seconds()) * 1_000_000 if pending else None
    state = "pending" if pending else "posted"
    return int(await raw.fetchval(_RAW_PAYMENT, ref, debit, credit, 100, state, now, expires))


# --- one hot account -----------------------------------------------------------------------


@POSTGRESQL_ONLY
async def test_concurrent_credits_to_one_account_land_on_several_shards_and_sum_exactly(
    ledger: Ledger,
) -> None:
    payers = await funded(ledger, range(1, 17))
    merchant = await ledger.open_account(100)
    paid: list[int] = []

    async def customer(payer: int) -> None:
        rng = random.Random(payer)
        for i in range(12):
            amount = rng.randint(1, 300)
            key = f"{payer}-{i}"
            if i % 3:
                await ledger.transfer(payer, merchant, amount, key=key)
                paid.append(amount)
                continue
            held = await ledger.create_pending(payer, merchant, amount, key=key, expires_in=HOLD)
            if i % 2:
                await ledger.void(held.ref, key=f"{key}-void")
            else:
                await ledger.post(held.ref, key=f"{key}-post")
                paid.append(amount)

    await asyncio.gather(*(customer(payer) for payer in payers))

    found = await shards(ledger, merchant)
    assert len(found) > 1, found
    assert sum(posted for posted, _ in found.values()) == sum(paid)
    assert all(pending == 0 for _, pending in found.values()), found  # every hold resolved
    assert await row_credits(ledger, merchant) == (0, 0)  # the row was never written
    account = await ledger.account(merchant)
    assert (account.credits_posted, account.credits_pending, account.available) == (
        sum(paid),
        0,
        sum(paid),
    )
    assert (await ledger.accounts([merchant]))[merchant] == account
    report = await ledger.verify()
    assert report.ok, report.summary()


@POSTGRESQL_ONLY
async def test_a_payment_does_not_wait_for_another_uncommitted_payment_to_the_same_account(
    ledger: Ledger, raw: asyncpg.Connection
) -> None:
    alice, bob = await funded(ledger, range(1, 3))
    merchant = await ledger.open_account(100)
    async with raw.transaction():
        await raw_payment(raw, ledger, "UNCOMMITTED", alice, merchant, pending=False)
        # The row update this replaces would wait here for the open transaction to commit.
        paid = await guarded(ledger.transfer(bob, merchant, 250, key="bob-pays"))
        assert paid.state == "posted"
        assert (await ledger.account(merchant)).available == 250
    assert (await ledger.account(merchant)).available == 350
    assert (await ledger.verify()).ok


@POSTGRESQL_ONLY
@pytest.mark.parametrize("pending", [False, True], ids=["payment", "hold"])
async def test_a_freeze_waits_for_a_payment_to_the_account_and_voids_a_hold(
    ledger: Ledger, raw: asyncpg.Connection, pending: bool
) -> None:
    """An uncommitted payment to the account makes its freeze wait: a posted one by its FOR
    SHARE lock on the account, a hold by the hold gate too. The freeze comes after it, then:
    the payment stands, the hold is voided. No hold outlives a freeze."""
    alice = (await funded(ledger, range(1, 2)))[0]
    merchant = await ledger.open_account(100)
    async with raw.transaction():
        paid_id = await raw_payment(raw, ledger, "RACING", alice, merchant, pending=pending)
        freeze = asyncio.create_task(ledger.freeze(merchant, actor=ADMIN, reason="fraud"))
        await guarded(wait_for_lock_waits(ledger))
        assert not freeze.done()
    result = await guarded(freeze)
    assert result.changed and [t.id for t in result.voided] == ([paid_id] if pending else [])
    payment = await ledger.transfer_by_id(paid_id)
    assert payment.state == ("voided" if pending else "posted")
    account = await ledger.account(merchant)
    assert (account.frozen, account.available, account.credits_pending) == (
        True,
        0 if pending else 100,
        0,
    )
    assert (await ledger.account(alice)).available == (10_000 if pending else 9_900)
    # On the record in the order it happened: the payment, then the freeze (and its void).
    expected = ["payment.pending", "payment.voided", "freeze"] if pending else ["payment.posted"]
    expected += [] if pending else ["freeze"]
    audit = await ledger.audit_log(limit=len(expected), admin_only=False)
    assert [r.action for r in reversed(audit)] == expected
    assert (await ledger.verify()).ok


@POSTGRESQL_ONLY
async def test_a_payment_waits_for_a_freeze_of_its_recipient_and_is_refused(
    ledger: Ledger, raw: asyncpg.Connection
) -> None:
    """A freeze in progress (as Ledger.freeze locks and updates the account) holds the
    payment's FOR SHARE lock back; once it commits, the payment sees the frozen status."""
    alice = (await funded(ledger, range(1, 2)))[0]
    merchant = await ledger.open_account(100)
    before = await shards(ledger, merchant)
    async with raw.transaction():
        await raw.execute("SELECT id FROM accounts WHERE id = $1 FOR NO KEY UPDATE", merchant)
        await raw.execute("UPDATE accounts SET status = 'frozen' WHERE id = $1", merchant)
        payments = [
            asyncio.create_task(ledger.transfer(alice, merchant, 100, key="pay")),
            asyncio.create_task(
                ledger.create_pending(alice, merchant, 100, key="hold", expires_in=HOLD)
            ),
        ]
        await guarded(wait_for_lock_waits(ledger, len(payments)))
        assert not any(task.done() for task in payments)
    for task in payments:
        with pytest.raises(AccountFrozen) as refused:
            await guarded(task)
        assert (refused.value.side, refused.value.account_id) == ("recipient", merchant)
    assert await shards(ledger, merchant) == before
    assert (await ledger.account(alice)).available == 10_000
    assert (await ledger.verify()).ok


@POSTGRESQL_ONLY
async def test_payments_to_an_account_being_frozen_never_leave_a_live_hold(
    ledger: Ledger,
) -> None:
    """Customers hold and post payments to one merchant while an admin freezes and unfreezes
    it: right after each freeze no hold to the merchant is pending, and no post of a hold
    meets a frozen merchant (the freeze voided the hold first)."""
    payers = await funded(ledger, range(1, 9), funds=1_000_000)
    merchant = await ledger.open_account(100)
    done = asyncio.Event()
    seen: dict[str, int] = {"posted": 0, "frozen": 0, "voided": 0, "freezes": 0}

    async def customer(payer: int) -> None:
        for i in range(40):
            key = f"{payer}-{i}"
            try:
                held = await ledger.create_pending(payer, merchant, 10, key=key, expires_in=HOLD)
            except AccountFrozen:
                seen["frozen"] += 1
                continue
            try:
                await ledger.post(held.ref, key=f"{key}-post")
                seen["posted"] += 1
            except AlreadyResolved as resolved:
                assert resolved.state == "voided"
                seen["voided"] += 1
            # AccountFrozen here would be a hold that outlived a freeze: it fails the test.

    async def admin() -> None:
        while not done.is_set():
            await ledger.freeze(merchant, actor=ADMIN, reason="check")
            seen["freezes"] += 1
            live = await ledger.db.read_one(
                "SELECT COUNT(*) FROM transfers WHERE state = 'pending' AND credit_account_id = :m",
                {"m": merchant},
            )
            assert live[0][0] == 0
            await asyncio.sleep(0.01)
            await ledger.unfreeze(merchant, actor=ADMIN, reason="ok")
            await asyncio.sleep(0.01)

    async def customers() -> None:
        try:
            await asyncio.gather(*(customer(payer) for payer in payers))
        finally:
            done.set()

    await guarded(asyncio.gather(customers(), admin()))
    assert seen["posted"] > 0 and seen["freezes"] > 0, seen
    assert seen["frozen"] + seen["voided"] > 0, seen
    merchant_account = await ledger.account(merchant)
    assert merchant_account.credits_posted == 10 * seen["posted"]
    assert merchant_account.credits_pending == 0
    report = await ledger.verify()
    assert report.ok, report.summary()


# --- the database refuses what the API would ------------------------------------------------


async def test_an_overdraft_written_straight_into_accounts_is_refused(ledger: Ledger) -> None:
    """Alice's credits are in shards on PostgreSQL (her row says 0): the check counts them,
    allows spending exactly all of them, and refuses one unit more, as the CHECK did."""
    alice = (await funded(ledger, range(1, 2), funds=1_000))[0]
    spend = "UPDATE accounts SET {column} = {column} + :amount WHERE id = :a"
    for column in ("debits_posted", "debits_pending"):
        with pytest.raises(Exception) as refused:
            await ledger.db.write_one(spend.format(column=column), {"amount": 1_001, "a": alice})
        assert "no_overdraft" in str(refused.value)
    assert await row_credits(ledger, alice) == ((1_000, 0) if ledger.db.is_sqlite else (0, 0))
    await ledger.db.write_one(spend.format(column="debits_pending"), {"amount": 1_000, "a": alice})
    with pytest.raises(Exception) as refused:
        await ledger.db.write_one(spend.format(column="debits_posted"), {"amount": 1, "a": alice})
    assert "no_overdraft" in str(refused.value)
    # Lowering the row's own credits is checked too (raised first, so it is no negative count).
    await ledger.db.write_one(spend.format(column="credits_posted"), {"amount": 10, "a": alice})
    await ledger.db.write_one(spend.format(column="debits_pending"), {"amount": 10, "a": alice})
    with pytest.raises(Exception) as refused:
        await ledger.db.write_one(spend.format(column="credits_posted"), {"amount": -1, "a": alice})
    assert "no_overdraft" in str(refused.value)
    account = await ledger.account(alice)
    assert (account.credits_posted, account.available, account.on_hold) == (1_010, 0, 1_010)
    with pytest.raises(Exception) as refused:
        await ledger.db.write_one(
            "INSERT INTO accounts (owner_id, kind, currency, debits_posted, created_at) "
            "VALUES (5, 'user', 'USD', 1, 0)",
            {},
        )
    assert "no_overdraft" in str(refused.value)


async def test_the_api_reports_an_overdraft_with_the_shard_balance(ledger: Ledger) -> None:
    alice, bob = await funded(ledger, range(1, 3), funds=1_000)
    await ledger.transfer(bob, alice, 500, key="bob-pays-alice")
    with pytest.raises(InsufficientFunds) as refused:
        await ledger.transfer(alice, bob, 1_501, key="too-much")
    assert (refused.value.available, refused.value.amount) == (1_500, 1_501)
    assert (await ledger.transfer(alice, bob, 1_500, key="all")).state == "posted"
    assert (await ledger.account(alice)).available == 0


@POSTGRESQL_ONLY
async def test_shards_only_grow_and_are_never_deleted(ledger: Ledger) -> None:
    alice, bob = await funded(ledger, range(1, 3), funds=1_000)
    await ledger.transfer(alice, bob, 400, key="pay")
    before = await shards(ledger, bob)
    for sql, reason in (
        ("UPDATE account_credits SET credits_posted = credits_posted - 1", "credits_only_grow"),
        ("UPDATE account_credits SET account_id = :alice WHERE account_id = :bob", "only_grow"),
        ("UPDATE account_credits SET shard = shard + 1", "credits_only_grow"),
        ("DELETE FROM account_credits WHERE account_id = :bob", "append_only"),
        ("TRUNCATE account_credits", "append_only"),
        ("UPDATE account_credits SET credits_pending = -1", "counters_nonneg"),
    ):
        with pytest.raises(Exception) as refused:
            await ledger.db.write_one(sql, {"alice": alice, "bob": bob})
        assert reason in str(refused.value), sql
    assert await shards(ledger, bob) == before
    # What a CHECK cannot refuse, verify() names: a shard that disagrees with the transfers.
    await ledger.db.write_one(
        "UPDATE account_credits SET credits_posted = credits_posted + 7 WHERE account_id = :b "
        "AND shard = (SELECT MIN(shard) FROM account_credits WHERE account_id = :b)",
        {"b": bob},
    )
    report = await ledger.verify()
    assert not report.ok
    assert f"account {bob} counters (0, 1407, 0, 0) != recomputed (0, 1400, 0, 0)" in (
        report.summary()
    )


@POSTGRESQL_ONLY
async def test_a_hold_to_a_frozen_account_cannot_be_posted_but_is_voided(
    ledger: Ledger,
) -> None:
    alice = (await funded(ledger, range(1, 2)))[0]
    merchant = await ledger.open_account(100)
    held = await ledger.create_pending(alice, merchant, 300, key="hold", expires_in=HOLD)
    await ledger.db.write_one(
        "UPDATE accounts SET status = 'frozen' WHERE id = :id", {"id": merchant}
    )
    with pytest.raises(AccountFrozen) as refused:
        await ledger.post(held.ref, key="press")
    assert refused.value.side == "recipient"
    assert sum(pending for _, pending in (await shards(ledger, merchant)).values()) == 300
    assert (await ledger.void(held.ref, key="cancel")).state == "voided"
    assert (await ledger.account(merchant)).credits_pending == 0
    assert (await ledger.verify()).ok


# --- the migration ---------------------------------------------------------------------------


async def _downgrade(url: str, revision: str) -> None:
    from ledger.db import Database

    db = Database.from_url(url)

    def run(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, revision)

    try:
        async with db.engine.begin() as connection:
            await connection.run_sync(run)
    finally:
        await db.close()


async def _upgrade(url: str, revision: str = "head") -> None:
    from ledger.db import Database

    db = Database.from_url(url)
    try:
        await upgrade(db.engine, revision)
    finally:
        await db.close()


async def _rows(ledger: Ledger) -> list[tuple[int, ...]]:
    rows = await ledger.db.read_one(
        "SELECT id, debits_posted, credits_posted, debits_pending, credits_pending "
        "FROM accounts ORDER BY id",
        {},
    )
    return [tuple(row) for row in rows]


async def test_upgrade_moves_open_holds_to_shards_and_downgrade_folds_them_back(
    database_url: str, clock: FakeClock, limits: Any
) -> None:
    """From 0002 with money on the rows and a hold open, up to 0003 and back down: balances
    never change, the old hold resolves after the upgrade, and after the downgrade the
    rows carry every credit again under 0002's CHECK and triggers."""
    await _upgrade(database_url, "0002")
    old = await Ledger.open(database_url, "USD", migrate=False, clock=clock, default_limits=limits)
    try:
        alice, bob = await funded(old, range(1, 3))
        await old.transfer(alice, bob, 1_000, key="before")
        old_hold = await old.create_pending(alice, bob, 300, key="old-hold", expires_in=HOLD)
        on_rows = await _rows(old)
    finally:
        await old.close()

    await _upgrade(database_url)
    ledger = await Ledger.open(database_url, "USD", clock=clock, default_limits=limits)
    try:
        accounts = await ledger.accounts([alice, bob])
        for account_id, *counters in on_rows:  # the same books, however they are kept
            if account_id in accounts:
                account = accounts[account_id]
                assert counters == [
                    account.debits_posted,
                    account.credits_posted,
                    account.debits_pending,
                    account.credits_pending,
                ]
        assert (accounts[bob].credits_posted, accounts[bob].credits_pending) == (11_000, 300)
        if not ledger.db.is_sqlite:
            assert await row_credits(ledger, bob) == (11_000, 0)  # the hold moved to its shard
            assert await shards(ledger, bob) == {old_hold.id % SHARDS: (0, 300)}
        assert (await ledger.post(old_hold.ref, key="post-old")).state == "posted"
        await ledger.transfer(alice, bob, 500, key="after")
        late_hold = await ledger.create_pending(bob, alice, 200, key="late", expires_in=HOLD)
        totals = {a.id: a for a in (await ledger.accounts([alice, bob])).values()}
        assert (await ledger.verify()).ok
    finally:
        await ledger.close()

    await _downgrade(database_url, "0002")
    old = await Ledger.open(database_url, "USD", migrate=False, clock=clock, default_limits=limits)
    try:
        for owner in (1, 2):  # cached, so the 0002 ledger never reads accounts with shards
            await old.open_account(owner)
        rows = {row[0]: row[1:] for row in await _rows(old)}
        for account_id, account in totals.items():
            assert rows[account_id] == (
                account.debits_posted,
                account.credits_posted,
                account.debits_pending,
                account.credits_pending,
            )
        tables = await old.db.read_one(
            "SELECT COUNT(*) FROM "
            + (
                "sqlite_master WHERE name = 'account_credits'"
                if old.db.is_sqlite
                else "pg_tables WHERE tablename = 'account_credits'"
            ),
            {},
        )
        assert tables[0][0] == 0
        # 0002's triggers move the rows again, and its CHECK refuses an overdraft.
        await old.post(late_hold.ref, key="post-late")
        with pytest.raises(Exception) as refused:
            await old.db.write_one(
                "UPDATE accounts SET debits_posted = credits_posted + 1 WHERE id = :a",
                {"a": alice},
            )
        assert "no_overdraft" in str(refused.value)
        rows_after = {row[0]: row[1:] for row in await _rows(old)}
        assert rows_after[alice][1] == rows[alice][1] + 200
        assert rows_after[bob][0] == rows[bob][0] + 200
    finally:
        await old.close()

    await _upgrade(database_url)  # and up again, with the late hold's credit on the row
    ledger = await Ledger.open(database_url, "USD", clock=clock, default_limits=limits)
    try:
        report = await ledger.verify()
        assert report.ok, report.summary()
    finally:
        await ledger.close()
