"""The confirmation card: the hold behind it, Confirm and Cancel, the receipt and who is told
what, and expiry: one timer for all cards, set for the earliest hold due (see
``expect_expiry``), plus a periodic sweeper, because the timer dies with the process.

Callback data is ``p:c:<REF>`` (Confirm) or ``p:x:<REF>`` (Cancel). It is never trusted: every
press reloads the transfer and checks that the presser is its sender; the ledger decides what
happens (a hold resolves at most once), and the card shown is the one the ledger remembers,
never the message the press claims to come from.
"""

from __future__ import annotations

import logging
import math
import re
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from telegram import (
    Bot,
    CallbackQuery,
    Message,
    Update,
)
from telegram.error import TelegramError
from telegram.ext import Application, CallbackQueryHandler, Job

from bot import metrics
from bot.common import (
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
    send_private,
    settings_of,
)
from bot.people import check_recipient, language_for
from bot.render import memo, minutes, money, who
from bot.texts import t
from ledger import Card, Ledger, PaymentRequest, Person, Transfer
from ledger.errors import (
    AccountFrozen,
    AlreadyResolved,
    DailyLimitExceeded,
    DatabaseUnavailable,
    InsufficientFunds,
    LedgerError,
    OverTransferMax,
    TransferNotFound,
)

log = logging.getLogger(__name__)

CONFIRM, CANCEL = "p:c:", "p:x:"
_REF = re.compile(r"[0-9A-Z]{4,16}")
# The expiry timer fires a little after a hold's expiry so the ledger agrees it is due, and
# at most once a second: holds falling due within the same second are expired together.
_JOB_SLACK_S = 1
EXPIRY_TIMER = "expiry"
_DUE = "expiry_due"  # bot_data: the whole seconds at which shown holds fall due, ascending
_TIMER = "expiry_timer"  # bot_data: (the second it is set for, its job), while it is set
_RETRY_S = 5  # after a sweep that failed (the database was unreachable)


def pressed_ref(data: str | None, prefix: str) -> str | None:
    """The transfer reference in a button's data, or None when the data is malformed."""
    if not data or not data.startswith(prefix):
        return None
    ref = data[len(prefix) :]
    return ref if _REF.fullmatch(ref) else None


# --- before money moves ------------------------------------------------------------------


async def hold(
    context: Context, sender: Person, recipient: Person, amount: int, note: str, *, key: str
) -> Transfer:
    """Refuse what the chat knows is wrong, then reserve the money. The ledger re-checks frozen
    accounts, limits and funds in the same statement and names any refusal (a typed error);
    ``key`` makes a redelivered update return the same hold (``replayed``)."""
    check_recipient(context, sender.id, recipient)
    ledger = ledger_of(context)
    return await ledger.create_pending(
        await ledger.open_account(sender.id),
        await ledger.open_account(recipient.id),
        amount,
        key=key,
        expires_in=timedelta(seconds=settings_of(context).hold_expiry_seconds),
        memo=note,
        actor=sender.id,
    )


async def precheck(context: Context, sender: Person, recipient: Person, amount: int) -> None:
    """The ledger's checks read ahead of the hold, so the guided conversation can ask for
    another amount at once. Raises the same typed errors the ledger would."""
    check_recipient(context, sender.id, recipient)
    ledger = ledger_of(context)
    mine_id = await ledger.open_account(sender.id)
    theirs_id = await ledger.open_account(recipient.id)
    accounts = await ledger.accounts([mine_id, theirs_id])
    mine, theirs = accounts[mine_id], accounts[theirs_id]
    if mine.frozen:
        raise AccountFrozen(mine_id, "sender")
    if theirs.frozen:
        raise AccountFrozen(theirs_id, "recipient")
    limits = await ledger.limits()
    if amount > limits.max_transfer:
        raise OverTransferMax(limits.max_transfer)
    sent = await ledger.sent_today(mine_id)
    if sent + amount > limits.daily_limit:
        raise DailyLimitExceeded(limits.daily_limit, max(limits.daily_limit - sent, 0))
    if amount > mine.available:
        raise InsufficientFunds(mine.available, amount)


