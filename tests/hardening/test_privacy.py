"""Privacy: what a group, or a payer, may learn about other people's money and accounts.

A refusal that tells a figure (a balance, what one may still send today, a limit) or anything
about an account (frozen, unknown, never started) goes to the sender privately; the group
hears one neutral line, the same for all of them. Nobody but an account's owner and the
admins ever learns that an account is frozen: its payers hear that the payment can't be made.
"""

from __future__ import annotations

from typing import Any

from bot.fakeapi import Telegram
from tests.bot.conftest import ChatBot, MakeBot

LINK = "https://t.me/xmoney_test_bot"
NEUTRAL = "I can't do that; I've told you why in a private message."
CANT_BE_MADE = "This payment can't be made right now. Nothing was sent."
OSCAR = Telegram.user(900, "oscar", "Oscar")  # an admin


async def scene(bot: ChatBot, funds: int = 1_234) -> tuple[dict, dict, dict]:
    """alice (12.34 USD) and bob have started the bot; dave has only been seen."""
    alice, bob, dave = bot.user("alice"), bot.user("bob"), bot.user("dave")
    await bot.register(bob)
    await bot.register(alice, funds=funds)
    await bot.send(dave, "/help")  # the bot has seen dave; dave never pressed Start
    bot.api.clear()
    return alice, bob, dave


def group_texts(bot: ChatBot, group: dict[str, Any]) -> list[str]:
    return bot.texts(group)


def nothing_private_in(texts: list[str]) -> None:
    """No balance, limit or account status in what a group saw."""
    for text in texts:
        for secret in ("12.34", "available", "limit", "maximum", "frozen", "gelé", "started"):
            assert secret not in text, (secret, text)


async def test_a_refusal_with_a_figure_is_told_privately_and_the_group_hears_a_neutral_line(
    bot: ChatBot,
) -> None:
    alice, bob, _ = await scene(bot)
    group = bot.group()
    before = await bot.books()

    await bot.send(alice, "/send @bob 13", chat=group)  # more than she has
    assert bot.last(group).text == NEUTRAL
    assert bot.last(alice).text == (
        "Not enough money: you have 12.34 USD available and this needs 13.00 USD. "
        "Send less, or wait for money to come in."
    )
    await bot.ledger.set_limits(actor=1, max_transfer=600, daily_limit=1_000)
    await bot.send(alice, "/send @bob 7", chat=group)  # above the per-payment maximum
    assert bot.last(group).text == NEUTRAL
    assert bot.last(alice).text.startswith("That's above the maximum of 6.00 USD")
    await bot.send(alice, "/request @bob 7 dinner", chat=group)
    assert bot.last(group).text == NEUTRAL
    assert bot.last(alice).text.startswith("That's above the maximum of 6.00 USD")
    assert await bot.books() == before

    await bot.send(alice, "/send @bob 5")  # privately, and confirmed: 5.00 left for today
    await bot.press(alice, bot.last(alice), "Confirm")
    before = await bot.books()
    await bot.send(alice, "/send @bob 6", chat=group)
    assert bot.last(group).text == NEUTRAL
    assert bot.last(alice).text.startswith(
        "That would pass your daily sending limit of 10.00 USD; you can still send 5.00 USD"
    )

    nothing_private_in(group_texts(bot, group))
    assert len(group_texts(bot, group)) == 4
    assert await bot.balances(alice, bob) == [734, 500]
    assert await bot.books() == before


async def test_a_group_cannot_tell_unknown_from_not_started_from_frozen(bot: ChatBot) -> None:
    alice, bob, dave = await scene(bot)
    await bot.freeze(bob)
    group = bot.group()
    before = await bot.books()

    replies = {}
    for name in ("ghost", "dave", "bob"):
        for command in ("/send", "/request"):
            await bot.send(alice, f"{command} @{name} 5 lunch", chat=group)
            replies[name, command] = bot.last(group).text
            told = bot.last(alice).text
            if name == "ghost":
                assert told.startswith("I don't know @ghost yet.")
            elif name == "dave":
                assert told.startswith("@dave hasn't started X Money yet")
            elif command == "/send":  # /request asks bob, whose answer settles it
                assert told == CANT_BE_MADE
    sends = {text for (_, command), text in replies.items() if command == "/send"}
    assert sends == {NEUTRAL}
    assert {replies["ghost", "/request"], replies["dave", "/request"]} == {NEUTRAL}
    nothing_private_in(group_texts(bot, group))

    erin = bot.user("erin")  # a stranger, who never started the bot, hears one reply too
    strangers = set()
    for name in ("ghost", "dave", "bob"):
        await bot.send(erin, f"/send @{name} 5", chat=group)
        strangers.add(bot.last(group).text)
    assert strangers == {
        f"You don't have an account yet: open {LINK} and press Start, then try again."
    }
    assert await bot.books() == before
    assert dave


