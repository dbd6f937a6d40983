"""Inline cheques: paying inside any chat, and escrow for people who never started the bot.

    @xmoney_bot 12.50 @bob lunch     (in any chat)  -> a result "Send 12.50 USD to @bob"
    choosing it posts the cheque     -> chosen_inline_result: the money is held
    [Accept] [Cancel]                -> presses arrive with inline_message_id, no message
    t.me/<bot>?start=claim-<id>      -> someone who never started the bot claims it on /start
    /send @dave 5 (dave never came)  -> [Send as a cheque]: held in escrow, a claim link to share

The money is the payments service's (``ledger.payments.cheques``). If Telegram never reports
the chosen result (inline feedback off in @BotFather, or the report lost), nothing is held: a
press on that cheque closes it for good (a late report then holds nothing) and edits it to
say it was never held. No press can pay money that was not held.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re
from datetime import timedelta

from telegram import (
    Bot,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InlineQueryResultsButton,
    InputTextMessageContent,
    SwitchInlineQueryChosenChat,
    Update,
)
from telegram.error import BadRequest, Forbidden
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChosenInlineResultHandler,
    InlineQueryHandler,
)

from bot import buttons
from bot.common import (
    BotData,
    Context,
    answer,
    explain,
    lang,
    ledger_of,
    send_private,
    settings_of,
    start_link,
)
from bot.outbox import deliver, payments_of
from bot.people import language_for
from bot.render import memo, money, plain, who
from bot.texts import Html, t
from ledger import Ledger, Person, parse_amount, split_amount
from ledger.errors import AlreadyResolved, LedgerError, NotYours, SameAccount
from ledger.outbox import OutboxMessage
from ledger.payments.cheques import (
    CHEQUE_ID,
    Cheque,
    Cheques,
    ChequeTaken,
    ChequeUnheld,
    NotForYou,
    new_cheque_id,
)
from ledger.payments.service import check_note
from ledger.types import Transfer

log = logging.getLogger(__name__)

ACCEPT, CANCEL, ESCROW = buttons.CHEQUE_ACCEPT, buttons.CHEQUE_CANCEL, buttons.CHEQUE_ESCROW
CLAIM_PREFIX = "claim-"
QUERY_MAX = 256  # Telegram's limit on an inline query's text
_USERNAME = re.compile(r"@([A-Za-z][A-Za-z0-9_]{0,31})")  # as bot.people reads them
_CLAIM_QUERY = re.compile(rf"{CLAIM_PREFIX}({CHEQUE_ID})")


def cheques_of(bot_data: BotData) -> Cheques:
    """The cheque workflows over the application's payments service (made on first use)."""
    payments = payments_of(bot_data)
    found: Cheques | None = bot_data.get("cheques")
    if found is None or found.payments is not payments:
        expiry = timedelta(seconds=bot_data["settings"].cheque_expiry_seconds)
        found = bot_data["cheques"] = Cheques(payments, expiry=expiry)
    return found


# --- reading a query ---------------------------------------------------------------------


def read_query(text: str, ledger: Ledger) -> tuple[int, str | None, str]:
    """(amount, @username or None, note) from "12.50 @bob lunch", "@bob 12.50", "12.50
    lunch"; the ledger's typed error (or ValueError for a bad @name) otherwise. Any text up to
    256 characters is read without raising anything else."""
    text = text.replace("\x00", " ")[:QUERY_MAX].strip()
    username: str | None = None
    first = text.split(maxsplit=1)
    if first and first[0].startswith("@"):
        username, text = first[0], first[1] if len(first) > 1 else ""
    amount_text, rest = split_amount(text)
    rest = rest.strip()
    if username is None and rest.startswith("@"):
        word, _, rest = rest.partition(" ")
        username, rest = word, rest.strip()
    if username is not None and not _USERNAME.fullmatch(username):
        raise ValueError(username)
    amount = parse_amount(amount_text or "", ledger.currency)
    check_note(rest)
    return amount, (username[1:].lower() if username else None), rest