# --- the card ----------------------------------------------------------------------------


async def _people(ledger: Ledger, transfer: Transfer) -> tuple[Person | None, Person | None]:
    directory = ledger.directory
    sender = await directory.get(transfer.debit_owner) if transfer.debit_owner else None
    recipient = await directory.get(transfer.credit_owner) if transfer.credit_owner else None
    return sender, recipient


async def card_text(ledger: Ledger, transfer: Transfer, reader: str, state: str) -> str:
    """The card for ``transfer`` in one of its states: pending, posted, voided, expired."""
    sender, recipient = await _people(ledger, transfer)
    return t(
        reader,
        f"card.{state}",
        amount=money(reader, transfer.amount, ledger.currency),
        sender=who(sender, reader),
        recipient=who(recipient, reader),
        memo=memo(transfer.memo),
        ref=transfer.ref,
        minutes=minutes(int((transfer.expires_at - transfer.created_at).total_seconds()))
        if transfer.expires_at
        else 0,
    )


def card_buttons(reader: str, ref: str) -> Markup:
    return keyboard(
        [
            (t(reader, "card.confirm_button"), CONFIRM + ref),
            (t(reader, "card.cancel_button"), CANCEL + ref),
        ]
    )


async def show(
    context: Context,
    transfer: Transfer,
    *,
    reply_to: Message | None = None,
    edit: Message | None = None,
    request_id: int | None = None,
) -> None:
    """Put the card for a new hold on screen (a reply, or ``edit`` replaced in place), remember
    where it is, and schedule its expiry. If it cannot be shown, the hold is released."""
    showing = _showing(context)
    showing.add(transfer.ref)  # before the first await: a redelivery now sees it
    try:
        await _show(context, transfer, reply_to, edit, request_id)
    finally:
        showing.discard(transfer.ref)


async def shown_already(context: Context, held: Transfer) -> bool:
    """For a hold its update made before (a redelivered /send or Pay, ``held.replayed``):
    whether its card is on screen or going there now, so no second card is shown. False when
    the process that held the money stopped before the card was remembered: it is shown then.
    A hold that has ended needs no card."""
    if held.state != "pending" or held.ref in _showing(context):
        return True
    return await ledger_of(context).card_of(held.id) is not None


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
    text = await card_text(ledger, transfer, reader, "pending")
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
        await ledger.void(transfer.ref, key=f"unshown:{transfer.ref}")
        raise
    await ledger.remember_card(transfer.id, chat_id, message_id, request_id)
    expect_expiry(context.application, transfer)


def expect_expiry(application: Application, transfer: Transfer) -> None:
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


def _set_timer(application: Application, second: int) -> None:
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


async def _pressed_card(
    update: Update, context: Context, prefix: str
) -> tuple[Transfer, Card | None] | None:
    """The transfer a press is about and its card (None if not remembered yet), if the
    presser is its sender; otherwise the press is answered here and None returned."""
    query = update.callback_query
    assert query is not None
    reader = lang(context)
    ref = pressed_ref(query.data, prefix)
    found = None
    if ref is not None:
        try:
            found = await ledger_of(context).transfer_and_card(ref)
        except TransferNotFound:
            found = None
    if found is None or found[0].expires_at is None:
        await answer(query, t(reader, "card.invalid"))
        return None
    transfer = found[0]
    if transfer.kind != "payment" or transfer.debit_owner != query.from_user.id:
        await answer(query, t(reader, "card.not_yours"), alert=True)
        return None
    return found


