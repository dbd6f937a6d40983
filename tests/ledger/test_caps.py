"""Amounts and counters stay far below 2^63 (revision 0005), so no counter overflows.

Before it, two credits of the largest BIGINT to one account turned its SQLite counter into a
REAL, and ``verify()`` and ``stats()`` then failed with "integer overflow" (PostgreSQL
refused the second credit with "bigint out of range"). Now the ledger refuses an amount over
``AMOUNT_MAX`` with its typed error before the database sees it, the database refuses raw SQL
past the caps on both engines, a running total that would pass ``COUNTER_MAX`` is refused
cleanly, and ``verify()`` reports books broken before the revision instead of raising.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from ledger import Ledger
from ledger.errors import AmountTooLarge, TotalTooLarge
from ledger.migrations import sql_0005
from ledger.models import AMOUNT_MAX, COUNTER_MAX
from ledger.types import Limits
from tests.ledger.test_database_enforces import _RAW_INSERT, raw_params, refused, snapshot

ADMIN = 900
BIGINT_MAX = 2**63 - 1


@pytest.fixture
def database_url(fresh_database_url: str) -> str:
    return fresh_database_url


def test_the_caps_leave_room_for_every_sum_the_ledger_makes() -> None:
    # The migration's frozen copy is the code's.
    assert (sql_0005.AMOUNT_MAX, sql_0005.COUNTER_MAX) == (AMOUNT_MAX, COUNTER_MAX)
    # A counter plus an amount, and an account's credits on PostgreSQL (its row plus 16
    # shards), fit in a BIGINT.
    assert COUNTER_MAX + AMOUNT_MAX < BIGINT_MAX
    assert 17 * COUNTER_MAX < BIGINT_MAX


async def credit(ledger: Ledger, account: int, amount: int, key: str) -> Any:
    return await ledger.transfer(
        ledger.issuance_account_id, account, amount, key=key, kind="credit", actor=ADMIN
    )


async def test_two_maximal_credits_are_refused_cleanly_and_the_books_still_add_up(
    ledger: Ledger,
) -> None:
    alice = await ledger.open_account(1)
    before = await snapshot(ledger)

    # The largest amount a BIGINT holds, as the old ledger accepted it: refused by the ledger
    # with its typed error, twice, and nothing written.
    for key in ("huge-1", "huge-2"):
        with pytest.raises(AmountTooLarge) as refused_amount:
            await credit(ledger, alice, BIGINT_MAX, key)
        assert refused_amount.value.maximum == AMOUNT_MAX
    assert await snapshot(ledger) == before

    # The largest amount the ledger takes goes through.
    await credit(ledger, alice, AMOUNT_MAX, "max-1")
    await credit(ledger, alice, AMOUNT_MAX, "max-2")
    assert (await ledger.account(alice)).available == 2 * AMOUNT_MAX

    report = await ledger.verify()
    assert report.ok, report.problems
    stats = await ledger.stats()
    assert stats.total_issued == 2 * AMOUNT_MAX and stats.verify.ok


async def test_a_running_total_is_refused_at_its_cap_with_the_typed_error(
    ledger: Ledger,
) -> None:
    """The issuance account's debits (all money ever issued, a counter that only grows) are
    brought to one minor unit short of the cap, by admin credits to alice."""
    alice, bob = await ledger.open_account(1), await ledger.open_account(2)
    issuance = ledger.issuance_account_id
    await credit(ledger, bob, 1_000, "fund-bob")
    for n in range(COUNTER_MAX // AMOUNT_MAX - 1):
        await credit(ledger, alice, AMOUNT_MAX, f"fill-{n}")
    await credit(ledger, alice, AMOUNT_MAX - 1_001, "fill-last")
    held = await ledger.create_pending(
        issuance, alice, 5, key="hold", kind="credit", expires_in=timedelta(1)
    )
    assert (await ledger.account(issuance)).debits_posted == COUNTER_MAX - 1
    before = await snapshot(ledger)

    with pytest.raises(TotalTooLarge) as full:
        await credit(ledger, alice, 2, "one-too-many")
    assert (full.value.maximum, full.value.account_id) == (COUNTER_MAX, issuance)
    assert await snapshot(ledger) == before
    await credit(ledger, alice, 1, "exactly-the-cap")  # the cap itself is allowed
    assert (await ledger.account(issuance)).debits_posted == COUNTER_MAX

    # The hold, whose posting would pass the cap, is refused when posted, and stays held.
    with pytest.raises(TotalTooLarge) as at_post:
        await ledger.post(held.ref, key="post")
    assert at_post.value.account_id == issuance
    assert (await ledger.get_transfer(held.ref)).state == "pending"
    await ledger.void(held.ref, key="void")

    # Alice can still pay: her debits are far from their cap.
    assert (await ledger.transfer(alice, bob, 10, key="still-pays")).state == "posted"
    # Bob's 1,000 bring alice's credits to the cap too. On SQLite they are one counter, full
    # now; on PostgreSQL they are spread over 16 shards (migration 0003), each with the cap,
    # so she can still be paid there.
    await ledger.transfer(bob, alice, 1_000, key="to-alice")
    if ledger.db.is_sqlite:
        assert (await ledger.account(alice)).credits_posted == COUNTER_MAX
        with pytest.raises(TotalTooLarge) as recipient_full:
            await ledger.transfer(bob, alice, 1, key="one-more-to-alice")
        assert recipient_full.value.account_id == alice
    else:
        assert (await ledger.transfer(bob, alice, 1, key="one-more-to-alice")).state == "posted"

    report = await ledger.verify()
    assert report.ok, report.problems
    stats = await ledger.stats()
    assert stats.verify.ok and stats.total_issued == COUNTER_MAX


async def test_limits_past_the_caps_are_refused(ledger: Ledger) -> None:
    with pytest.raises(AmountTooLarge) as too_big:
        await ledger.set_limits(actor=ADMIN, max_transfer=AMOUNT_MAX + 1)
    assert too_big.value.maximum == AMOUNT_MAX
    with pytest.raises(AmountTooLarge):
        await ledger.set_limits(actor=ADMIN, daily_limit=COUNTER_MAX + 1)
    with pytest.raises(AmountTooLarge):
        await ledger.requests.create(1, 2, AMOUNT_MAX + 1)
    assert (await ledger.limits(fresh=True)) == Limits(1_000_000, 10_000_000)


# --- raw SQL past the caps is refused by the database, on both engines --------------------


async def test_raw_sql_past_the_caps_is_refused_by_the_database(ledger: Ledger) -> None:
    alice, bob = await ledger.open_account(1), await ledger.open_account(2)
    await credit(ledger, alice, 1_000, "fund")
    sqlite = ledger.db.is_sqlite

    # A transfer of more than AMOUNT_MAX (a credit: no limit applies to it).
    huge = raw_params(ledger, ledger.issuance_account_id, alice, AMOUNT_MAX + 1, "raw-huge")
    huge["kind"] = "credit"
    await refused(ledger, _RAW_INSERT, huge, "amount_cap" if sqlite else "amount_max")

    # A counter set past its cap, or (SQLite) to a REAL or a text, even a small one.
    for value in (COUNTER_MAX + 1, BIGINT_MAX):
        await refused(
            ledger,
            "UPDATE accounts SET credits_posted = :v WHERE id = :a",
            {"v": value, "a": alice},
            "counter_cap" if sqlite else "counters_max",
        )
    await refused(
        ledger,
        "UPDATE accounts SET day_sent = :v WHERE id = :a",
        {"v": COUNTER_MAX + 1, "a": alice},
        "counter_cap" if sqlite else "counters_max",
    )
    await refused(
        ledger,
        "INSERT INTO account_credits (account_id, shard, credits_posted, credits_pending) "
        "VALUES (:a, 3, :v, 0)",
        {"a": bob, "v": COUNTER_MAX + 1},
        "counter_cap" if sqlite else "counters_max",
    )
    if sqlite:
        # What SQLite would store as a REAL or a text (5.0 or "5" it stores as the integer 5).
        for value in (9.3e18, 2.5, "five"):
            await refused(
                ledger,
                "UPDATE accounts SET debits_pending = :v WHERE id = :a",
                {"v": value, "a": alice},
                "counter_cap",
            )

    # A payment request or a limit past the caps.
    await refused(
        ledger,
        "INSERT INTO payment_requests (ref, requester_id, payer_id, amount, currency, memo, "
        "state, created_at) VALUES ('RAWREQ', 1, 2, :v, 'USD', '', 'open', 0)",
        {"v": AMOUNT_MAX + 1},
        "amount_cap" if sqlite else "amount_max",
    )
    await refused(
        ledger,
        "UPDATE ledger_limits SET max_transfer = :v",
        {"v": AMOUNT_MAX + 1},
        "limit_cap" if sqlite else "ledger_limits_max",
    )
    report = await ledger.verify()
    assert report.ok, report.problems


# --- books broken behind the guards: verify() reports, it does not raise -----------------


async def test_a_counter_corrupted_behind_the_guards_is_reported(ledger: Ledger) -> None:
    """A counter written with the guard out of the way (its trigger dropped on SQLite, its
    CHECK on PostgreSQL): verify() says which account and why, stats() still answers."""
    alice = await ledger.open_account(1)
    await credit(ledger, alice, 1_000, "fund")
    sqlite = ledger.db.is_sqlite

    async def corrupt(conn: Any) -> None:
        from sqlalchemy import text

        if sqlite:
            await conn.execute(text("DROP TRIGGER accounts_capped_update"))
            await conn.execute(
                text(f"UPDATE accounts SET credits_posted = 1.0e19 WHERE id = {alice}")
            )
        else:
            await conn.execute(
                text("ALTER TABLE accounts DROP CONSTRAINT ck_accounts_counters_max")
            )
            await conn.execute(
                text(f"UPDATE accounts SET credits_posted = {BIGINT_MAX - 5} WHERE id = {alice}")
            )

    await ledger.db.transaction(corrupt)

    report = await ledger.verify()
    assert not report.ok
    assert any(p.startswith(f"account {alice} holds") for p in report.problems)
    assert any(p.startswith(f"account {alice} counters") for p in report.problems)
    stats = await ledger.stats()
    assert stats.verify.problems == report.problems