def _hours(context: Context) -> str:
    """How long a cheque waits, as people read it: "24 h", "90 min" (the same in French)."""
    seconds = settings_of(context).cheque_expiry_seconds
    return f"{seconds // 3600} h" if seconds % 3600 == 0 else f"{max(1, seconds // 60)} min"


# --- how a cheque looks ------------------------------------------------------------------


def cheque_buttons(
    reader: str, cheque_id: str, claim_url: str | None = None
) -> InlineKeyboardMarkup:
    rows = [
        [
            InlineKeyboardButton(
                t(reader, "cheque.button.accept"), callback_data=ACCEPT + cheque_id
            ),
            InlineKeyboardButton(
                t(reader, "cheque.button.cancel"), callback_data=CANCEL + cheque_id
            ),
        ]
    ]
    if claim_url:
        rows.append([InlineKeyboardButton(t(reader, "cheque.button.claim"), url=claim_url)])
    return InlineKeyboardMarkup(rows)


async def cheque_text(ledger: Ledger, cheque: Cheque, reader: str, hours: str) -> str:
    """The cheque's message in its current state."""
    directory = ledger.directory
    sender = await directory.get(cheque.sender_id)
    values = {
        "sender": who(sender, reader),
        "amount": money(reader, cheque.amount, ledger.currency),
        "memo": memo(cheque.memo),
    }
    state = cheque.state
    if state == "open":
        if cheque.to_username:
            return t(
                reader, "cheque.open.named", username=cheque.to_username, hours=hours, **values
            )
        return t(reader, "cheque.open.any", hours=hours, **values)
    if state == "paid":
        acceptor = await directory.get(cheque.acceptor_id) if cheque.acceptor_id else None
        return t(
            reader, "cheque.paid", acceptor=who(acceptor, reader), ref=cheque.payout_ref, **values
        )
    if state in ("cancelled", "expired"):
        return t(reader, f"cheque.{state}", **values)
    return t(reader, "cheque.void")


