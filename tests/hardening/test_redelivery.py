"""Telegram redelivers: the same update twice (same update_id, same message, same callback
query id), or out of order, or all at once. Money never moves twice.

The property test plays a payment's updates in every order Hypothesis picks, one after the
other or all at the same moment: the /send twice, a Confirm press twice (same query id) and a
second Confirm (another press), a Cancel twice. Whatever the order, one card is shown, the
first Confirm or Cancel to arrive decides (at the same moment: exactly one of them), the
money moves at most once, bob is told at most once, and no hold is left.
"""

from __future__ import annotations

import asyncio
import copy
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from bot import cards, outbox
from bot.fakeapi import Call, Telegram
from tests.bot.conftest import ChatBot, MakeBot
from tests.hardening.chat_checks import assert_clear, said
from tests.hardening.fuzzing import chat_bot, examples, fuzz

OSCAR = Telegram.user(900, "oscar", "Oscar")  # an admin
ORDERS = 150  # on SQLite; PostgreSQL runs a share
UPDATES = ["send", "send", "confirm", "confirm", "confirm2", "cancel", "cancel"]


async def scene(bot: ChatBot, funds: int = 5_000) -> tuple[dict[str, Any], dict[str, Any]]:
    alice, bob = bot.user("alice"), bot.user("bob")
    await bot.register(bob)
    await bot.register(alice, funds=funds)
    return alice, bob


@dataclass
class Payment:
    """One /send and the presses its card can get, as Update JSON ready to be redelivered."""

    updates: dict[str, dict[str, Any]]
    ref: str


async def new_payment(bot: ChatBot, alice: dict[str, Any], n: int) -> Payment:
    send = bot.tg.message(alice, f"/send @bob 1 order {n}")
    await bot.deliver(send)
    card = bot.last(alice)
    ref = bot.button(card, "Confirm").removeprefix(cards.CONFIRM)
    press = bot.tg.callback
    return Payment(
        {
            "send": send,
            "confirm": press(alice, cards.CONFIRM + ref, card, query_id=f"c{n}"),
            "confirm2": press(alice, cards.CONFIRM + ref, card, query_id=f"c{n}-again"),
            "cancel": press(alice, cards.CANCEL + ref, card, query_id=f"x{n}"),
        },
        ref,
    )


def test_in_any_order_or_all_at_once_a_payment_moves_once(database: str, tmp_path: Path) -> None:
    with chat_bot(database, tmp_path, rate_limit_per_minute=10_000) as (run, bot):
        alice, bob = run(scene(bot, funds=1_000_000))
        played = []

        @fuzz(examples(database, ORDERS))
        @given(order=st.permutations(UPDATES), at_once=st.booleans())
        def example(order: list[str], at_once: bool) -> None:
            played.append(run(play(bot, alice, bob, order, at_once, len(played))))

        example()
        assert len(played) >= examples(database, ORDERS)
        assert {"posted", "voided"} <= set(played)  # both outcomes came up
        report = run(bot.ledger.verify())
        assert report.ok and report.pending_transfers == 0, report.summary()


async def play(
    bot: ChatBot,
    alice: dict[str, Any],
    bob: dict[str, Any],
    order: list[str],
    at_once: bool,
    n: int,
) -> str:
    before = await bot.balances(alice, bob)
    payment = await new_payment(bot, alice, n)
    bot.api.clear()
    deliveries = [bot.deliver(copy.deepcopy(payment.updates[name])) for name in order]
    if at_once:
        await asyncio.gather(*deliveries)
    else:
        for delivery in deliveries:
            await delivery
    context = f"{order} {'at once' if at_once else 'in turn'}"
    assert_clear(bot.api.calls, context)
    state = (await bot.ledger.get_transfer(payment.ref)).state
    if not at_once:
        first = next(name for name in order if name != "send")
        assert state == ("voided" if first == "cancel" else "posted"), context
    moved = 100 if state == "posted" else 0
    assert await bot.balances(alice, bob) == [before[0] - moved, before[1] + moved], context
    assert await bot.held(alice) == 0, context
    cards_shown = [
        c
        for c in bot.api.calls
        if c.method == "sendMessage" and c.buttons and c.buttons[0][1].startswith("p:c:")
    ]
    assert cards_shown == [], f"{context}: a second card"
    assert len(said(bot.to(bob), "card.received")) == (state == "posted"), context
    # Every press is answered, each time it is delivered.
    assert len(bot.answers()) == sum(name != "send" for name in order), context
    return state


# --- the stories -----------------------------------------------------------------------------


