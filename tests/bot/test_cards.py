"""The confirmation card: Confirm, Cancel, strangers, forged buttons, double and concurrent
presses, redelivered presses, expiry, and what each person is told."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest
from telegram.error import Forbidden

from bot.app import startup
from ledger.errors import DatabaseUnavailable
from tests.bot.conftest import SQLITE_ONLY, ChatBot
from tests.round_trips import RoundTrips

ALREADY = "Already confirmed: this payment went through once; nothing more was sent."


async def alice_and_bob(bot: ChatBot, funds: int = 5_000) -> tuple[dict, dict]:
    alice, bob = bot.user("alice"), bot.user("bob")
    await bot.register(bob)
    await bot.register(alice, funds=funds)
    return alice, bob


async def ref_of(bot: ChatBot, card) -> str:
    return bot.button(card, "Confirm").removeprefix("p:c:")


# --- Confirm ---------------------------------------------------------------------------


async def test_confirm_in_private_turns_the_card_into_a_receipt_and_tells_bob(
    bot: ChatBot,
) -> None:
    alice, bob = await alice_and_bob(bot)
    await bot.send(alice, "/send @bob 12.50 lunch")
    card = bot.last(alice)
    ref = await ref_of(bot, card)

    await bot.press(alice, card, "Confirm")

    assert bot.answer().params == {
        "callback_query_id": "1",
        "text": "Payment sent.",
        "show_alert": False,
    }
    receipt = bot.last(alice)
    assert receipt.method == "editMessageText"
    assert receipt.params["message_id"] == card.result["message_id"]
    assert receipt.text == (
        "✅ You paid <b>12.50 USD</b> to @bob — <i>lunch</i>\n"
        "Paid on Nov 22, 2026, 12:00\u202fPM UTC\n"
        f"Reference: <code>{ref}</code>\n\n"
        "Your balance: <b>37.50 USD</b>"
    )
    assert [label for label, _ in receipt.buttons] == ["Send again", "Request back"]
    assert bot.texts(bob) == [
        "💸 @alice sent you <b>12.50 USD</b> — <i>lunch</i>\n"
        f"Reference: <code>{ref}</code>\n\nYour balance: <b>12.50 USD</b>"
    ]
    assert [label for label, _ in bot.last(bob).buttons] == ["Say thanks", "Send back"]
    assert await bot.balances(alice, bob) == [3_750, 1_250]
    assert await bot.held(alice) == 0
    transfer = await bot.ledger.get_transfer(ref)
    assert (transfer.state, transfer.memo, transfer.resolved_by) == ("posted", "lunch", 101)


async def test_in_a_group_the_receipt_shows_no_balance_which_goes_to_each_privately(
    bot: ChatBot,
) -> None:
    alice, bob = await alice_and_bob(bot)
    group = bot.group()
    await bot.send(alice, "/send @bob 5 pizza", chat=group)
    card = bot.last(group)

    await bot.press(alice, card, "Confirm")

    receipt = bot.last(group)
    assert receipt.text.startswith("✅ @alice paid @bob <b>5.00 USD</b> — <i>pizza</i>")
    assert "balance" not in receipt.text.lower() and "45.00" not in receipt.text
    assert receipt.buttons == []  # anyone in the group could press them
    assert bot.last(alice).text.startswith("✅ You paid <b>5.00 USD</b> to @bob — <i>pizza</i>")
    assert bot.last(alice).text.endswith("Your balance: <b>45.00 USD</b>")
    assert [label for label, _ in bot.last(alice).buttons] == ["Send again", "Request back"]
    assert bot.last(bob).text.startswith("💸 @alice sent you <b>5.00 USD</b>")
    assert [c.chat_id for c in bot.calls("sendMessage")] == [group["id"], alice["id"], bob["id"]]


async def test_three_friends_pay_in_a_circle(bot: ChatBot) -> None:
    alice, bob, carol = bot.user("alice"), bot.user("bob"), bot.user("carol")
    await bot.register(alice, bob, carol, funds=1_000)
    group = bot.group()
    bob_says = bot.message(bob, "I'll get the next round", chat=group)
    carol_says = bot.message(carol, "tickets booked", chat=group)

    await bot.send(alice, "/send @bob 3", chat=group)
    await bot.press(alice, bot.last(group), "Confirm")
    await bot.send(bob, "/send 4 tickets", chat=group, reply_to=carol_says)
    await bot.press(bob, bot.last(group), "Confirm")
    await bot.send(carol, "/send 2,50 thanks", chat=group, reply_to=bob_says)
    await bot.press(carol, bot.last(group), "Confirm")

    assert await bot.balances(alice, bob, carol) == [700, 1_150, 1_150]
    assert (await bot.ledger.verify()).ok
    [told] = [text for text in bot.texts(carol) if text.startswith("💸 @bob sent you")]
    assert told.startswith("💸 @bob sent you <b>4.00 USD</b> — <i>tickets</i>\nReference: ")
    assert told.endswith("\n\nYour balance: <b>14.00 USD</b>")


# --- Cancel ----------------------------------------------------------------------------


async def test_cancel_releases_the_hold_and_says_so(bot: ChatBot) -> None:
    alice, bob = await alice_and_bob(bot)
    await bot.send(alice, "/send @bob 20 concert")
    card = bot.last(alice)
    assert await bot.held(alice) == 2_000

    await bot.press(alice, card, "Cancel")

    assert bot.answer().params["text"] == "Cancelled; nothing was sent."
    assert bot.last(alice).text == (
        "Cancelled: you didn't send <b>20.00 USD</b> to @bob — <i>concert</i>; "
        "the reserved money is back in your balance."
    )
    assert await bot.balances(alice, bob) == [5_000, 0]
    assert await bot.held(alice) == 0
    assert bot.to(bob) == []

    await bot.press(alice, card, "Confirm")  # the old card, still on alice's screen
    assert bot.answer().params == {
        "callback_query_id": "2",
        "text": "This payment was cancelled; nothing was sent.",
        "show_alert": True,
    }
    assert await bot.balances(alice, bob) == [5_000, 0]


# --- strangers and forged buttons ------------------------------------------------------


async def test_a_stranger_pressing_in_the_group_gets_an_alert_and_nothing_changes(
    bot: ChatBot,
) -> None:
    alice, bob = await alice_and_bob(bot)
    group = bot.group()
    await bot.send(alice, "/send @bob 5", chat=group)
    card = bot.last(group)
    before = await bot.books()
    bot.api.clear()

    await bot.press(bob, card, "Confirm")  # the recipient would love to press it
    await bot.press(bot.user("dave"), card, "Cancel")

    assert [a.params for a in bot.answers()] == [
        {
            "callback_query_id": str(n),
            "text": "Only the person paying can press these buttons.",
            "show_alert": True,
        }
        for n in (1, 2)
    ]
    assert bot.calls("editMessageText") == [] and bot.calls("sendMessage") == []
    assert await bot.books() == before


@SQLITE_ONLY
@pytest.mark.parametrize(
    "data",
    [
        "p:c:",
        "p:c:not-a-ref",
        "p:c:" + "A" * 60,
        "p:c:ZZZZZZZZZZ",  # well formed, no such transfer
        "p:zz",
        "r:p:ZZZZZZZZZZ",
        "h:-1",
        "h:99999999",
        "l:de",
        "totally unknown",
        "",
    ],
)
async def test_forged_button_data_is_answered_and_changes_nothing(bot: ChatBot, data: str) -> None:
    alice, _ = await alice_and_bob(bot)
    await bot.send(alice, "/send @bob 5")
    card = bot.last(alice)
    before = await bot.books()
    bot.api.clear()

    await bot.press_data(alice, card, data)

    [answer] = bot.answers()
    assert answer.params["text"] in {"This button is not valid.", "This button no longer works."}
    assert bot.calls("editMessageText") == [] and bot.calls("sendMessage") == []
    assert await bot.books() == before


async def test_a_reference_of_someone_elses_card_is_refused(bot: ChatBot) -> None:
    alice, bob = await alice_and_bob(bot)
    await bot.fund(bob, 1_000)
    await bot.send(alice, "/send @bob 5")
    alices_card = bot.last(alice)
    await bot.send(bob, "/send @alice 1")
    bobs_card = bot.last(bob)
    before = await bot.books()

    # bob presses on his own card, with data naming alice's transfer
    await bot.press_data(bob, bobs_card, bot.button(alices_card, "Confirm"))

    assert bot.answer().params["text"] == "Only the person paying can press these buttons."
    assert await bot.books() == before


# --- double, concurrent and redelivered presses ----------------------------------------


async def test_alice_presses_confirm_twice_and_pays_once(bot: ChatBot) -> None:
    alice, bob = await alice_and_bob(bot)
    await bot.send(alice, "/send @bob 12,50 lunch")
    card = bot.last(alice)

    await bot.press(alice, card, "Confirm")
    await bot.press(alice, card, "Confirm")

    assert [a.params["text"] for a in bot.answers()] == ["Payment sent.", ALREADY]
    assert await bot.balances(alice, bob) == [3_750, 1_250]
    assert len(bot.to(bob)) == 1


async def test_two_presses_at_the_same_moment_move_money_once(bot: ChatBot) -> None:
    alice, bob = await alice_and_bob(bot)
    await bot.send(alice, "/send @bob 12.50")
    card = bot.last(alice)

    await asyncio.gather(
        bot.press(alice, card, "Confirm"),
        bot.press(alice, card, "Confirm"),
        bot.press(alice, card, "Cancel"),
    )

    texts = sorted(a.params["text"] for a in bot.answers())
    assert texts.count("Payment sent.") + texts.count("Cancelled; nothing was sent.") == 1
    assert len(texts) == 3
    winner = await bot.ledger.get_transfer(await ref_of(bot, card))
    if winner.state == "posted":
        assert await bot.balances(alice, bob) == [3_750, 1_250]
        assert len(bot.to(bob)) == 1
        assert texts.count(ALREADY) == 2  # the other Confirm, and the Cancel
    else:
        assert await bot.balances(alice, bob) == [5_000, 0]
    assert await bot.held(alice) == 0
    assert (await bot.ledger.verify()).ok


async def test_a_redelivered_press_gets_the_same_result_and_tells_nobody_twice(
    bot: ChatBot,
) -> None:
    alice, bob = await alice_and_bob(bot)
    await bot.send(alice, "/send @bob 7")
    card = bot.last(alice)
    press = await bot.press(alice, card, "Confirm")

    await bot.deliver(press)  # Telegram delivers the very same callback query again

    assert [a.params["text"] for a in bot.answers()] == ["Payment sent.", "Payment sent."]
    assert await bot.balances(alice, bob) == [4_300, 700]
    assert len(bot.to(bob)) == 1


# --- expiry ----------------------------------------------------------------------------


async def test_an_unanswered_card_expires_its_hold_is_released_and_it_says_so(
    bot: ChatBot,
) -> None:
    alice, bob = await alice_and_bob(bot)
    await bot.send(alice, "/send @bob 9 books")
    card = bot.last(alice)
    ref = await ref_of(bot, card)

    bot.clock.advance(299)
    assert await bot.sweep() == []
    assert await bot.held(alice) == 900

    bot.clock.advance(2)
    [expired] = await bot.sweep()

    assert (expired.ref, expired.state) == (ref, "expired")
    assert bot.last(alice).method == "editMessageText"
    assert bot.last(alice).text == (
        "Expired: you didn't confirm <b>9.00 USD</b> to @bob — <i>books</i> in time, so "
        "nothing was sent and the reserved money is back in your balance. Send it again "
        "with /send."
    )
    assert await bot.balances(alice, bob) == [5_000, 0]
    assert await bot.held(alice) == 0

    await bot.press(alice, card, "Confirm")  # pressing the stale card changes nothing
    assert bot.answer().params["text"].startswith("This payment expired before it was confirmed")
    assert await bot.balances(alice, bob) == [5_000, 0]


async def test_one_expiry_timer_expires_each_card_when_its_hold_falls_due(bot: ChatBot) -> None:
    alice, bob = await alice_and_bob(bot)
    await bot.send(alice, "/send @bob 9")
    first = bot.last(alice)
    set_for = bot.expiry_timer_at()
    assert set_for is not None
    # Job-queue time, ~301 s away: the hold's 300 s plus a second of slack.
    assert 295 <= set_for - time.time() <= 302

    bot.clock.advance(100)
    await bot.send(alice, "/send @bob 7")
    second = bot.last(alice)
    assert bot.expiry_timer_at() == set_for  # still the earliest: not set again

    bot.clock.advance(201)
    await bot.run_expiry_timer()

    edit = bot.last(alice)
    assert edit.params["message_id"] == first.result["message_id"]
    assert edit.text.startswith("Expired: you didn't confirm <b>9.00 USD</b> to @bob")
    assert (await bot.ledger.get_transfer(await ref_of(bot, first))).state == "expired"
    assert (await bot.ledger.get_transfer(await ref_of(bot, second))).state == "pending"
    assert await bot.held(alice) == 700
    # Set again, for the second card, 100 s after the first.
    next_at = bot.expiry_timer_at()
    assert next_at is not None and 95 <= next_at - time.time() <= 102

    bot.clock.advance(100)
    await bot.run_expiry_timer()
    assert (await bot.ledger.get_transfer(await ref_of(bot, second))).state == "expired"
    assert await bot.held(alice) == 0
    assert await bot.balances(alice, bob) == [5_000, 0]


async def test_the_periodic_sweeper_job_releases_overdue_holds(make_bot) -> None:
    bot = await make_bot(sweep_interval_seconds=15)
    alice, _ = await alice_and_bob(bot)
    await bot.send(alice, "/send @bob 9")
    [sweeper] = bot.app.job_queue.get_jobs_by_name("sweeper")
    assert sweeper.job.trigger.interval.total_seconds() == 15

    bot.clock.advance(301)
    await sweeper.run(bot.app)

    assert await bot.held(alice) == 0
    assert bot.last(alice).text.startswith("Expired: you didn't confirm <b>9.00 USD</b> to @bob")


async def test_the_expiry_timer_leaves_a_confirmed_card_alone(bot: ChatBot) -> None:
    alice, bob = await alice_and_bob(bot)
    await bot.send(alice, "/send @bob 9")
    card = bot.last(alice)
    await bot.press(alice, card, "Confirm")
    told = len(bot.to(alice))

    bot.clock.advance(301)
    await bot.run_expiry_timer()

    assert len(bot.to(alice)) == told  # the receipt stays as it is
    assert bot.last(alice).text.startswith("✅ You paid <b>9.00 USD</b> to @bob")
    assert await bot.balances(alice, bob) == [4_100, 900]


async def test_pressing_confirm_after_the_time_is_up_expires_it_on_the_spot(
    bot: ChatBot,
) -> None:
    alice, bob = await alice_and_bob(bot)
    await bot.send(alice, "/send @bob 9")
    card = bot.last(alice)
    bot.clock.advance(400)  # the sweeper has not run yet

    await bot.press(alice, card, "Confirm")

    assert bot.answer().params["show_alert"] is True
    assert bot.answer().params["text"].startswith("This payment expired before it was confirmed")
    assert bot.last(alice).text.startswith("Expired: you didn't confirm <b>9.00 USD</b> to @bob")
    assert await bot.balances(alice, bob) == [5_000, 0]


async def test_holds_left_over_by_a_restart_are_released_at_startup(make_bot) -> None:
    first = await make_bot(hold_expiry_seconds=60)
    alice, _ = await alice_and_bob(first)
    await first.send(alice, "/send @bob 9")
    first.clock.advance(120)

    second = await make_bot()  # the process restarted: the first one's jobs are gone
    await startup(second.app)

    assert (await second.account(alice)).on_hold == 0
    assert second.last(alice).text.startswith("Expired: you didn't confirm <b>9.00 USD</b> to @bob")
    menus = second.calls("setMyCommands")
    assert [m.params.get("language_code") for m in menus] == [None, "fr"]


# --- when the recipient blocked the bot, and when the ledger is away -------------------


async def test_a_recipient_who_blocked_the_bot_is_paid_all_the_same(
    bot: ChatBot, caplog: pytest.LogCaptureFixture
) -> None:
    alice, bob = await alice_and_bob(bot)
    bot.api.blocked_chats.add(bob["id"])
    await bot.send(alice, "/send @bob 10")
    card = bot.last(alice)
    ref = await ref_of(bot, card)

    with caplog.at_level(logging.WARNING):
        await bot.press(alice, card, "Confirm")

    assert await bot.balances(alice, bob) == [4_000, 1_000]
    assert bot.last(alice).text.startswith("✅ You paid <b>10.00 USD</b> to @bob")
    assert f"payment {ref} stands; its recipient {bob['id']} was not told" in caplog.text


async def test_confirm_while_the_ledger_is_unreachable_can_be_pressed_again(
    bot: ChatBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice, bob = await alice_and_bob(bot)
    await bot.send(alice, "/send @bob 10")
    card = bot.last(alice)
    real_post = bot.ledger.post

    async def unreachable(*args, **kwargs):
        raise DatabaseUnavailable()

    monkeypatch.setattr(bot.ledger, "post", unreachable)
    await bot.press(alice, card, "Confirm")
    assert bot.answer().params == {
        "callback_query_id": "1",
        "text": "Not confirmed yet: I can't reach the payment service. Press Confirm again "
        "in a moment; the payment will go through at most once.",
        "show_alert": True,
    }
    assert await bot.balances(alice, bob) == [4_000, 0]
    assert bot.last(alice) is card

    monkeypatch.setattr(bot.ledger, "post", real_post)
    await bot.press(alice, card, "Confirm")
    assert bot.answer().params["text"] == "Payment sent."
    assert await bot.balances(alice, bob) == [4_000, 1_000]


async def test_a_send_while_the_ledger_is_unreachable_holds_nothing(
    bot: ChatBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice, _ = await alice_and_bob(bot)
    before = await bot.books()

    async def unreachable(*args, **kwargs):
        raise DatabaseUnavailable()

    monkeypatch.setattr(bot.ledger, "create_pending", unreachable)
    await bot.send(alice, "/send @bob 10")

    assert bot.last(alice).text == (
        "I can't reach the payment service right now, so nothing happened and nothing was charged. "
        "Try again in a moment."
    )
    assert await bot.books() == before


async def test_a_card_that_cannot_be_shown_releases_its_hold(bot: ChatBot) -> None:
    alice, _ = await alice_and_bob(bot)
    group = bot.group()
    bot.api.fail_next["sendMessage"] = (403, "Forbidden: bot was kicked from the group chat")
    with bot.expecting(Forbidden):
        await bot.send(alice, "/send @bob 10", chat=group)
    assert await bot.held(alice) == 0
    assert (await bot.account(alice)).available == 5_000


async def test_an_answer_that_comes_too_late_does_not_cut_the_payment_short(
    bot: ChatBot,
) -> None:
    alice, bob = await alice_and_bob(bot)
    await bot.send(alice, "/send @bob 10")
    bot.api.fail_next["answerCallbackQuery"] = (
        400,
        "Bad Request: query is too old and response timeout expired or query id is invalid",
    )
    await bot.press(alice, bot.last(alice), "Confirm")
    assert bot.last(alice).text.startswith("✅ You paid <b>10.00 USD</b> to @bob")
    assert bot.last(bob).text.startswith("💸 @alice sent you <b>10.00 USD</b>")


async def test_an_edit_that_changes_nothing_is_not_an_error(bot: ChatBot) -> None:
    alice, bob = await alice_and_bob(bot)
    await bot.send(alice, "/send @bob 10")
    bot.api.fail_next["editMessageText"] = (
        400,
        "Bad Request: message is not modified: specified new message content and reply markup "
        "are exactly the same",
    )
    await bot.press(alice, bot.last(alice), "Confirm")
    assert await bot.balances(alice, bob) == [4_000, 1_000]
    assert bot.last(bob).text.startswith("💸 @alice sent you")


# --- round trips -----------------------------------------------------------------------


async def test_a_confirm_press_reads_three_times_and_writes_the_post_and_its_delivery(
    bot: ChatBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rate limit's count (one statement on PostgreSQL), the presser's and bob's directory
    rows (each read once for the update: nothing about people is kept between updates, so
    every worker sees the same), the transfer and its card in one read, the post (whose
    statement writes bob's outbox row), the rows it wrote, both balances in one read; then
    the row is marked sent (one write after bob was told; nothing deferred)."""
    alice, bob = await alice_and_bob(bot)
    await bot.send(alice, "/send @bob 2")
    card = bot.last(alice)
    trips = RoundTrips(bot.ledger.db, monkeypatch)

    await bot.press(alice, card, "Confirm")

    assert bot.answer().text == "Payment sent."
    admitted = [] if bot.ledger.db.is_sqlite else ["SELECT"]  # rate_admit (SQLite: in memory)
    assert (len(trips.reads), trips.writes) == (5, [*admitted, "UPDATE", "UPDATE"])
    assert bot.texts(bob)[-1].endswith("Your balance: <b>2.00 USD</b>")


async def test_confirming_a_request_card_reads_the_request_once(
    bot: ChatBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A request's card adds the request (read once, to render alice's message); the
    request is settled by the post's own statement (the database), and alice's balance
    comes from the read made for the receipt. (The rate limit's count and the two people's
    rows as in the test above.)"""
    alice, bob, _, card = await bot.request_held()
    trips = RoundTrips(bot.ledger.db, monkeypatch)

    await bot.press(bob, card, "Confirm")

    assert bot.texts(alice)[-1].endswith("Your balance: <b>20.00 USD</b>")
    admitted = [] if bot.ledger.db.is_sqlite else ["SELECT"]
    assert (len(trips.reads), trips.writes) == (6, [*admitted, "UPDATE", "UPDATE"])