async def _edit(
    bot: Bot, inline_message_id: str | None, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    """Edit a cheque through its inline_message_id (the bot is not in that chat)."""
    if not inline_message_id:
        return
    try:
        await bot.edit_message_text(text, inline_message_id=inline_message_id, reply_markup=markup)
    except BadRequest as error:
        if "not modified" not in error.message.lower():
            log.warning("cheque message %s not edited: %s", inline_message_id, error.message)
    except Forbidden as error:
        log.warning("cheque message %s not edited: %s", inline_message_id, error.message)


async def redraw(context: Context, cheque: Cheque) -> None:
    """Put the cheque's state on its message, in its sender's language."""
    ledger = ledger_of(context)
    reader = language_for(await ledger.directory.get(cheque.sender_id))
    text = await cheque_text(ledger, cheque, reader, _hours(context))
    markup = cheque_buttons(reader, cheque.id) if cheque.state == "open" else None
    await _edit(context.bot, cheque.inline_message_id, text, markup)


# --- inline mode -------------------------------------------------------------------------


async def inline_query(update: Update, context: Context) -> None:
    """Answers what someone types after @bot with one personal result: the cheque, or why not."""
    query = update.inline_query
    assert query is not None
    reader, ledger = lang(context), ledger_of(context)
    text = query.query or ""
    claim = _CLAIM_QUERY.fullmatch(text.strip())
    if claim:
        await _share_result(update, context, claim.group(1))
        return
    button = None
    person = await ledger.directory.get(query.from_user.id)
    try:
        if not text.strip():
            results = [
                _article(
                    "help", t(reader, "inline.help.title"), t(reader, "inline.help.description")
                )
            ]
            await query.answer(results, cache_time=0, is_personal=True)
            return
        amount, username, note = read_query(text, ledger)
        if person is None or not person.registered:
            button = InlineQueryResultsButton(
                t(reader, "inline.start_button"), start_parameter="inline"
            )
            raise _Explained(t(reader, "inline.start_first"))
        if username is not None and username == (person.username or "").lower():
            raise SameAccount()
        await cheques_of(context.bot_data).check(person.id, amount)
    except (LedgerError, ValueError, _Explained) as error:
        if isinstance(error, _Explained):
            why = str(error)
        elif isinstance(error, LedgerError):
            why = plain(explain(reader, error, ledger.currency))
        else:
            why = plain(t(reader, "people.bad_username", text=str(error)))
        result = _article("refused", t(reader, "inline.refused.title"), why)
        await query.answer([result], cache_time=0, is_personal=True, button=button)
        return
    cheque_id = new_cheque_id()
    shown = money(reader, amount, ledger.currency)
    title = (
        t(reader, "inline.offer.named", amount=shown, username=username)
        if username
        else t(reader, "inline.offer.open", amount=shown)
    )
    body = t(reader, "cheque.preparing", sender=who(person, reader), amount=shown, memo=memo(note))
    result = InlineQueryResultArticle(
        id=cheque_id,
        title=plain(title + (" — " + note if note else "")),
        description=plain(t(reader, "inline.offer.description", hours=_hours(context))),
        input_message_content=InputTextMessageContent(body),
        reply_markup=cheque_buttons(reader, cheque_id),
    )
    await query.answer([result], cache_time=0, is_personal=True)


class _Explained(Exception):
    """A refusal already put into words."""


def _article(result_id: str, title: str, description: str) -> InlineQueryResultArticle:
    """A result that is no cheque. Its description (seen only by whoever typed: results are
    personal) may tell a figure; what choosing it posts in the chat is only its title."""
    return InlineQueryResultArticle(
        id=result_id,
        title=plain(title),
        description=plain(description),
        input_message_content=InputTextMessageContent(plain(title)),
    )


async def chosen(update: Update, context: Context) -> None:
    """Telegram reports the result someone chose: the cheque is in the chat; hold its money."""
    result = update.chosen_inline_result
    assert result is not None
    if not re.fullmatch(CHEQUE_ID, result.result_id):
        return  # the help or a refusal: nothing to hold
    ledger, cheques = ledger_of(context), cheques_of(context.bot_data)
    reader = lang(context)
    try:
        amount, username, note = read_query(result.query, ledger)
        done = await cheques.write(
            result.result_id,
            result.from_user.id,
            amount,
            note,
            to_username=username,
            inline_message_id=result.inline_message_id,
        )
    except (LedgerError, ValueError) as error:
        # The chat hears only that nothing was held; the reason (it may tell a balance or a
        # limit) goes to the sender privately.
        await cheques.close_unheld(result.result_id, result.from_user.id)
        await _edit(context.bot, result.inline_message_id, t(reader, "cheque.refused"))
        if isinstance(error, LedgerError):
            why = explain(reader, error, ledger.currency)
            await send_private(
                context.bot, result.from_user.id, t(reader, "cheque.refused_why", reason=Html(why))
            )
        return
    await redraw(context, done.cheque)


async def _share_result(update: Update, context: Context, cheque_id: str) -> None:
    """The sender shares an escrow cheque's claim link into a chat of their choice."""
    query = update.inline_query
    assert query is not None
    reader, ledger = lang(context), ledger_of(context)
    cheque = await cheques_of(context.bot_data).get(cheque_id)
    if cheque is None or cheque.sender_id != query.from_user.id or cheque.state != "open":
        await query.answer([], cache_time=0, is_personal=True)
        return
    link = start_link(context.bot, CLAIM_PREFIX + cheque.id)
    sender = await ledger.directory.get(cheque.sender_id)
    amount = money(reader, cheque.amount, ledger.currency)
    text = t(
        reader,
        "escrow.share.text",
        sender=who(sender, reader),
        amount=amount,
        memo=memo(cheque.memo),
        link=link,
    )
    result = InlineQueryResultArticle(
        id="share-" + cheque.id,
        title=plain(
            t(reader, "escrow.share.title", amount=amount, username=cheque.to_username or "")
        ),
        input_message_content=InputTextMessageContent(text),
        reply_markup=InlineKeyboardMarkup(
            [[InlineKeyboardButton(t(reader, "cheque.button.claim"), url=link)]]
        ),
    )
    await query.answer([result], cache_time=0, is_personal=True)


# --- presses -----------------------------------------------------------------------------


async def accept(update: Update, context: Context) -> None:
    """Accept on a cheque: it pays the presser (named: only that person; open: the first who
    is not the sender). Someone who never started the bot is sent to claim it there."""
    query = update.callback_query
    assert query is not None and query.data is not None
    cheque_id = query.data[len(ACCEPT) :]
    reader, ledger = lang(context), ledger_of(context)
    cheques = cheques_of(context.bot_data)
    user = query.from_user
    cheque = await cheques.get(cheque_id)
    if cheque is None or (cheque.hold_id is None and cheque.state == "void"):
        await _unheld(context, query, cheque_id)
        return
    person = await ledger.directory.get(user.id)
    if (
        cheque.state == "open"
        and cheque.may_accept(user.id, user.username)
        and (person is None or not person.registered)
    ):
        link = start_link(context.bot, CLAIM_PREFIX + cheque.id)
        try:
            await query.answer(plain(t(reader, "cheque.answer.claim")), url=link)
        except BadRequest:  # a client that cannot open it: the button below does
            await answer(query, t(reader, "cheque.answer.claim"))
        sender_reader = language_for(await ledger.directory.get(cheque.sender_id))
        text = await cheque_text(ledger, cheque, sender_reader, _hours(context))
        await _edit(
            context.bot,
            query.inline_message_id,
            text,
            cheque_buttons(sender_reader, cheque.id, link),
        )
        return
    try:
        outcome = await cheques.accept(cheque_id, user.id, user.username)
    except LedgerError as error:
        await _press_refused(context, query, cheque_id, error)
        return
    amount = money(reader, outcome.cheque.amount, ledger.currency)
    key = "cheque.answer.accepted" if outcome.done else "cheque.answer.yours_already"
    await answer(query, t(reader, key, amount=amount))
    await redraw(context, outcome.cheque)
    await deliver(context.bot, payments_of(context.bot_data), outcome.messages)


async def cancel(update: Update, context: Context) -> None:
    """Cancel on a cheque: its sender takes the money back, before anyone accepted it."""
    query = update.callback_query
    assert query is not None and query.data is not None
    cheque_id = query.data[len(CANCEL) :]
    reader = lang(context)
    cheques = cheques_of(context.bot_data)
    cheque = await cheques.get(cheque_id)
    if cheque is None or (cheque.hold_id is None and cheque.state == "void"):
        await _unheld(context, query, cheque_id)
        return
    try:
        outcome = await cheques.cancel(cheque_id, query.from_user.id)
    except LedgerError as error:
        await _press_refused(context, query, cheque_id, error)
        return
    if outcome.cheque.state == "cancelled":
        await answer(query, t(reader, "cheque.answer.cancelled"))
    else:
        await answer(query, t(reader, "cheque.answer.ended"))
    if query.message is not None:  # an escrow cheque's message, in the sender's chat
        await _show_escrow(context, query, outcome.cheque, reader)
    await redraw(context, outcome.cheque)


async def _unheld(context: Context, query, cheque_id: str) -> None:  # type: ignore[no-untyped-def]
    """A press on a cheque whose hold was never reported: closed for good, and said so."""
    cheque = await cheques_of(context.bot_data).close_unheld(cheque_id)
    if cheque.hold_id is not None:  # the report won the race: press again
        await answer(query, t(lang(context), "cheque.answer.ended"))
        await redraw(context, cheque)
        return
    await answer(query, t(lang(context), "cheque.answer.unheld"), alert=True)
    await _edit(context.bot, query.inline_message_id, t(lang(context), "cheque.void"))


async def _press_refused(context: Context, query, cheque_id: str, error: LedgerError) -> None:  # type: ignore[no-untyped-def]
    reader, ledger = lang(context), ledger_of(context)
    cheque = await cheques_of(context.bot_data).get(cheque_id)
    if isinstance(error, ChequeTaken):
        text = t(reader, "cheque.answer.taken")
    elif isinstance(error, NotForYou):
        username = cheque.to_username if cheque else ""
        key = "cheque.answer.own" if error.own else "cheque.answer.not_for_you"
        text = t(reader, key, username=username)
    elif isinstance(error, NotYours):
        text = t(reader, "cheque.answer.not_sender")
    elif isinstance(error, (AlreadyResolved, ChequeUnheld)):
        text = t(reader, "cheque.answer.ended")
    else:
        text = explain(reader, error, ledger.currency)
    await answer(query, text, alert=True)
    if cheque is not None and cheque.state != "open":
        await redraw(context, cheque)


# --- escrow: /send to someone who never started the bot ----------------------------------


async def offer_escrow(
    update: Update,
    context: Context,
    sender: Person,
    username: str,
    amount: int,
    note: str,
    refusal: str = "",
) -> None:
    """Offer to send ``amount`` to @username as a cheque held in escrow, after ``refusal``
    (why it can't be paid now, with the invitation link). Nothing is held
    until the sender presses [Send as a cheque]; the checks are made now, so a payment that
    could not be held is refused at once."""
    message = update.effective_message
    assert message is not None
    reader, ledger = lang(context), ledger_of(context)
    cheques = cheques_of(context.bot_data)
    username = username.lower()
    await cheques.check(sender.id, amount)
    offered = await cheques.write(
        _escrow_id(message.chat_id, message.message_id),
        sender.id,
        amount,
        note,
        source="escrow",
        to_username=username,
        hold_now=False,
    )
    text = (refusal + "\n\n" if refusal else "") + t(
        reader,
        "escrow.offer",
        username=username,
        amount=money(reader, amount, ledger.currency),
        memo=memo(note),
        hours=_hours(context),
    )
    markup = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t(reader, "escrow.button.send"), callback_data=ESCROW + offered.cheque.id
                )
            ]
        ]
    )
    await message.reply_text(text, reply_markup=markup)


