"""Payment links: /link gives a "pay me" link and its QR code; /links lists yours.

    /link 5 lunch              single use, 5.00 USD for lunch
    /link lunch                the payer chooses the amount
    /link reusable 5 coffee    paid by as many people as like, until it expires or is revoked
    t.me/<bot>?start=pay-<id>  the payer gets the usual confirmation card (bot.cards)

The rules (single use, expiry, revocation, who may pay a single-use link at a time) are the
payments service's (``ledger.payments.links``).
"""

from __future__ import annotations

import io
import re
from datetime import timedelta

import segno
from telegram import ForceReply, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot import buttons, cards
from bot.common import (
    BotData,
    Context,
    Refusal,
    answer,
    lang,
    ledger_of,
    refuse,
    start_link,
)
from bot.outbox import payments_of
from bot.people import registered_sender
from bot.render import memo, money, who
from bot.texts import t
from ledger import Person, parse_amount, split_amount
from ledger.errors import LedgerError
from ledger.payments.links import LINK_ID, LinkClosed, PaymentLink, PaymentLinks

COMMANDS = [("link", "menu.link"), ("links", "menu.links")]
PAY_PREFIX = "pay-"
REVOKE = buttons.LINK_REVOKE
_REUSABLE = {"reusable", "réutilisable", "reutilisable", "multi"}
# The question for an amountless link names it; the payer's reply carries it back.
_ASKED = re.compile(rf"\?start={PAY_PREFIX}({LINK_ID})")


def links_of(bot_data: BotData) -> PaymentLinks:
    payments = payments_of(bot_data)
    found: PaymentLinks | None = bot_data.get("links")
    if found is None or found.payments is not payments:
        expiry = timedelta(seconds=bot_data["settings"].link_expiry_seconds)
        found = bot_data["links"] = PaymentLinks(payments, expiry=expiry)
    return found


def qr_png(url: str) -> bytes:
    """The QR code of ``url`` as a PNG (segno; error correction M, 8 px modules)."""
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="png", scale=8, border=2)
    return out.getvalue()


def read_link(rest: str, context: Context) -> tuple[int | None, str, bool]:
    """(amount or None, note, reusable) from what follows /link."""
    words = rest.split(maxsplit=1)
    reusable = bool(words) and words[0].lower() in _REUSABLE
    if reusable:
        rest = words[1] if len(words) > 1 else ""
    first = rest.split(maxsplit=1)
    if not first or not re.search(r"\d", first[0]):
        return None, rest.strip(), reusable  # no amount: the payer chooses
    amount_text, note = split_amount(rest)
    amount = parse_amount(amount_text or "", ledger_of(context).currency)
    return amount, note.strip(), reusable


def _what(reader: str, context: Context, link: PaymentLink) -> str:
    if link.amount is None:
        return t(reader, "link.any_amount")
    return money(reader, link.amount, ledger_of(context).currency)


async def make_link(update: Update, context: Context) -> None:
    """/link [reusable] [amount] [note]: a link to get paid, and its QR code."""
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    reader = lang(context)
    rest = (message.text or "").split(maxsplit=1)
    try:
        owner = await registered_sender(context, user)
        amount, note, reusable = read_link(rest[1] if len(rest) > 1 else "", context)
        link = await links_of(context.bot_data).create(owner.id, amount, note, reusable=reusable)
    except (Refusal, LedgerError) as error:
        await refuse(update, context, error, then=t(reader, "link.usage"))
        return
    url = start_link(context.bot, PAY_PREFIX + link.id)
    caption = t(
        reader,
        "link.made",
        what=" " + _what(reader, context, link),
        memo=memo(link.memo),
        link=url,
        kind=t(reader, "link.kind.reusable" if link.reusable else "link.kind.single"),
        until=link.expires_at.strftime("%Y-%m-%d %H:%M"),
    )
    markup = InlineKeyboardMarkup(
        [[InlineKeyboardButton(t(reader, "link.button.revoke"), callback_data=REVOKE + link.id)]]
    )
    await message.reply_photo(qr_png(url), caption=caption, reply_markup=markup)


