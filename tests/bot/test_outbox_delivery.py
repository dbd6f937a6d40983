"""What the outbox does when Telegram turns a message away for a while: the row is not marked
sent, and it goes out once its claim's lease has passed, once."""

from __future__ import annotations

from bot import outbox
from tests.bot.conftest import ChatBot


def told_of_payment(bot: ChatBot, who: dict) -> list[str]:
    """The payment notices Telegram accepted for ``who`` (a refused call has no result)."""
    return [c.text for c in bot.to(who) if "sent you" in c.text and c.result is not None]


async def test_a_notice_turned_away_by_the_flood_limit_is_sent_once_the_lease_passes(
    bot: ChatBot,
) -> None:
    alice, bob = bot.user("alice"), bot.user("bob")
    await bot.register(bob)
    await bot.register(alice, funds=5_000)
    await bot.send(alice, "/send @bob 12.50 lunch")
    ref = bot.button(bot.last(alice), "Confirm")[4:]
    bot.api.fail_next["sendMessage"] = (429, "Too Many Requests: retry after 5")

    await bot.press(alice, bot.last(alice), "Confirm")

    assert told_of_payment(bot, bob) == []  # turned away: not sent, and not marked sent
    assert await bot.balances(alice, bob) == [3_750, 1_250]  # the payment stands
    assert await outbox.deliver_stale(bot.app) == 0  # its claim is still fresh
    bot.clock.advance(31)
    assert await outbox.deliver_stale(bot.app) == 1
    assert await outbox.deliver_stale(bot.app) == 0
    assert told_of_payment(bot, bob) == [
        "💸 @alice sent you <b>12.50 USD</b> — <i>lunch</i>\n"
        f"Reference: <code>{ref}</code>\n\nYour balance: <b>12.50 USD</b>"
    ]


async def test_a_notice_to_someone_who_blocked_the_bot_is_not_tried_again(bot: ChatBot) -> None:
    alice, bob = bot.user("alice"), bot.user("bob")
    await bot.register(bob)
    await bot.register(alice, funds=5_000)
    await bot.send(alice, "/send @bob 3 tea")
    bot.api.fail_next["sendMessage"] = (403, "Forbidden: bot was blocked by the user")

    await bot.press(alice, bot.last(alice), "Confirm")

    bot.clock.advance(31)
    assert await outbox.deliver_stale(bot.app) == 0  # counted as delivered: nothing left
    assert told_of_payment(bot, bob) == []