async def test_confirm_before_a_replayed_send_and_cancel_after_confirm(bot: ChatBot) -> None:
    alice, bob = await scene(bot)
    send = await bot.send(alice, "/send @bob 12.50 lunch")
    card = bot.last(alice)
    await bot.press(alice, card, "Confirm")
    assert len(bot.to(bob)) == 1  # bob is told
    bot.api.clear()

    await bot.deliver(send)  # the /send arrives again, after the Confirm
    assert bot.api.calls == []  # no second card, no second hold
    await bot.press(alice, card, "Cancel")  # a Cancel arriving after the Confirm
    answer = bot.answer().params
    assert answer["text"] == (
        "Already confirmed: this payment went through once; nothing more was sent."
    )
    assert answer["show_alert"] is True

    assert await bot.balances(alice, bob) == [3_750, 1_250]
    assert await bot.held(alice) == 0
    assert bot.to(bob) == []  # and not told again
    report = await bot.ledger.verify()
    assert report.ok and report.transfers_checked == 2  # the top-up and one payment


async def test_a_confirm_after_cancel_sends_nothing(bot: ChatBot) -> None:
    alice, bob = await scene(bot)
    await bot.send(alice, "/send @bob 5")
    card = bot.last(alice)
    cancel = await bot.press(alice, card, "Cancel")
    await bot.press(alice, card, "Confirm")
    assert bot.answer().params["text"] == "This payment was cancelled; nothing was sent."
    await bot.deliver(cancel)
    assert await bot.balances(alice, bob) == [5_000, 0]
    assert await bot.held(alice) == 0
    assert bot.to(bob) == []


async def test_the_last_answer_of_the_guided_conversation_delivered_twice_holds_once(
    bot: ChatBot,
) -> None:
    alice, _ = await scene(bot)
    await bot.send(alice, "/send")
    await bot.send(alice, "@bob")
    await bot.send(alice, "4")
    note = await bot.send(alice, "books")
    await bot.deliver(note)
    assert await bot.held(alice) == 400
    cards = [c for c in bot.to(alice) if c.buttons and c.buttons[0][1].startswith("p:c:")]
    assert len(cards) == 1  # (the questions have buttons too: people, chips, Skip note)


async def test_a_request_paid_then_redelivered_everywhere_moves_money_once(bot: ChatBot) -> None:
    alice, bob = await scene(bot)
    request = await bot.send(bob, "/request @alice 20 dinner")
    asked = bot.last(alice)
    pay = await bot.press(alice, asked, "Pay")
    card = bot.last(alice)
    confirm = await bot.press(alice, card, "Confirm")

    await bot.deliver(request)
    await bot.deliver(pay)
    await bot.press(alice, asked, "Pay")  # a new press of the old Pay button
    await bot.deliver(confirm)

    assert await bot.balances(alice, bob) == [3_000, 2_000]
    assert await bot.held(alice) == 0
    requests = await bot.ledger.db.read_one("SELECT state FROM payment_requests", {})
    assert [r[0] for r in requests] == ["paid"]
    assert len(said(bot.to(bob), "request.outcome.paid")) == 1
    assert (await bot.ledger.verify()).transfers_checked == 2


async def test_admin_credit_and_admin_confirm_redelivered_act_once(make_bot: MakeBot) -> None:
    bot = await make_bot(admin_ids=[OSCAR["id"]])
    _, bob = await scene(bot)
    await bot.register(OSCAR)
    credit = await bot.send(OSCAR, "/credit @bob 10 top-up")
    await bot.deliver(credit)
    assert await bot.balances(bob) == [1_000]

    await bot.send(OSCAR, "/debit @bob 4 chargeback")
    card: Call = bot.last(OSCAR)
    confirm = await bot.press(OSCAR, card, "Confirm")
    await bot.deliver(confirm)
    await bot.press(OSCAR, card, "Confirm")
    assert await bot.balances(bob) == [600]
    assert len(said(bot.to(bob), "admin.notice.credited")) == 1
    assert len(said(bot.to(bob), "admin.notice.debited")) == 1


async def test_a_send_redelivered_after_a_crash_before_its_card_shows_the_card(
    bot: ChatBot,
) -> None:
    """The process held the money and stopped before the card went out (nothing remembered
    it): Telegram redelivers the /send, and the card for that same hold is shown, once."""
    alice, _ = await scene(bot)
    update = bot.tg.message(alice, "/send @bob 7 tea")
    message = update["message"]
    ledger = bot.ledger
    held = await ledger.create_pending(  # what the crashed process wrote, and no more
        await ledger.open_account(alice["id"]),
        await ledger.open_account(bot.user("bob")["id"]),
        700,
        key=f"send:{message['chat']['id']}:{message['message_id']}",
        expires_in=timedelta(seconds=bot.app.bot_data["settings"].hold_expiry_seconds),
        memo="tea",
        actor=alice["id"],
    )

    await bot.deliver(update)
    await bot.deliver(update)  # and again: still one card

    cards_shown = [c for c in bot.to(alice) if c.buttons]
    assert len(cards_shown) == 1
    assert bot.button(cards_shown[0], "Confirm") == f"p:c:{held.ref}"
    assert await bot.held(alice) == 700  # the same hold, not a second one
    card = await ledger.card_of(held.id)
    assert card is not None
    assert card[:3] == (alice["id"], cards_shown[0].result["message_id"], None)


# --- told once, across a crash -----------------------------------------------------------


