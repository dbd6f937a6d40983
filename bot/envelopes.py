"""Red envelopes: /envelope 10 5 in a group posts 10.00 USD in 5 shares with [Open 🧧].

    /envelope 10 5               random shares          /envelope 10 5 equal party
    each person opens once, the sender can't; what is left at expiry goes back

The shares are drawn when the envelope is made and committed to by the hash shown on it; the
seed appears once it is over, so anyone can check the draw (``ledger.payments.envelopes``).
"""

from __future__ import annotations

import re

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot import buttons
from bot.cheques import cheques_of
from bot.common import (
    BotData,
    Context,
    Refusal,
    answer,
    edit_message,
    explain,
    is_private,
    lang,
    ledger_of,
    refuse,
    start_link,
)
from bot.outbox import deliver, payments_of
from bot.people import language_for, registered_sender
from bot.render import memo, money, who
from bot.texts import t
from ledger import Ledger, parse_amount, split_amount
from ledger.errors import LedgerError
from ledger.payments.cheques import AlreadyOpened, Cheque, NotForYou
from ledger.payments.envelopes import Envelope, EnvelopeEmpty, Envelopes

COMMANDS = [("envelope", "menu.envelope")]
OPEN = buttons.ENVELOPE_OPEN
_EQUAL = {"equal", "égales", "egales", "égal", "egal"}
_RANDOM = {"random", "hasard"}


def envelopes_of(bot_data: BotData) -> Envelopes:
    cheques = cheques_of(bot_data)
    found: Envelopes | None = bot_data.get("envelopes")
    if found is None or found.cheques is not cheques:
        found = bot_data["envelopes"] = Envelopes(cheques)
    return found


def read_envelope(rest: str, ledger: Ledger) -> tuple[int, int, str, str]:
    """(total, shares, mode, note) from "10 5 equal party"."""
    amount_text, after = split_amount(rest)
    total = parse_amount(amount_text or "", ledger.currency)
    words = after.split(maxsplit=1)
    if not words or not re.fullmatch(r"[0-9]{1,3}", words[0]):
        raise Refusal("envelope.usage")
    count = int(words[0])
    after = words[1] if len(words) > 1 else ""
    mode = "random"
    words = after.split(maxsplit=1)
    if words and words[0].lower() in _EQUAL | _RANDOM:
        mode = "equal" if words[0].lower() in _EQUAL else "random"
        after = words[1] if len(words) > 1 else ""
    return total, count, mode, after.strip()


async def envelope_text(ledger: Ledger, envelope: Envelope, reader: str) -> str:
    directory = ledger.directory
    currency = ledger.currency
    sender = await directory.get(envelope.sender_id)
    opened = envelope.opened
    lines = []
    for share in opened:
        person = await directory.get(share.acceptor_id) if share.acceptor_id else None
        lines.append(
            t(
                reader,
                "envelope.line",
                who=who(person, reader),
                amount=money(reader, share.amount, currency),
            )
        )
    text = t(
        reader,
        "envelope.text",
        sender=who(sender, reader),
        total=money(reader, envelope.total, currency),
        count=envelope.count,
        mode=t(reader, f"envelope.mode.{envelope.mode}"),
        memo=memo(envelope.memo),
        opened=len(opened),
        lines="".join("\n" + line for line in lines),
        commitment=envelope.commitment,
    )
    if envelope.over:
        if envelope.returned:
            text += "\n" + t(
                reader,
                "envelope.over.returned",
                returned=money(reader, envelope.returned, currency),
                sender=who(sender, reader),
                seed=envelope.seed,
            )
        else:
            text += "\n" + t(reader, "envelope.over.emptied", seed=envelope.seed)
    return text


def _markup(reader: str, envelope: Envelope) -> InlineKeyboardMarkup | None:
    if envelope.over:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t(reader, "envelope.button.open"), callback_data=OPEN + envelope.id
                )
            ]
        ]
    )


async def redraw(bot: Bot, ledger: Ledger, envelope: Envelope) -> None:
    """The envelope's message as it stands, in its sender's language."""
    if envelope.chat_id is None or envelope.message_id is None:
        return
    reader = language_for(await ledger.directory.get(envelope.sender_id))
    text = await envelope_text(ledger, envelope, reader)
    markup = _markup(reader, envelope)
    await edit_message(bot, envelope.chat_id, envelope.message_id, text, markup)


