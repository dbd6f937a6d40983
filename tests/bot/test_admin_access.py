"""Who can use the admin commands, and where they are answered.

A non-admin typing any admin command hears exactly what an unknown command gets, and nothing
changes. An admin using a command in a group is answered privately; the group hears nothing.
"""

from __future__ import annotations

import pytest

from bot.app import startup
from bot.fakeapi import Telegram
from tests.bot.conftest import ChatBot, MakeBot

OSCAR = Telegram.user(900, "oscar", "Oscar")  # an admin


@pytest.fixture
async def ops(make_bot: MakeBot) -> ChatBot:
    """The bot with oscar as its admin; alice has 50.00 USD and has paid bob 12.50."""
    bot = await make_bot(admin_ids=[OSCAR["id"]])
    alice, bob = bot.user("alice"), bot.user("bob")
    await bot.register(alice, bob, funds=5_000)
    await bot.register(OSCAR)
    await bot.send(alice, "/send @bob 12.50 lunch")
    await bot.press(alice, bot.last(alice), "Confirm")
    bot.api.clear()
    return bot


async def paid_ref(bot: ChatBot) -> str:
    rows = await bot.ledger.db.read_one("SELECT ref FROM transfers WHERE kind = 'payment'", {})
    return rows[0][0]


def seen(calls: list) -> list[tuple[str, int | None, str, list]]:
    return [(c.method, c.chat_id, c.text, c.buttons) for c in calls]


async def test_alice_tries_every_admin_command_and_hears_what_an_unknown_command_gets(
    ops: ChatBot,
) -> None:
    alice, bob = ops.user("alice"), ops.user("bob")
    await ops.send(alice, "/frobnicate")
    unknown = seen(ops.api.calls)
    assert unknown == [
        ("sendMessage", alice["id"], "I don't know that command. /help lists what I can do.", [])
    ]
    ref = await paid_ref(ops)
    books, audit = await ops.books(), await ops.ledger.audit_log(limit=50)

    for command in (
        "/freeze @bob spam",
        "/unfreeze @bob",
        "/credit @alice 1000 free money",
        "/debit @bob 12.50 mine",
        f"/reverse {ref} I want it back",
        "/user @bob",
        f"/tx {ref}",
        "/audit",
        "/stats",
        "/limits",
        "/limits max 999999 why not",
        "/freeze",
    ):
        ops.api.clear()
        await ops.send(alice, command)
        assert seen(ops.api.calls) == unknown, command

    assert await ops.books() == books
    assert await ops.ledger.audit_log(limit=50) == audit
    assert not (await ops.account(bob)).frozen
    assert ops.to(bob) == []


async def test_in_a_group_a_non_admins_admin_command_is_as_silent_as_any_unknown_one(
    ops: ChatBot,
) -> None:
    alice, group = ops.user("alice"), ops.group()
    await ops.send(alice, "/frobnicate @bob", chat=group)
    await ops.send(alice, "/freeze @bob spam", chat=group)
    assert ops.api.calls == []  # other bots' commands are none of our business

    await ops.send(alice, "/frobnicate@xmoney_test_bot", chat=group)
    unknown = seen(ops.api.calls)
    ops.api.clear()
    ops.clock.advance(61)  # a group hears about unknown commands once a minute at most
    await ops.send(alice, "/freeze@xmoney_test_bot @bob spam", chat=group)
    assert seen(ops.api.calls) == unknown
    assert unknown[0][1] == group["id"]


async def test_a_non_admin_pressing_forged_admin_buttons_gets_the_stale_button_answer(
    ops: ChatBot,
) -> None:
    alice, bob = ops.user("alice"), ops.user("bob")
    await ops.send(OSCAR, "/freeze @bob spam")
    card = ops.last(OSCAR)
    confirm = ops.button(card, "Confirm")
    books = await ops.books()

    await ops.press_data(alice, card, "zz:nothing")
    stale = ops.answer().params
    for data in (confirm, confirm.replace("a:c:", "a:x:"), "a:c:", "a:c:AAAAAAAAAAAAAAAA"):
        ops.api.clear()
        await ops.press_data(alice, card, data)
        assert [c.method for c in ops.api.calls] == ["answerCallbackQuery"]
        answered = ops.answer().params
        assert (answered.get("text"), answered.get("show_alert")) == (
            stale.get("text"),
            stale.get("show_alert"),
        )
    assert stale["text"] == "This button no longer works."

    assert not (await ops.account(bob)).frozen
    assert await ops.books() == books
    assert ops.to(bob) == []
    # The card is still oscar's to confirm.
    await ops.press(OSCAR, card, "Confirm")
    assert (await ops.account(bob)).frozen


async def test_oscar_freezes_bob_from_the_group_and_the_group_hears_nothing(
    ops: ChatBot,
) -> None:
    bob, group = ops.user("bob"), ops.group()
    bobs_message = ops.message(bob, "buy cheap followers at spam.example", chat=group)

    await ops.send(OSCAR, "/freeze spam links", chat=group, reply_to=bobs_message)

    assert ops.to(group) == []
    card = ops.last(OSCAR)
    assert card.text.startswith("⚠️ Please confirm: freeze @bob's account — <i>spam links</i>")
    await ops.press(OSCAR, card, "Confirm")
    assert (await ops.account(bob)).frozen
    assert ops.to(group) == []

    await ops.send(OSCAR, "/stats@xmoney_test_bot", chat=group)
    await ops.send(OSCAR, "/user @nobody_here", chat=group)
    assert ops.to(group) == []
    assert ops.last(OSCAR).text.startswith("Nobody called @nobody_here has used the bot.")
    assert "Users: 3 (1 frozen)" in ops.to(OSCAR)[-2].text


async def test_an_admin_who_never_opened_a_private_chat_is_not_answered_in_the_group(
    ops: ChatBot, caplog: pytest.LogCaptureFixture
) -> None:
    group = ops.group()
    ops.api.blocked_chats.add(OSCAR["id"])
    await ops.send(OSCAR, "/stats", chat=group)
    assert ops.to(group) == []
    assert "cannot be told privately" in caplog.text


async def test_the_admin_menu_is_set_only_in_the_admins_chat(ops: ChatBot) -> None:
    await startup(ops.app)
    menus = ops.calls("setMyCommands")
    everyone = [c for c in menus if "scope" not in c.params]
    admins = [c for c in menus if "scope" in c.params]

    def commands(call) -> list[str]:
        return [entry["command"] for entry in call.params["commands"]]

    assert everyone and all("freeze" not in commands(c) for c in everyone)
    assert {str(OSCAR["id"]) in str(c.params["scope"]) for c in admins} == {True}
    for call in admins:
        assert {"freeze", "unfreeze", "credit", "debit", "reverse"} <= set(commands(call))
        assert {"user", "tx", "audit", "stats", "limits"} <= set(commands(call))
    french = [c for c in admins if c.params.get("language_code") == "fr"]
    assert any(e["description"] == "Admin : geler un compte" for e in french[0].params["commands"])