def _escrow_id(chat_id: int, message_id: int) -> str:
    """The escrow cheque of one /send message: a redelivered /send offers the same one."""
    digest = hashlib.sha256(f"escrow:{chat_id}:{message_id}".encode()).digest()
    return base64.urlsafe_b64encode(digest[:12]).decode()


async def escrow(update: Update, context: Context) -> None:
    """[Send as a cheque]: the money is held in escrow and the sender gets the claim link and
    a button to share it into any chat."""
    query = update.callback_query
    assert query is not None and query.data is not None
    cheque_id = query.data[len(ESCROW) :]
    reader, ledger = lang(context), ledger_of(context)
    cheques = cheques_of(context.bot_data)
    offered = await cheques.get(cheque_id)
    if offered is None or offered.sender_id != query.from_user.id or offered.source != "escrow":
        await answer(query, t(reader, "common.stale_button"))
        return
    try:
        held = await cheques.write(
            cheque_id, offered.sender_id, offered.amount, offered.memo, source="escrow"
        )
    except LedgerError as error:
        await answer(query, explain(reader, error, ledger.currency), alert=True)
        return
    await answer(query)
    await _show_escrow(context, query, held.cheque, reader)


async def _show_escrow(context: Context, query: CallbackQuery, cheque: Cheque, reader: str) -> None:
    """The sender's escrow message: the claim link while it is open, its end after."""
    ledger = ledger_of(context)
    if cheque.state != "open":
        text = await cheque_text(ledger, cheque, reader, _hours(context))
        await query.edit_message_text(text)
        return
    link = start_link(context.bot, CLAIM_PREFIX + cheque.id)
    text = t(
        reader,
        "escrow.held",
        username=cheque.to_username or "",
        amount=money(reader, cheque.amount, ledger.currency),
        memo=memo(cheque.memo),
        link=link,
        hours=_hours(context),
    )
    share = SwitchInlineQueryChosenChat(
        query=CLAIM_PREFIX + cheque.id,
        allow_user_chats=True,
        allow_group_chats=True,
        allow_bot_chats=False,
        allow_channel_chats=False,
    )
    markup = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t(reader, "escrow.button.share"), switch_inline_query_chosen_chat=share
                )
            ],
            [
                InlineKeyboardButton(
                    t(reader, "cheque.button.cancel"), callback_data=CANCEL + cheque.id
                )
            ],
        ]
    )
    await query.edit_message_text(text, reply_markup=markup)