async def make(update: Update, context: Context) -> None:
    """/envelope <amount> <shares> [equal] [note], in a group."""
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    reader, ledger = lang(context), ledger_of(context)
    if is_private(update):
        await message.reply_text(t(reader, "envelope.groups_only"))
        return
    rest = (message.text or "").split(maxsplit=1)
    try:
        sender = await registered_sender(context, user)
        total, count, mode, note = read_envelope(rest[1] if len(rest) > 1 else "", ledger)
        envelope = await envelopes_of(context.bot_data).create(
            sender.id, total, count, mode, note, key=f"{message.chat_id}:{message.message_id}"
        )
    except (Refusal, LedgerError) as error:
        await refuse(update, context, error, then=t(reader, "envelope.usage"))
        return
    if envelope.chat_id is not None:
        return  # a redelivered command: the envelope is on screen already
    text = await envelope_text(ledger, envelope, reader)
    sent = await message.reply_text(text, reply_markup=_markup(reader, envelope))
    await envelopes_of(context.bot_data).shown(envelope.id, sent.chat_id, sent.message_id)


async def open_share(update: Update, context: Context) -> None:
    """[Open 🧧]: the presser gets the next share, once; the envelope shows who got what."""
    query = update.callback_query
    assert query is not None and query.data is not None
    reader, ledger = lang(context), ledger_of(context)
    envelopes = envelopes_of(context.bot_data)
    envelope_id = query.data[len(OPEN) :]
    person = await ledger.directory.get(query.from_user.id)
    if person is None or not person.registered:
        try:
            await query.answer(t(reader, "envelope.answer.start"), url=start_link(context.bot))
        except Exception:  # a client that cannot open it: the text says what to do
            await answer(query, t(reader, "envelope.answer.start"), alert=True)
        return
    try:
        opened = await envelopes.open(envelope_id, person.id)
    except (NotForYou, AlreadyOpened, EnvelopeEmpty, LedgerError) as error:
        key = {
            NotForYou: "envelope.answer.own",
            EnvelopeEmpty: "envelope.answer.empty",
        }.get(type(error))
        text = t(reader, key) if key else explain(reader, error, ledger.currency)
        await answer(query, text, alert=True)
        current = await envelopes.get(envelope_id)
        if current is not None and current.over:
            await redraw(context.bot, ledger, current)
        return
    amount = money(reader, opened.share.amount, ledger.currency)
    await answer(
        query,
        t(reader, "envelope.answer.got" if opened.done else "envelope.answer.had", amount=amount),
    )
    await redraw(context.bot, ledger, opened.envelope)
    await deliver(context.bot, payments_of(context.bot_data), opened.messages)


# --- what the outbox tells people (called by bot.cheques for a share's rows) -------------------


async def share_paid(ledger: Ledger, share: Cheque, kind: str, reader: str, ref: str) -> str:
    """A share's payout: the opener is told, the sender is not (the envelope shows it)."""
    if kind != "cheque_received":
        return ""
    sender = await ledger.directory.get(share.sender_id)
    return t(
        reader,
        "envelope.told.opener",
        amount=money(reader, share.amount, ledger.currency),
        sender=who(sender, reader),
        memo=memo(share.memo),
        ref=ref,
    )


async def share_expired(bot: Bot, ledger: Ledger, share: Cheque, reader: str) -> str:
    """A share's hold expired: once per envelope (its first expired share's row), the
    envelope is redrawn with the seed and the sender told what came back."""
    assert share.envelope_id is not None
    envelope = await envelopes_for_ledger(ledger).get(share.envelope_id)
    if envelope is None:
        return ""
    expired = [s for s in envelope.shares if s.state == "expired"]
    if not expired or expired[0].id != share.id:
        return ""
    await redraw(bot, ledger, envelope)
    return t(
        reader,
        "envelope.told.returned",
        memo=memo(envelope.memo),
        amount=money(reader, sum(s.amount for s in expired), ledger.currency),
    )


def envelopes_for_ledger(ledger: Ledger) -> Envelopes:
    """Envelopes to read with, where only the ledger is at hand (the outbox, a freeze)."""
    from ledger.payments import Payments
    from ledger.payments.cheques import Cheques

    return Envelopes(Cheques(Payments(ledger)))


def register(application: Application) -> None:
    new = filters.UpdateType.MESSAGE
    application.add_handler(CommandHandler("envelope", make, filters=new))
    application.add_handler(CallbackQueryHandler(open_share, pattern="^" + re.escape(OPEN)))
