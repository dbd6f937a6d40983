"""The payments service with no Telegram at all: each rule of a payment and a request, on
SQLite and PostgreSQL, asserted on the outcome, the ledger's state and the outbox rows."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from ledger import Ledger
from ledger.errors import AlreadyResolved, NotYours, RequestClosed, SameAccount
from ledger.payments import Payments
from tests.conftest import FakeClock

ALICE, BOB, ADMIN = 101, 102, 900
HOLD = timedelta(minutes=5)


async def funded(ledger: Ledger) -> Payments:
    payments = Payments(ledger, hold_expiry=HOLD)
    funded = await payments.credit(ADMIN, ALICE, 5_000, "float", key="fund-alice")
    await payments.delivered(funded.messages)  # alice was told of her float
    return payments


async def outbox(ledger: Ledger) -> list[tuple[str, int, bool]]:
    """The rows payments wrote (not the float's credit notice, sent already)."""
    rows = await ledger.db.read_one(
        "SELECT event_key, recipient_id, sent_at IS NOT NULL FROM outbox "
        "WHERE event_key NOT LIKE 'admin:%' ORDER BY id",
        {},
    )
    return [(r[0], r[1], bool(r[2])) for r in rows]


async def test_alice_pays_bob_and_bob_is_owed_one_message_written_with_the_post(
    ledger: Ledger,
) -> None:
    payments = await funded(ledger)
    held = await payments.hold(ALICE, BOB, 1_250, "lunch", key="send:1")
    await payments.card_shown(held.transfer, ALICE, 7)  # the card is in alice's private chat
    assert held.show_card and await outbox(ledger) == []

    done = await payments.confirm(held.transfer.ref, ALICE, key="press:1")

    posted = done.transfer
    assert (posted.state, done.sender_available) == ("posted", 3_750)
    key = f"posted:{posted.id}:recipient"
    assert [(m.event_key, m.recipient_id, m.kind) for m in done.messages] == [
        (key, BOB, "received")
    ]
    assert await outbox(ledger) == [(key, BOB, False)]
    await payments.delivered(done.messages)
    assert await outbox(ledger) == [(key, BOB, True)]

    again = await payments.confirm(held.transfer.ref, ALICE, key="press:1")  # redelivered
    assert again.replayed and again.messages == []  # told already: nobody told twice


async def test_a_card_in_a_group_owes_the_sender_a_private_receipt(ledger: Ledger) -> None:
    payments = await funded(ledger)
    held = await payments.hold(ALICE, BOB, 100, "", key="send:g")
    await payments.card_shown(held.transfer, -5000, 3)  # a group chat
    done = await payments.confirm(held.transfer.ref, ALICE, key="press:g")
    assert sorted((m.kind, m.recipient_id) for m in done.messages) == [
        ("receipt", ALICE),
        ("received", BOB),
    ]


async def test_only_the_sender_confirms_and_nobody_pays_themself(ledger: Ledger) -> None:
    payments = await funded(ledger)
    with pytest.raises(SameAccount):
        await payments.hold(ALICE, ALICE, 100, "", key="self")
    held = await payments.hold(ALICE, BOB, 100, "", key="send:2")
    with pytest.raises(NotYours):
        await payments.confirm(held.transfer.ref, BOB, key="press:bob")
    assert (await ledger.get_transfer(held.transfer.ref)).state == "pending"


async def test_a_crash_between_sending_and_marking_sent_repeats_that_one_message_once(
    ledger: Ledger, clock: FakeClock
) -> None:
    """The process posted, sent bob his message, and stopped before marking it sent: after
    the lease, whoever takes the row over sends it once more (the one duplicate a crash can
    cause); once marked, never again."""
    payments = await funded(ledger)
    held = await payments.hold(ALICE, BOB, 500, "", key="send:3")
    done = await payments.confirm(held.transfer.ref, ALICE, key="press:3")
    assert len(done.messages) == 2  # no card: alice's receipt, bob's message; sent ... and
    # the process stops here

    restarted = Payments(ledger, hold_expiry=HOLD)
    assert await restarted.stale_messages() == []  # its claim is fresh: not taken over yet
    clock.advance(31)
    taken = await restarted.stale_messages()
    assert [m.event_key for m in taken] == [m.event_key for m in done.messages]
    assert await restarted.stale_messages() == []  # claimed: a second worker gets nothing
    await restarted.delivered(taken)
    clock.advance(600)
    assert await restarted.stale_messages() == []


async def test_a_request_settles_with_its_hold_in_the_same_transaction(ledger: Ledger) -> None:
    payments = await funded(ledger)
    asked = await payments.request(BOB, ALICE, 2_000, "dinner", key="req:1")
    started = await payments.pay(asked.ref, ALICE)
    assert (await ledger.requests.get(asked.ref)).state == "open"

    await ledger.post(started.held.transfer.ref, key="press:r1")  # nothing but the post

    settled = await ledger.requests.get(asked.ref)
    assert (settled.state, settled.transfer_ref) == ("paid", started.held.transfer.ref)
    # No card was shown: alice's receipt comes privately; bob hears his request was paid.
    assert sorted(k.split(":")[0] for k, _, _ in await outbox(ledger)) == ["posted", "request"]


async def test_a_declined_request_releases_its_hold_and_can_never_be_paid(
    ledger: Ledger,
) -> None:
    payments = await funded(ledger)
    asked = await payments.request(BOB, ALICE, 2_000, "dinner", key="req:2")
    started = await payments.pay(asked.ref, ALICE)
    assert (await ledger.account(await ledger.open_account(ALICE))).on_hold == 2_000

    declined = await payments.decline(asked.ref, ALICE)

    assert declined.request.state == "declined"
    assert declined.hold is not None and declined.hold.state == "voided"
    assert [m.kind for m in declined.messages] == ["request_declined"]
    assert (await ledger.account(await ledger.open_account(ALICE))).on_hold == 0
    with pytest.raises(AlreadyResolved):  # the stale card's Confirm
        await ledger.post(started.held.transfer.ref, key="press:late")
    with pytest.raises(RequestClosed):
        await payments.pay(asked.ref, ALICE)


async def test_the_database_refuses_to_post_a_hold_whose_request_is_closed(
    ledger: Ledger,
) -> None:
    """A request closed behind its hold's back (the hold left pending) is not paid by it,
    and no new hold can be made for it."""
    payments = await funded(ledger)
    asked = await payments.request(BOB, ALICE, 300, "", key="req:3")
    started = await payments.pay(asked.ref, ALICE)
    await ledger.db.write_one(  # closed in the table itself, its hold left pending
        "UPDATE payment_requests SET state = 'cancelled', resolved_at = created_at WHERE id = :r",
        {"r": asked.id},
    )
    ref = started.held.transfer.ref
    with pytest.raises(RequestClosed):
        await ledger.post(ref, key="press:x")
    assert (await ledger.get_transfer(ref)).state == "pending"
    with pytest.raises(RequestClosed):  # nor can a new hold be made for it
        await ledger.create_pending(
            await ledger.open_account(ALICE),
            await ledger.open_account(BOB),
            300,
            key="another",
            expires_in=HOLD,
            request_id=asked.id,
        )


async def test_an_expired_hold_leaves_its_request_open_and_owes_its_card_a_redraw(
    ledger: Ledger, clock: FakeClock
) -> None:
    """Issue 17: a request outlives the holds made to pay it; the next Pay makes a new
    hold, and posting that one pays the request."""
    payments = await funded(ledger)
    asked = await payments.request(BOB, ALICE, 400, "", key="req:4")
    first = await payments.pay(asked.ref, ALICE)
    clock.advance(HOLD.total_seconds())

    expired = await payments.expire_overdue()

    assert [t.state for t in expired.transfers] == ["expired"]
    assert [m.kind for m in expired.messages] == ["card_expired"]
    assert (await ledger.requests.get(asked.ref)).state == "open"

    again = await payments.pay(asked.ref, ALICE)
    assert again.held.transfer.ref != first.held.transfer.ref
    assert again.held.transfer.state == "pending" and again.held.show_card
    assert (await payments.pay(asked.ref, ALICE)).held.transfer.ref == again.held.transfer.ref
    await ledger.post(again.held.transfer.ref)
    assert (await ledger.requests.get(asked.ref)).state == "paid"


async def test_a_freeze_tells_its_person_by_the_outbox(ledger: Ledger) -> None:
    payments = await funded(ledger)
    await payments.hold(ALICE, BOB, 100, "", key="send:f")
    frozen = await payments.freeze(ADMIN, ALICE, "fraud")
    assert frozen.changed and len(frozen.released) == 1
    assert [(m.kind, m.recipient_id, m.detail, m.note) for m in frozen.messages] == [
        ("frozen", ALICE, 1, "fraud")
    ]


async def test_decline_and_confirm_at_the_same_moment_never_both_win(ledger: Ledger) -> None:
    """Bob's request to alice: alice presses Confirm on its card as she presses Decline on
    the request, twenty times over. Each time exactly one wins: paid with the hold posted,
    or declined with the hold released; never declined and paid."""
    payments = await funded(ledger)
    for n in range(20):
        asked = await payments.request(BOB, ALICE, 10, "", key=f"race:{n}")
        started = await payments.pay(asked.ref, ALICE)
        ref = started.held.transfer.ref
        results = await asyncio.gather(
            payments.confirm(ref, ALICE, key=f"press:race:{n}"),
            payments.decline(asked.ref, ALICE),
            return_exceptions=True,
        )
        request = await ledger.requests.get(asked.ref)
        hold = await ledger.get_transfer(ref)
        assert (request.state, hold.state) in {("paid", "posted"), ("declined", "voided")}
        winners = [r for r in results if not isinstance(r, BaseException)]
        assert len(winners) == 1, results
        assert all(
            isinstance(r, (AlreadyResolved, RequestClosed)) for r in results if r not in winners
        )
    assert (await ledger.verify()).ok
    assert (await ledger.account(await ledger.open_account(ALICE))).on_hold == 0