async def test_a_confirm_redelivered_after_a_crash_before_bob_was_told_tells_him_once(
    bot: ChatBot,
) -> None:
    """The process posted the payment and stopped before telling anyone. Telegram redelivers
    the press to the restarted bot: the card becomes the receipt at once; bob is told once
    the first delivery's claim has gone stale (it might be running on another worker: a
    redelivery never takes over a fresh claim), and only once."""
    alice, bob = await scene(bot)
    await bot.send(alice, "/send @bob 12.50 lunch")
    card = bot.last(alice)
    press = bot.tg.callback(alice, bot.button(card, "Confirm"), card)
    query = press["callback_query"]
    ref = query["data"].removeprefix("p:c:")
    # What the crashed process wrote, and no more: the post, keyed by the press.
    await bot.ledger.post(ref, key=f"press:{query['id']}", actor=alice["id"])
    assert bot.to(bob) == []

    await bot.deliver(press)  # at once: the claim is fresh, bob waits
    assert bot.to(bob) == []
    bot.clock.advance(31)
    await bot.deliver(press)
    await bot.deliver(press)  # and once more: told once all the same

    assert bot.texts(bob) == [
        "💸 @alice sent you <b>12.50 USD</b> — <i>lunch</i>\n"
        f"Reference: <code>{ref}</code>\n\nYour balance: <b>12.50 USD</b>"
    ]
    assert bot.last(alice).text.startswith("✅ You paid <b>12.50 USD</b> to @bob")
    assert await bot.balances(alice, bob) == [3_750, 1_250]


async def test_after_a_restart_a_redelivered_confirm_does_not_tell_bob_again(
    bot: ChatBot,
) -> None:
    """Bob was told before the crash; the restarted process (which remembers nothing) gets
    the press again: the outbox says he was told, so he is not told twice."""
    alice, bob = await scene(bot)
    await bot.send(alice, "/send @bob 3 tea")
    card = bot.last(alice)
    press = await bot.press(alice, card, "Confirm")
    assert len(bot.to(bob)) == 1
    for memory in ("presses_abandoned", "cards_showing", "payments"):  # a new process
        bot.app.bot_data.pop(memory, None)

    await bot.deliver(press)
    await bot.press(alice, card, "Confirm")  # another press on the old card

    assert len(bot.to(bob)) == 1
    assert await bot.balances(alice, bob) == [4_700, 300]


async def test_a_request_paid_before_a_crash_is_settled_when_the_press_comes_again(
    bot: ChatBot,
) -> None:
    """A request's payment was posted, then the process stopped before the request was
    settled: the redelivered Confirm, once the crashed delivery's claim is stale, tells
    alice, once."""
    alice, bob, _, card = await bot.request_held()
    press = bot.tg.callback(bob, bot.button(card, "Confirm"), card)
    query = press["callback_query"]
    ref = query["data"].removeprefix("p:c:")
    await bot.ledger.post(ref, key=f"press:{query['id']}", actor=bob["id"])

    bot.clock.advance(31)
    await bot.deliver(press)
    await bot.deliver(press)

    paid = [text for text in bot.texts(alice) if text.startswith("✅ @bob paid your request")]
    assert len(paid) == 1
    _, shown = await bot.ledger.transfer_and_card(ref)
    assert shown is not None and shown.request_id is not None
    rows = await bot.ledger.db.read_one(
        "SELECT kind, sent_at IS NOT NULL FROM outbox WHERE request_id = :r",
        {"r": shown.request_id},
    )
    assert [tuple(row) for row in rows] == [("request_paid", True)]  # alice told, marked
    assert (await bot.ledger.requests.by_id(shown.request_id)).state == "paid"
    assert await bot.balances(alice, bob) == [2_000, 3_000]


async def test_a_payment_posted_by_a_process_that_stopped_is_told_by_the_outbox_job_once(
    bot: ChatBot,
) -> None:
    """The process posted the payment and stopped before telling bob, and no press comes
    again: once the row's claim is stale, the periodic delivery tells bob, once, on
    whichever worker runs it first."""
    alice, bob = await scene(bot)
    await bot.send(alice, "/send @bob 12.50 lunch")
    ref = bot.button(bot.last(alice), "Confirm").removeprefix(cards.CONFIRM)
    await bot.ledger.post(ref, key="press:gone", actor=alice["id"])  # and no more

    assert await outbox.deliver_stale(bot.app) == 0  # its claim is fresh: not taken over
    bot.clock.advance(31)
    assert await outbox.deliver_stale(bot.app) == 1
    assert await outbox.deliver_stale(bot.app) == 0
    bot.clock.advance(600)
    assert await outbox.deliver_stale(bot.app) == 0

    assert bot.texts(bob) == [
        "💸 @alice sent you <b>12.50 USD</b> — <i>lunch</i>\n"
        f"Reference: <code>{ref}</code>\n\nYour balance: <b>12.50 USD</b>"
    ]
    assert bot.app.job_queue is not None
    assert [job.name for job in bot.app.job_queue.get_jobs_by_name("outbox")] == ["outbox"]
