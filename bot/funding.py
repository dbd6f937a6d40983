"""Money in and out: /card, /topup, /withdraw, Telegram Payments, and the admin's /refund.

    /card 4242 4242 4242 4242 12/29      link an emulated Visa test card (privately)
    /topup 50                            a Telegram invoice (PAYMENT_PROVIDER_TOKEN set), else
                                         a confirmation card charging the linked card
    /withdraw 20                         a confirmation card; Confirm holds, the processor
                                         settles (or returns) after PAYOUT_SETTLE_SECONDS
    /refund <reference> <reason>         (admins) a top-up's credit reversed, once

Handlers parse, call the service (``ledger.payments.funding``), render and reply; the
messages a movement owes are outbox rows, delivered here at once or by the periodic job.
A card number is read here and passed on; it is never stored, logged or echoed back.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from telegram import LabeledPrice, Update
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    PreCheckoutQueryHandler,
    filters,
)

from bot import outbox
from bot.admin import admin_only
from bot.admin_parse import Words
from bot.buttons import (
    PAYOUT_CANCEL,
    PAYOUT_CONFIRM,
    TOPUP_AMOUNT,
    TOPUP_CANCEL,
    TOPUP_CONFIRM,
    TOPUP_MENU,
)
from bot.common import (
    Context,
    Markup,
    Refusal,
    answer,
    edit_message,
    explain,
    is_private,
    keyboard,
    lang,
    ledger_of,
    reply,
    send_private,
    send_text,
    settings_of,
)
from bot.outbox import deliver, payments_of
from bot.people import registered_sender
from bot.render import money
from bot.texts import t
from ledger import Ledger, parse_amount
from ledger.errors import DatabaseUnavailable, LedgerError
from ledger.outbox import OutboxMessage
from ledger.payments.cards_processor import CardRefused
from ledger.payments.funding import (
    CardDeclined,
    FundingLimit,
    FundingLimits,
    Fundings,
    ToppedUp,
)

log = logging.getLogger(__name__)

COMMANDS = [("topup", "menu.topup"), ("withdraw", "menu.withdraw"), ("card", "menu.card")]
ADMIN_COMMANDS = [("refund", "menu.refund")]

SETTLE_TIMER = "payout-settle"


def funding_of(bot_data: dict) -> Fundings:  # type: ignore[type-arg]
    """The funding service over the application's ledger (made on first use)."""
    ledger: Ledger = bot_data["ledger"]
    service: Fundings | None = bot_data.get("fundings")
    if service is None or service.ledger is not ledger:
        settings = bot_data["settings"]
        service = bot_data["fundings"] = Fundings(
            ledger,
            settle_after=timedelta(seconds=settings.payout_settle_seconds),
            default_limits=FundingLimits(
                settings.topup_daily_limit_minor, settings.payout_daily_limit_minor
            ),
        )
    return service


def _why(reader: str, error: Exception, context: Context) -> str:
    """The refusal in words; the processor's reasons each have their own."""
    if isinstance(error, CardDeclined):
        return t(reader, f"funding.decline.{error.reason}")
    if isinstance(error, CardRefused):
        return t(reader, f"funding.card_refused.{error.reason}")
    currency = ledger_of(context).currency
    if isinstance(error, FundingLimit):
        return t(
            reader,
            f"funding.limit.{error.direction}",
            limit=money(reader, error.limit, currency),
            remaining=money(reader, error.remaining, currency),
        )
    return explain(reader, error, currency)


async def _amount(update: Update, context: Context, usage: str) -> int | None:
    """The amount after the command, or None once the user was told what is wrong."""
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    reader = lang(context)
    try:
        if not is_private(update):  # a card shows the balance: it belongs in private
            raise Refusal("funding.private")
        await registered_sender(context, user)
        words = (message.text or "").split(maxsplit=1)
        if len(words) < 2:
            raise Refusal(usage)
        return parse_amount(words[1], ledger_of(context).currency)
    except (Refusal, LedgerError) as error:
        await message.reply_text(_why(reader, error, context))
        return None


# --- /card -------------------------------------------------------------------------------


async def card(update: Update, context: Context) -> None:
    """Links an emulated test card; the message with the number is deleted."""
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    reader = lang(context)
    fundings = funding_of(context.bot_data)
    words = (message.text or "").split()[1:]
    if not words:
        linked = await fundings.card_of(user.id)
        key = "funding.card.none" if linked is None else "funding.card.linked"
        last4 = linked.last4 if linked else ""
        await message.reply_text(t(reader, key, last4=last4))
        return
    try:
        await _delete(message)
        if not is_private(update):
            raise Refusal("funding.card.private")
        if len(words) < 2:
            raise Refusal("funding.card.usage")
        linked = await fundings.link_card(user.id, " ".join(words[:-1]), words[-1])
    except (Refusal, LedgerError) as error:
        await reply(message, _why(reader, error, context))
        return
    text = t(
        reader,
        "funding.card.done",
        last4=linked.last4,
        expiry=f"{linked.exp_month:02d}/{linked.exp_year % 100:02d}",
    )
    await reply(message, text)