# --- claims on /start ----------------------------------------------------------------------


def claim_of(payload: str) -> str | None:
    """The cheque a /start payload claims, if it is a claim link."""
    if payload.startswith(CLAIM_PREFIX) and re.fullmatch(CHEQUE_ID, payload[len(CLAIM_PREFIX) :]):
        return payload[len(CLAIM_PREFIX) :]
    return None


async def claim(update: Update, context: Context, cheque_id: str, person: Person) -> None:
    """/start claim-<id>, after registration: the cheque pays its new user (what they are
    told comes from the outbox, as for a press)."""
    message = update.effective_message
    assert message is not None
    reader, ledger = lang(context), ledger_of(context)
    cheques = cheques_of(context.bot_data)
    try:
        outcome = await cheques.accept(cheque_id, person.id, person.username)
    except LedgerError as error:
        cheque = await cheques.get(cheque_id)
        if isinstance(error, ChequeUnheld) and cheque is None:
            await message.reply_text(t(reader, "cheque.claim.unknown"))
        elif isinstance(error, NotForYou):
            await message.reply_text(t(reader, "refusal.cheque_not_for_you"))
        elif isinstance(error, AlreadyResolved):
            await message.reply_text(t(reader, "cheque.answer.ended"))
        else:
            await message.reply_text(explain(reader, error, ledger.currency))
        return
    if not outcome.done:
        await message.reply_text(t(reader, "cheque.answer.yours_already"))
    await redraw(context, outcome.cheque)
    await deliver(context.bot, payments_of(context.bot_data), outcome.messages)


