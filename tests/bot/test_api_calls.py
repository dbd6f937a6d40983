"""``bot.common.call_api`` and the helpers on it send what python-telegram-bot's own methods
send, so skipping PTB's Message objects changes nothing Telegram sees. If a PTB upgrade
changes its parameters or its private ``_post``, these fail first."""

from __future__ import annotations

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest

from bot.common import Sent, edit_message, keyboard, reply, send_private, send_text
from tests.bot.conftest import SQLITE_ONLY, ChatBot

pytestmark = SQLITE_ONLY

MARKUP = InlineKeyboardMarkup([[InlineKeyboardButton("Confirm", callback_data="p:c:ABCD")]])


async def test_send_text_sends_what_send_message_sends(bot: ChatBot) -> None:
    await bot.app.bot.send_message(42, "Hi <b>you</b>", reply_markup=MARKUP)
    await bot.app.bot.send_message(42, "Plain")
    ptb_card, ptb_plain = bot.api.calls[-2:]

    sent = await send_text(bot.app.bot, 42, "Hi <b>you</b>", MARKUP)
    ours_card = bot.api.calls[-1]
    await send_text(bot.app.bot, 42, "Plain")
    ours_plain = bot.api.calls[-1]

    assert (ours_card.method, ours_card.params) == (ptb_card.method, ptb_card.params)
    assert (ours_plain.method, ours_plain.params) == (ptb_plain.method, ptb_plain.params)
    assert ours_card.params["parse_mode"] == "HTML"  # the bot's defaults came along
    assert sent == Sent(42, ours_card.result["message_id"])


async def test_edit_message_sends_what_edit_message_text_sends(bot: ChatBot) -> None:
    await bot.app.bot.edit_message_text("Paid", chat_id=42, message_id=7, reply_markup=MARKUP)
    ptb = bot.api.calls[-1]

    assert await edit_message(bot.app.bot, 42, 7, "Paid", reply_markup=MARKUP) is True
    ours = bot.api.calls[-1]

    assert (ours.method, ours.params) == (ptb.method, ptb.params)


async def test_reply_in_private_is_a_plain_message_and_in_a_group_quotes(bot: ChatBot) -> None:
    alice = bot.user("alice")
    private = Update.de_json(bot.tg.message(alice, "/send"), bot.app.bot).message
    group = Update.de_json(bot.tg.message(alice, "/send", chat=bot.tg.group()), bot.app.bot).message
    assert private is not None and group is not None

    await private.reply_text("Card", reply_markup=MARKUP)
    ptb = bot.api.calls[-1]
    sent = await reply(private, "Card", MARKUP)
    ours = bot.api.calls[-1]
    assert (ours.method, ours.params) == (ptb.method, ptb.params)
    assert sent == Sent(alice["id"], ours.result["message_id"])

    sent = await reply(group, "Card", MARKUP)
    quoted = bot.api.calls[-1]
    assert quoted.params["reply_parameters"]["message_id"] == group.message_id
    assert sent == Sent(group.chat_id, quoted.result["message_id"])


async def test_errors_are_ptbs_own(bot: ChatBot) -> None:
    bot.api.blocked_chats.add(42)
    assert await send_private(bot.app.bot, 42, "Hi") is None  # Forbidden, logged

    bot.api.fail_next["editMessageText"] = (400, "Bad Request: message to edit not found")
    assert await edit_message(bot.app.bot, 43, 7, "Paid") is False

    bot.api.fail_next["editMessageText"] = (400, "Bad Request: message is not modified")
    assert await edit_message(bot.app.bot, 43, 7, "Paid") is True

    bot.api.fail_next["sendMessage"] = (400, "Bad Request: can't parse entities")
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await send_text(bot.app.bot, 43, "<b>")


async def test_a_keyboard_as_json_is_sent_as_ptbs_buttons_are(bot: ChatBot) -> None:
    buttons = [("Confirm", "p:c:ABCD"), ("Cancel", "p:x:ABCD")]
    await bot.app.bot.send_message(
        42,
        "Card",
        reply_markup=InlineKeyboardMarkup(
            [[InlineKeyboardButton(label, callback_data=data) for label, data in buttons]]
        ),
    )
    ptb = bot.api.calls[-1]
    await send_text(bot.app.bot, 42, "Card", keyboard(buttons))
    ours = bot.api.calls[-1]
    assert ours.params == ptb.params
    assert ours.buttons == buttons
