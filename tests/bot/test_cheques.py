"""Inline cheques: alice types "@bot 12.50 @bob lunch" in any chat, picks the result, and the
cheque she posts holds the money until bob accepts, she cancels, or it expires. Driven by the
Update JSON Telegram sends: inline_query, chosen_inline_result, and presses that carry an
inline_message_id and no message."""

from __future__ import annotations

import asyncio
import json
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.buttons import CHEQUE_ACCEPT, CHEQUE_CANCEL
from bot.cheques import read_query
from ledger import Currency
from ledger.errors import LedgerError
from tests.bot.conftest import SQLITE_ONLY, ChatBot

IMID = "AgAAAFxQAQDeU1AFXbFz8Y6Vz0"  # an inline_message_id as Telegram makes them


def buttons(result: dict) -> list[tuple[str, str]]:
    markup = result.get("reply_markup") or {}
    return [
        (b["text"], b.get("callback_data") or b.get("url", ""))
        for row in markup.get("inline_keyboard", [])
        for b in row
    ]


async def posted(
    bot: ChatBot, query: str = "12.50 @bob lunch", funds: int = 5_000
) -> tuple[dict, dict, str]:
    """alice (50.00 USD) and bob have started the bot; alice posts a cheque with ``query``
    and Telegram reports it. Returns alice, bob and the cheque's id."""
    alice, bob = bot.user("alice"), bot.user("bob")
    await bot.register(alice, funds=funds)
    await bot.register(bob)
    [result] = await bot.inline(alice, query)
    await bot.choose(alice, query, result, IMID)
    return alice, bob, result["id"]


async def test_alice_types_a_cheque_and_gets_one_personal_result_holding_nothing_yet(
    bot: ChatBot,
) -> None:
    alice, bob = bot.user("alice"), bot.user("bob")
    await bot.register(alice, funds=5_000)
    await bot.register(bob)
    before = await bot.books()

    [result] = await bot.inline(alice, "12.50 @bob lunch")

    answer = bot.inline_answer().params
    assert answer["is_personal"] is True and answer["cache_time"] == 0
    assert result["title"] == "Send 12.50 USD to @bob — lunch"
    assert [label for label, _ in buttons(result)] == ["Accept", "Cancel"]
    assert buttons(result)[0][1] == CHEQUE_ACCEPT + result["id"]
    assert result["input_message_content"]["message_text"].startswith("💸 @alice is sending")
    assert await bot.books() == before  # typing holds nothing


async def test_choosing_the_result_holds_the_money_and_bob_accepts_once(bot: ChatBot) -> None:
    alice, bob, cheque = await posted(bot)

    assert await bot.held(alice) == 1_250
    shown = bot.inline_message(IMID)
    assert shown.text == (
        "💸 @alice is sending <b>12.50 USD</b> to @bob — <i>lunch</i>\n"
        "Only @bob can accept it; it expires in 24 h."
    )
    bot.api.clear()

    await bot.press_inline(bob, IMID, CHEQUE_ACCEPT + cheque)

    assert bot.answer().params["text"] == "You received 12.50 USD."
    assert await bot.balances(alice, bob) == [3_750, 1_250]
    assert await bot.held(alice) == 0
    assert bot.inline_message(IMID).text.startswith("✅ @alice sent <b>12.50 USD</b> to @bob")
    assert bot.last(alice).text.startswith("✅ @bob accepted your cheque: <b>12.50 USD</b>")
    assert bot.last(bob).text.startswith("💸 You received <b>12.50 USD</b> from @alice")
    told = len(bot.to(alice)) + len(bot.to(bob))

    await bot.press_inline(bob, IMID, CHEQUE_ACCEPT + cheque)  # a double press
    await bot.press_inline(bot.user("erin"), IMID, CHEQUE_ACCEPT + cheque)

    assert bot.answers()[-2].params["text"] == "You accepted this cheque already."
    assert bot.answer().params["text"] == "Someone accepted this cheque first."
    assert await bot.balances(alice, bob) == [3_750, 1_250]
    assert len(bot.to(alice)) + len(bot.to(bob)) == told  # each party told once
    assert (await bot.ledger.verify()).ok


