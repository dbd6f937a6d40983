"""/request @bob 20 dinner: bob is asked privately, with [Pay] and [Decline]. Pay turns that
message into the same confirmation card a /send shows; the requester hears the outcome.

Callback data is ``r:p:<REF>`` (Pay) or ``r:d:<REF>`` (Decline) (``bot.buttons``), checked
on every press by the payments service: only the payer, only while the request is open; and
here: only on the message they were sent privately. A request's hold is linked to it in the
database: one hold per request, and the request settles with it (paid, declined, cancelled).
"""

from __future__ import annotations

from telegram import (
    CallbackQuery,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot import buttons, cards
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
from bot.outbox import deliver, payments_of
from bot.people import check_recipient, language_for, registered_sender
from bot.render import memo, money, who
from bot.send import CONVERSATION_TIMEOUT, Draft, read_draft
from bot.texts import t
from ledger import Currency, PaymentRequest, Person, parse_amount
from ledger.errors import LedgerError, NotYours, RequestClosed, TransferNotFound

COMMANDS = [("request", "menu.request")]

PAY, DECLINE = buttons.REQUEST_PAY, buttons.REQUEST_DECLINE
_NAME = "request"  # its conversation (a /request that named only the payer) in SharedState


async def request(update: Update, context: Context) -> None:
    """Asks the payer privately for money and tells the requester the request went out;
    without an amount, asks for it first (as /send does)."""
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    shared = ledger_of(context).shared
    try:
        requester = await registered_sender(context, user)
        draft = await read_draft(context, message, requester)
        if draft.recipient is None:
            raise Refusal("request.usage")
        if draft.amount is None:
            check_recipient(context, requester.id, draft.recipient)
            # Kept in the database, as /send's: the answer may reach another worker.
            await shared.keep_conversation(
                message.chat_id,
                user.id,
                _NAME,
                "amount",
                {"payer": draft.recipient.id, "note": draft.note},
                CONVERSATION_TIMEOUT,
            )
            markup = None if message.chat.type == "private" else ForceReply(selective=True)
            await message.reply_text(
                t(lang(context), "request.ask_amount", payer=who(draft.recipient, lang(context))),
                reply_markup=markup,
            )
            return
        await shared.end_conversation(message.chat_id, user.id, _NAME)
        await _ask_and_say(update, context, draft, requester)
    except (Refusal, LedgerError) as error:
        await refuse(update, context, error)


async def answer_amount(update: Update, context: Context) -> bool:
    """Takes the amount of a /request that named only the payer (a text fallback of
    ``bot.send``); False when no such /request waits."""
    message, user = update.effective_message, update.effective_user
    assert message is not None and message.text is not None and user is not None
    shared = ledger_of(context).shared
    found = await shared.conversation(message.chat_id, user.id, _NAME)
    if found is None:
        return False
    saved = found[1]
    try:
        requester = await registered_sender(context, user)
        payer = await ledger_of(context).directory.get(saved["payer"])
        if payer is None:
            raise Refusal("request.usage")
        amount = parse_amount(message.text, ledger_of(context).currency)
    except (Refusal, LedgerError) as error:
        await refuse(update, context, error, then=t(lang(context), "send.try_again"))
        return True
    await shared.end_conversation(message.chat_id, user.id, _NAME)
    draft = Draft(recipient=payer, amount=amount, note=saved["note"], sender=requester)
    try:
        await _ask_and_say(update, context, draft, requester)
    except (Refusal, LedgerError) as error:
        await refuse(update, context, error)
    return True


async def cancel_asking(update: Update, context: Context) -> bool:
    """Ends a /request waiting for its amount (a /cancel fallback of ``bot.send``)."""
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    if not await ledger_of(context).shared.end_conversation(message.chat_id, user.id, _NAME):
        return False
    await message.reply_text(t(lang(context), "request.cancelled"))
    return True


async def _ask_and_say(update: Update, context: Context, draft: Draft, requester: Person) -> None:
    message = update.effective_message
    assert message is not None and draft.recipient is not None and draft.amount is not None
    sent = await ask(
        context,
        requester,
        draft.recipient,
        draft.amount,
        draft.note,
        key=f"request:{message.chat_id}:{message.message_id}",
    )
    if sent is not None:
        await message.reply_text(sent)


async def ask(
    context: Context, requester: Person, payer: Person, amount: int, note: str, *, key: str
) -> str | None:
    """Ask ``payer`` privately for money, with [Pay] and [Decline]; the text telling the
    requester it went out, or None when ``key`` asked already (a redelivered update). A
    Refusal when the payer cannot be written to (the request is withdrawn)."""
    ledger, reader = ledger_of(context), lang(context)
    check_recipient(context, requester.id, payer)
    asked = await payments_of(context.bot_data).request(
        requester.id, payer.id, amount, note, key=key
    )
    if asked.replayed:
        return None
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
        await payments_of(context.bot_data).withdraw(asked.ref)
        # Whether bob blocked the bot is his business: in a group, only the requester hears it.
        raise Refusal("request.undeliverable", payer=who(payer, reader))
    return t(
        reader,
        "request.sent",
        payer=who(payer, reader),
        amount=money(reader, asked.amount, ledger.currency),
        memo=memo(asked.memo),
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
    """The request a press is about, if the presser is its payer and pressed the message
    they were sent privately; otherwise the press is answered here and None returned."""
    query = update.callback_query
    assert query is not None
    reader = lang(context)
    ref = cards.pressed_ref(query.data, prefix)
    try:
        asked = await payments_of(context.bot_data).request_for(ref or "", query.from_user.id)
    except TransferNotFound:
        await answer(query, t(reader, "card.invalid"))
        return None
    except NotYours:
        await answer(query, t(reader, "request.not_yours"), alert=True)
        return None
    if query.message is None or query.message.chat.id != asked.payer_id:
        await answer(query, t(reader, "card.invalid"))
        return None
    return asked


async def _closed(query: CallbackQuery, reader: str, error: RequestClosed) -> None:
    key = "request.unpayable" if error.unpayable else f"request.already.{error.state}"
    await answer(query, t(reader, key), alert=True)


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
        check_recipient(context, payer.id, requester)
        started = await payments_of(context.bot_data).pay(asked.ref, payer.id)
    except RequestClosed as error:
        await _closed(query, reader, error)
        return
    except (Refusal, LedgerError) as error:
        await answer(query, explain(reader, error, ledger.currency), alert=True)
        return
    await answer(query)
    await cards.show(context, started.held, edit=query.message, request_id=asked.id)  # type: ignore[arg-type]


async def decline(update: Update, context: Context) -> None:
    """Declines the request; a hold Pay made for it is released with it; the requester is
    told (by the outbox)."""
    query = update.callback_query
    assert query is not None and query.message is not None
    asked = await _pressed_request(update, context, DECLINE)
    if asked is None:
        return
    ledger, reader = ledger_of(context), lang(context)
    payments = payments_of(context.bot_data)
    try:
        declined = await payments.decline(asked.ref, query.from_user.id)
    except RequestClosed as error:
        await _closed(query, reader, error)
        return
    await answer(query, t(reader, "request.declined_answer"))
    card = declined.card
    if declined.hold is not None:  # its card says the money is released
        await cards.redraw(context, declined.hold, card, reader)
    await deliver(context.bot, payments, declined.messages)
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
    new = filters.UpdateType.MESSAGE
    application.add_handler(CommandHandler("request", request, filters=new))
    application.bot_data.setdefault("text_fallbacks", []).append(answer_amount)
    application.bot_data.setdefault("cancel_fallbacks", []).append(cancel_asking)
    application.add_handler(CallbackQueryHandler(pay, pattern="^" + PAY))
    application.add_handler(CallbackQueryHandler(decline, pattern="^" + DECLINE))
