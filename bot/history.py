"""/history: the latest transfers, newest first, paged with buttons (``h:<offset>``).

A page is always the presser's own history, shown only in their private chat with the bot;
the offset in the button is the only thing read from it, and it is bounds-checked.
"""

from __future__ import annotations

import re

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot import buttons
from bot.common import (
    Context,
    Refusal,
    answer,
    edit_message,
    explain,
    lang,
    ledger_of,
    tell_privately,
)
from bot.people import registered_sender
from bot.render import local_time, memo, money, who
from bot.texts import Html, t
from ledger import HistoryItem, Ledger

COMMANDS = [("history", "menu.history")]

PAGE_SIZE = 10
PREFIX = buttons.HISTORY_PAGE
_OFFSET = re.compile(r"h:(0|[1-9][0-9]{0,5})")


async def render_page(
    ledger: Ledger, user_id: int, reader: str, offset: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    """One page of ``user_id``'s history and the buttons to its neighbours."""
    account_id = await ledger.account_of(user_id)
    if account_id is None:
        return t(reader, "history.empty"), None
    page = await ledger.history(account_id, limit=PAGE_SIZE, offset=offset)
    if not page.items:
        return t(reader, "history.empty" if offset == 0 else "history.no_more"), None
    lines = [t(reader, "history.title", first=offset + 1, last=offset + len(page.items))]
    owner = await ledger.directory.get(user_id)
    time_zone = owner.time_zone if owner else None
    for item in page.items:
        lines.append(await _line(ledger, item, reader, time_zone))
    row = []
    if offset > 0:
        newer = max(offset - PAGE_SIZE, 0)
        row.append(
            InlineKeyboardButton(t(reader, "history.newer"), callback_data=f"{PREFIX}{newer}")
        )
    if page.has_more:
        older = offset + PAGE_SIZE
        row.append(
            InlineKeyboardButton(t(reader, "history.older"), callback_data=f"{PREFIX}{older}")
        )
    return "\n\n".join(lines), InlineKeyboardMarkup([row]) if row else None


async def _line(ledger: Ledger, item: HistoryItem, reader: str, time_zone: str | None) -> str:
    transfer = item.transfer
    other = (
        await ledger.directory.get(item.counterparty_owner)
        if item.counterparty_owner is not None
        else None
    )
    notes = []
    if transfer.kind != "payment":
        notes.append(t(reader, f"history.kind.{transfer.kind}"))
    if transfer.state != "posted":
        notes.append(t(reader, f"history.state.{transfer.state}"))
    # Money that never moved (a cancelled or expired card) is not shown as money that left.
    shape = item.direction if transfer.state in ("posted", "pending") else "unsent"
    return t(
        reader,
        f"history.{shape}",
        amount=money(reader, transfer.amount, ledger.currency),
        who=who(other, reader),
        memo=memo(transfer.memo),
        notes=Html("".join(f" · {note}" for note in notes)),
        ref=transfer.ref,
        date=local_time(reader, transfer.created_at, time_zone),
    )


async def history(update: Update, context: Context) -> None:
    """Shows the first page of the user's history, privately."""
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    reader, ledger = lang(context), ledger_of(context)
    try:
        await registered_sender(context, user)
    except Refusal as refusal:
        await message.reply_text(explain(reader, refusal, ledger.currency))
        return
    text, markup = await render_page(ledger, user.id, reader, 0)
    await tell_privately(update, context, text, markup)


async def turn_page(update: Update, context: Context) -> None:
    """Shows another page of the presser's history in place."""
    query = update.callback_query
    assert query is not None
    reader = lang(context)
    match = _OFFSET.fullmatch(query.data or "")
    if match is None or query.message is None or query.message.chat.id != query.from_user.id:
        await answer(query, t(reader, "card.invalid"))
        return
    await answer(query)
    text, markup = await render_page(
        ledger_of(context), query.from_user.id, reader, int(match.group(1))
    )
    await edit_message(
        context.bot, query.message.chat.id, query.message.message_id, text, reply_markup=markup
    )


def register(application: Application) -> None:
    application.add_handler(CommandHandler("history", history, filters=filters.UpdateType.MESSAGE))
    application.add_handler(CallbackQueryHandler(turn_page, pattern="^" + PREFIX))
