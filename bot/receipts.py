"""A receipt's buttons: [Send again] and [Request back] under the payer's receipt, [Say
thanks] and [Send back] under the notice its recipient gets (``bot.cards.receipt_buttons``).

Send again and Send back show a new confirmation card (nothing moves before Confirm);
Request back asks the other person for the same amount, as /request would. Each press is
checked against the ledger: a posted payment, pressed by the person the receipt is for.
"""

from __future__ import annotations

from telegram import Message, Update
from telegram.ext import Application, CallbackQueryHandler

from bot import buttons, cards
from bot.common import (
    Context,
    Refusal,
    answer,
    edit_message,
    explain,
    keyboard,
    lang,
    ledger_of,
    send_private,
)
from bot.people import language_for, registered_sender
from bot.render import memo, money, who
from bot.request import ask
from bot.texts import t
from ledger import Person, Transfer
from ledger.errors import LedgerError, TransferNotFound

AGAIN, REQUEST_BACK = buttons.RECEIPT_AGAIN, buttons.RECEIPT_REQUEST_BACK
THANKS, SEND_BACK = buttons.RECEIPT_THANKS, buttons.RECEIPT_SEND_BACK
# Thanks said, remembered in this process (the button also goes from the notice): a press of
# an old copy of the notice here is refused; on another worker, or long after, it thanks again.
_THANKED_KEPT = 1_000


async def _pressed(
    update: Update, context: Context, prefix: str, *, payer: bool
) -> tuple[Transfer, Person, Person] | None:
    """The payment a receipt's button is about, its presser and the other person, when the
    presser is the one the receipt is for (its payer, or its recipient); otherwise the press
    is answered here and None returned."""
    query = update.callback_query
    assert query is not None
    ledger, reader = ledger_of(context), lang(context)
    ref = cards.pressed_ref(query.data, prefix)
    try:
        transfer = await ledger.get_transfer(ref or "")
    except TransferNotFound:
        transfer = None
    if transfer is None or transfer.state != "posted" or transfer.kind != "payment":
        await answer(query, t(reader, "card.invalid"))
        return None
    mine, theirs = (
        (transfer.debit_owner, transfer.credit_owner)
        if payer
        else (transfer.credit_owner, transfer.debit_owner)
    )
    if query.from_user.id != mine or theirs is None:
        await answer(query, t(reader, "receipt.not_yours"), alert=True)
        return None
    try:
        me = await registered_sender(context, query.from_user)
    except Refusal as error:
        await answer(query, explain(reader, error, ledger.currency), alert=True)
        return None
    other = await ledger.directory.get(theirs)
    if other is None:
        await answer(query, t(reader, "card.invalid"))
        return None
    return transfer, me, other


async def _card_for(
    update: Update, context: Context, payer: Person, recipient: Person, paid: Transfer, key: str
) -> None:
    """Hold ``paid``'s amount again from ``payer`` to ``recipient`` and show its card under
    the receipt; a refusal is said on the button."""
    query = update.callback_query
    assert query is not None
    reader = lang(context)
    try:
        held = await cards.hold(context, payer, recipient, paid.amount, paid.memo, key=key)
    except (Refusal, LedgerError) as error:
        await answer(query, explain(reader, error, ledger_of(context).currency), alert=True)
        return
    await answer(query)
    assert isinstance(query.message, Message)
    await cards.show(context, held, reply_to=query.message)


async def send_again(update: Update, context: Context) -> None:
    """The payer pays the same person the same amount again: a new card to confirm."""
    pressed = await _pressed(update, context, AGAIN, payer=True)
    if pressed is None:
        return
    paid, me, other = pressed
    assert update.callback_query is not None
    await _card_for(update, context, me, other, paid, f"again:{update.callback_query.id}")


async def send_back(update: Update, context: Context) -> None:
    """The recipient pays the same amount back: a new card to confirm."""
    pressed = await _pressed(update, context, SEND_BACK, payer=False)
    if pressed is None:
        return
    paid, me, other = pressed
    assert update.callback_query is not None
    await _card_for(update, context, me, other, paid, f"back:{update.callback_query.id}")


async def request_back(update: Update, context: Context) -> None:
    """The payer asks the recipient for the same amount, as /request would."""
    pressed = await _pressed(update, context, REQUEST_BACK, payer=True)
    if pressed is None:
        return
    paid, me, other = pressed
    query = update.callback_query
    assert query is not None and isinstance(query.message, Message)
    reader = lang(context)
    try:
        sent = await ask(context, me, other, paid.amount, paid.memo, key=f"back:{query.id}")
    except (Refusal, LedgerError) as error:
        await answer(query, explain(reader, error, ledger_of(context).currency), alert=True)
        return
    await answer(query)
    if sent is not None:
        await query.message.reply_text(sent)


async def say_thanks(update: Update, context: Context) -> None:
    """The recipient thanks the payer, once: the button goes from the notice."""
    pressed = await _pressed(update, context, THANKS, payer=False)
    if pressed is None:
        return
    paid, me, other = pressed
    query = update.callback_query
    assert query is not None and isinstance(query.message, Message)
    ledger, reader = ledger_of(context), lang(context)
    told: dict[str, None] = context.bot_data.setdefault("thanked", {})
    if paid.ref in told:
        await answer(query, t(reader, "receipt.thanks_already"), alert=True)
        return
    told[paid.ref] = None
    while len(told) > _THANKED_KEPT:  # a process keeps little per person: the oldest go
        told.pop(next(iter(told)))
    their = language_for(other)
    text = t(
        their,
        "receipt.thanks",
        recipient=who(me, their),
        amount=money(their, paid.amount, ledger.currency),
        memo=memo(paid.memo),
    )
    if await send_private(context.bot, other.id, text) is None:
        told.pop(paid.ref, None)
        await answer(query, t(reader, "receipt.thanks_undeliverable"), alert=True)
        return
    await answer(query, t(reader, "receipt.thanks_sent", sender=who(other, reader)))
    message = query.message
    await edit_message(
        context.bot,
        message.chat.id,
        message.message_id,
        message.text_html,
        keyboard([(t(reader, "receipt.send_back_button"), SEND_BACK + paid.ref)]),
    )


def register(application: Application) -> None:
    application.add_handler(CallbackQueryHandler(send_again, pattern="^" + AGAIN))
    application.add_handler(CallbackQueryHandler(request_back, pattern="^" + REQUEST_BACK))
    application.add_handler(CallbackQueryHandler(say_thanks, pattern="^" + THANKS))
    application.add_handler(CallbackQueryHandler(send_back, pattern="^" + SEND_BACK))