async def test_a_named_cheque_pays_only_its_person_and_never_its_sender(bot: ChatBot) -> None:
    alice, bob, cheque = await posted(bot)
    erin = bot.user("erin")
    await bot.register(erin)
    before = await bot.books()

    await bot.press_inline(erin, IMID, CHEQUE_ACCEPT + cheque)
    assert bot.answer().params["text"] == "This cheque is for @bob."
    await bot.press_inline(alice, IMID, CHEQUE_ACCEPT + cheque)
    assert bot.answer().params["text"].startswith("You can't accept your own cheque")
    await bot.press_inline(bob, IMID, CHEQUE_CANCEL + cheque)
    assert bot.answer().params["text"] == "Only the sender can cancel this cheque."

    assert await bot.books() == before


async def test_an_open_cheque_goes_to_the_first_person_who_is_not_the_sender(bot: ChatBot) -> None:
    erin = bot.user("erin")
    await bot.register(erin)
    alice, bob, cheque = await posted(bot, "5 pizza")
    assert bot.inline_message(IMID).text.startswith(
        "💸 @alice is sending <b>5.00 USD</b> — <i>pizza</i>"
    )

    await bot.press_inline(erin, IMID, CHEQUE_ACCEPT + cheque)
    await bot.press_inline(bob, IMID, CHEQUE_ACCEPT + cheque)

    assert await bot.balances(alice, bob, erin) == [4_500, 0, 500]
    assert bot.answer().params["text"] == "Someone accepted this cheque first."


async def test_two_people_pressing_at_the_same_moment_are_paid_once_between_them(
    bot: ChatBot,
) -> None:
    alice, bob, cheque = await posted(bot, "5 pizza")
    erin = bot.user("erin")
    await bot.register(erin)

    await asyncio.gather(
        bot.press_inline(bob, IMID, CHEQUE_ACCEPT + cheque),
        bot.press_inline(erin, IMID, CHEQUE_ACCEPT + cheque),
        bot.press_inline(bob, IMID, CHEQUE_ACCEPT + cheque),
    )

    alice_left, bob_got, erin_got = await bot.balances(alice, bob, erin)
    assert alice_left == 4_500 and sorted([bob_got, erin_got]) == [0, 500]
    assert (await bot.ledger.verify()).ok


async def test_alice_cancels_before_anyone_accepts_and_gets_her_money_back(bot: ChatBot) -> None:
    alice, bob, cheque = await posted(bot)

    await bot.press_inline(alice, IMID, CHEQUE_CANCEL + cheque)

    assert bot.answer().params["text"] == "Cancelled; the money is yours again."
    assert await bot.held(alice) == 0 and await bot.balances(alice, bob) == [5_000, 0]
    assert bot.inline_message(IMID).text.startswith(
        "Cancelled: @alice's cheque of <b>12.50 USD</b>"
    )

    await bot.press_inline(bob, IMID, CHEQUE_ACCEPT + cheque)  # too late

    assert bot.answer().params["text"] == "This cheque has ended."
    assert await bot.balances(alice, bob) == [5_000, 0]


async def test_an_unaccepted_cheque_expires_and_alice_is_told_once(make_bot) -> None:  # type: ignore[no-untyped-def]
    bot = await make_bot(cheque_expiry_seconds=3_600)
    alice, bob, cheque = await posted(bot)
    bot.api.clear()

    bot.clock.advance(3_601)
    await bot.sweep()
    await bot.sweep()

    assert await bot.held(alice) == 0 and await bot.balances(alice) == [5_000]
    assert bot.texts(alice) == [
        "Your cheque of <b>12.50 USD</b> — <i>lunch</i> was not accepted in time; "
        "the money is yours again."
    ]
    assert bot.inline_message(IMID).text.startswith("Expired: @alice's cheque")
    await bot.press_inline(bob, IMID, CHEQUE_ACCEPT + cheque)
    assert bot.answer().params["text"] == "This cheque has ended."
    assert await bot.balances(bob) == [0]


async def test_a_press_before_telegram_reports_the_result_pays_nothing_ever(bot: ChatBot) -> None:
    """Inline feedback off (or its report lost): the cheque is in the chat but nothing is
    held. The press closes it, and a late report holds nothing."""
    alice, bob = bot.user("alice"), bot.user("bob")
    await bot.register(alice, funds=5_000)
    await bot.register(bob)
    [result] = await bot.inline(alice, "12.50 @bob lunch")
    before = await bot.books()

    await bot.press_inline(bob, IMID, CHEQUE_ACCEPT + result["id"])

    assert bot.answer().params["text"] == "This cheque was never held: nothing can be paid."
    assert (
        bot.inline_message(IMID).text
        == "This cheque was never held, so it can pay nothing. Send a new one."
    )
    await bot.choose(alice, "12.50 @bob lunch", result, IMID)  # the report, too late
    assert bot.inline_message(IMID).text == (
        "This cheque was never held, so it can pay nothing. Send a new one."
    )
    await bot.press_inline(bob, IMID, CHEQUE_ACCEPT + result["id"])
    assert await bot.books() == before
    assert await bot.held(alice) == 0


