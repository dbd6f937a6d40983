"""A request's hold ending unpaid, wherever it ends: a stale Decline releases it at once, a
freeze that releases it settles the request too, and Pay on a request whose hold ended says
the request can no longer be paid. The request is closed once and its requester told once."""

from __future__ import annotations

import pytest
from telegram.error import TelegramError

from bot.fakeapi import Call, Telegram
from ledger import PaymentRequest
from tests.bot.conftest import ChatBot, MakeBot, User

OSCAR = Telegram.user(900, "oscar", "Oscar")  # an admin

RELEASED = (
    "The payment for your request to @bob for <b>20.00 USD</b> — <i>dinner</i> was cancelled: "
    "the money held for it was released and nothing was paid."
)


@pytest.fixture
async def ops(make_bot: MakeBot) -> ChatBot:
    """The bot with oscar as its admin."""
    return await make_bot(admin_ids=[OSCAR["id"]])


async def paid_once(bot: ChatBot, alice: User | None = None) -> tuple[User, User, Call, Call]:
    """alice asks bob (50.00 USD) for 20.00 USD for dinner and bob presses Pay: the money is
    held. Returns alice, bob, the request message as first sent (its buttons still on some
    old screen) and the card it became."""
    alice, bob, request, card = await bot.request_held(alice)
    assert card.text.startswith("Send <b>20.00 USD</b> to @alice")
    assert await bot.held(bob) == 2_000
    return alice, bob, request, card


async def request_of(bot: ChatBot, request: Call) -> PaymentRequest:
    ref = bot.button(request, "Pay").removeprefix("r:p:")
    return await bot.ledger.requests.get(ref)


async def freeze(bot: ChatBot, who: str) -> None:
    await bot.send(OSCAR, f"/freeze @{who} chargebacks")
    await bot.press(OSCAR, bot.last(OSCAR), "Confirm")
    assert bot.last(OSCAR).text.startswith(f"✅ Done: freeze @{who}'s account")


# --- a stale Decline -----------------------------------------------------------------------


async def test_a_stale_decline_after_pay_releases_the_hold_at_once(bot: ChatBot) -> None:
    alice, bob, request, card = await paid_once(bot)

    await bot.press(bob, request, "Decline")  # an old copy of the message, still on a screen

    assert bot.answer().params["text"] == "Declined."
    assert await bot.held(bob) == 0  # not at the hold's expiry: now
    assert await bot.balances(alice, bob) == [0, 5_000]
    assert (await bot.ledger.verify()).pending_transfers == 0
    shown = bot.last(bob)  # one edit: the card, which is the message Decline was pressed on
    assert shown.method == "editMessageText"
    assert shown.params["message_id"] == card.result["message_id"]
    assert shown.text.startswith(
        "Cancelled: you didn't send <b>20.00 USD</b> to @alice — <i>dinner</i>; the reserved"
    )
    assert shown.buttons == []
    assert bot.texts(alice)[-1] == (
        "@bob declined your request for <b>20.00 USD</b> — <i>dinner</i>."
    )
    assert len(bot.to(alice)) == 2  # "sent", then "declined", once
    assert (await request_of(bot, request)).state == "declined"

    await bot.press(bob, card, "Confirm")  # the card on yet another old screen
    assert bot.answer().params["text"].startswith("This request was declined already")
    await bot.press(bob, request, "Decline")
    assert bot.answer().params["text"] == "This request was declined."
    assert await bot.balances(alice, bob) == [0, 5_000]
    assert len(bot.to(alice)) == 2


async def test_a_decline_while_the_payment_goes_through_does_not_decline_it(
    bot: ChatBot,
) -> None:
    """Confirm has posted the hold (and, in the same transaction, closed the request as paid;
    nobody told alice yet) when a stale Decline comes: it is not declined (never both
    declined and paid)."""
    alice, bob, request, card = await paid_once(bot)
    await bot.ledger.post(bot.button(card, "Confirm").removeprefix("p:c:"))

    await bot.press(bob, request, "Decline")

    assert bot.answer().params["text"] == "This request is paid already."
    assert (await request_of(bot, request)).state == "paid"  # by the post itself
    assert len(bot.to(alice)) == 1  # nobody told alice it was declined
    assert await bot.balances(alice, bob) == [2_000, 3_000]


# --- a freeze ------------------------------------------------------------------------------


async def test_freezing_the_payer_releases_the_hold_and_tells_the_requester_nothing(
    ops: ChatBot,
) -> None:
    """The hold is released; the request outlives it (issue 17), so alice hears nothing at
    all, and nothing about bob's account."""
    alice, bob, request, card = await paid_once(ops)
    told = len(ops.to(alice))

    await freeze(ops, "bob")

    assert await ops.held(bob) == 0
    edits = [c for c in ops.to(bob) if c.method == "editMessageText"]
    assert edits[-1].params["message_id"] == card.result["message_id"]
    assert edits[-1].text.startswith("Cancelled: you didn't send <b>20.00 USD</b> to @alice")
    assert len(ops.to(alice)) == told
    assert (await request_of(ops, request)).state == "open"

    await ops.press(bob, request, "Pay")  # the old buttons: bob's own account is frozen
    assert ops.answer().params["text"].startswith("Your account is frozen")
    assert await ops.held(bob) == 0


async def test_freezing_the_requester_leaves_the_request_open_and_unpaid(ops: ChatBot) -> None:
    alice = ops.user("alice", lang="fr")
    _, bob, request, _ = await paid_once(ops, alice)

    await freeze(ops, "alice")

    assert await ops.held(bob) == 0
    assert not any("a été annulé" in text for text in ops.texts(alice))
    assert (await request_of(ops, request)).state == "open"
    assert await ops.balances(alice, bob) == [0, 5_000]


# --- Pay on a request whose hold ended ---------------------------------------------------


async def test_pay_again_after_its_card_could_not_be_shown_makes_a_new_card(
    bot: ChatBot,
) -> None:
    """Pay's card could not be shown (the message was gone), so its hold was released; the
    request stays open and the next Pay makes a new hold and card (issue 17)."""
    alice, bob = bot.user("alice"), bot.user("bob")
    await bot.register(alice)
    await bot.register(bob, funds=5_000)
    await bot.send(alice, "/request @bob 20 dinner")
    request = bot.last(bob)
    bot.api.fail_next["editMessageText"] = (400, "Bad Request: message to edit not found")
    with bot.expecting(TelegramError):
        await bot.press(bob, request, "Pay")
    assert await bot.held(bob) == 0
    assert len(bot.to(alice)) == 1  # "sent" only

    await bot.press(bob, request, "Pay")
    card = bot.last(bob)
    assert card.text.startswith("Send <b>20.00 USD</b> to @alice — <i>dinner</i>?")
    assert await bot.held(bob) == 2_000
    await bot.press(bob, card, "Confirm")
    assert await bot.balances(alice, bob) == [2_000, 3_000]
    assert (await request_of(bot, request)).state == "paid"
