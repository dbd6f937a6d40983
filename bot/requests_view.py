"""/requests: the open requests someone made or is asked to pay, with buttons: [Remind] (at
most once a day) and [Withdraw] on their own, [Pay] and [Decline] on those asked of them
(handled by ``bot.request``). A request lapses at its own expiry (``REQUEST_EXPIRY_SECONDS``):
the sweeper closes it and tells its requester.

Callback data: ``q:r:<request ref>`` (remind), ``q:w:<request ref>`` (withdraw), checked by
the payments service (only the requester, only while open).
"""

from __future__ import annotations

import logging

from telegram import Message, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot import buttons, cards
from bot.common import (
    Context,
    Markup,
    Refusal,
    answer,
    edit_message,
    explain,
    keyboard,
    lang,
    ledger_of,
    refuse,
    send_private,
    tell_privately,
)
from bot.outbox import payments_of
from bot.people import language_for, registered_sender
from bot.render import local_time, memo, money, who
from bot.texts import t
from ledger import Currency, PaymentRequest
from ledger.errors import LedgerError, NotYours, RequestClosed, TransferNotFound

log = logging.getLogger(__name__)

COMMANDS = [("requests", "menu.requests")]
REMIND, WITHDRAW = buttons.REQUESTS_REMIND, buttons.REQUESTS_WITHDRAW


async def render(context: Context, person_id: int, reader: str) -> tuple[str, Markup | None]:
    """The list of ``person_id``'s open requests, and a row of buttons for each."""
    ledger = ledger_of(context)
    currency = ledger.currency
    open_ = await ledger.requests.open_of(person_id)
    me = await ledger.directory.get(person_id)
    time_zone = me.time_zone if me else None
    if not open_:
        return t(reader, "requests.none"), None
    lines, rows = [t(reader, "requests.title")], []
    for asked in open_:
        amount = money(reader, asked.amount, currency)
        until = local_time(reader, asked.expires_at, time_zone) if asked.expires_at else "—"
        if asked.requester_id == person_id:
            other = who(await ledger.directory.get(asked.payer_id), reader)
            lines.append(
                t(reader, "requests.outgoing", payer=other, amount=amount, memo=memo(asked.memo))
                + t(reader, "requests.until", until=until)
            )
            rows.append(
                [
                    (t(reader, "requests.remind_button", payer=other), REMIND + asked.ref),
                    (t(reader, "requests.withdraw_button", amount=amount), WITHDRAW + asked.ref),
                ]
            )
        else:
            other = who(await ledger.directory.get(asked.requester_id), reader)
            lines.append(
                t(
                    reader,
                    "requests.incoming",
                    requester=other,
                    amount=amount,
                    memo=memo(asked.memo),
                )
                + t(reader, "requests.until", until=until)
            )
            rows.append(
                [
                    (
                        t(reader, "request.pay_button", amount=amount),
                        buttons.REQUEST_PAY + asked.ref,
                    ),
                    (t(reader, "request.decline_button"), buttons.REQUEST_DECLINE + asked.ref),
                ]
            )
    return "\n".join(lines), keyboard(*rows)


async def requests(update: Update, context: Context) -> None:
    """Lists the open requests, in and out, privately (from a group: by private message)."""
    user = update.effective_user
    assert user is not None
    try:
        person = await registered_sender(context, user)
    except Refusal as error:
        await refuse(update, context, error)
        return
    text, markup = await render(context, person.id, lang(context))
    await tell_privately(update, context, text, markup)


async def _refresh(context: Context, message: Message, person_id: int, reader: str) -> None:
    """The /requests message, redrawn after a press changed what is open."""
    text, markup = await render(context, person_id, reader)
    await edit_message(context.bot, message.chat.id, message.message_id, text, markup)


