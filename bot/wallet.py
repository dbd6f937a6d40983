"""/wallet and the chat's menu button: both open the wallet page (``WEBAPP_URL``), a Telegram
Mini App. A ``web_app`` button works only in a private chat, so from a group the button is
sent privately, as /balance's figures are."""

from __future__ import annotations

import logging
from typing import Any

from telegram import MenuButtonWebApp, Update, WebAppInfo
from telegram.error import TelegramError
from telegram.ext import Application, CommandHandler, filters

from bot.common import Context, Refusal, explain, lang, ledger_of, settings_of, tell_privately
from bot.people import registered_sender
from bot.texts import DEFAULT_LANGUAGE, t

log = logging.getLogger(__name__)

COMMANDS = [("wallet", "menu.wallet")]


def open_button(reader: str, url: str) -> dict[str, Any]:
    """An inline keyboard with the one button that opens the page."""
    return {"inline_keyboard": [[{"text": t(reader, "wallet.button"), "web_app": {"url": url}}]]}


async def wallet(update: Update, context: Context) -> None:
    """Answers with the button that opens the wallet page, privately."""
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    reader, url = lang(context), settings_of(context).webapp_url
    if url is None:
        await message.reply_text(t(reader, "wallet.not_set_up"))
        return
    try:
        await registered_sender(context, user)
    except Refusal as refusal:
        await message.reply_text(explain(reader, refusal, ledger_of(context).currency))
        return
    await tell_privately(update, context, t(reader, "wallet.open"), open_button(reader, url))
    if message.chat.type == "private":  # the menu button in the reader's language
        try:
            await context.bot.set_chat_menu_button(
                chat_id=user.id,
                menu_button=MenuButtonWebApp(t(reader, "wallet.menu_button"), WebAppInfo(url)),
            )
        except TelegramError as error:  # the /wallet button above works all the same
            log.warning("menu button not set for a chat: %s", error.message)


async def set_menu_button(application: Application) -> None:
    """At startup: every private chat's menu button opens the page (when there is one)."""
    url = application.bot_data["settings"].webapp_url
    if url is None:
        return
    button = MenuButtonWebApp(t(DEFAULT_LANGUAGE, "wallet.menu_button"), WebAppInfo(url))
    try:
        await application.bot.set_chat_menu_button(menu_button=button)
    except TelegramError as error:  # the bot works without it; /wallet still opens the page
        log.warning("menu button not set: %s", error.message)


def register(application: Application) -> None:
    application.add_handler(CommandHandler("wallet", wallet, filters=filters.UpdateType.MESSAGE))
