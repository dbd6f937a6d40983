"""One user's flood never delays another's answer: updates run concurrently (one user's in
order), a group's /help and unknown commands are answered once a minute at most, and no
handler waits for Telegram's flood limits (those messages are queued per chat)."""

from __future__ import annotations

import asyncio
from typing import Any

from telegram import Update

from bot.fakeapi import RecordingRequest
from tests.bot.conftest import ChatBot, MakeBot

HELP = "/help@xmoney_test_bot"


def slow_groups(bot: ChatBot, seconds: float) -> None:
    """Telegram takes ``seconds`` to accept each message to a group (its flood control)."""
    api: RecordingRequest = bot.api
    real = api.do_request

    async def slow(url: str, method: str, request_data: Any = None, **kwargs: Any) -> Any:
        params = dict(request_data.parameters) if request_data is not None else {}
        if int(params.get("chat_id") or 0) < 0:
            await asyncio.sleep(seconds)
        return await real(url, method, request_data, **kwargs)

    api.do_request = slow  # type: ignore[method-assign]


async def test_a_group_flooded_with_help_does_not_delay_another_users_balance(
    make_bot: MakeBot,
) -> None:
    bot = await make_bot()
    alice, stranger, group = bot.user("alice"), bot.user("mallory"), bot.group()
    await bot.register(alice, funds=1_234)
    slow_groups(bot, 0.3)
    app = bot.app
    flood = [bot.tg.message(stranger, HELP, chat=group) for _ in range(30)]
    updates = [Update.de_json(u, app.bot) for u in [*flood, bot.tg.message(alice, "/balance")]]
    loop = asyncio.get_running_loop()

    started = loop.time()
    tasks = [
        asyncio.create_task(app.update_processor.process_update(u, app.process_update(u)))
        for u in updates
    ]
    await tasks[-1]  # alice's /balance, handled
    answered_after = loop.time() - started
    await asyncio.gather(*tasks)
    await app.bot_data["outgoing"].drain()

    assert answered_after < 1.0  # a generous liveness bound: 30 x 0.3 s if it waited
    assert "12.34 USD" in bot.texts(alice)[0]
    assert len(bot.to(group)) == 1  # thirty /help, one answer this minute
    assert bot.errors == []


async def test_a_group_hears_help_again_a_minute_later(make_bot: MakeBot) -> None:
    bot = await make_bot()
    stranger, group = bot.user("mallory"), bot.group()
    for _ in range(3):
        await bot.send(stranger, HELP, chat=group)
        await bot.send(stranger, "/nonsense@xmoney_test_bot", chat=group)
    assert len(bot.to(group)) == 1  # six commands that are not payments, one answer
    bot.clock.advance(61)
    await bot.send(stranger, HELP, chat=group)
    assert len(bot.to(group)) == 2
    await bot.send(stranger, "/help")  # privately: always answered
    await bot.send(stranger, "/help")
    assert len(bot.to(stranger)) == 2
