"""Books overflowed before revision 0005 (amount and counter caps) are upgraded, not
blocked, and ``verify()`` and ``stats()`` report the damage instead of failing."""

from __future__ import annotations

import pytest

from ledger import Ledger
from ledger.errors import TotalTooLarge
from ledger.types import Limits
from tests.conftest import FakeClock
from tests.ledger.test_caps import BIGINT_MAX, credit
from tests.ledger.test_credit_shards import _upgrade
from tests.ledger.test_database_enforces import _RAW_INSERT, raw_params


async def test_books_overflowed_before_the_caps_are_reported_not_raised(
    database_url: str, clock: FakeClock, limits: Limits
) -> None:
    """Revision 0004's books, credited (nearly) the largest BIGINT twice by raw SQL as the
    old ledger did (SQLite: a REAL counter; PostgreSQL refuses the second, the first is far past the
    cap), then upgraded: the upgrade goes through, verify() and stats() name the damage, and
    the damaged account takes no more."""
    await _upgrade(database_url, "0004")
    old = await Ledger.open(database_url, "USD", migrate=False, clock=clock, default_limits=limits)
    try:
        alice, bob = await old.open_account(1), await old.open_account(2)
        await credit(old, bob, 500, "fund-bob")
        for key in ("old-huge-1", "old-huge-2"):
            params = raw_params(old, old.issuance_account_id, alice, BIGINT_MAX - 500, key)
            params["kind"] = "credit"
            try:
                await old.db.write_one(_RAW_INSERT, params)
            except Exception as error:  # PostgreSQL: bigint out of range
                assert not old.db.is_sqlite and "out of range" in str(error)
        counter = await old.db.read_one(
            "SELECT debits_posted FROM accounts WHERE id = :a", {"a": old.issuance_account_id}
        )
        assert isinstance(counter[0][0], float) == old.db.is_sqlite  # the REAL, before
    finally:
        await old.close()

    # The migration could have been blocked by these rows; it is not (they are judged by
    # verify(), every write from now on by the database).
    await _upgrade(database_url)
    ledger = await Ledger.open(database_url, "USD", clock=clock, default_limits=limits)
    try:
        report = await ledger.verify()
        assert not report.ok
        issuance = ledger.issuance_account_id
        assert any(p.startswith(f"account {issuance} holds") for p in report.problems)
        assert any(p.startswith("transfer ") and "beyond the cap" in p for p in report.problems)
        stats = await ledger.stats()  # no "integer overflow"
        assert stats.verify.problems == report.problems and stats.users == 2

        # The damaged accounts take nothing more; the rest of the ledger works.
        with pytest.raises(TotalTooLarge):
            await credit(ledger, alice, 1, "more")
        carol = await ledger.open_account(3)
        await ledger.transfer(bob, carol, 200, key="pay")
        assert (await ledger.account(carol)).available == 200
    finally:
        await ledger.close()
