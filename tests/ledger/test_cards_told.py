"""A card notes whether the people its posted payment concerns were told (migration 0004):
``mark_told`` sets it once; cards of payments posted before the migration count as told."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from ledger import Card, Ledger
from tests.conftest import FakeClock
from tests.ledger.test_credit_shards import _downgrade, _upgrade, funded

HOLD = timedelta(minutes=5)


async def test_a_card_is_untold_until_marked_and_marking_twice_changes_nothing(
    ledger: Ledger, clock: FakeClock
) -> None:
    alice, bob = await funded(ledger, range(1, 3))
    held = await ledger.create_pending(alice, bob, 100, key="h", expires_in=HOLD)
    await ledger.remember_card(held.id, 1, 55)
    await ledger.post(held.ref, key="p")
    assert await ledger.card_of(held.id) == Card(1, 55, None, told=False)

    ledger.mark_told(held.id)
    await ledger.db.flush()
    clock.advance(seconds=60)
    ledger.mark_told(held.id)  # a second telling press: the first time stays
    await ledger.db.flush()

    assert await ledger.card_of(held.id) == Card(1, 55, None, told=True)
    rows = await ledger.db.read_one("SELECT told_at FROM cards", {})
    assert rows == [(int((clock() - timedelta(seconds=60)).timestamp() * 1_000_000),)]
    ledger.mark_told(held.id + 999)  # no card: nothing to note, no error
    await ledger.db.flush()


async def test_the_migration_counts_posted_payments_as_told_and_goes_back_down(
    database_url: str, clock: FakeClock, limits: Any
) -> None:
    await _upgrade(database_url, "0003")
    old = await Ledger.open(database_url, "USD", migrate=False, clock=clock, default_limits=limits)
    try:
        alice, bob = await funded(old, range(1, 3))
        paid = await old.create_pending(alice, bob, 100, key="paid", expires_in=HOLD)
        open_ = await old.create_pending(alice, bob, 200, key="open", expires_in=HOLD)
        for transfer, message in ((paid, 1), (open_, 2)):
            await old.db.write_one(
                "INSERT INTO cards (transfer_id, chat_id, message_id) VALUES (:t, 1, :m)",
                {"t": transfer.id, "m": message},
            )
        await old.post(paid.ref, key="p")
    finally:
        await old.close()

    await _upgrade(database_url)
    ledger = await Ledger.open(database_url, "USD", clock=clock, default_limits=limits)
    try:
        assert await ledger.card_of(paid.id) == Card(1, 1, None, told=True)
        assert await ledger.card_of(open_.id) == Card(1, 2, None, told=False)
    finally:
        await ledger.close()

    await _downgrade(database_url, "0003")
    old = await Ledger.open(database_url, "USD", migrate=False, clock=clock, default_limits=limits)
    try:
        rows = await old.db.read_one("SELECT * FROM cards ORDER BY message_id", {})
        assert [len(row) for row in rows] == [4, 4]  # told_at is gone
    finally:
        await old.close()


async def test_a_deferred_note_is_written_by_close_at_the_latest(
    database_url: str, clock: FakeClock, limits: Any
) -> None:
    ledger = await Ledger.open(database_url, "USD", clock=clock, default_limits=limits)
    alice, bob = await funded(ledger, range(1, 3))
    held = await ledger.create_pending(alice, bob, 100, key="h", expires_in=HOLD)
    await ledger.remember_card(held.id, 1, 55)
    await ledger.post(held.ref, key="p")
    ledger.mark_told(held.id)
    await ledger.close()  # the program stopping: what was deferred is written first

    reopened = await Ledger.open(database_url, "USD", clock=clock, default_limits=limits)
    try:
        assert await reopened.card_of(held.id) == Card(1, 55, None, told=True)
    finally:
        await reopened.close()
