"""/send in every form people type, and every reason it is refused before money moves."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.app import build_application
from bot.fakeapi import RecordingRequest
from bot.invites import payload_for
from bot.settings import load_settings
from ledger import Ledger
from tests.bot.conftest import SQLITE_ONLY, TOKEN, ChatBot
from tests.conftest import FakeClock

LINK = "https://t.me/xmoney_test_bot"
ALICES_INVITE = f"{LINK}?start={payload_for(TOKEN, 101)}"  # signed: bot/invites.py


async def scene(bot: ChatBot, funds: int = 5_000) -> tuple[dict, dict, dict]:
    """alice (with 50.00 USD), bob and carol (no username) have all started the bot."""
    alice, bob, carol = bot.user("alice"), bot.user("bob"), bot.user("carol")
    await bot.register(bob, carol)
    await bot.register(alice, funds=funds)
    return alice, bob, carol


def card_buttons(call) -> list[str]:
    return [label for label, _ in call.buttons]


# --- the forms -------------------------------------------------------------------------


async def test_alice_sends_bob_12_50_with_a_note_in_private(bot: ChatBot) -> None:
    alice, bob, _ = await scene(bot)
    await bot.send(alice, "/send @bob 12.50 lunch with friends")

    card = bot.last(alice)
    assert card.method == "sendMessage"
    assert card.text == (
        "Send <b>12.50 USD</b> to @bob — <i>lunch with friends</i>?\n"
        "The money is reserved until you confirm (expires in 5 min).\n"
        "⚠️ You've never paid @bob (Bob): check it's them."
    )
    assert card_buttons(card) == ["Confirm", "Cancel"]
    assert [data[:4] for _, data in card.buttons] == ["p:c:", "p:x:"]
    assert all(len(data.encode()) <= 64 for _, data in card.buttons)
    assert (await bot.account(alice)).available == 3_750
    assert await bot.held(alice) == 1_250
    assert bot.to(bob) == []  # bob hears nothing before alice confirms


async def test_amount_first_with_a_decimal_comma(bot: ChatBot) -> None:
    alice, _, _ = await scene(bot)
    await bot.send(alice, "/send 12,50 @bob")
    assert bot.last(alice).text.startswith("Send <b>12.50 USD</b> to @bob?")
    assert await bot.held(alice) == 1_250


async def test_a_currency_code_after_the_amount_belongs_to_it(bot: ChatBot) -> None:
    alice, _, _ = await scene(bot)
    await bot.send(alice, "/send @bob 3 USD coffee")
    assert bot.last(alice).text.startswith("Send <b>3.00 USD</b> to @bob — <i>coffee</i>?")


async def test_the_bots_own_currency_before_the_amount_is_dropped_too(bot: ChatBot) -> None:
    alice, _, _ = await scene(bot)
    await bot.send(alice, "/send @bob USD 3 coffee")  # was "Please give an amount"
    assert bot.last(alice).text.startswith("Send <b>3.00 USD</b> to @bob — <i>coffee</i>?")
    await bot.send(alice, "/send $ 4 @bob tea")
    assert bot.last(alice).text.startswith("Send <b>4.00 USD</b> to @bob — <i>tea</i>?")
    assert await bot.held(alice) == 700


@pytest.mark.parametrize(
    ("command", "given"),
    [
        ("/send @bob 100 JPY", "JPY"),  # held 100.00 USD with the note "JPY"
        ("/send @bob JPY 100 lunch", "JPY"),
        ("/send @bob 100 € lunch", "EUR"),
        ("/send ¥100 @bob", "JPY"),
        ("/send @bob 100€", "EUR"),
        ("/send 5 GBP @bob", "GBP"),
        ("/send @bob 100 RUB", "RUB"),
        ("/send 100 JPY", "JPY"),  # refused at once, not after "who?"
    ],
)
async def test_an_amount_in_another_currency_is_refused_never_read_as_dollars(
    bot: ChatBot, command: str, given: str
) -> None:
    alice, bob, _ = await scene(bot)
    before = await bot.books()

    await bot.send(alice, command)

    [reply] = bot.to(alice)
    assert reply.text == f"Amounts here are in USD, not {given}. Write the amount in USD."
    assert await bot.books() == before and await bot.held(alice) == 0
    assert bot.to(bob) == []


async def test_tipping_by_replying_to_bobs_message_in_a_group(bot: ChatBot) -> None:
    alice, bob, _ = await scene(bot)
    group = bot.group()
    bobs_message = bot.message(bob, "here are the slides", chat=group)

    await bot.send(alice, "/send 5 thanks", chat=group, reply_to=bobs_message)

    card = bot.last(group)
    assert card.text.startswith("@alice pays @bob <b>5.00 USD</b> — <i>thanks</i>\n")
    assert card.params["reply_parameters"]  # the card answers alice's message
    assert bot.to(alice) == [] and bot.to(bob) == []
    assert await bot.held(alice) == 500


async def test_a_text_mention_of_carol_who_has_no_username(bot: ChatBot) -> None:
    alice, _, carol = await scene(bot)
    text = "/send Carol Smith 7 coffee"
    await bot.send(alice, text, entities=[bot.tg.mention(text, "Carol Smith", carol)])

    card = bot.last(alice)
    assert card.text.startswith(
        f'Send <b>7.00 USD</b> to <a href="tg://user?id={carol["id"]}">Carol</a> — <i>coffee</i>?'
    )
    await bot.press(alice, card, "Confirm")
    assert await bot.balances(alice, carol) == [4_300, 700]


async def test_the_command_addressed_to_the_bot_by_name_in_a_group(bot: ChatBot) -> None:
    alice, _, _ = await scene(bot)
    group = bot.group()
    await bot.send(alice, "/send@xmoney_test_bot @bob 2.25 pizza", chat=group)
    assert bot.last(group).text.startswith("@alice pays @bob <b>2.25 USD</b> — <i>pizza</i>\n")


@SQLITE_ONLY
async def test_a_command_for_another_bot_is_none_of_our_business(bot: ChatBot) -> None:
    alice, _, _ = await scene(bot)
    group = bot.group()
    await bot.send(alice, "/send@other_bot @bob 2", chat=group)
    assert bot.api.calls == []
    assert await bot.held(alice) == 0


@SQLITE_ONLY
async def test_a_note_is_escaped_and_cannot_break_the_formatting(bot: ChatBot) -> None:
    alice, bob, _ = await scene(bot)
    await bot.send(alice, "/send @bob 1 <b>pwned</b> & <a href='x'>")
    card = bot.last(alice)
    assert "— <i>&lt;b&gt;pwned&lt;/b&gt; &amp; &lt;a href=&#x27;x&#x27;&gt;</i>?" in card.text
    assert card.params["parse_mode"] == "HTML"
    await bot.press(alice, card, "Confirm")
    assert "&lt;b&gt;pwned&lt;/b&gt;" in bot.last(bob).text


# --- what a replayed or edited update does ---------------------------------------------


async def test_a_redelivered_send_update_shows_no_second_card(bot: ChatBot) -> None:
    alice, _, _ = await scene(bot)
    update = await bot.send(alice, "/send @bob 12.50 lunch")
    await bot.deliver(update)  # Telegram delivers the same update again

    assert len(bot.calls("sendMessage")) == 1
    assert await bot.held(alice) == 1_250
    assert (await bot.books())[0] == 2  # the top-up and one hold


@SQLITE_ONLY
async def test_editing_a_send_message_does_not_send_again(bot: ChatBot) -> None:
    alice, _, _ = await scene(bot)
    update = await bot.send(alice, "/send @bob 5")
    edited = {"update_id": 9_999, "edited_message": dict(update["message"], text="/send @bob 50")}
    edited["edited_message"]["edit_date"] = update["message"]["date"] + 5
    await bot.deliver(edited)
    assert len(bot.calls("sendMessage")) == 1
    assert await bot.held(alice) == 500


# --- refusals: one clear message, nothing changes --------------------------------------


@SQLITE_ONLY
@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("/send @bob abc", "That's not an amount I can read; write it like 12.50 or 12,50."),
        ("/send @bob -5", "The amount can't be negative. To ask someone for money, use /request."),
        ("/send @bob 0", "The amount must be more than zero."),
        ("/send @bob 1e3", "Write the amount in full (1000), not as an exponent (1e3)."),
        ("/send @bob 12.5051", "Amounts have at most 2 decimal places here, and I never round."),
        ("/send @bob 1,000", "A dot or comma followed by three digits (like 1,000) could"),
        ("/send @bob 1,5.30", "Use either a dot or a comma for the decimals, not both"),
        ("/send @bob €5", "Amounts here are in USD, not EUR."),
        ("/send @alice 5", "You can't send money to yourself. Pick someone else."),
        ("/send @xmoney_test_bot 5", "Bots can't receive money. Pick a person."),
        ("/send @ 5", "“@” is not a username. Write it like @alice."),
        ("/send @bob 5 " + "x" * 201, "The note can be at most 200 characters."),
        (
            "/send @nobody_here 5",
            f"I don't know @nobody_here yet. Ask them to open X Money with this link, then try "
            f"again: {ALICES_INVITE}",
        ),
    ],
)
async def test_a_send_the_chat_cannot_read_says_why_and_changes_nothing(
    bot: ChatBot, command: str, expected: str
) -> None:
    alice, _, _ = await scene(bot)
    before = await bot.books()

    await bot.send(alice, command)

    [reply] = bot.to(alice)
    assert reply.text.startswith(expected), reply.text
    # Someone new is offered a cheque in escrow (issue 14): one button, nothing held yet.
    offered = ["Send as a cheque"] if "nobody_here" in command else []
    assert [label for label, _ in reply.buttons] == offered
    assert await bot.books() == before


@pytest.fixture
async def dinar_bot(database_url: str, clock: FakeClock) -> AsyncIterator[ChatBot]:
    """The bot of an operator in Kuwaiti dinars (three decimals), on its own ledger."""
    ledger = await Ledger.open(database_url, "KWD", clock=clock, sqlite_synchronous="NORMAL")
    api = RecordingRequest()
    app = build_application(
        load_settings(_env_file=None, bot_token=TOKEN, currency="KWD"),
        ledger=ledger,
        request=api,
        clock=clock,
    )
    await app.initialize()
    try:
        yield ChatBot(app, api, ledger, clock)
    finally:
        await app.shutdown()
        await ledger.close()


@SQLITE_ONLY
async def test_1_000_gets_the_same_answer_whatever_the_currencys_decimals(
    dinar_bot: ChatBot,
) -> None:
    """A dollar bot refused "1,000" (three decimals); a dinar bot read it as 1.000 KWD. Both
    now refuse "1,000" and "1.000" with the same words, and hold nothing."""
    alice, bob = dinar_bot.user("alice"), dinar_bot.user("bob")
    await dinar_bot.register(bob)
    await dinar_bot.register(alice, funds=5_000_000)  # 5,000.000 KWD
    before = await dinar_bot.books()
    for amount in ("1,000", "1.000", "1,500"):
        await dinar_bot.send(alice, f"/send @bob {amount} rent")
        assert dinar_bot.last(alice).text == (
            "A dot or comma followed by three digits (like 1,000) could separate thousands or "
            "decimals, so I don't guess. Write a thousand as 1000, and decimals with fewer "
            "digits, like 1.5 or 1.50."
        ), amount
    assert await dinar_bot.books() == before and await dinar_bot.held(alice) == 0
    await dinar_bot.send(alice, "/send @bob 1000 rent")
    assert dinar_bot.last(alice).text.startswith("Send <b>1\u00a0000.000 KWD</b> to @bob")


@SQLITE_ONLY
async def test_a_dollar_bot_gives_1_000_the_same_answer(bot: ChatBot) -> None:
    alice, _, _ = await scene(bot)
    await bot.send(alice, "/send @bob 1.000 rent")
    assert bot.last(alice).text.startswith(
        "A dot or comma followed by three digits (like 1,000) could separate thousands"
    )


async def test_more_than_alice_has_is_refused_with_the_figures(bot: ChatBot) -> None:
    alice, _, _ = await scene(bot)
    before = await bot.books()
    await bot.send(alice, "/send @bob 60 too much")
    assert bot.last(alice).text == (
        "Not enough money: you have 50.00 USD available and this needs 60.00 USD. "
        "Send less, or wait for money to come in."
    )
    assert await bot.books() == before


async def test_a_recipient_who_never_started_the_bot_gets_an_invitation_link(
    bot: ChatBot,
) -> None:
    alice, _, _ = await scene(bot)
    dave = bot.user("dave")
    await bot.send(dave, "/help")  # the bot has seen dave, but dave never pressed Start
    before = await bot.books()

    await bot.send(alice, "/send @dave 5")

    assert bot.last(alice).text == (
        "@dave hasn't started X Money yet, so they can't receive money. Send them this link; "
        f"I'll tell you when they join: {ALICES_INVITE}\n\n"
        "Or send <b>5.00 USD</b> to @dave as a cheque now: the money is held for 24 h, they "
        "claim it with a link you pass on, and it comes back to you if they don't."
    )
    assert await bot.books() == before

    bot.api.clear()
    await bot.send(dave, "/start " + payload_for(TOKEN, 101))  # dave follows alice's link
    assert bot.last(alice).text == "@dave has started X Money: you can pay them now with /send."
    await bot.send(alice, "/send @dave 5")
    assert bot.last(alice).text.startswith("Send <b>5.00 USD</b> to @dave?")


@SQLITE_ONLY
async def test_a_sender_without_an_account_is_sent_to_start(bot: ChatBot) -> None:
    await scene(bot)
    erin = bot.user("erin")
    group = bot.group()
    before = await bot.books()
    await bot.send(erin, "/send @bob 5", chat=group)
    assert bot.last(group).text == (
        f"You don't have an account yet: open {LINK} and press Start, then try again."
    )
    assert await bot.books() == before


@SQLITE_ONLY
async def test_replying_to_the_bot_itself_is_refused(bot: ChatBot) -> None:
    alice, _, _ = await scene(bot)
    group = bot.group()
    bots_message = {**bot.message(alice, "x", chat=group), "from": bot.the_bot()}
    await bot.send(alice, "/send 5", chat=group, reply_to=bots_message)
    assert bot.last(group).text == "Bots can't receive money. Pick a person."


async def test_frozen_accounts_can_neither_send_nor_receive(bot: ChatBot) -> None:
    alice, bob, carol = await scene(bot)
    await bot.freeze(bob)
    before = await bot.books()

    await bot.send(alice, "/send @bob 5")
    # Only bob and the admins learn that bob is frozen: alice hears the payment can't be made.
    assert bot.last(alice).text == "This payment can't be made right now. Nothing was sent."
    await bot.fund(bob, 100)  # admins can still credit a frozen account in this scene
    before = await bot.books()
    await bot.send(bob, "/send @alice 1")
    assert bot.last(bob).text == (
        "Your account is frozen, so you can't send money. Contact the team that runs this bot."
    )
    assert await bot.books() == before
    assert carol  # carol is untouched by bob's freeze


async def test_the_per_payment_maximum_and_the_daily_limit(bot: ChatBot) -> None:
    alice, _, _ = await scene(bot)
    await bot.ledger.set_limits(actor=1, max_transfer=2_000, daily_limit=3_000)
    before = await bot.books()

    await bot.send(alice, "/send @bob 20.01")
    assert bot.last(alice).text == (
        "That's above the maximum of 20.00 USD per payment. Send a smaller amount."
    )
    assert await bot.books() == before

    await bot.send(alice, "/send @bob 20")
    await bot.press(alice, bot.last(alice), "Confirm")
    before = await bot.books()
    await bot.send(alice, "/send @bob 15")
    assert bot.last(alice).text == (
        "That would pass your daily sending limit of 30.00 USD; you can still send 10.00 USD "
        "today. Send less, or wait until tomorrow (UTC)."
    )
    assert await bot.books() == before


async def test_a_flood_of_send_commands_slows_that_user_only(make_bot) -> None:
    bot = await make_bot(rate_limit_per_minute=2)
    alice, bob, _ = await scene(bot)
    await bot.register(bot.user("erin"))
    erin = bot.user("erin")
    await bot.fund(bob, 1_000)

    for _ in range(2):
        await bot.send(alice, "/send @bob 1")
    await bot.send(alice, "/send @bob 1")
    assert bot.last(alice).text == (
        "You're sending payment commands too fast. Wait a minute and try again."
    )
    assert await bot.held(alice) == 200

    await bot.send(bob, "/send @erin 1")  # bob is not slowed by alice's flood
    assert bot.last(bob).text.startswith("Send <b>1.00 USD</b> to @erin?")

    bot.clock.advance(61)
    await bot.send(alice, "/send @bob 1")
    assert bot.last(alice).text.startswith("Send <b>1.00 USD</b> to @bob?")
    assert erin


async def test_a_renamed_user_is_found_under_the_new_name_only(bot: ChatBot) -> None:
    alice, bob, _ = await scene(bot)
    renamed = bot.tg.user(bob["id"], "robert", "Bob")
    await bot.send(renamed, "/balance")  # any update refreshes the directory
    bot.api.clear()

    await bot.send(alice, "/send @bob 1")
    assert bot.last(alice).text.startswith("I don't know @bob yet.")
    await bot.send(alice, "/send @robert 1")
    assert bot.last(alice).text.startswith("Send <b>1.00 USD</b> to @robert?")