async def _resolve_press(
    context: Context,
    query: CallbackQuery,
    transfer: Transfer,
    resolve: Callable[..., Awaitable[Transfer]],
    unavailable: str,
) -> Transfer | None:
    """Post or void a card's hold for a press (keyed by the press, so a redelivered press gets
    the same result); on a refusal answer the press with it and return None."""
    ledger, reader = ledger_of(context), lang(context)
    try:
        return await resolve(transfer.ref, key=f"press:{query.id}", actor=query.from_user.id)
    except DatabaseUnavailable:
        await answer(query, t(reader, unavailable), alert=True)
    except AlreadyResolved as error:
        await answer(query, explain(reader, error, ledger.currency), alert=True)
        if error.state == "expired":  # a stale card: say so on it too
            await finish_expired(context.bot, ledger, await ledger.get_transfer(transfer.ref))
        elif error.state == "posted":  # paid by another press (perhaps one whose answer was
            # lost in an outage, so nobody was told): the receipt, and whoever is untold
            posted = await ledger.get_transfer(transfer.ref)
            await _after_posted(context, posted, reader, None, fresh=False)
    except LedgerError as error:
        await answer(query, explain(reader, error, ledger.currency), alert=True)
    return None


async def confirm(update: Update, context: Context) -> None:
    """Posts the held payment when its sender presses Confirm."""
    query = update.callback_query
    assert query is not None
    pressed = await _pressed_card(update, context, CONFIRM)
    if pressed is None:
        return
    transfer, card = pressed  # a card, once remembered, never changes
    ledger, reader = ledger_of(context), lang(context)
    # A request's card: the request is read once, for the check below and the settling after.
    request = (
        None
        if card is None or card.request_id is None
        else await ledger.requests.by_id(card.request_id)
    )
    if (
        request is not None
        and card is not None
        and await _request_closed(context, transfer, card, request)
    ):
        await answer(query, t(reader, "card.request_closed"), alert=True)
        return
    posted = await _resolve_press(context, query, transfer, ledger.post, "card.confirm_unavailable")
    if posted is None:
        metrics.PAYMENTS.labels("chat", "refused").inc()
        return
    metrics.PAYMENTS.labels("chat", "replayed" if posted.replayed else "paid").inc()
    note_money_moved(context, update)
    await answer(query, t(reader, "card.confirmed_answer"))
    # A redelivered press gets the same result: the card is redrawn, and people are told
    # only if nobody told them yet (the process that posted it stopped first).
    await _after_posted(context, posted, reader, card, fresh=not posted.replayed, request=request)


async def cancel(update: Update, context: Context) -> None:
    """Releases the hold when its sender presses Cancel (on a request's card: declines it)."""
    query = update.callback_query
    assert query is not None
    pressed = await _pressed_card(update, context, CANCEL)
    if pressed is None:
        return
    transfer, card = pressed
    ledger, reader = ledger_of(context), lang(context)
    voided = await _resolve_press(context, query, transfer, ledger.void, "card.cancel_unavailable")
    if voided is None:
        return
    await answer(query, t(reader, "card.cancelled_answer"))
    # A redelivered press redraws the card; its request is settled once (nobody told twice).
    await finish(context.bot, ledger, voided, "declined", card=card, reader=reader)


async def _request_closed(
    context: Context, transfer: Transfer, card: Card, request: PaymentRequest
) -> bool:
    """A request card whose request was declined meanwhile (a stale Decline button): its hold
    is released rather than posted, so a request is never both declined and paid. The Decline
    releases it itself; a hold made after the Decline read (Pay pressed at the same moment)
    is released here."""
    ledger = ledger_of(context)
    if request.state == "open":
        return False
    if transfer.state != "pending":  # released by the Decline already: say so all the same
        return request.state == "declined" and transfer.state == "voided"
    try:
        voided = await ledger.void(transfer.ref, key=f"closed:{transfer.ref}")
    except AlreadyResolved:
        return True
    await finish(
        context.bot, ledger, voided, "declined", card=card, reader=lang(context), request=request
    )
    return True


# --- after the money moved ---------------------------------------------------------------


_TOLD_HERE = "posts_told_here"  # bot_data: refs of payments this process told people about
_TOLD_HERE_KEPT = 10_000  # the latest; a press older than these reads the card's told flag


