"""The page's way into the payments: the one place its Send, Pay and Decline move money.

They take the chat's own path: the same hold (``bot.cards.hold``, with the chat's checks and
the ledger's limits), the same post, and the same receipt and notices as a chat payment
confirmed on its card. The page's confirm step stands for the card's Confirm, so the hold is
posted at once. ``key`` comes from the page (one per submitted form): the hold and the post
are keyed by it, so a double submit pays once and the second answer is the first's
(``replayed``)."""

from __future__ import annotations

from dataclasses import dataclass

from telegram.ext import Application, CallbackContext

from bot import cards
from bot.common import Refusal, send_private
from bot.people import check_recipient, language_for
from bot.render import money
from bot.texts import t
from ledger import Ledger, PaymentRequest, Person, Transfer
from ledger.errors import AlreadyResolved, TransferNotFound


@dataclass(frozen=True, slots=True)
class Paid:
    transfer: Transfer
    sender_available: int
    replayed: bool


def _context(application: Application, user_id: int) -> CallbackContext:  # type: ignore[type-arg]
    return CallbackContext(application, chat_id=user_id, user_id=user_id)


def _ledger(application: Application) -> Ledger:
    return application.bot_data["ledger"]


async def send(
    application: Application, sender: Person, recipient: Person, amount: int, note: str, *, key: str
) -> Paid:
    """Pay ``recipient`` from the page; the chat gets a chat payment's receipt."""
    context = _context(application, sender.id)
    held = await cards.hold(context, sender, recipient, amount, note, key=f"page:{sender.id}:{key}")
    return await _post(context, sender, held, key)


async def _post(
    context: CallbackContext,  # type: ignore[type-arg]
    sender: Person,
    held: Transfer,
    key: str,
    request: PaymentRequest | None = None,
) -> Paid:
    ledger = _ledger(context.application)
    posted = await ledger.post(held.ref, key=f"page-post:{sender.id}:{key}", actor=sender.id)
    reader = language_for(sender)
    fresh = not posted.replayed
    if request is None:
        await cards._after_posted(context, posted, reader, None, fresh=fresh)
    elif fresh:
        await _receipt(context, posted, reader)
        await cards.settle_request(context.bot, ledger, request, "paid", posted)
    available = (await ledger.account(posted.debit_account_id)).available
    return Paid(posted, available, posted.replayed)


async def _receipt(context: CallbackContext, posted: Transfer, reader: str) -> None:  # type: ignore[type-arg]
    """The payer's receipt in the chat, as a confirmed card's private receipt reads."""
    ledger = _ledger(context.application)
    available = (await ledger.account(posted.debit_account_id)).available
    text = await cards.card_text(ledger, posted, reader, "posted")
    balance = t(reader, "card.your_balance", available=money(reader, available, ledger.currency))
    if posted.debit_owner is not None:
        await send_private(context.bot, posted.debit_owner, text + "\n\n" + balance)


async def _open_request(application: Application, payer: Person, ref: str) -> PaymentRequest:
    asked = await _ledger(application).requests.get(ref)
    if asked.payer_id != payer.id:
        raise TransferNotFound(ref)  # someone else's request is none of the caller's business
    return asked


async def pay_request(application: Application, payer: Person, ref: str, *, key: str) -> Paid:
    """Pay a request made to ``payer``: the hold the chat's Pay would make, posted."""
    context = _context(application, payer.id)
    asked = await _open_request(application, payer, ref)
    ledger = _ledger(application)
    requester = await ledger.directory.get(asked.requester_id)
    if requester is None:
        raise TransferNotFound(ref)
    if asked.state != "open":
        found = await ledger.transfer_by_key(f"request:{asked.ref}")
        if asked.state == "paid" and found is not None:  # by this key: its replay; else refused
            return await _post(context, payer, found, key, asked)
        raise Refusal(f"request.already.{asked.state}")
    check_recipient(context, payer.id, requester)
    held = await cards.hold(
        context, payer, requester, asked.amount, asked.memo, key=f"request:{asked.ref}"
    )
    if held.state not in {"pending", "posted"}:
        raise Refusal("request.unpayable")
    return await _post(context, payer, held, key, asked)


async def decline_request(application: Application, payer: Person, ref: str) -> None:
    """Decline a request made to ``payer``; the requester is told, as from the chat."""
    ledger = _ledger(application)
    asked = await _open_request(application, payer, ref)
    if asked.state != "open":
        raise Refusal(f"request.already.{asked.state}")
    found = await ledger.transfer_by_key(f"request:{asked.ref}")
    if found is not None and found.state == "pending":
        try:
            found = await ledger.void(found.ref, key=f"closed:{found.ref}", actor=payer.id)
        except AlreadyResolved:
            found = await ledger.get_transfer(found.ref)
    if found is not None and found.state == "posted":
        raise Refusal("request.already.paid")
    bot = application.bot
    if found is None:
        settled = await cards.settle_request(bot, ledger, asked, "declined")
    else:
        settled = await cards.finish(bot, ledger, found, "declined", request=asked)
    if not settled:
        current = await ledger.requests.get(asked.ref)
        raise Refusal(f"request.already.{current.state}")
