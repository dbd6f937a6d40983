"""Memory does not grow with every stranger: a process keeps nothing per person beyond the
update it is handling (the directory reads the database, the reader's language lives on the
update's context, conversations and their drafts live in the database), and the one map it
keeps (owner -> account, which never changes) is bounded. ``python -m bot.bench`` measures
the same in RSS after 100,000 strangers."""

from __future__ import annotations

import asyncio

import pytest
from telegram import Update

from bot import flood
from ledger.cache import LruCache
from tests.bot.conftest import ChatBot


async def test_strangers_leave_nothing_behind_in_the_process(bot: ChatBot) -> None:
    group = bot.group()
    for n in range(200):
        stranger = bot.tg.user(5_000 + n, f"stranger{n}", f"S{n}", language_code="fr")
        await bot.send(stranger, "/help")
        await bot.send(stranger, "/send", chat=group)  # a conversation begun and abandoned
    assert len(bot.texts(group)) == 200  # each was asked "who?"
    assert len(bot.app.user_data) == 0
    assert len(bot.app.chat_data) == 0
    processor = bot.app.update_processor
    assert isinstance(processor, flood.PerUserOrder)
    updates = [
        Update.de_json(bot.tg.message(bot.tg.user(9_000 + n, None, "X"), "/help"), bot.app.bot)
        for n in range(50)
    ]
    await asyncio.gather(*(processor.process_update(u, bot.app.process_update(u)) for u in updates))
    assert processor._turns == {}  # no per-user entry outlives its updates


async def test_the_owner_to_account_map_is_bounded(
    bot: ChatBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    bot.ledger._account_of_owner = LruCache(10)
    accounts = [await bot.ledger.open_account(7_000 + n) for n in range(50)]
    assert len(bot.ledger._account_of_owner) == 10
    assert [await bot.ledger.open_account(7_000 + n) for n in range(50)] == accounts
