"""/request @bob 20 dinner: bob is asked privately, with [Pay] and [Decline]. Pay turns that
message into the same confirmation card a /send shows; the requester hears the outcome.

Callback data is ``r:p:<REF>`` (Pay) or ``r:d:<REF>`` (Decline), re-checked on every press:
only the payer, only on the message they were sent privately, only while the request is open.
A request's hold uses the key ``request:<REF>``, so however often Pay is pressed, one request
holds (and can move) its amount once.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot import cards
from bot.common import (
    Context,
    Refusal,
    answer,
    edit_message,
    explain,
    lang,
    ledger_of,
    refuse,
    send_private,
)
from bot.people import check_recipient, language_for, registered_sender
from bot.render import memo, money, who
from bot.send import read_draft
from bot.texts import t
from ledger import Currency, PaymentRequest, Transfer
from ledger.errors import AlreadyResolved, LedgerError, OverTransferMax, TransferNotFound

COMMANDS = [("request", "menu.request")]

PAY, DECLINE = "r:p:", "r:d:"


async def request(update: Update, context: Context) -> None:
    """Asks the payer privately for money and tells the requester the request went out."""
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    ledger, reader = ledger_of(context), lang(context)
    try:
        requester = await registered_sender(context, user)
        draft = await read_draft(context, message, requester)
        if draft.recipient is None or draft.amount is None:
            raise Refusal("request.usage")
        check_recipient(context, requester.id, draft.recipient)
        limits = await ledger.limits()
        if draft.amount > limits.max_transfer:
            raise OverTransferMax(limits.max_transfer)
        asked = await ledger.requests.create(
            requester.id,
            draft.recipient.id,
            draft.amount,
            draft.note,
            key=f"request:{message.chat_id}:{message.message_id}",
        )
    except (Refusal, LedgerError) as error:
        await refuse(update, context, error)
        return
    if asked.replayed:
        return  # the same update delivered again: the request already went out
    payer = draft.recipient
    payer_reader = language_for(payer)
    delivered = await send_private(
        context.bot,
        payer.id,
        t(
            payer_reader,
            "request.received",
            requester=who(requester, payer_reader),
            amount=money(payer_reader, asked.amount, ledger.currency),
            memo=memo(asked.memo),
        ),
        _buttons(payer_reader, asked, ledger.currency),
    )
    if delivered is None:
        await ledger.requests.resolve(asked.ref, "cancelled")
        # Whether bob blocked the bot is his business: in a group, only the requester hears it.
        await refuse(update, context, Refusal("request.undeliverable", payer=who(payer, reader)))
        return
    await message.reply_text(
        t(
            reader,
            "request.sent",
            payer=who(payer, reader),
            amount=money(reader, asked.amount, ledger.currency),
            memo=memo(asked.memo),
        )
    )


def _buttons(reader: str, asked: PaymentRequest, currency: Currency) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t(reader, "request.pay_button", amount=money(reader, asked.amount, currency)),
                    callback_data=PAY + asked.ref,
                ),
                InlineKeyboardButton(
                    t(reader, "request.decline_button"), callback_data=DECLINE + asked.ref
                ),
            ]
        ]
    )


async def _pressed_request(update: Update, context: Context, prefix: str) -> PaymentRequest | None:
    """The open request a press is about, if the presser is its payer and pressed the message
    they were sent privately; otherwise the press is answered here and None returned."""
    query = update.callback_query
    assert query is not None
    reader = lang(context)
    ref = cards.pressed_ref(query.data, prefix)
    asked = None
    if ref is not None:
        try:
            asked = await ledger_of(context).requests.get(ref)
        except TransferNotFound:
            asked = None
    if asked is None:
        await answer(query, t(reader, "card.invalid"))
        return None
    if asked.payer_id != query.from_user.id:
        await answer(query, t(reader, "request.not_yours"), alert=True)
        return None
    if query.message is None or query.message.chat.id != asked.payer_id:
        await answer(query, t(reader, "card.invalid"))
        return None
    if asked.state != "open":
        await answer(query, t(reader, f"request.already.{asked.state}"), alert=True)
        return None
    return asked


async def pay(update: Update, context: Context) -> None:
    """Turns the request into a confirmation card for the payer, with the money held."""
    query = update.callback_query
    assert query is not None and query.message is not None
    asked = await _pressed_request(update, context, PAY)
    if asked is None:
        return
    ledger, reader = ledger_of(context), lang(context)
    try:
        payer = await registered_sender(context, query.from_user)
        requester = await ledger.directory.get(asked.requester_id)
        if requester is None:
            raise Refusal("card.invalid")
        held = await cards.hold(
            context, payer, requester, asked.amount, asked.memo, key=_hold_key(asked)
        )
    except (Refusal, LedgerError) as error:
        await answer(query, explain(reader, error, ledger.currency), alert=True)
        return
    if held.replayed and held.state == "posted":  # paid this moment, by the card's Confirm
        await answer(query, t(reader, "request.already.paid"), alert=True)
        return
    if held.replayed and held.state != "pending":
        # Its hold ended unpaid (released, expired) and the key is spent: the request can
        # never be paid, so it is settled (once) rather than left open.
        await answer(query, t(reader, "request.unpayable"), alert=True)
        why = "expired" if held.state == "expired" else "released"
        await cards.finish(context.bot, ledger, held, why, reader=reader, request=asked)
        return
    await answer(query)
    if held.replayed and await cards.shown_already(context, held):
        return  # a second press: the card is on screen already
    await cards.show(context, held, edit=query.message, request_id=asked.id)  # type: ignore[arg-type]


def _hold_key(asked: PaymentRequest) -> str:
    """Pay's hold for ``asked``: one per request, however often Pay is pressed."""
    return f"request:{asked.ref}"