async def _after_posted(
    context: Context,
    posted: Transfer,
    reader: str,
    card: Card | None,
    *,
    fresh: bool,
    request: PaymentRequest | None = None,
) -> None:
    """The card becomes a receipt; the sender's balance goes to the sender only; the recipient
    (or the requester) is told privately, once: ``fresh`` when this press posted the payment,
    otherwise only if the card says nobody was told yet (the press that posted it stopped
    first, or never heard it went through). ``card`` is the hold's card as read before the
    post, and ``request`` the request it was shown for, if read already."""
    bot, ledger = context.bot, ledger_of(context)
    if card is None or not fresh:  # a replay reads whether anyone was told since
        card = await ledger.card_of(posted.id)
    # Told at most once: by this press if its card says nobody was told yet (without a card
    # to note it on, only the press that posted tells), and no other press of this process
    # is telling or has told them (claimed synchronously, before any await).
    untold = fresh if card is None else not card.told
    tell = untold and _claim_telling(context, posted.ref)
    # Both balances in one read.
    accounts = await ledger.accounts([posted.debit_account_id, posted.credit_account_id])
    balance = accounts[posted.debit_account_id].available
    balance_line = t(reader, "card.your_balance", available=money(reader, balance, ledger.currency))
    receipt = await card_text(ledger, posted, reader, "posted")
    in_private = card is not None and card.chat_id == posted.debit_owner
    if card is not None:
        await edit_message(
            bot,
            card.chat_id,
            card.message_id,
            receipt + ("\n\n" + balance_line if in_private else ""),
        )
    if not tell:
        return
    try:
        if not in_private and posted.debit_owner is not None:
            await send_private(bot, posted.debit_owner, receipt + "\n\n" + balance_line)
        if card is not None and card.request_id is not None:
            await settle_request(
                bot,
                ledger,
                request or card.request_id,
                "paid",
                posted,
                accounts[posted.credit_account_id].available,
            )
        else:
            await _tell_recipient(bot, ledger, posted, accounts[posted.credit_account_id].available)
    except BaseException:  # not told: a later press (or redelivery) may try again
        context.bot_data[_TOLD_HERE].pop(posted.ref, None)
        raise
    if card is not None:
        ledger.mark_told(posted.id)


def _claim_telling(context: Context, ref: str) -> bool:
    """True for the first press of this process to tell about payment ``ref``: it tells."""
    told: OrderedDict[str, None] = context.bot_data.setdefault(_TOLD_HERE, OrderedDict())
    if ref in told:
        return False
    told[ref] = None
    if len(told) > _TOLD_HERE_KEPT:
        told.popitem(last=False)
    return True


async def _tell_recipient(bot: Bot, ledger: Ledger, posted: Transfer, available: int) -> None:
    sender, recipient = await _people(ledger, posted)
    if recipient is None:
        return
    reader = language_for(recipient)
    text = t(
        reader,
        "card.received",
        sender=who(sender, reader),
        amount=money(reader, posted.amount, ledger.currency),
        memo=memo(posted.memo),
        available=money(reader, available, ledger.currency),
    )
    if await send_private(bot, recipient.id, text) is None:
        log.warning("payment %s stands; its recipient %s was not told", posted.ref, recipient.id)


async def settle_request(
    bot: Bot,
    ledger: Ledger,
    request: PaymentRequest | int,
    outcome: str,
    paid: Transfer | None = None,
    available: int | None = None,
    *,
    told: str | None = None,
) -> bool:
    """Close a payment request (paid, declined or cancelled) and tell the requester; False
    when it was closed already (then nobody is told again). ``request`` is the request or its
    id (its amount, memo and people never change, so one read before will do). The requester
    is told ``request.outcome.<outcome>``, or the text ``told`` when the outcome has more than
    one cause (see ``finish``). A paid request's message shows the requester's balance:
    ``available``, as read after the payment, or read here."""
    if isinstance(request, int):
        request = await ledger.requests.by_id(request)
    try:
        await ledger.requests.resolve(request.ref, outcome, paid.ref if paid else None)
    except AlreadyResolved:
        return False
    directory = ledger.directory
    requester, payer = (
        await directory.get(request.requester_id),
        await directory.get(request.payer_id),
    )
    reader = language_for(requester)
    text = t(
        reader,
        told or f"request.outcome.{outcome}",
        payer=who(payer, reader),
        amount=money(reader, request.amount, ledger.currency),
        memo=memo(request.memo),
    )
    if paid is not None:
        if available is None:
            available = (await ledger.account(paid.credit_account_id)).available
        text += "\n\n" + t(
            reader, "card.your_balance", available=money(reader, available, ledger.currency)
        )
    await send_private(bot, request.requester_id, text)
    return True


