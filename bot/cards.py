"""The confirmation card: the hold behind it, Confirm and Cancel, and expiry: one timer for
all cards, set for the earliest hold due (see ``expect_expiry``), plus a periodic sweeper,
because the timer dies with the process.

Each handler parses the press, calls the payments service (``ledger.payments``), renders its
outcome and delivers the messages the movement wrote to the outbox (``bot.outbox``). Button
data (``bot.buttons``) is never trusted: the service reloads the transfer and checks the
presser is its sender; the card shown is the one the ledger remembers.
"""

from __future__ import annotations

import logging
import math
import re
from collections import OrderedDict, deque
from collections.abc import Callable
from datetime import datetime
from typing import Final

from telegram import CallbackQuery, Message, Update
from telegram.error import TelegramError
from telegram.ext import CallbackQueryHandler, Job

from bot import buttons, metrics
from bot.common import (
    BotApplication,
    Context,
    Markup,
    answer,
    call_api,
    edit_message,
    explain,
    keyboard,
    lang,
    ledger_of,
    note_money_moved,
    now,
    reply,
)
from bot.outbox import deliver, payments_of
from bot.people import check_recipient
from bot.render import local_time, memo, minutes, money, who
from bot.texts import t
from ledger import Card, Currency, Ledger, Person, Transfer
from ledger.errors import (
    AlreadyResolved,
    DatabaseUnavailable,
    LedgerError,
    NotYours,
    OutcomeUnknown,
    RequestClosed,
    TransferNotFound,
)
from ledger.nudges import nudges_for
from ledger.payments import Confirmed, Held

log = logging.getLogger(__name__)

CONFIRM, CANCEL = buttons.CARD_CONFIRM, buttons.CARD_CANCEL
_REF = re.compile(r"[0-9A-Z]{4,16}")
# The expiry timer fires a little after a hold's expiry so the ledger agrees it is due, and
# at most once a second: holds falling due within the same second are expired together.
_JOB_SLACK_S = 1
EXPIRY_TIMER = "expiry"
_DUE: Final = "expiry_due"  # bot_data: the whole seconds at which shown holds fall due, ascending
_TIMER: Final = "expiry_timer"  # bot_data: (the second it is set for, its job), while it is set
_RETRY_S = 5  # after a sweep that failed (the database was unreachable)
_ABANDONED: Final = "presses_abandoned"  # bot_data: ref -> key of a Confirm whose answer was lost
_ABANDONED_KEPT = 1_000


def pressed_ref(data: str | None, prefix: str) -> str | None:
    """The transfer reference in a button's data, or None when the data is malformed."""
    if not data or not data.startswith(prefix):
        return None
    ref = data[len(prefix) :]
    return ref if _REF.fullmatch(ref) else None


# --- before money moves ------------------------------------------------------------------


async def hold(
    context: Context,
    sender: Person,
    recipient: Person,
    amount: int,
    note: str,
    *,
    key: str,
    request_id: int | None = None,
) -> Held:
    """Refuse a recipient the chat knows is wrong (a bot, someone who never started the
    bot), then reserve the money (the service refuses the rest, with a typed error)."""
    check_recipient(context, sender.id, recipient)
    return await payments_of(context.bot_data).hold(
        sender.id, recipient.id, amount, note, key=key, request_id=request_id
    )


# --- the card ----------------------------------------------------------------------------


async def _people(ledger: Ledger, transfer: Transfer) -> tuple[Person | None, Person | None]:
    directory = ledger.directory
    sender = await directory.get(transfer.debit_owner) if transfer.debit_owner else None
    recipient = await directory.get(transfer.credit_owner) if transfer.credit_owner else None
    return sender, recipient


async def card_text(
    ledger: Ledger, transfer: Transfer, reader: str, state: str, *, chat_id: int | None = None
) -> str:
    """The card for ``transfer`` in one of its states: pending, posted, voided, expired. In
    a private chat (``chat_id`` positive, or none given) it speaks to its reader, who is the
    payer; in a group (a negative chat id) it says who pays whom."""
    sender, recipient = await _people(ledger, transfer)
    group = chat_id is not None and chat_id < 0
    settled = transfer.resolved_at or transfer.created_at
    return t(
        reader,
        f"card.{state}" + (".group" if group else ""),
        amount=money(reader, transfer.amount, ledger.currency),
        sender=who(sender, reader),
        recipient=who(recipient, reader),
        memo=memo(transfer.memo),
        ref=transfer.ref,
        when=local_time(reader, settled, sender.time_zone if sender else None),
        minutes=minutes(int((transfer.expires_at - transfer.created_at).total_seconds()))
        if transfer.expires_at
        else 0,
    )