async def _release_hold(context: Context, asked: PaymentRequest) -> Transfer | None:
    """Before ``asked`` is declined, the hold Pay made for it (a stale Decline button, still
    on another screen after Pay) is released, so the payer's money is free at once and the
    request is never both declined and paid. Returns that hold as it stands after: released
    (now or before), or posted (Confirm is paying the request); None if Pay never held."""
    ledger = ledger_of(context)
    found = await ledger.transfer_by_key(_hold_key(asked))
    if found is None or found.state != "pending":
        return found
    try:
        return await ledger.void(found.ref, key=f"closed:{found.ref}", actor=asked.payer_id)
    except AlreadyResolved:  # resolved meanwhile (posted, expired): as it stands
        return await ledger.get_transfer(found.ref)


async def decline(update: Update, context: Context) -> None:
    """Declines the request; the requester is told."""
    query = update.callback_query
    assert query is not None and query.message is not None
    asked = await _pressed_request(update, context, DECLINE)
    if asked is None:
        return
    ledger, reader = ledger_of(context), lang(context)
    hold = await _release_hold(context, asked)
    if hold is not None and hold.state == "posted":
        await answer(query, t(reader, "request.already.paid"), alert=True)
        return
    card = None if hold is None else await ledger.card_of(hold.id)
    if hold is None:
        settled = await cards.settle_request(context.bot, ledger, asked, "declined")
    else:  # its card says the money is released; the requester hears "declined"
        settled = await cards.finish(
            context.bot, ledger, hold, "declined", card=card, reader=reader, request=asked
        )
    if not settled:
        current = await ledger.requests.get(asked.ref)
        await answer(query, t(reader, f"request.already.{current.state}"), alert=True)
        return
    await answer(query, t(reader, "request.declined_answer"))
    if card is not None and (card.chat_id, card.message_id) == (
        query.message.chat.id,
        query.message.message_id,
    ):
        return  # Pay made this message the card, which now says the money was released
    requester = await ledger.directory.get(asked.requester_id)
    await edit_message(
        context.bot,
        query.message.chat.id,
        query.message.message_id,
        t(
            reader,
            "request.you_declined",
            requester=who(requester, reader),
            amount=money(reader, asked.amount, ledger.currency),
            memo=memo(asked.memo),
        ),
    )


def register(application: Application) -> None:
    application.add_handler(CommandHandler("request", request, filters=filters.UpdateType.MESSAGE))
    application.add_handler(CallbackQueryHandler(pay, pattern="^" + PAY))
    application.add_handler(CallbackQueryHandler(decline, pattern="^" + DECLINE))