# Why a hold ended unpaid -> its request's outcome and what the requester is told.
_ENDED = {
    "declined": ("declined", "request.outcome.declined"),  # the payer's Cancel or Decline
    "expired": ("cancelled", "request.outcome.cancelled"),  # not confirmed in time: it lapsed
    "released": ("cancelled", "request.outcome.released"),  # released for the payer (a freeze)
}


async def finish(
    bot: Bot,
    ledger: Ledger,
    ended: Transfer,
    why: str,
    *,
    card: Card | None = None,
    reader: str | None = None,
    request: PaymentRequest | None = None,
) -> bool:
    """A hold that ended unpaid (``ended``, voided or expired): its card says so, in
    ``reader``'s language (else its sender's), and the request it was held for is settled
    once, its requester told ``why`` it ended (a key of ``_ENDED``). Every place a hold ends
    (Cancel, a stale Decline, a freeze, expiry, a Pay that finds it ended) calls this, so a
    request never stays open behind a released hold. ``card`` and ``request`` are passed when
    read already. True when this call settled the request."""
    if card is None:
        card = await ledger.card_of(ended.id)
    if card is not None:
        if reader is None:
            sender, _ = await _people(ledger, ended)
            reader = language_for(sender)
        text = await card_text(ledger, ended, reader, ended.state)
        await edit_message(bot, card.chat_id, card.message_id, text)
    asked = request if request is not None else (card.request_id if card is not None else None)
    if asked is None or (isinstance(asked, PaymentRequest) and asked.state != "open"):
        return False
    outcome, told = _ENDED[why]
    return await settle_request(bot, ledger, asked, outcome, told=told)


# --- expiry ------------------------------------------------------------------------------


async def finish_expired(bot: Bot, ledger: Ledger, transfer: Transfer) -> None:
    """Edit an expired hold's card to say the money was released; lapse its request."""
    await finish(bot, ledger, transfer, "expired")


async def sweep(application: Application) -> list[Transfer]:
    """Expire every overdue hold and edit its card. Run at startup and periodically, so holds
    never outlive a restart; tests call it directly after moving the clock.

    One sweeper at a time over all workers: whoever holds the database's "sweeper" lock
    sweeps, the others skip this turn at once (nothing is lost: every overdue hold is the
    next sweep's; each hold expires once anyway, its UPDATE being conditional)."""
    ledger: Ledger = application.bot_data["ledger"]
    async with ledger.db.exclusive("sweeper") as mine:
        if not mine:
            return []
        await ledger.sync_clock()
        expired = await ledger.expire_overdue()
        for transfer in expired:
            try:
                await finish_expired(application.bot, ledger, transfer)
            except Exception:  # one card that cannot be edited must not stop the sweep
                log.exception("expired hold %s: card not updated", transfer.ref)
    if expired:
        log.info("sweeper expired %d hold(s)", len(expired))
    return expired


async def sweep_job(context: Context) -> None:
    """Runs the sweeper on the job queue's schedule."""
    await sweep(context.application)


def register(application: Application) -> None:
    application.add_handler(CallbackQueryHandler(confirm, pattern="^" + CONFIRM))
    application.add_handler(CallbackQueryHandler(cancel, pattern="^" + CANCEL))
