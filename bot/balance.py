"""/balance: available and on hold, always told privately."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CommandHandler, filters

from bot.buttons import TOPUP_MENU
from bot.common import Context, Refusal, explain, keyboard, lang, ledger_of, tell_privately
from bot.people import registered_sender
from bot.render import money
from bot.texts import t

COMMANDS = [("balance", "menu.balance")]


async def balance_text(context: Context, user_id: int, reader: str) -> str:
    """The figures of ``user_id``'s account, in ``reader``'s language."""
    ledger = ledger_of(context)
    account = await ledger.account(await ledger.open_account(user_id))
    text = t(
        reader,
        "balance.figures",
        available=money(reader, account.available, ledger.currency),
        on_hold=money(reader, account.on_hold, ledger.currency),
    )
    if account.frozen:
        text += "\n\n" + t(reader, "balance.frozen")
    return text


async def balance(update: Update, context: Context) -> None:
    """Shows the user's available and held money, privately even when asked in a group."""
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    reader = lang(context)
    try:
        await registered_sender(context, user)
    except Refusal as refusal:
        await message.reply_text(explain(reader, refusal, ledger_of(context).currency))
        return
    top_up = keyboard([(t(reader, "funding.topup_button"), TOPUP_MENU)])
    await tell_privately(update, context, await balance_text(context, user.id, reader), top_up)


def register(application: Application) -> None:
    application.add_handler(CommandHandler("balance", balance, filters=filters.UpdateType.MESSAGE))