async def test_a_redelivered_report_holds_once(bot: ChatBot) -> None:
    alice, bob = bot.user("alice"), bot.user("bob")
    await bot.register(alice, funds=5_000)
    await bot.register(bob)
    [result] = await bot.inline(alice, "12.50 @bob")
    update = bot.tg.chosen_inline_result(alice, result["id"], "12.50 @bob", IMID)

    await bot.deliver(update)
    await bot.deliver(update)

    assert await bot.held(alice) == 1_250
    press = bot.tg.inline_callback(bob, CHEQUE_ACCEPT + result["id"], IMID)
    await bot.deliver(press)
    await bot.deliver(press)
    assert await bot.balances(alice, bob) == [3_750, 1_250]


async def test_someone_who_never_started_the_bot_claims_through_a_link(bot: ChatBot) -> None:
    alice, _bob, cheque = await posted(bot, "5 pizza")
    dave = bot.user("dave")

    await bot.press_inline(dave, IMID, CHEQUE_ACCEPT + cheque)

    link = f"https://t.me/xmoney_test_bot?start=claim-{cheque}"
    assert bot.answer().params["url"] == link
    edited = bot.inline_message(IMID)
    assert ("Claim it in the bot", link) in edited.buttons
    assert await bot.held(alice) == 500  # nothing paid yet

    await bot.send(dave, f"/start claim-{cheque}")

    assert await bot.balances(alice, dave) == [4_500, 500]
    assert bot.last(dave).text.startswith("💸 You received <b>5.00 USD</b> from @alice")
    assert bot.inline_message(IMID).text.startswith("✅ @alice sent <b>5.00 USD</b> to @dave")
    await bot.send(dave, f"/start claim-{cheque}")  # the link again
    assert bot.last(dave).text == "You accepted this cheque already."
    assert await bot.balances(alice, dave) == [4_500, 500]


async def test_a_freeze_releases_the_senders_cheques(bot: ChatBot) -> None:
    alice, bob, cheque = await posted(bot)

    await bot.freeze(alice)
    await bot.press_inline(bob, IMID, CHEQUE_ACCEPT + cheque)

    assert await bot.held(alice) == 0
    assert await bot.balances(bob) == [0]
    assert bot.answer().params["text"] == "This cheque has ended."
    assert (await bot.ledger.verify()).ok


@SQLITE_ONLY
@pytest.mark.parametrize(
    ("query", "why"),
    [
        ("lots @bob", "amount"),
        ("12.50 @b!", "is not a username"),
        ("20000 @bob", "above the maximum"),
        ("60 @bob", "Not enough money"),
        ("5 @alice", "yourself"),
        ("5 " + "x" * 250, "note"),
        ("\x00" * 256, "amount"),
    ],
)
async def test_a_query_that_cannot_become_a_cheque_gets_one_result_saying_why(
    bot: ChatBot, query: str, why: str
) -> None:
    alice = bot.user("alice")
    await bot.register(alice, funds=5_000)
    before = await bot.books()

    [result] = await bot.inline(alice, query)

    assert result["title"] == "This can't be sent"
    assert "reply_markup" not in result
    # Chosen anyway, it posts nothing of the reason (a balance) into the chat.
    assert result["input_message_content"]["message_text"] == "This can't be sent"
    assert why.lower() in result["description"].lower()
    assert await bot.books() == before


@SQLITE_ONLY
async def test_someone_who_never_started_the_bot_is_offered_the_start_button(bot: ChatBot) -> None:
    [result] = await bot.inline(bot.user("dave"), "5 @bob")

    assert result["description"] == "You have no account yet: start the bot first."
    button = bot.inline_answer().params["button"]
    button = json.loads(button) if isinstance(button, str) else button
    assert button == {"text": "Start the bot to pay", "start_parameter": "inline"}


