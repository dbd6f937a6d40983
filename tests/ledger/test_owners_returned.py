"""A transfer comes back with both accounts' owners from the statement that made or read it.

Moving money is one statement; its answer names the sender and the recipient too. No second
round trip looks the owners up, so a read failing right after the commit (an outage) cannot
turn a payment that went through into an error, and the owner caches being cold costs nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest

from ledger import Card, Ledger
from ledger.errors import DatabaseUnavailable
from tests.conftest import FakeClock
from tests.round_trips import RoundTrips

ALICE, BOB = 101, 102
HOLD = timedelta(minutes=5)


@pytest.fixture
def database_url(fresh_database_url: str) -> str:
    return fresh_database_url


@pytest.fixture
async def accounts(ledger: Ledger) -> tuple[int, int]:
    """Alice (funded) and Bob."""
    alice, bob = await ledger.open_account(ALICE), await ledger.open_account(BOB)
    await ledger.transfer(ledger.issuance_account_id, alice, 50_000, key="top-up", kind="credit")
    return alice, bob


def forget_owners(ledger: Ledger) -> None:
    ledger._account_of_owner.clear()


@pytest.fixture
def trips(ledger: Ledger, monkeypatch: pytest.MonkeyPatch) -> Iterator[RoundTrips]:
    yield RoundTrips(ledger.db, monkeypatch)


def owners(transfer: Any) -> tuple[int | None, int | None]:
    return transfer.debit_owner, transfer.credit_owner


async def test_money_moving_calls_return_both_owners_with_the_owner_caches_empty(
    ledger: Ledger, accounts: tuple[int, int], clock: FakeClock
) -> None:
    alice, bob = accounts

    forget_owners(ledger)
    credit = await ledger.transfer(ledger.issuance_account_id, bob, 10, key="gift", kind="credit")
    assert owners(credit) == (None, BOB)

    forget_owners(ledger)
    paid = await ledger.transfer(alice, bob, 1_000, key="lunch", actor=ALICE)
    assert owners(paid) == (ALICE, BOB)

    forget_owners(ledger)
    held = await ledger.create_pending(alice, bob, 700, key="hold-1", expires_in=HOLD)
    assert owners(held) == (ALICE, BOB)

    forget_owners(ledger)
    posted = await ledger.post(held.ref, key="post-1", actor=BOB)
    assert (posted.state, owners(posted)) == ("posted", (ALICE, BOB))

    held = await ledger.create_pending(bob, alice, 300, key="hold-2", expires_in=HOLD)
    forget_owners(ledger)
    voided = await ledger.void(held.ref, key="void-2", actor=BOB)
    assert (voided.state, owners(voided)) == ("voided", (BOB, ALICE))

    held = await ledger.create_pending(alice, bob, 200, key="hold-3", expires_in=HOLD)
    clock.advance(minutes=6)
    forget_owners(ledger)
    expired = await ledger.expire(held.ref)
    assert (expired.state, owners(expired)) == ("expired", (ALICE, BOB))

    forget_owners(ledger)
    reversal = await ledger.reverse(paid.ref, key="undo", actor=1)
    assert owners(reversal) == (BOB, ALICE)

    # Replays answer with the owners too.
    forget_owners(ledger)
    again = await ledger.transfer(alice, bob, 1_000, key="lunch", actor=ALICE)
    assert (again.replayed, again.ref, owners(again)) == (True, paid.ref, (ALICE, BOB))
    forget_owners(ledger)
    again = await ledger.post(posted.ref, key="post-1", actor=BOB)
    assert (again.replayed, owners(again)) == (True, (ALICE, BOB))

    # What the statement said is remembered: the next payment's caller finds both accounts.
    assert [ledger._account_of_owner.get(o) for o in (ALICE, BOB)] == [alice, bob]
    assert await ledger.account_of(ALICE) == alice


async def test_reads_of_a_transfer_return_both_owners_in_one_round_trip(
    ledger: Ledger, accounts: tuple[int, int], trips: RoundTrips
) -> None:
    alice, bob = accounts
    paid = await ledger.transfer(alice, bob, 1_000, key="lunch", actor=ALICE)
    reversal = await ledger.reverse(paid.ref, key="undo", actor=1)
    held = await ledger.create_pending(alice, bob, 700, key="request:R1", expires_in=HOLD)
    await ledger.remember_card(held.id, chat_id=7, message_id=8, request_id=9)

    reads: list[tuple[str, Callable[[], Awaitable[Any]], str, tuple[int | None, int | None]]] = [
        ("get_transfer", lambda: ledger.get_transfer(paid.ref.lower()), paid.ref, (ALICE, BOB)),
        ("transfer_by_id", lambda: ledger.transfer_by_id(paid.id), paid.ref, (ALICE, BOB)),
        ("transfer_by_key", lambda: ledger.transfer_by_key("request:R1"), held.ref, (ALICE, BOB)),
        ("reversal_of", lambda: ledger.reversal_of(paid.id), reversal.ref, (BOB, ALICE)),
    ]
    for name, read, ref, expected in reads:
        forget_owners(ledger)
        trips.take()
        found = await read()
        assert (found.ref, owners(found)) == (ref, expected), name
        assert trips.take() == ["read_one"], name

    forget_owners(ledger)
    found, card = await ledger.transfer_and_card(held.ref)
    assert (found.ref, owners(found), card) == (held.ref, (ALICE, BOB), Card(7, 8, 9))
    found, card = await ledger.transfer_and_card(paid.ref)
    assert (owners(found), card) == ((ALICE, BOB), None)
    assert trips.take() == ["read_one", "read_one"]

    forget_owners(ledger)
    page = await ledger.history(alice, limit=10)
    assert trips.take() == ["read_scan"]
    by_ref = {item.transfer.ref: item for item in page.items}
    assert owners(by_ref[paid.ref].transfer) == (ALICE, BOB)
    assert owners(by_ref[reversal.ref].transfer) == (BOB, ALICE)
    top_up = page.items[-1]
    assert (top_up.direction, top_up.counterparty_account_id, top_up.counterparty_owner) == (
        "in",
        ledger.issuance_account_id,
        None,
    )
    assert owners(top_up.transfer) == (None, ALICE)
    assert (by_ref[paid.ref].direction, by_ref[paid.ref].counterparty_owner) == ("out", BOB)


async def test_a_post_still_reports_the_posted_transfer_when_every_read_fails_after_it(
    ledger: Ledger, accounts: tuple[int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    alice, bob = accounts
    held = await ledger.create_pending(alice, bob, 700, key="hold-1", expires_in=HOLD)
    other = await ledger.create_pending(alice, bob, 300, key="hold-2", expires_in=HOLD)
    forget_owners(ledger)

    async def down(sql: str, params: dict[str, Any]) -> Any:
        raise DatabaseUnavailable()

    # The database answers the write, then goes away for every read (an outage).
    monkeypatch.setattr(ledger.db, "read_one", down)
    monkeypatch.setattr(ledger.db, "read_scan", down)

    posted = await ledger.post(held.ref, key="post-1", actor=BOB)
    assert (posted.ref, posted.state, owners(posted)) == (held.ref, "posted", (ALICE, BOB))
    forget_owners(ledger)
    voided = await ledger.void(other.ref, key="void-2", actor=BOB)
    assert (voided.state, owners(voided)) == ("voided", (ALICE, BOB))
    forget_owners(ledger)
    paid = await ledger.transfer(alice, bob, 250, key="lunch", actor=ALICE)
    assert (paid.state, owners(paid)) == ("posted", (ALICE, BOB))
    forget_owners(ledger)
    pending = await ledger.create_pending(alice, bob, 100, key="hold-3", expires_in=HOLD)
    assert (pending.state, owners(pending)) == ("pending", (ALICE, BOB))

    monkeypatch.undo()
    assert (await ledger.get_transfer(held.ref)).state == "posted"
    assert (await ledger.account(bob)).credits_posted == 700 + 250


async def test_moving_money_is_exactly_one_round_trip(
    ledger: Ledger, accounts: tuple[int, int], clock: FakeClock, trips: RoundTrips
) -> None:
    alice, bob = accounts
    refs: dict[str, str] = {}

    async def hold(key: str) -> Any:
        made = await ledger.create_pending(alice, bob, 100, key=key, expires_in=HOLD)
        refs[key] = made.ref
        return made

    moves: list[tuple[str, Callable[[], Awaitable[Any]]]] = [
        ("transfer", lambda: ledger.transfer(alice, bob, 100, key="pay", actor=ALICE)),
        ("create_pending", lambda: hold("h1")),
        ("post", lambda: ledger.post(refs["h1"], key="p1", actor=BOB)),
        ("create_pending", lambda: hold("h2")),
        ("void", lambda: ledger.void(refs["h2"], key="v2", actor=BOB)),
        ("create_pending", lambda: hold("h3")),
    ]
    for name, move in moves:
        forget_owners(ledger)
        trips.take()
        await move()
        assert trips.take() == ["write_one"], name

    clock.advance(minutes=6)
    forget_owners(ledger)
    trips.take()
    assert (await ledger.expire(refs["h3"])).state == "expired"
    assert trips.take() == ["write_one"]


async def test_a_freeze_reports_the_holds_it_voided_with_their_owners_without_a_read(
    ledger: Ledger, accounts: tuple[int, int], trips: RoundTrips
) -> None:
    alice, bob = accounts
    held = await ledger.create_pending(alice, bob, 700, key="hold-1", expires_in=HOLD)
    forget_owners(ledger)
    trips.take()

    result = await ledger.freeze(bob, actor=1, reason="check")

    assert trips.take() == []  # one transaction, no statement on the side
    assert [(t.ref, t.state, owners(t)) for t in result.voided] == [
        (held.ref, "voided", (ALICE, BOB))
    ]