async def _delete(message: object) -> None:
    """The message that carried a card number leaves the chat (best effort)."""
    try:
        await message.delete()  # type: ignore[attr-defined]
    except TelegramError as error:
        log.info("a /card message could not be deleted: %s", error.message)


# --- /topup ------------------------------------------------------------------------------


async def topup(update: Update, context: Context) -> None:
    """A Telegram invoice, or a confirmation card charging the linked emulated card."""
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    amount = await _amount(update, context, "funding.topup.usage")
    if amount is None:
        return
    reader = lang(context)
    try:
        card = await _offer_topup(context, user.id, reader, amount)
    except LedgerError as error:
        await message.reply_text(_why(reader, error, context))
        return
    if card is not None:
        await reply(message, *card)


async def _offer_topup(
    context: Context, user_id: int, reader: str, amount: int
) -> tuple[str, Markup] | None:
    """Sends the invoice (None), or returns the confirmation card to show."""
    fundings = funding_of(context.bot_data)
    settings = settings_of(context)
    currency = ledger_of(context).currency
    if settings.telegram_payments:
        invoice = await fundings.propose_invoice(user_id, amount)
        token = settings.payment_provider_token
        await context.bot.send_invoice(
            chat_id=user_id,
            title=t(reader, "funding.invoice.title"),
            description=t(
                reader, "funding.invoice.description", amount=money(reader, amount, currency)
            ),
            payload=invoice.token,
            # Telegram Stars need no provider (the token is left out).
            provider_token=token.get_secret_value() if token is not None else None,
            currency=currency.code,
            prices=[LabeledPrice(t(reader, "funding.invoice.label"), amount)],
        )
        return None
    proposed = await fundings.propose_topup(user_id, amount)
    text = t(
        reader,
        "funding.topup.card",
        amount=money(reader, amount, currency),
        last4=proposed.card_last4 or "",
    )
    buttons = [
        (t(reader, "card.confirm_button"), TOPUP_CONFIRM + proposed.token),
        (t(reader, "card.cancel_button"), TOPUP_CANCEL + proposed.token),
    ]
    return text, keyboard(buttons)


_PRESETS = (10, 20, 50, 100)


async def topup_menu(update: Update, context: Context) -> None:
    """[Top up] under /balance: amounts to pick; a picked one goes on as /topup would."""
    query = update.callback_query
    assert query is not None and query.data is not None
    reader = lang(context)
    currency = ledger_of(context).currency
    if query.data.startswith(TOPUP_MENU):
        await answer(query)
        buttons = [
            (
                money(reader, units * 10**currency.exponent, currency),
                f"{TOPUP_AMOUNT}{units * 10**currency.exponent}",
            )
            for units in _PRESETS
        ]
        await send_text(
            context.bot, query.from_user.id, t(reader, "funding.topup.how_much"), keyboard(buttons)
        )
        return
    written = query.data[len(TOPUP_AMOUNT) :]
    if not written.isdigit() or int(written) <= 0:
        await answer(query)  # not a button this bot made
        return
    await answer(query)
    try:
        card = await _offer_topup(context, query.from_user.id, reader, int(written))
    except LedgerError as error:
        await send_text(context.bot, query.from_user.id, _why(reader, error, context))
        return
    if card is not None:
        await send_text(context.bot, query.from_user.id, *card)


async def topup_pressed(update: Update, context: Context) -> None:
    """Confirm charges the card and credits once; Cancel drops the top-up."""
    query = update.callback_query
    assert query is not None and query.data is not None and query.message is not None
    reader = lang(context)
    fundings = funding_of(context.bot_data)
    currency = ledger_of(context).currency
    confirm = query.data.startswith(TOPUP_CONFIRM)
    token = query.data[len(TOPUP_CONFIRM) :]
    try:
        if not confirm:
            cancelled = await fundings.cancel(token, query.from_user.id)
            await answer(query)
            await _edit(
                context,
                query,
                t(reader, "funding.cancelled", amount=money(reader, cancelled.amount, currency)),
            )
            return
        done = await fundings.confirm_topup(token, query.from_user.id)
    except LedgerError as error:
        await answer(query, _why(reader, error, context), alert=True)
        if isinstance(error, CardDeclined):
            await _edit(context, query, _why(reader, error, context))
        return
    await answer(query, t(reader, "funding.already") if done.already else None)
    await _edit(context, query, _topped_up_text(reader, done, context))
    # The card became the notice: its outbox row is delivered by this edit.
    await payments_of(context.bot_data).delivered(done.messages)


