"""/statement [YYYY-MM]: the month's transfers as a CSV document that opens cleanly in a
spreadsheet in the reader's language: UTF-8 with a byte-order mark (so accents survive),
a comma and decimal dots in English, a semicolon and decimal commas in French (what each
language's spreadsheets expect), one row per transfer: date (UTC), reference, counterparty,
signed amount, note, state. Sent privately, as /history is.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime

from telegram import InputFile, Update
from telegram.error import BadRequest, Forbidden
from telegram.ext import Application, CommandHandler, filters

from bot.common import (
    Context,
    Refusal,
    call_api,
    lang,
    ledger_of,
    now,
    refuse,
    start_link,
)
from bot.people import registered_sender
from bot.texts import t
from ledger import Currency, HistoryItem, Ledger

COMMANDS = [("statement", "menu.statement")]
_MONTH = re.compile(r"(\d{4})-(\d{1,2})")
_SCAN = 200  # transfers read per page while looking for the month's
_FORMULA = ("=", "+", "-", "@", "\t", "\r")  # a cell starting so is run by spreadsheets


def month_of(text: str, today: datetime) -> tuple[datetime, datetime]:
    """The month ``text`` names (``2026-11``; empty: this month), as [start, end) in UTC;
    a Refusal for anything else."""
    text = text.strip()
    if not text:
        year, month = today.year, today.month
    else:
        found = _MONTH.fullmatch(text)
        if found is None or not 1 <= int(found.group(2)) <= 12 or int(found.group(1)) < 2000:
            raise Refusal("statement.bad_month", text=text[:20])
        year, month = int(found.group(1)), int(found.group(2))
    start = datetime(year, month, 1, tzinfo=UTC)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=UTC)
    return start, end


async def month_items(
    ledger: Ledger, account_id: int, start: datetime, end: datetime
) -> list[HistoryItem]:
    """The account's transfers made in [start, end), oldest first."""
    found: list[HistoryItem] = []
    offset = 0
    while True:
        page = await ledger.history(account_id, limit=_SCAN, offset=offset)
        for item in page.items:
            if item.transfer.created_at < start:
                return found[::-1]
            if item.transfer.created_at < end:
                found.append(item)
        if not page.has_more:
            return found[::-1]
        offset += _SCAN


def _decimal(minor: int, currency: Currency, reader: str) -> str:
    """A signed amount as a spreadsheet reads it in ``reader``'s language: -12.50 / -12,50."""
    sign = "-" if minor < 0 else ""
    whole, frac = divmod(abs(minor), 10**currency.exponent)
    mark = "," if reader == "fr" else "."
    return (
        sign + str(whole) + (mark + str(frac).zfill(currency.exponent) if currency.exponent else "")
    )


def _cell(text: str) -> str:
    """User text in a cell, never taken for a formula."""
    return "'" + text if text.startswith(_FORMULA) else text


async def statement_csv(ledger: Ledger, items: list[HistoryItem], reader: str) -> bytes:
    """The CSV document of ``items``."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";" if reader == "fr" else ",", lineterminator="\r\n")
    writer.writerow([t(reader, f"statement.column.{c}") for c in _COLUMNS])
    for item in items:
        transfer = item.transfer
        other = (
            await ledger.directory.get(item.counterparty_owner)
            if item.counterparty_owner is not None
            else None
        )
        if other is None:
            name = t(reader, "who.system")
        else:  # a username is letters, digits and _; a name is anything its owner typed
            name = "@" + other.username if other.username else _cell(other.name)
        moved = transfer.state == "posted"
        signed = transfer.amount if item.direction == "in" else -transfer.amount
        writer.writerow(
            [
                transfer.created_at.strftime("%Y-%m-%d %H:%M"),
                transfer.ref,
                name,
                _decimal(signed if moved else 0, ledger.currency, reader),
                _cell(transfer.memo),
                t(reader, f"statement.state.{transfer.state}"),
            ]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


_COLUMNS = ("date", "reference", "counterparty", "amount", "note", "state")


async def statement(update: Update, context: Context) -> None:
    """Sends the month's statement as a CSV document, privately."""
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    reader, ledger = lang(context), ledger_of(context)
    text = message.text or ""
    argument = text.split(maxsplit=1)[1] if len(text.split(maxsplit=1)) > 1 else ""
    try:
        await registered_sender(context, user)
        start, end = month_of(argument, now(context))
    except Refusal as error:
        await refuse(update, context, error)
        return
    account_id = await ledger.account_of(user.id)
    items = [] if account_id is None else await month_items(ledger, account_id, start, end)
    month = start.strftime("%Y-%m")
    caption = t(
        reader, "statement.caption", month=month, count=len(items), currency=ledger.currency.code
    )
    document = InputFile(
        await statement_csv(ledger, items, reader),
        filename=t(reader, "statement.filename", month=month),
    )
    try:
        await call_api(
            context.bot,
            "sendDocument",
            {"chat_id": user.id, "document": document, "caption": caption},
        )
    except (Forbidden, BadRequest):
        if message.chat.type == "private":
            raise
        # The sender never opened a private chat: the group hears only how to.
        await message.reply_text(t(reader, "common.start_privately", link=start_link(context.bot)))
        return
    if message.chat.type != "private":
        await message.reply_text(t(reader, "statement.sent_privately"))


def register(application: Application) -> None:
    application.add_handler(
        CommandHandler("statement", statement, filters=filters.UpdateType.MESSAGE)
    )
