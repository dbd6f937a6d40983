"""Top-ups through Telegram Payments: the pre-checkout answer and the payment Telegram
reports (the invoice itself is sent by ``bot.funding``'s /topup).

Telegram asks before it takes the money (``pre_checkout_query``, to be answered within 10
seconds): yes only for an invoice this bot made, unpaid, for this payer, into an account that
can receive it within the limits; otherwise no, with the reason the payer reads. Then it
reports the payment (``successful_payment``): credited once per ``telegram_payment_charge_id``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from telegram import Update
from telegram.ext import Application, MessageHandler, PreCheckoutQueryHandler, filters

from bot.common import Context, lang, ledger_of, send_private
from bot.funding import funding_of, refusal_text
from bot.outbox import deliver, payments_of
from bot.render import money, plain
from bot.texts import t
from ledger.errors import DatabaseUnavailable, LedgerError

log = logging.getLogger(__name__)


# --- Telegram Payments -------------------------------------------------------------------


async def pre_checkout(update: Update, context: Context) -> None:
    """Yes only for an invoice this bot made, unpaid, for this payer, into an account that
    can receive it within the limits; otherwise no, with the reason the payer reads."""
    query = update.pre_checkout_query
    assert query is not None
    reader = lang(context)
    try:
        await funding_of(context.bot_data).pre_checkout(
            query.invoice_payload, query.from_user.id, query.currency, query.total_amount
        )
    except LedgerError as error:
        await query.answer(ok=False, error_message=_plain(refusal_text(reader, error, context)))
        return
    await query.answer(ok=True)


def _plain(text: str) -> str:
    return plain(text)[:200]


async def successful_payment(update: Update, context: Context) -> None:
    """Telegram took the money: credited once per charge id, the payer told. If the ledger
    cannot be reached now, the payer hears the payment is safe and the credit is retried."""
    message = update.effective_message
    assert message is not None and message.successful_payment is not None
    assert message.from_user is not None
    paid = message.successful_payment
    charge = Charge(
        paid.invoice_payload,
        message.from_user.id,
        paid.currency,
        paid.total_amount,
        paid.telegram_payment_charge_id,
        paid.provider_payment_charge_id,
    )
    try:
        await _credit(context.application, charge)
    except DatabaseUnavailable:
        reader = lang(context)
        currency = ledger_of(context).currency
        log.error(
            "payment %s of user %s (provider charge %s) not credited yet: database "
            "unavailable; retrying",
            charge.charge_id,
            charge.user_id,
            charge.provider_charge_id,
        )
        await send_private(
            context.bot,
            charge.user_id,
            t(reader, "funding.payment_delayed", amount=money(reader, charge.amount, currency)),
        )
        _retry_later(context.application, charge, RETRY_FIRST_S)


@dataclass(frozen=True, slots=True)
class Charge:
    """A payment Telegram reported (its successful_payment), kept to credit it again."""

    payload: str
    user_id: int
    currency: str
    amount: int
    charge_id: str
    provider_charge_id: str


RETRY_FIRST_S, RETRY_MAX_S = 5.0, 600.0


async def _credit(application: Application, charge: Charge) -> None:  # type: ignore[type-arg]
    done = await funding_of(application.bot_data).telegram_paid(
        charge.payload,
        charge.user_id,
        charge.currency,
        charge.amount,
        charge.charge_id,
        charge.provider_charge_id,
    )
    payments = payments_of(application.bot_data)
    await deliver(application.bot, payments, done.messages, [done.transfer])


def _retry_later(application: Application, charge: Charge, delay: float) -> None:  # type: ignore[type-arg]
    assert application.job_queue is not None
    application.job_queue.run_once(
        retry_credit_job, when=delay, data=(charge, delay), name=f"credit:{charge.charge_id}"
    )


async def retry_credit_job(context: Context) -> None:
    """Credits a reported payment the ledger could not take before (backing off)."""
    charge, delay = context.job.data  # type: ignore[union-attr,misc]
    try:
        await _credit(context.application, charge)
    except DatabaseUnavailable:
        log.error("payment %s still not credited: database unavailable", charge.charge_id)
        _retry_later(context.application, charge, min(delay * 2, RETRY_MAX_S))
        return
    log.info("payment %s credited after a retry", charge.charge_id)


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(PreCheckoutQueryHandler(pre_checkout))
    application.add_handler(MessageHandler(filters.SUCCESSFUL_PAYMENT, successful_payment))