def _topped_up_text(reader: str, done: ToppedUp, context: Context) -> str:
    currency = ledger_of(context).currency
    return t(
        reader,
        "funding.topped_up",
        amount=money(reader, done.transfer.amount, currency),
        available=money(reader, done.available, currency),
        ref=done.transfer.ref,
    )


async def _edit(context: Context, query: object, text: str) -> None:
    message = query.message  # type: ignore[attr-defined]
    await edit_message(context.bot, message.chat.id, message.message_id, text)


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
        await query.answer(ok=False, error_message=_plain(_why(reader, error, context)))
        return
    await query.answer(ok=True)


def _plain(text: str) -> str:
    from bot.render import plain

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


# --- /withdraw ---------------------------------------------------------------------------


async def withdraw(update: Update, context: Context) -> None:
    """A confirmation card for a payout to the linked card."""
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    amount = await _amount(update, context, "funding.withdraw.usage")
    if amount is None:
        return
    reader = lang(context)
    currency = ledger_of(context).currency
    try:
        proposed = await funding_of(context.bot_data).propose_payout(user.id, amount)
    except LedgerError as error:
        await message.reply_text(_why(reader, error, context))
        return
    text = t(
        reader,
        "funding.withdraw.card",
        amount=money(reader, amount, currency),
        last4=proposed.card_last4 or "",
    )
    buttons = [
        (t(reader, "card.confirm_button"), PAYOUT_CONFIRM + proposed.token),
        (t(reader, "card.cancel_button"), PAYOUT_CANCEL + proposed.token),
    ]
    await reply(message, text, keyboard(buttons))


async def withdraw_pressed(update: Update, context: Context) -> None:
    """Confirm holds the amount and hands it to the processor; Cancel drops it."""
    query = update.callback_query
    assert query is not None and query.data is not None and query.message is not None
    reader = lang(context)
    fundings = funding_of(context.bot_data)
    currency = ledger_of(context).currency
    token = query.data[len(PAYOUT_CONFIRM) :]
    try:
        if query.data.startswith(PAYOUT_CANCEL):
            cancelled = await fundings.cancel(token, query.from_user.id)
            await answer(query)
            await _edit(
                context,
                query,
                t(reader, "funding.cancelled", amount=money(reader, cancelled.amount, currency)),
            )
            return
        held = await fundings.confirm_payout(token, query.from_user.id)
    except LedgerError as error:
        await answer(query, _why(reader, error, context), alert=True)
        return
    await answer(query, t(reader, "funding.already") if held.already else None)
    text = t(
        reader,
        "funding.withdraw.held",
        amount=money(reader, held.transfer.amount, currency),
        last4=held.funding.card_last4 or "",
        available=money(reader, held.available, currency),
        ref=held.transfer.ref,
    )
    await _edit(context, query, text)
    if not held.already and context.job_queue is not None:
        context.job_queue.run_once(
            settle_job, when=fundings.settle_after.total_seconds() + 0.5, name=SETTLE_TIMER
        )


async def settle(application: Application) -> int:  # type: ignore[type-arg]
    """The processor's answers for the payouts due (settled or returned), and the charges
    Telegram reported whose credit a stopped process left: each once, people told."""
    fundings = funding_of(application.bot_data)
    payments = payments_of(application.bot_data)
    settled = await fundings.settle_due()
    await deliver(application.bot, payments, settled.messages, settled.transfers)
    for done in await fundings.credit_recorded_charges():
        await deliver(application.bot, payments, done.messages, [done.transfer])
    return len(settled.transfers)


async def settle_job(context: Context) -> None:
    """Runs ``settle`` on the job queue's schedule (and once a payout is due)."""
    count = await settle(context.application)
    if count:
        log.info("processor settled or returned %d payout(s)", count)


# --- what the outbox says ----------------------------------------------------------------


async def _notice(ledger: Ledger, message: OutboxMessage, reader: str) -> str:
    assert message.transfer_id is not None
    transfer = await ledger.transfer_by_id(message.transfer_id)
    mine = (
        transfer.debit_account_id
        if message.kind != "topup_credited"
        else (transfer.credit_account_id)
    )
    available = (await ledger.account(mine)).available
    return t(
        reader,
        f"funding.notice.{message.kind}",
        amount=money(reader, transfer.amount, ledger.currency),
        available=money(reader, available, ledger.currency),
        ref=transfer.ref,
        memo=transfer.memo,
    )


for _kind in ("topup_credited", "topup_refunded", "payout_settled", "payout_returned"):
    outbox.RENDERERS[_kind] = _notice


# --- /refund -----------------------------------------------------------------------------