def balance_line(reader: str, currency: Currency, available: int, reserved: int) -> str:
    """ "Your balance", with what is reserved by cards still open when there is some: the
    balance never hides money on hold."""
    shown = money(reader, available, currency)
    if not reserved:
        return t(reader, "card.your_balance", available=shown)
    held = money(reader, reserved, currency)
    return t(reader, "card.your_balance_reserved", available=shown, reserved=held)


async def _nudges(ledger: Ledger, hold: Transfer, reader: str) -> str:
    """Warnings under a card in the payer's private chat: who exactly they are paying the
    first time (full name next to the handle), and a payment that repeats one just made."""
    found = await nudges_for(ledger, hold)
    lines = []
    if found.first_payment:
        _, recipient = await _people(ledger, hold)
        name = recipient.name if recipient is not None else ""
        lines.append(t(reader, "card.first_payment", recipient=who(recipient, reader), name=name))
    if found.just_sent:
        lines.append(t(reader, "card.just_sent"))
    return "".join("\n" + line for line in lines)


def card_buttons(reader: str, ref: str) -> Markup:
    return keyboard(
        [
            (t(reader, "card.confirm_button"), CONFIRM + ref),
            (t(reader, "card.cancel_button"), CANCEL + ref),
        ]
    )


async def show(
    context: Context,
    held: Held,
    *,
    reply_to: Message | None = None,
    edit: Message | None = None,
    request_id: int | None = None,
) -> None:
    """Put the card for a new hold on screen (a reply, or ``edit`` replaced in place), unless
    it is there already or going there now; remember where it is, and schedule its expiry.
    If it cannot be shown, the hold is released."""
    transfer = held.transfer
    showing = _showing(context)
    if not held.show_card or transfer.ref in showing:
        return  # a redelivered update: one card for one hold
    showing.add(transfer.ref)  # before the first await: a redelivery now sees it
    try:
        await _show(context, transfer, reply_to, edit, request_id)
    finally:
        showing.discard(transfer.ref)


def _showing(context: Context) -> set[str]:
    """bot_data: refs of holds whose card this process is putting on screen right now."""
    return context.bot_data.setdefault("cards_showing", set())


async def _show(
    context: Context,
    transfer: Transfer,
    reply_to: Message | None,
    edit: Message | None,
    request_id: int | None,
) -> None:
    ledger, reader = ledger_of(context), lang(context)
    payments = payments_of(context.bot_data)
    chat = edit.chat_id if edit is not None else reply_to.chat_id if reply_to else None
    text = await card_text(ledger, transfer, reader, "pending", chat_id=chat)
    if chat is not None and chat == transfer.debit_owner:  # the payer's eyes only
        text += await _nudges(ledger, transfer, reader)
    markup = card_buttons(reader, transfer.ref)
    try:
        if edit is not None:
            await call_api(
                context.bot,
                "editMessageText",
                {
                    "chat_id": edit.chat_id,
                    "message_id": edit.message_id,
                    "text": text,
                    "reply_markup": markup,
                },
            )
            chat_id, message_id = edit.chat_id, edit.message_id
        else:
            assert reply_to is not None
            chat_id, message_id = await reply(reply_to, text, markup)
    except TelegramError:
        await deliver(context.bot, payments, await payments.card_not_shown(transfer))
        raise
    await payments.card_shown(transfer, chat_id, message_id, request_id)
    expect_expiry(context.application, transfer)


def expect_expiry(application: BotApplication, transfer: Transfer) -> None:
    """Note that ``transfer``'s hold falls due, so the expiry timer edits its card then.

    One timer serves every card: it is set for the earliest second a shown hold falls due,
    and when it fires it expires every overdue hold (``sweep``) and sets itself for the next
    second still to come. Holds all last the same time, so a new card nearly always falls due
    after the timer's time and costs an append, not a scheduler call (a job per card cost
    more than the rest of the press's own work, ``python -m bot.bench``). A confirmed or
    cancelled card is not taken out: the timer then finds nothing due and sets itself again.
    """
    if application.job_queue is None or transfer.expires_at is None:
        return
    due: deque[int] = application.bot_data.setdefault(_DUE, deque())
    second = math.ceil(transfer.expires_at.timestamp()) + _JOB_SLACK_S
    if not due or second > due[-1]:
        due.append(second)
    timer: tuple[int, Job] | None = application.bot_data.get(_TIMER)
    if timer is None or second < timer[0]:
        _set_timer(application, second)


def _set_timer(application: BotApplication, second: int) -> None:
    assert application.job_queue is not None
    timer: tuple[int, Job] | None = application.bot_data.pop(_TIMER, None)
    if timer is not None:
        timer[1].schedule_removal()
    clock: Callable[[], datetime] = application.bot_data["clock"]
    job = application.job_queue.run_once(
        expiry_timer, when=max(second - clock().timestamp(), 0), name=EXPIRY_TIMER
    )
    application.bot_data[_TIMER] = (second, job)


