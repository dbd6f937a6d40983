"""/start, the welcome credit, deep links, /help, /balance, unknown commands and the menus."""

from __future__ import annotations

import asyncio

from bot.app import set_command_menus, startup
from bot.invites import payload_for
from bot.start import parse_start_payload
from tests.bot.conftest import SQLITE_ONLY, TOKEN, ChatBot

LINK = "https://t.me/xmoney_test_bot"
HOW_TO_PAY = (
    "How to pay: <code>/send @name 12.50 lunch</code>\n"
    "In a group, reply to someone's message with <code>/send 5 thanks</code>. "
    "Every payment waits for your Confirm. /help lists everything."
)


async def test_start_registers_alice_opens_her_account_and_greets_her(bot: ChatBot) -> None:
    alice = bot.tg.user(101, "alice", "Alice", last_name="Liddell", language_code="en-GB")

    await bot.send(alice, "/start")

    assert bot.last(alice).text == (
        "Welcome to X Money, Alice!\nYour balance: <b>0.00 USD</b>.\n\n" + HOW_TO_PAY
    )
    person = await bot.ledger.directory.get(101)
    assert person is not None
    assert (person.username, person.name, person.registered) == ("alice", "Alice Liddell", True)
    assert await bot.ledger.account_of(101) is not None

    await bot.send(alice, "/start")
    assert bot.last(alice).text.startswith("Welcome back, Alice.\nYour balance:")


async def test_a_welcome_credit_is_granted_once(make_bot) -> None:
    bot = await make_bot(welcome_credit="10")
    alice = bot.user("alice")

    await bot.send(alice, "/start")
    await bot.send(alice, "/start")

    assert bot.texts(alice)[0] == (
        "Welcome to X Money, Alice!\nYour balance: <b>10.00 USD</b>.\n\n"
        "🎁 You received a welcome credit of <b>10.00 USD</b> to try things out.\n\n" + HOW_TO_PAY
    )
    assert "welcome credit" not in bot.texts(alice)[1]
    assert await bot.balances(alice) == [1_000]
    stats = await bot.ledger.stats()
    assert stats.total_issued == 1_000


async def test_welcome_credits_stop_at_the_daily_cap_and_the_greeting_promises_nothing(
    make_bot,
) -> None:
    bot = await make_bot(welcome_credit="10", welcome_credit_daily_cap="2")
    await startup(bot.app)  # the cap goes to the database, where every process counts
    alice, bob, carol, dave = (bot.user(name) for name in ("alice", "bob", "carol", "dave"))

    for person in (alice, bob, carol):
        await bot.send(person, "/start")

    assert "🎁 You received a welcome credit of <b>10.00 USD</b>" in bot.last(bob).text
    # Carol comes third: her account opens, and she is told her balance, nothing more.
    assert bot.texts(carol) == [
        "Welcome to X Money, Carol!\nYour balance: <b>0.00 USD</b>.\n\n" + HOW_TO_PAY
    ]
    assert await bot.ledger.account_of(carol["id"]) is not None
    assert await bot.balances(alice, bob, carol) == [1_000, 1_000, 0]
    # Coming back the same day gives her nothing either (she is no newcomer any more).
    await bot.send(carol, "/start")
    assert bot.last(carol).text.startswith("Welcome back, Carol.\nYour balance: <b>0.00 USD")

    bot.clock.advance(days=1)  # a new UTC day: the day's credits are there again
    await bot.send(dave, "/start")
    assert "welcome credit of <b>10.00 USD</b>" in bot.last(dave).text
    assert await bot.balances(carol, dave) == [0, 1_000]
    assert (await bot.ledger.stats()).total_issued == 3_000


async def test_newcomers_arriving_at_once_get_exactly_the_days_welcome_credits(
    make_bot,
) -> None:
    bot = await make_bot(welcome_credit="10", welcome_credit_daily_cap="3")
    await startup(bot.app)
    people = [bot.user(f"newcomer{n}") for n in range(12)]

    await asyncio.gather(*(bot.send(person, "/start") for person in people))

    told = [p for p in people if "welcome credit" in bot.last(p).text]
    assert len(told) == 3
    balances = await bot.balances(*people)
    assert sorted(balances) == [0] * 9 + [1_000] * 3
    # Exactly those told were credited, and each greeting shows the balance they have.
    assert [b for p, b in zip(people, balances, strict=True) if p in told] == [1_000] * 3
    for person, balance in zip(people, balances, strict=True):
        shown = "10.00" if balance else "0.00"
        assert f"Your balance: <b>{shown} USD</b>" in bot.last(person).text
    assert await bot.ledger.welcomes_today() == 3


async def test_a_daily_cap_of_zero_gives_no_welcome_credit(make_bot) -> None:
    bot = await make_bot(welcome_credit="10", welcome_credit_daily_cap="0")
    await startup(bot.app)
    alice = bot.user("alice")
    await bot.send(alice, "/start")
    assert "welcome credit" not in bot.last(alice).text
    assert await bot.balances(alice) == [0]
    assert await bot.ledger.welcome_daily_cap() == 0