# --- what the outbox tells people ----------------------------------------------------------


async def tell(ledger: Ledger, message: OutboxMessage, reader: str) -> str | None:
    """The text of a cheque's outbox row (``cheque_paid`` to its sender, ``cheque_received``
    to whoever accepted it; "" when nothing is to be sent), or None when it is not a
    cheque's."""
    if not message.kind.startswith("cheque_") or message.detail is None:
        return None
    payout = await ledger.transfer_by_id(message.detail)
    share = await Cheques.of_transfer(ledger, payout.id)
    if share is not None and share.envelope_id is not None:
        from bot.envelopes import share_paid  # a red envelope's share: its own texts

        return await share_paid(ledger, share, message.kind, reader, payout.ref)
    directory = ledger.directory
    sender = await directory.get(payout.debit_owner) if payout.debit_owner else None
    acceptor = await directory.get(payout.credit_owner) if payout.credit_owner else None
    mine = payout.debit_account_id if message.kind == "cheque_paid" else payout.credit_account_id
    values = {
        "amount": money(reader, payout.amount, ledger.currency),
        "memo": memo(payout.memo),
        "ref": payout.ref,
    }
    if message.kind == "cheque_paid":
        text = t(reader, "cheque.told.sender", acceptor=who(acceptor, reader), **values)
    else:
        text = t(reader, "cheque.told.acceptor", sender=who(sender, reader), **values)
    available = (await ledger.account(mine)).available
    return (
        text
        + "\n\n"
        + t(reader, "card.your_balance", available=money(reader, available, ledger.currency))
    )