async def remind(update: Update, context: Context) -> None:
    """Reminds the payer of a request, at most once a day."""
    query = update.callback_query
    assert query is not None
    ledger, reader = ledger_of(context), lang(context)
    ref = cards.pressed_ref(query.data, REMIND) or ""
    try:
        asked = await payments_of(context.bot_data).remind(ref, query.from_user.id)
    except (TransferNotFound, NotYours):
        await answer(query, t(reader, "card.invalid"))
        return
    except RequestClosed as error:
        await answer(query, t(reader, f"request.already.{error.state}"), alert=True)
        return
    except LedgerError as error:
        await answer(query, explain(reader, error, ledger.currency), alert=True)
        return
    payer = await ledger.directory.get(asked.payer_id)
    requester = await ledger.directory.get(asked.requester_id)
    theirs = language_for(payer)
    text = t(
        theirs,
        "requests.reminder",
        requester=who(requester, theirs),
        amount=money(theirs, asked.amount, ledger.currency),
        memo=memo(asked.memo),
    )
    markup = _pay_buttons(theirs, asked, ledger.currency)
    if await send_private(context.bot, asked.payer_id, text, markup) is None:
        await answer(query, t(reader, "requests.reminder_undeliverable"), alert=True)
        return
    await answer(query, t(reader, "requests.reminded", payer=who(payer, reader)))


def _pay_buttons(reader: str, asked: PaymentRequest, currency: Currency) -> Markup:
    amount = money(reader, asked.amount, currency)
    return keyboard(
        [
            (t(reader, "request.pay_button", amount=amount), buttons.REQUEST_PAY + asked.ref),
            (t(reader, "request.decline_button"), buttons.REQUEST_DECLINE + asked.ref),
        ]
    )


async def withdraw(update: Update, context: Context) -> None:
    """The requester takes a request back; the payer is told, a card they opened for it
    says its money is released."""
    query = update.callback_query
    assert query is not None
    ledger, reader = ledger_of(context), lang(context)
    ref = cards.pressed_ref(query.data, WITHDRAW) or ""
    try:
        withdrawn = await payments_of(context.bot_data).withdraw_by_requester(
            ref, query.from_user.id
        )
    except (TransferNotFound, NotYours):
        await answer(query, t(reader, "card.invalid"))
        return
    except RequestClosed as error:
        await answer(query, t(reader, f"request.already.{error.state}"), alert=True)
        return
    asked = withdrawn.request
    await answer(query, t(reader, "requests.withdrawn_answer"))
    payer = await ledger.directory.get(asked.payer_id)
    if withdrawn.hold is not None and withdrawn.card is not None:
        await cards.redraw(context, withdrawn.hold, withdrawn.card, language_for(payer))
    requester = await ledger.directory.get(asked.requester_id)
    theirs = language_for(payer)
    await send_private(
        context.bot,
        asked.payer_id,
        t(
            theirs,
            "requests.withdrawn",
            requester=who(requester, theirs),
            amount=money(theirs, asked.amount, ledger.currency),
            memo=memo(asked.memo),
        ),
    )
    if isinstance(query.message, Message):
        await _refresh(context, query.message, query.from_user.id, reader)


async def lapse(application: Application) -> list[PaymentRequest]:
    """Close requests past their own expiry and tell each requester once (the database
    closes each once, whichever worker runs this)."""
    ledger = application.bot_data["ledger"]
    lapsed = await payments_of(application.bot_data).lapse_overdue()
    for asked in lapsed:
        requester = await ledger.directory.get(asked.requester_id)
        payer = await ledger.directory.get(asked.payer_id)
        reader = language_for(requester)
        await send_private(
            application.bot,
            asked.requester_id,
            t(
                reader,
                "requests.lapsed",
                payer=who(payer, reader),
                amount=money(reader, asked.amount, ledger.currency),
                memo=memo(asked.memo),
            ),
        )
    if lapsed:
        log.info("%d request(s) lapsed", len(lapsed))
    return lapsed


async def lapse_job(context: Context) -> None:
    """Runs ``lapse`` on the sweeper's schedule."""
    await lapse(context.application)


def register(application: Application) -> None:
    application.add_handler(
        CommandHandler("requests", requests, filters=filters.UpdateType.MESSAGE)
    )
    application.add_handler(CallbackQueryHandler(remind, pattern="^" + REMIND))
    application.add_handler(CallbackQueryHandler(withdraw, pattern="^" + WITHDRAW))
    if application.job_queue is not None:
        interval = application.bot_data["settings"].sweep_interval_seconds
        application.job_queue.run_repeating(
            lapse_job, interval=interval, first=interval, name="requests"
        )