async def test_the_guided_conversation_in_a_group_retries_without_telling_the_group(
    bot: ChatBot,
) -> None:
    alice, bob, _ = await scene(bot)
    group = bot.group()
    await bot.send(alice, "/send 50", chat=group)
    assert bot.last(group).text.startswith("Who do you want to pay?")
    await bot.send(alice, "@bob", chat=group)
    assert bot.last(group).text == NEUTRAL + "\n\nTry again, or /cancel."
    assert bot.last(alice).text.startswith("Not enough money: you have 12.34 USD available")

    await bot.freeze(bob)
    await bot.send(alice, "@ghost", chat=group)
    assert bot.last(group).text == NEUTRAL + "\n\nTry again, or /cancel."
    await bot.send(alice, "@bob", chat=group)
    assert bot.last(group).text == NEUTRAL + "\n\nTry again, or /cancel."
    assert bot.last(alice).text == CANT_BE_MADE
    nothing_private_in(group_texts(bot, group))
    assert await bot.held(alice) == 0


async def test_a_frozen_sender_in_a_group_is_told_privately(bot: ChatBot) -> None:
    alice, bob, _ = await scene(bot)
    await bot.fund(bob, 500)
    await bot.freeze(bob)
    group = bot.group()
    await bot.send(bob, "/send @alice 1", chat=group)
    assert bot.last(group).text == NEUTRAL
    assert bot.last(bob).text.startswith("Your account is frozen")
    nothing_private_in(group_texts(bot, group))
    assert await bot.balances(alice, bob) == [1_234, 500]


async def test_a_sender_who_cannot_be_written_to_privately_gets_only_the_start_link(
    bot: ChatBot,
) -> None:
    alice, _, _ = await scene(bot)
    group = bot.group()
    bot.api.fail_next["sendMessage"] = (403, "Forbidden: bot was blocked by the user")
    await bot.send(alice, "/send @bob 99", chat=group)
    assert bot.last(group).text == (
        f"I can't write to you privately yet: open {LINK} and press Start, then try again."
    )
    nothing_private_in(group_texts(bot, group))


async def test_the_payer_of_a_frozen_recipient_hears_only_that_the_payment_cant_be_made(
    bot: ChatBot,
) -> None:
    """In private chats too: /send, and Pay on a request from someone frozen since."""
    alice, bob, _ = await scene(bot)
    await bot.fund(bob, 5_000)
    await bot.send(alice, "/request @bob 5 dinner")
    request = bot.last(bob)
    await bot.freeze(alice)
    before = await bot.books()

    await bot.press(bob, request, "Pay")
    assert bot.answer().params["text"] == CANT_BE_MADE
    await bot.send(bob, "/send @alice 5")
    assert bot.last(bob).text == CANT_BE_MADE
    await bot.send(bob, "/send 5")
    await bot.send(bob, "@alice")  # the guided conversation
    assert bot.last(bob).text == CANT_BE_MADE + "\n\nTry again, or /cancel."
    assert not any("frozen" in text for text in bot.texts(bob))
    assert await bot.books() == before


async def test_a_group_card_released_by_a_freeze_says_nothing_of_the_freeze(
    make_bot: MakeBot,
) -> None:
    bot = await make_bot(admin_ids=[OSCAR["id"]])
    alice, bob, _ = await scene(bot)
    await bot.register(OSCAR)
    group = bot.group()
    await bot.send(alice, "/send @bob 5 lunch", chat=group)
    card = bot.last(group)
    await bot.send(OSCAR, "/freeze @bob fraud")
    await bot.press(OSCAR, bot.last(OSCAR), "Confirm")
    await bot.press(alice, card, "Confirm")
    assert bot.answer().params["text"] == "This payment was cancelled; nothing was sent."
    assert (
        bot.last(group).text
        == "Cancelled: @alice didn't send <b>5.00 USD</b> to @bob — <i>lunch</i>."
    )
    nothing_private_in(group_texts(bot, group))
    assert not any("frozen" in text for text in group_texts(bot, group) + bot.texts(alice))
    assert await bot.balances(alice, bob) == [1_234, 0]


async def test_a_group_does_not_learn_that_someone_blocked_the_bot(bot: ChatBot) -> None:
    alice, bob, _ = await scene(bot)
    group = bot.group()
    bot.api.fail_next["sendMessage"] = (403, "Forbidden: bot was blocked by the user")
    await bot.send(alice, "/request @bob 5 dinner", chat=group)  # bob blocked the bot
    assert bot.texts(group) == [NEUTRAL]
    assert bot.last(alice).text == (
        "I couldn't deliver your request: @bob has blocked me or closed our chat. "
        "Nothing was requested."
    )
    assert bob