async def expired(bot: Bot, ledger: Ledger, transfer: Transfer, reader: str) -> str | None:
    """A hold that expired, if it was a cheque's: its message edited, and the text owed to
    its sender (None when it was no cheque's)."""
    cheque = await Cheques.of_transfer(ledger, transfer.id)
    if cheque is None:
        return None
    if cheque.envelope_id is not None:
        from bot.envelopes import share_expired  # once per envelope, not per share

        return await share_expired(bot, ledger, cheque, reader)
    await _edit(bot, cheque.inline_message_id, await cheque_text(ledger, cheque, reader, ""))
    return t(
        reader,
        "cheque.told.expired",
        amount=money(reader, cheque.amount, ledger.currency),
        memo=memo(cheque.memo),
    )


async def released(bot: Bot, ledger: Ledger, transfer: Transfer) -> None:
    """A freeze released this hold: if it was a cheque's, its message says it ended (not
    why: nobody but the person and the admins learns of a freeze)."""
    cheque = await Cheques.of_transfer(ledger, transfer.id)
    if cheque is None:
        return
    if cheque.envelope_id is not None:
        from bot.envelopes import envelopes_for_ledger
        from bot.envelopes import redraw as redraw_envelope

        envelope = await envelopes_for_ledger(ledger).get(cheque.envelope_id)
        if envelope is not None:
            await redraw_envelope(bot, ledger, envelope)
        return
    reader = language_for(await ledger.directory.get(cheque.sender_id))
    await _edit(bot, cheque.inline_message_id, await cheque_text(ledger, cheque, reader, ""))


# --- what admins see (/tx, /user) ----------------------------------------------------------


async def admin_transfer_lines(ledger: Ledger, transfer: Transfer, reader: str) -> list[str]:
    """/tx of a cheque's hold or payout: which cheque (or envelope share), and its state."""
    cheque = await Cheques.of_transfer(ledger, transfer.id)
    if cheque is None:
        return []
    role = "hold" if cheque.hold_id == transfer.id else "payout"
    other = cheque.payout_ref if role == "hold" else cheque.hold_ref
    return [
        t(
            reader,
            "admin.cheque.tx",
            what=_admin_what(reader, cheque),
            role=t(reader, f"admin.cheque.role.{role}"),
            state=t(reader, f"admin.cheque.state.{cheque.state}"),
            other=other or "—",
        )
    ]


async def admin_user_lines(ledger: Ledger, user_id: int, reader: str) -> list[str]:
    """/user: the person's latest cheques and envelope shares, sent or accepted."""
    cheques = await Cheques.of_user(ledger, user_id)
    if not cheques:
        return []
    lines = [t(reader, "admin.cheque.user_head", count=len(cheques))]
    for cheque in cheques:
        sent = cheque.sender_id == user_id
        lines.append(
            t(
                reader,
                "admin.cheque.user_line",
                what=_admin_what(reader, cheque),
                direction=t(reader, "admin.cheque.sent" if sent else "admin.cheque.accepted"),
                amount=money(reader, cheque.amount, ledger.currency),
                state=t(reader, f"admin.cheque.state.{cheque.state}"),
                ref=cheque.payout_ref or cheque.hold_ref or "—",
            )
        )
    return lines


def _admin_what(reader: str, cheque: Cheque) -> str:
    if cheque.envelope_id is not None:
        return t(
            reader,
            "admin.cheque.share",
            envelope=cheque.envelope_id,
            n=(cheque.share_index or 0) + 1,
        )
    return t(reader, f"admin.cheque.{cheque.source}", id=cheque.id)


def register(application: Application) -> None:
    application.add_handler(InlineQueryHandler(inline_query))
    application.add_handler(ChosenInlineResultHandler(chosen))
    application.add_handler(CallbackQueryHandler(accept, pattern="^" + re.escape(ACCEPT)))
    application.add_handler(CallbackQueryHandler(cancel, pattern="^" + re.escape(CANCEL)))
    application.add_handler(CallbackQueryHandler(escrow, pattern="^" + re.escape(ESCROW)))