@admin_only
async def refund(update: Update, context: Context, words: Words) -> None:
    """A top-up's credit reversed, once; a Telegram Stars payment refunded through Telegram."""
    message, admin = update.effective_message, update.effective_user
    assert message is not None and admin is not None
    reader = lang(context)
    parts = (message.text or "").split(maxsplit=2)
    if len(parts) < 3:
        raise Refusal("funding.refund.usage")
    ref, reason = parts[1].upper(), parts[2].strip()
    fundings = funding_of(context.bot_data)
    currency = ledger_of(context).currency
    done = await fundings.refund(
        admin.id, ref, reason, key=f"refund:{message.chat_id}:{message.message_id}"
    )
    await deliver(context.bot, payments_of(context.bot_data), done.messages, [done.reversal])
    text = t(
        reader,
        "funding.refund.done",
        ref=ref,
        reversal=done.reversal.ref,
        amount=money(reader, done.reversal.amount, currency),
    )
    if done.telegram_due and done.funding is not None and done.funding.charge_id:
        try:
            await context.bot.refund_star_payment(done.funding.owner_id, done.funding.charge_id)
        except TelegramError as error:
            text += "\n" + t(reader, "funding.refund.stars_failed", reason=error.message)
        else:
            await fundings.stars_refunded(done.funding)
            text += "\n" + t(reader, "funding.refund.stars")
    elif done.funding is not None and done.funding.method == "telegram":
        text += "\n" + t(reader, "funding.refund.provider")
    await reply(message, text)


# --- for /limits and /stats (bot.admin) ---------------------------------------------------

LIMIT_FIELDS = {"topup": "topup_daily", "payout": "payout_daily"}


async def limits_text(context: Context, reader: str) -> str:
    """The daily top-up and payout limits, for /limits."""
    limits = await funding_of(context.bot_data).limits()
    currency = ledger_of(context).currency
    return t(
        reader,
        "funding.limits.show",
        topup=money(reader, limits.topup_daily, currency),
        payout=money(reader, limits.payout_daily, currency),
    )


async def set_limit(context: Context, admin_id: int, which: str, rest: str) -> str:
    """``/limits topup 2000 [reason]`` or ``/limits payout 500 [reason]``: set, audited."""
    from bot.admin_parse import amount_of, reason_of

    reader = lang(context)
    amount, rest = amount_of(context, rest, "funding.limits.usage")
    reason = reason_of(reader, rest, "funding.limits.usage", required=False)
    await funding_of(context.bot_data).set_limits(
        admin_id, reason=reason, **{LIMIT_FIELDS[which]: amount}
    )
    return t(reader, "admin.limits.set") + "\n\n" + await limits_text(context, reader)


async def stats_lines(context: Context, reader: str) -> list[str]:
    """The day's top-ups, payouts and refunds, and the books' identity, for /stats."""
    fundings = funding_of(context.bot_data)
    currency = ledger_of(context).currency
    day = await fundings.day_totals()
    books = await fundings.books()

    def m(amount: int) -> str:
        return money(reader, amount, currency)

    return [
        t(
            reader,
            "funding.stats.day",
            topups=day.topups,
            topped_up=m(day.topped_up),
            payouts=day.payouts,
            paid_out=m(day.paid_out),
            refunds=day.refunds,
            refunded=m(day.refunded),
        ),
        t(
            reader,
            "funding.stats.books_ok" if books.balanced else "funding.stats.books_broken",
            issued=m(books.issued),
            topped_up=m(books.topped_up),
            paid_out=m(books.paid_out),
            refunded=m(books.refunded),
            users=m(books.users),
        ),
    ]


def register(application: Application) -> None:  # type: ignore[type-arg]
    message = filters.UpdateType.MESSAGE
    application.add_handler(CommandHandler("card", card, filters=message))
    application.add_handler(CommandHandler("topup", topup, filters=message))
    application.add_handler(CommandHandler("withdraw", withdraw, filters=message))
    application.add_handler(CommandHandler("refund", refund, filters=message))
    application.add_handler(
        CallbackQueryHandler(topup_pressed, pattern=f"^({TOPUP_CONFIRM}|{TOPUP_CANCEL})")
    )
    application.add_handler(
        CallbackQueryHandler(withdraw_pressed, pattern=f"^({PAYOUT_CONFIRM}|{PAYOUT_CANCEL})")
    )
    application.add_handler(
        CallbackQueryHandler(topup_menu, pattern=f"^({TOPUP_MENU}|{TOPUP_AMOUNT})")
    )
    application.add_handler(PreCheckoutQueryHandler(pre_checkout))
    application.add_handler(MessageHandler(filters.SUCCESSFUL_PAYMENT, successful_payment))
    assert application.job_queue is not None
    interval = application.bot_data["settings"].sweep_interval_seconds
    application.job_queue.run_repeating(
        settle_job, interval=interval, first=interval, name="payouts"
    )