async def expiry_timer(context: Context) -> None:
    """Expires every overdue hold, then waits for the next second a shown hold falls due."""
    application = context.application
    application.bot_data.pop(_TIMER, None)
    current = now(context).timestamp()
    try:
        await sweep(application)
    except Exception:
        _set_timer(application, math.ceil(current) + _RETRY_S)  # the database may be back
        raise
    due: deque[int] = application.bot_data.get(_DUE, deque())
    while due and due[0] <= current:
        due.popleft()
    if due:
        _set_timer(application, due[0])


# --- the buttons -------------------------------------------------------------------------


async def confirm(update: Update, context: Context) -> None:
    """Posts the held payment when its sender presses Confirm."""
    query = update.callback_query
    assert query is not None
    reader = lang(context)
    ref = pressed_ref(query.data, CONFIRM)
    if ref is None:
        await answer(query, t(reader, "card.invalid"))
        return
    payments = payments_of(context.bot_data)
    key = f"press:{query.id}"
    abandoned: OrderedDict[str, str] = context.bot_data.setdefault(_ABANDONED, OrderedDict())
    try:
        done = await payments.confirm(
            ref, query.from_user.id, key=key, earlier_key=abandoned.pop(ref, None)
        )
    except OutcomeUnknown:
        # Perhaps posted and unheard: the next press of this process delivers what it wrote.
        abandoned[ref] = key
        if len(abandoned) > _ABANDONED_KEPT:
            abandoned.popitem(last=False)
        metrics.PAYMENTS.labels("chat", "unknown").inc()
        await answer(query, t(reader, "card.confirm_unavailable"), alert=True)
        return
    except DatabaseUnavailable:
        raise  # nothing was sent: the error handler says nothing was charged
    except RequestClosed:
        metrics.PAYMENTS.labels("chat", "refused").inc()
        await answer(query, t(reader, "card.request_closed"), alert=True)
        return
    except LedgerError as error:
        metrics.PAYMENTS.labels("chat", "refused").inc()
        await _refused(context, query, ref, error)
        return
    metrics.PAYMENTS.labels("chat", metrics.outcome(done)).inc()
    if done.already:
        await answer(
            query,
            t(reader, "refusal.already_resolved.posted"),
            alert=True,
        )
    else:
        note_money_moved(context, update)
        await answer(query, t(reader, "card.confirmed_answer"))
    await _receipt(context, done, reader)
    await deliver(
        context.bot, payments, done.messages, [done.transfer], done.available, done.reserved
    )


async def cancel(update: Update, context: Context) -> None:
    """Releases the hold when its sender presses Cancel (on a request's card: declines it)."""
    query = update.callback_query
    assert query is not None
    reader = lang(context)
    ref = pressed_ref(query.data, CANCEL)
    if ref is None:
        await answer(query, t(reader, "card.invalid"))
        return
    payments = payments_of(context.bot_data)
    try:
        done = await payments.cancel(ref, query.from_user.id, key=f"press:{query.id}")
    except OutcomeUnknown:
        await answer(query, t(reader, "card.cancel_unavailable"), alert=True)
        return
    except DatabaseUnavailable:
        raise  # nothing was sent: the error handler says so
    except RequestClosed:
        await answer(query, t(reader, "card.request_closed"), alert=True)
        return
    except LedgerError as error:
        await _refused(context, query, ref, error)
        return
    await answer(query, t(reader, "card.cancelled_answer"))
    await redraw(context, done.transfer, done.card, reader)
    await deliver(context.bot, payments, done.messages)


async def _refused(context: Context, query: CallbackQuery, ref: str, error: LedgerError) -> None:
    """A press the service refused: say why; a card left stale by an ended hold is redrawn."""
    ledger, reader = ledger_of(context), lang(context)
    if isinstance(error, TransferNotFound):
        await answer(query, t(reader, "card.invalid"))
        return
    if isinstance(error, NotYours):
        await answer(query, t(reader, "card.not_yours"), alert=True)
        return
    await answer(query, explain(reader, error, ledger.currency), alert=True)
    if not isinstance(error, AlreadyResolved):
        return
    payments = payments_of(context.bot_data)
    if error.state == "expired":  # a stale card: say so on it too
        ended = await payments.ended(ref)
        await redraw(context, ended.transfer, ended.card, None)
        await deliver(context.bot, payments, ended.messages)
    elif error.state == "posted":  # paid by another press: the card is the receipt
        posted, card = await ledger.transfer_and_card(ref)
        accounts = await ledger.accounts([posted.debit_account_id])
        balances = {i: a.available for i, a in accounts.items()}
        reserved = {i: a.on_hold for i, a in accounts.items()}
        await _receipt(
            context, Confirmed(posted, card, balances, already=True, reserved=reserved), reader
        )


