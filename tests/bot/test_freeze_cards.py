"""A freeze releasing several holds updates every one of their cards, even when one of the
edits fails (Telegram down for a moment): the others are not left showing live buttons."""

from __future__ import annotations

import logging

import pytest

from bot.fakeapi import Telegram
from tests.bot.conftest import ChatBot, MakeBot

OSCAR = Telegram.user(900, "oscar", "Oscar")


@pytest.fixture
async def ops(make_bot: MakeBot) -> ChatBot:
    bot = await make_bot(admin_ids=[OSCAR["id"]])
    await bot.register(bot.user("alice"), bot.user("bob"), funds=5_000)
    return bot


async def test_one_card_that_cannot_be_edited_does_not_stop_the_others(
    ops: ChatBot, caplog: pytest.LogCaptureFixture
) -> None:
    bob = ops.user("bob")
    await ops.send(bob, "/send @alice 20 bike")
    first = ops.last(bob)
    await ops.send(bob, "/send @alice 5 lamp")
    second = ops.last(bob)
    await ops.send(OSCAR, "/freeze @bob fraud")
    ops.api.fail_next["editMessageText"] = (500, "Internal Server Error: restart")

    with caplog.at_level(logging.ERROR, logger="bot.admin_notices"):
        await ops.press(OSCAR, ops.last(OSCAR), "Confirm")

    edits = {  # the edits Telegram answered: done
        c.params["message_id"]: c.text
        for c in ops.to(bob)
        if c.method == "editMessageText" and c.result is not None
    }
    cards = [first.result["message_id"], second.result["message_id"]]
    edited = [edits[card] for card in cards if card in edits]
    assert len(edited) == 1  # the other is the one whose edit failed, whichever came first
    assert edited[0].startswith("Cancelled: <b>")
    assert "its card was not updated" in caplog.text
    account = await ops.account(bob)
    assert account.frozen and account.on_hold == 0
    assert ops.texts(bob)[-1].endswith("Your payments on hold were released (2); nothing was sent.")
