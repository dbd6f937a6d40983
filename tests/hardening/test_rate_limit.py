"""Limits and abuse: a flood of payment actions slows that user only, and the daily sending
limit holds when one user's payments all arrive at the same moment.

Payment actions are /send, /request and presses of Confirm and Pay: at most
``rate_limit_per_minute`` of them per user in any sliding minute (``bot.ratelimit``).
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from bot import cards, ratelimit
from tests.bot.conftest import ChatBot, MakeBot
from tests.hardening.chat_checks import said

SLOW_DOWN = "You're sending payment commands too fast. Wait a minute and try again."


async def scene(bot: ChatBot, funds: int = 10_000) -> tuple[dict[str, Any], dict[str, Any]]:
    """alice has 100.00 USD (unless said), bob 10.00; both started the bot."""
    alice, bob = bot.user("alice"), bot.user("bob")
    await bot.register(bob, funds=1_000)
    await bot.register(alice, funds=funds)
    return alice, bob


def cards_to(bot: ChatBot, where: Any) -> list[Any]:
    return [c for c in bot.to(where) if c.method == "sendMessage" and c.buttons]


async def test_a_flood_of_send_gets_one_slow_down_and_no_hold_beyond_the_limit(
    make_bot: MakeBot,
) -> None:
    bot = await make_bot(rate_limit_per_minute=3)
    alice, bob = await scene(bot)

    for _ in range(10):
        await bot.send(alice, "/send @bob 1 flood")
    await bot.send(bob, "/send @alice 2 meanwhile")  # the same moment, another user

    assert len(cards_to(bot, alice)) == 3
    assert [c.text for c in bot.to(alice) if not c.buttons] == [SLOW_DOWN]  # one, not seven
    assert await bot.held(alice) == 300
    assert len(cards_to(bot, bob)) == 1 and await bot.held(bob) == 200  # bob is not slowed

    bot.clock.advance(60)  # the window has slid past the flood
    bot.api.clear()
    await bot.send(alice, "/send @bob 1 later")
    assert len(cards_to(bot, alice)) == 1
    for _ in range(3):
        await bot.send(alice, "/send @bob 1 flood again")
    assert [c.text for c in bot.to(alice) if not c.buttons] == [SLOW_DOWN]  # once per flood
    assert await bot.held(alice) == 600
    assert (await bot.ledger.verify()).pending_transfers == 7


async def test_confirm_presses_count_and_each_press_over_the_limit_is_answered(
    make_bot: MakeBot,
) -> None:
    bot = await make_bot(rate_limit_per_minute=2)
    alice, bob = await scene(bot)
    await bot.send(alice, "/send @bob 5")
    first = bot.last(alice)
    await bot.send(alice, "/send @bob 6")
    second = bot.last(alice)
    books = await bot.books()

    for _ in range(2):  # two Confirms over the limit: each answered, neither moves money
        bot.api.clear()
        await bot.press(alice, first, "Confirm")
        assert [c.method for c in bot.api.calls] == ["answerCallbackQuery"]
        assert bot.answer().params["text"] == SLOW_DOWN
        assert bot.answer().params["show_alert"] is True
    assert await bot.books() == books  # the presses over the limit moved nothing
    await bot.press(alice, second, "Cancel")  # Cancel is never limited: it moves nothing
    assert bot.answer().params["text"] == "Cancelled; nothing was sent."
    assert await bot.balances(alice, bob) == [9_500, 1_000]
    assert await bot.held(alice) == 500

    bot.clock.advance(61)
    await bot.press(alice, first, "Confirm")
    assert bot.answer().params["text"] == "Payment sent."
    assert await bot.balances(alice, bob) == [9_500, 1_500]


async def test_requests_count_and_other_commands_are_never_slowed(make_bot: MakeBot) -> None:
    bot = await make_bot(rate_limit_per_minute=2)
    alice, bob = await scene(bot)
    for amount in (1, 2, 3):
        await bot.send(alice, f"/request @bob {amount}")
    assert len(said(bot.to(alice), "request.sent")) == 2
    assert [c.text for c in bot.to(alice)][-1] == SLOW_DOWN
    assert len(bot.to(bob)) == 2  # bob was asked twice, not three times

    bot.api.clear()
    for command in ("/balance", "/history", "/help") * 5:
        await bot.send(alice, command)
    assert len(bot.to(alice)) == 15
    assert SLOW_DOWN not in bot.texts(alice)


async def test_the_window_slides(make_bot: MakeBot) -> None:
    bot = await make_bot(rate_limit_per_minute=2)
    alice, _ = await scene(bot)
    start = bot.clock.now
    # seconds:  0: in   30: in   59: out   60: in (0 left)   61: out   90: in (30 left)
    for at, allowed in ((0, True), (30, True), (59, False), (60, True), (61, False), (90, True)):
        bot.clock.now = start + timedelta(seconds=at)
        bot.api.clear()
        await bot.send(alice, "/send @bob 1")
        assert bool(cards_to(bot, alice)) is allowed, at


async def test_a_flood_in_a_group_gets_one_slow_down_in_the_group(make_bot: MakeBot) -> None:
    bot = await make_bot(rate_limit_per_minute=1)
    alice, _ = await scene(bot)
    group = bot.group()
    for _ in range(5):
        await bot.send(alice, "/send@xmoney_test_bot @bob 1", chat=group)
    await bot.send(alice, "/send@another_bot @bob 1", chat=group)  # not ours: not counted
    texts = bot.texts(group)
    assert len(texts) == 2 and texts[1] == SLOW_DOWN
    assert await bot.held(alice) == 100


async def test_the_slow_down_message_is_in_the_users_language(make_bot: MakeBot) -> None:
    bot = await make_bot(rate_limit_per_minute=1)
    _, bob = await scene(bot)
    francois = bot.tg.user(110, "francois", "François", language_code="fr")
    await bot.register(francois, funds=1_000)
    await bot.send(francois, "/send @bob 1")
    await bot.send(francois, "/send @bob 1")
    assert bot.last(francois).text == (
        "Vous envoyez des commandes de paiement trop vite. Attendez une minute et réessayez."
    )
    assert bob


async def test_a_user_who_keeps_trying_hears_slow_down_every_ten_seconds_not_silence(
    make_bot: MakeBot,
) -> None:
    bot = await make_bot(rate_limit_per_minute=2)
    alice, _ = await scene(bot)
    for _ in range(2):
        await bot.send(alice, "/send @bob 1")
    bot.api.clear()
    heard = []
    for second in range(0, 30, 2):  # a refused /send every 2 s for 30 s: 15 refusals
        bot.clock.now = bot.clock.now.replace(second=0) + timedelta(seconds=second)
        await bot.send(alice, "/send @bob 1")
        if SLOW_DOWN in bot.texts(alice):
            heard.append(second)
            bot.api.clear()
    assert heard == [0, 10, 20]  # never silence from the first refusal on, never a flood
    assert await bot.held(alice) == 200


async def test_actions_out_of_every_window_are_forgotten(
    make_bot: MakeBot,
) -> None:
    bot = await make_bot(rate_limit_per_minute=1)
    alice, _ = await scene(bot)
    await bot.send(alice, "/send @bob 1")
    bot.clock.advance(61)
    await ratelimit.forget(bot.app)
    rows = await bot.ledger.db.read_one("SELECT COUNT(*) FROM rate_events", {})
    assert rows[0][0] == 0  # PostgreSQL's table; SQLite's windows (one process) in memory:
    assert bot.ledger.shared._windows == {}
    await bot.send(alice, "/send @bob 1")  # and the limit still admits the next one
    assert await bot.held(alice) == 200


# --- the daily limit under concurrent sends ----------------------------------------------


async def test_the_daily_limit_holds_when_every_send_and_confirm_arrives_at_once(
    make_bot: MakeBot,
) -> None:
    bot = await make_bot(rate_limit_per_minute=1_000)
    alice, bob = await scene(bot)
    await bot.ledger.set_limits(actor=1, max_transfer=500, daily_limit=1_000)  # 10.00 a day

    await asyncio.gather(*(bot.send(alice, f"/send @bob 1 n{n}") for n in range(20)))
    shown = cards_to(bot, alice)
    refused = said(bot.to(alice), "refusal.daily_limit")
    assert len(shown) == 10 and len(refused) == 10
    # Confirm every card at once, and meanwhile more sends try to slip in.
    await asyncio.gather(
        *(bot.press(alice, card, "Confirm") for card in shown),
        *(bot.send(alice, f"/send @bob 1 late{n}") for n in range(5)),
    )
    assert len(cards_to(bot, alice)) == 10  # none of the late ones got a card
    assert await bot.balances(alice, bob) == [9_000, 2_000]
    account = await bot.ledger.open_account(alice["id"])
    assert await bot.ledger.sent_today(account) == 1_000
    report = await bot.ledger.verify()
    assert report.ok and report.pending_transfers == 0, report.summary()


async def test_the_daily_limit_counts_holds_so_a_flood_of_cards_cannot_pass_it(
    make_bot: MakeBot,
) -> None:
    bot = await make_bot(rate_limit_per_minute=1_000)
    alice, bob = await scene(bot)
    await bot.ledger.set_limits(actor=1, max_transfer=1_000, daily_limit=1_500)
    await asyncio.gather(*(bot.send(alice, "/send @bob 10") for _ in range(4)))
    [card] = cards_to(bot, alice)  # 10.00 held; a second 10.00 would pass 15.00
    ref = bot.button(card, "Confirm").removeprefix(cards.CONFIRM)
    await bot.press(alice, card, "Cancel")  # a released hold gives the room back
    assert (await bot.ledger.get_transfer(ref)).state == "voided"
    await bot.send(alice, "/send @bob 10")
    assert len(cards_to(bot, alice)) == 2
    assert await bot.balances(bob) == [1_000]