@SQLITE_ONLY
async def test_start_in_a_group_points_to_a_private_chat(bot: ChatBot) -> None:
    alice, group = bot.user("alice"), bot.group()
    await bot.send(alice, "/start@xmoney_test_bot", chat=group)
    assert bot.last(group).text == f"To start, open a private chat with me: {LINK}"
    assert await bot.ledger.account_of(alice["id"]) is None


def test_deep_link_payloads_are_read_and_anything_else_ignored() -> None:
    signed = payload_for(TOKEN, 101)
    assert parse_start_payload([signed], TOKEN).invited_by == 101
    for junk in (
        ["from-"],
        ["from-0"],
        ["from-1x"],
        ["from-101"],
        ["<script>"],
        ["a", "b"],
        [],
        ["x" * 65],
        [signed, "x"],
    ):
        assert parse_start_payload(junk, TOKEN).invited_by is None


@SQLITE_ONLY
async def test_an_odd_payload_still_registers(bot: ChatBot) -> None:
    bob = bot.user("bob")
    await bot.send(bob, "/start from-999999")  # nobody with that id: no one to tell
    assert bot.last(bob).text.startswith("Welcome to X Money, Bob!")
    assert [c.chat_id for c in bot.calls("sendMessage")] == [bob["id"]]


@SQLITE_ONLY
async def test_help_lists_the_commands_with_examples(bot: ChatBot) -> None:
    alice = bot.user("alice")
    await bot.send(alice, "/help")
    text = bot.last(alice).text
    for command in (
        "/balance",
        "/send @name 12.50 lunch",
        "/request @name 20 dinner",
        "/history",
        "/language",
        "/cancel",
    ):
        assert command in text


async def test_balance_privately_even_when_asked_in_a_group(bot: ChatBot) -> None:
    alice, bob = bot.user("alice"), bot.user("bob")
    await bot.register(bob)
    await bot.register(alice, funds=5_000)
    await bot.send(alice, "/send @bob 12.50")
    group = bot.group()

    await bot.send(alice, "/balance", chat=group)

    assert bot.to(group) == []
    assert bot.last(alice).text == "Available: <b>37.50 USD</b>\nReserved: 12.50 USD"


async def test_balance_in_a_group_when_the_bot_cannot_write_privately(bot: ChatBot) -> None:
    alice = bot.user("alice")
    await bot.register(alice, funds=5_000)
    bot.api.blocked_chats.add(alice["id"])
    group = bot.group()

    await bot.send(alice, "/balance", chat=group)

    assert bot.last(group).text == (
        f"I can't write to you privately yet: open {LINK} and press Start, then try again."
    )
    assert "50.00" not in bot.last(group).text


async def test_balance_before_start_and_of_a_frozen_account(bot: ChatBot) -> None:
    alice = bot.user("alice")
    await bot.send(alice, "/balance")
    assert bot.last(alice).text == (
        f"You don't have an account yet: open {LINK} and press Start, then try again."
    )
    await bot.register(alice, funds=100)
    await bot.freeze(alice)
    await bot.send(alice, "/balance")
    assert bot.last(alice).text == (
        "Available: <b>1.00 USD</b>\nReserved: 0.00 USD\n\nYour account is frozen: you can't "
        "send or receive money. Contact the team that runs this bot."
    )


@SQLITE_ONLY
async def test_unknown_commands_get_a_hint_but_other_bots_commands_are_ignored(
    bot: ChatBot,
) -> None:
    alice, group = bot.user("alice"), bot.group()
    hint = "I don't know that command. /help lists what I can do."

    await bot.send(alice, "/frobnicate")
    assert bot.last(alice).text == hint
    await bot.send(alice, "/frobnicate@xmoney_test_bot", chat=group)
    assert bot.last(group).text == hint
    bot.api.clear()
    await bot.send(alice, "/frobnicate", chat=group)
    await bot.send(alice, "/giphy@other_bot cats", chat=group)
    assert bot.api.calls == []


@SQLITE_ONLY
async def test_a_button_nobody_knows_is_answered(bot: ChatBot) -> None:
    alice = bot.user("alice")
    await bot.register(alice)
    await bot.send(alice, "/language")
    await bot.press_data(alice, bot.last(alice), "x:something-old")
    assert bot.answer().params["text"] == "This button no longer works."


@SQLITE_ONLY
async def test_the_command_menus_in_both_languages_and_for_admins(bot: ChatBot) -> None:
    await set_command_menus(
        bot.app.bot, frozenset({900, 901}), [("balance", "menu.balance")], [("help", "menu.help")]
    )
    menus = [
        (c.params.get("language_code"), c.params.get("scope"), c.params["commands"])
        for c in bot.calls("setMyCommands")
    ]
    assert menus[0] == (None, None, [{"command": "balance", "description": "Your balance"}])
    assert menus[1][1] == {"type": "chat", "chat_id": 900}
    assert menus[1][2][-1] == {"command": "help", "description": "Commands and examples"}
    assert menus[3] == ("fr", None, [{"command": "balance", "description": "Votre solde"}])
    assert len(menus) == 6