@SQLITE_ONLY
async def test_in_french(bot: ChatBot) -> None:
    alice, bob = bot.user("alice", lang="fr"), bot.user("bob", lang="fr")
    await bot.register(alice, funds=5_000)
    await bot.register(bob)
    [result] = await bot.inline(alice, "12,50 @bob déjeuner")
    assert result["title"].startswith("Envoyer 12,50")
    await bot.choose(alice, "12,50 @bob déjeuner", result, IMID)
    assert bot.inline_message(IMID).text.startswith("💸 @alice envoie <b>12,50")

    await bot.press_inline(bob, IMID, CHEQUE_ACCEPT + result["id"])

    assert bot.answer().params["text"].startswith("Vous avez reçu 12,50")
    assert bot.last(alice).text.startswith("✅ @bob a accepté votre chèque")


async def test_admins_see_cheques_in_tx_and_user(make_bot) -> None:  # type: ignore[no-untyped-def]
    oscar = {"id": 900, "is_bot": False, "first_name": "Oscar", "username": "oscar"}
    bot = await make_bot(admin_ids=[900])
    await bot.register(oscar)
    _alice, bob, cheque = await posted(bot)
    await bot.press_inline(bob, IMID, CHEQUE_ACCEPT + cheque)
    payout = bot.inline_message(IMID).text.split("<code>")[1].split("</code>")[0]

    await bot.send(oscar, f"/tx {payout}")
    tx = bot.last(oscar).text
    assert f"Inline cheque {cheque}: this is its payout; the cheque is paid" in tx
    await bot.send(oscar, "/user @alice")
    shown = bot.last(oscar).text
    assert "Cheques and envelope shares (latest 1):" in shown
    assert f"• Inline cheque {cheque}, sent: 12.50 USD, paid · <code>{payout}</code>" in shown


@given(text=st.text(max_size=256))
@settings(max_examples=300, deadline=None)
def test_any_query_text_is_read_without_raising(text: str) -> None:
    """Whatever is typed after @bot (up to Telegram's 256 characters) becomes a cheque's
    parts or one of the refusals the result explains; nothing else escapes."""
    ledger = SimpleNamespace(currency=Currency.of("USD"))
    try:
        amount, username, note = read_query(text, ledger)  # type: ignore[arg-type]
    except (LedgerError, ValueError):
        return
    assert amount > 0 and len(note) <= 200
    assert username is None or username == username.lower()


@SQLITE_ONLY
async def test_accept_presses_count_against_the_payment_rate_limit(make_bot) -> None:  # type: ignore[no-untyped-def]
    bot = await make_bot(rate_limit_per_minute=2)
    _alice, bob, cheque = await posted(bot, "5 pizza")

    for _ in range(3):
        await bot.press_inline(bob, IMID, CHEQUE_ACCEPT + cheque)

    assert bot.answer().params["text"].startswith("You're sending payment commands too fast.")
    assert await bot.balances(bob) == [500]  # the first press paid, once


async def test_an_admin_freeze_edits_the_senders_cheque(make_bot) -> None:  # type: ignore[no-untyped-def]
    oscar = {"id": 900, "is_bot": False, "first_name": "Oscar", "username": "oscar"}
    bot = await make_bot(admin_ids=[900])
    await bot.register(oscar)
    alice, _bob, _cheque = await posted(bot)

    await bot.send(oscar, "/freeze @alice spam")
    await bot.press(oscar, bot.last(oscar), "Confirm")

    assert await bot.held(alice) == 0
    edited = bot.inline_message(IMID)
    assert edited.text.startswith("Cancelled: @alice's cheque of <b>12.50 USD</b>")
    assert "frozen" not in edited.text.lower()


async def test_a_cheque_that_can_no_longer_be_held_tells_the_chat_nothing_of_why(
    bot: ChatBot,
) -> None:
    """alice (50.00 USD) types two cheques of 40, in two chats, then posts both: the second
    can't be held. The chat reads that nothing was held; only alice learns why."""
    alice, bob = bot.user("alice"), bot.user("bob")
    await bot.register(alice, funds=5_000)
    await bot.register(bob)
    [first] = await bot.inline(alice, "40 @bob")
    [second] = await bot.inline(alice, "40 @bob")
    await bot.choose(alice, "40 @bob", first, IMID)

    await bot.choose(alice, "40 @bob", second, "IMID-2")

    assert bot.inline_message("IMID-2").text == "This cheque could not be made; nothing was held."
    assert bot.last(alice).text.startswith("Your cheque could not be made. Not enough money")
    assert await bot.held(alice) == 4_000
    await bot.press_inline(bob, "IMID-2", CHEQUE_ACCEPT + second["id"])
    assert await bot.balances(bob) == [0]
