"""The page's way into the payments: its Send, Pay and Decline are calls of the payments
service (``ledger.payments``), the same calls the chat's /send, Pay, Confirm and Decline make,
with the same checks, limits and outcomes; what they owe people (the sender's receipt, the
recipient's or the requester's notice) is written by the database with the money and
delivered here as the chat delivers it (``bot.outbox``), so a page payment's chat receipt is
a chat payment's.

The page's confirm step stands for the card's Confirm: the hold is made and posted in one
request. ``key`` comes from the page (one per payment it submits): the hold and the post are
keyed by it, so a double submit pays once and its second answer is the first's (``replayed``).
"""

from __future__ import annotations

from dataclasses import dataclass

from telegram.ext import Application, CallbackContext

from bot import cards, metrics
from bot.common import Refusal
from bot.outbox import deliver, payments_of
from bot.people import check_recipient, language_for
from ledger import Person, Transfer
from ledger.errors import RequestClosed
from ledger.payments import Confirmed, Payments
from ledger.payments.service import request_hold_key


@dataclass(frozen=True, slots=True)
class Paid:
    transfer: Transfer
    sender_available: int
    replayed: bool


def _context(application: Application, user_id: int) -> CallbackContext:  # type: ignore[type-arg]
    return CallbackContext(application, chat_id=user_id, user_id=user_id)


def _post_key(payer_id: int, key: str) -> str:
    return f"page-post:{payer_id}:{key}"


async def _confirmed(
    application: Application, payments: Payments, done: Confirmed, payer: Person
) -> Paid:
    """Deliver what a confirmation owes people and, if the hold had a card in the chat (a
    request's Pay pressed there first), turn it into the receipt as a Confirm would."""
    metrics.PAYMENTS.labels("page", metrics.outcome(done)).inc()
    if done.card is not None:
        context = _context(application, payer.id)
        await cards._receipt(context, done, language_for(payer))
    await deliver(application.bot, payments, done.messages, [done.transfer], done.available)
    return Paid(done.transfer, done.sender_available, done.replayed)


async def send(
    application: Application, sender: Person, recipient: Person, amount: int, note: str, *, key: str
) -> Paid:
    """Pay ``recipient`` from the page; the chat gets a chat payment's receipt."""
    payments = payments_of(application.bot_data)
    held = await payments.hold(sender.id, recipient.id, amount, note, key=f"page:{sender.id}:{key}")
    done = await payments.confirm(held.transfer.ref, sender.id, key=_post_key(sender.id, key))
    return await _confirmed(application, payments, done, sender)


async def pay_request(application: Application, payer: Person, ref: str, *, key: str) -> Paid:
    """Pay a request made to ``payer``: Pay's hold, confirmed. Submitted again with the same
    key once paid, the first answer again."""
    payments = payments_of(application.bot_data)
    asked = await payments.request_for(ref, payer.id)  # NotYours for anyone else's
    requester = await application.bot_data["ledger"].directory.get(asked.requester_id)
    if requester is None:
        raise Refusal("card.invalid")
    check_recipient(_context(application, payer.id), payer.id, requester)
    try:
        hold = (await payments.pay(asked.ref, payer.id)).held.transfer
    except RequestClosed as closed:
        paid_hold = await payments.ledger.transfer_by_key(request_hold_key(asked.ref))
        if closed.state != "paid" or paid_hold is None:
            raise
        hold = paid_hold  # paid: by this key (its answer again) or not (refused below)
    done = await payments.confirm(hold.ref, payer.id, key=_post_key(payer.id, key))
    if done.already:  # paid by another press (the chat's Confirm, another key)
        await deliver(application.bot, payments, done.messages, [done.transfer], done.available)
        raise RequestClosed(asked.ref, "paid")
    return await _confirmed(application, payments, done, payer)


async def decline_request(application: Application, payer: Person, ref: str) -> None:
    """Decline a request made to ``payer``; a hold Pay made for it is released with it, its
    card redrawn, and the requester told, as from the chat."""
    payments = payments_of(application.bot_data)
    declined = await payments.decline(ref, payer.id)
    if declined.hold is not None:
        context = _context(application, payer.id)
        await cards.redraw(context, declined.hold, declined.card, language_for(payer))
    await deliver(application.bot, payments, declined.messages)