async def _receipt(context: Context, done: Confirmed, reader: str) -> None:
    """The card becomes the receipt; in the sender's private chat it shows their balance and
    the buttons of a receipt (in a group the sender's balance and buttons go to them
    privately, by the outbox)."""
    card, posted = done.card, done.transfer
    if card is None:
        return
    ledger = ledger_of(context)
    receipt = await card_text(ledger, posted, reader, "posted", chat_id=card.chat_id)
    markup = None
    if card.chat_id == posted.debit_owner:
        mine = posted.debit_account_id
        receipt += "\n\n" + balance_line(
            reader, ledger.currency, done.available[mine], done.reserved.get(mine, 0)
        )
        markup = receipt_buttons(reader, posted.ref, payer=True)
    await edit_message(context.bot, card.chat_id, card.message_id, receipt, markup)


def receipt_buttons(reader: str, ref: str, *, payer: bool) -> Markup:
    """[Send again] [Request back] under the payer's receipt; [Say thanks] [Send back] under
    the notice its recipient gets (handled in ``bot.receipts``)."""
    if payer:
        return keyboard(
            [
                (t(reader, "receipt.send_again_button"), buttons.RECEIPT_AGAIN + ref),
                (t(reader, "receipt.request_back_button"), buttons.RECEIPT_REQUEST_BACK + ref),
            ]
        )
    return keyboard(
        [
            (t(reader, "receipt.thanks_button"), buttons.RECEIPT_THANKS + ref),
            (t(reader, "receipt.send_back_button"), buttons.RECEIPT_SEND_BACK + ref),
        ]
    )


async def redraw(context: Context, ended: Transfer, card: Card | None, reader: str | None) -> None:
    """A hold that ended unpaid: its card says so, in ``reader``'s language (else its
    sender's)."""
    if card is None:
        return
    ledger = ledger_of(context)
    if reader is None:
        from bot.people import language_for

        sender, _ = await _people(ledger, ended)
        reader = language_for(sender)
    text, markup = await ended_card(ledger, ended, card, reader)
    await edit_message(context.bot, card.chat_id, card.message_id, text, markup)


async def ended_card(
    ledger: Ledger, ended: Transfer, card: Card, reader: str
) -> tuple[str, Markup | None]:
    """What a card whose hold ended unpaid shows. On a request's card, when the request is
    still open (Cancel backs out of paying, it does not decline; an expired card does not
    end the request), it says so and offers [Pay] and [Decline] again."""
    text = await card_text(ledger, ended, reader, ended.state, chat_id=card.chat_id)
    if card.request_id is None:
        return text, None
    asked = await ledger.requests.by_id(card.request_id)
    if asked.state != "open":
        return text, None
    requester = await ledger.directory.get(asked.requester_id)
    text += "\n\n" + t(reader, "card.request_still_open", requester=who(requester, reader))
    pay = t(reader, "request.pay_button", amount=money(reader, asked.amount, ledger.currency))
    return text, keyboard(
        [
            (pay, buttons.REQUEST_PAY + asked.ref),
            (t(reader, "request.decline_button"), buttons.REQUEST_DECLINE + asked.ref),
        ]
    )


# --- expiry ------------------------------------------------------------------------------


async def sweep(application: BotApplication) -> list[Transfer]:
    """Expire every overdue hold; the outbox redraws their cards and lapses their requests.
    Run at startup and periodically, so holds never outlive a restart; tests call it
    directly after moving the clock.

    One sweeper at a time over all workers: whoever holds the database's "sweeper" lock
    sweeps, the others skip this turn at once (nothing is lost: every overdue hold is the
    next sweep's; each hold expires once anyway, its UPDATE being conditional)."""
    ledger: Ledger = application.bot_data["ledger"]
    payments = payments_of(application.bot_data)
    async with ledger.db.exclusive("sweeper") as mine:
        if not mine:
            return []
        await ledger.sync_clock()
        expired = await payments.expire_overdue()
        await deliver(application.bot, payments, expired.messages)
    if expired.transfers:
        log.info("sweeper expired %d hold(s)", len(expired.transfers))
    return expired.transfers


async def sweep_job(context: Context) -> None:
    """Runs the sweeper on the job queue's schedule."""
    await sweep(context.application)


def register(application: BotApplication) -> None:
    application.add_handler(CallbackQueryHandler(confirm, pattern="^" + CONFIRM))
    application.add_handler(CallbackQueryHandler(cancel, pattern="^" + CANCEL))