async def list_links(update: Update, context: Context) -> None:
    """/links: your links that can still be paid, each with a Revoke button."""
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    reader = lang(context)
    links = await links_of(context.bot_data).of_owner(user.id)
    if not links:
        await message.reply_text(t(reader, "link.none"))
        return
    lines = [
        t(
            reader,
            "link.line",
            n=n,
            what=_what(reader, context, link),
            memo=memo(link.memo),
            kind=t(reader, "link.kind.reusable" if link.reusable else "link.kind.single"),
            until=link.expires_at.strftime("%Y-%m-%d %H:%M"),
            link=start_link(context.bot, PAY_PREFIX + link.id),
        )
        for n, link in enumerate(links, 1)
    ]
    markup = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t(reader, "link.button.revoke_n", n=n), callback_data=REVOKE + link.id
                )
            ]
            for n, link in enumerate(links, 1)
        ]
    )
    await message.reply_text(t(reader, "link.list", lines="\n".join(lines)), reply_markup=markup)


async def revoke(update: Update, context: Context) -> None:
    """[Revoke]: the link's owner closes it; nobody can pay it any more."""
    query = update.callback_query
    assert query is not None and query.data is not None
    reader = lang(context)
    link_id = query.data[len(REVOKE) :]
    link = await links_of(context.bot_data).get(link_id)
    if link is None or link.owner_id != query.from_user.id:
        await answer(query, t(reader, "link.not_yours"), alert=True)
        return
    await links_of(context.bot_data).revoke(link_id, query.from_user.id)
    await answer(query, t(reader, "link.revoked"))
    if query.message is not None and isinstance(query.message, Message):
        if query.message.photo:
            await query.edit_message_caption(t(reader, "link.revoked"))


# --- paying through a link ------------------------------------------------------------------


def pay_of(payload: str) -> str | None:
    """The link a /start payload opens, if it is a payment link."""
    found = payload[len(PAY_PREFIX) :] if payload.startswith(PAY_PREFIX) else ""
    return found if re.fullmatch(LINK_ID, found) else None


async def open_link(update: Update, context: Context, link_id: str, payer: Person) -> None:
    """/start pay-<id>: the payer gets the card for the link's amount, or is asked one."""
    message = update.effective_message
    assert message is not None
    reader, ledger = lang(context), ledger_of(context)
    try:
        link = await links_of(context.bot_data).open(link_id)
    except LinkClosed as closed:
        await message.reply_text(t(reader, f"link.closed.{closed.why}"))
        return
    if link.amount is None:
        # The answer is a reply to this question (ForceReply makes it one), which names the
        # link: no state is kept between the two, so any worker can take the answer.
        owner = await ledger.directory.get(link.owner_id)
        await message.reply_text(
            t(
                reader,
                "link.ask_amount",
                owner=who(owner, reader),
                memo=memo(link.memo),
                link=start_link(context.bot, PAY_PREFIX + link.id),
            ),
            reply_markup=ForceReply(selective=True),
        )
        return
    await _pay(update, context, link.id, payer, None)


async def _pay(
    update: Update, context: Context, link_id: str, payer: Person, amount: int | None
) -> None:
    message = update.effective_message
    assert message is not None
    reader = lang(context)
    try:
        _, held = await links_of(context.bot_data).pay(
            link_id, payer.id, amount, key=f"link:{link_id}:{message.chat_id}:{message.message_id}"
        )
    except LinkClosed as closed:
        await message.reply_text(t(reader, f"link.closed.{closed.why}"))
        return
    except (Refusal, LedgerError) as error:
        await refuse(update, context, error)
        return
    await cards.show(context, held, reply_to=message)


async def amount_answer(update: Update, context: Context) -> None:
    """The amount a payer gives, in reply to the question, for a link that left it to them."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    replied = message.reply_to_message
    if replied is None or replied.from_user is None or replied.from_user.id != context.bot.id:
        return
    asked = _ASKED.search(replied.text or "")
    if asked is None:
        return
    link_id = asked.group(1)
    reader = lang(context)
    try:
        payer = await registered_sender(context, user)
        amount = parse_amount(message.text or "", ledger_of(context).currency)
    except (Refusal, LedgerError) as error:
        await refuse(update, context, error, then=t(reader, "link.reply_again"))
        return
    await _pay(update, context, link_id, payer, amount)


def register(application: Application) -> None:
    new = filters.UpdateType.MESSAGE
    application.add_handler(CommandHandler("link", make_link, filters=new))
    application.add_handler(CommandHandler("links", list_links, filters=new))
    application.add_handler(CallbackQueryHandler(revoke, pattern="^" + re.escape(REVOKE)))
    # Group 1: after /send's conversation (group 0) had its chance at a private text.
    application.add_handler(
        MessageHandler(
            filters.TEXT & ~filters.COMMAND & filters.ChatType.PRIVATE & new, amount_answer
        ),
        group=1,
    )
