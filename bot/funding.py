"""Money in and out: /card, /topup, /withdraw (Telegram's pre-checkout and payments are in
``bot.invoices``, the admin's /refund, limits and figures in ``bot.funding_admin``).

    /card 4242 4242 4242 4242 12/29      link an emulated Visa test card (privately)
    /topup 50                            a Telegram invoice (PAYMENT_PROVIDER_TOKEN set), else
                                         a confirmation card charging the linked card
    /withdraw 20                         a confirmation card; Confirm holds, the processor
                                         settles (or returns) after PAYOUT_SETTLE_SECONDS

Handlers parse, call the service (``ledger.payments.funding``), render and reply; the
messages a movement owes are outbox rows, delivered here at once or by the periodic job.
A card number is read here and passed on; it is never stored, logged or echoed back.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from telegram import LabeledPrice, Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    filters,
)

from bot import outbox
from bot.buttons import (
    PAYOUT_CANCEL,
    PAYOUT_CONFIRM,
    TOPUP_AMOUNT,
    TOPUP_CANCEL,
    TOPUP_CONFIRM,
    TOPUP_MENU,
)
from bot.common import (
    BotData,
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
    send_text,
    settings_of,
)
from bot.outbox import deliver, payments_of
from bot.people import registered_sender
from bot.render import money
from bot.texts import t
from ledger import Ledger, parse_amount
from ledger.errors import AccountFrozen, LedgerError, NotYours
from ledger.outbox import OutboxMessage
from ledger.payments.cards_processor import CardRefused
from ledger.payments.funding import (
    CardDeclined,
    FundingClosed,
    FundingLimit,
    FundingLimits,
    Fundings,
    ToppedUp,
)

log = logging.getLogger(__name__)

COMMANDS = [("topup", "menu.topup"), ("withdraw", "menu.withdraw"), ("card", "menu.card")]

SETTLE_TIMER = "payout-settle"


def funding_of(bot_data: BotData) -> Fundings:
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
            card_expiry=timedelta(seconds=settings.hold_expiry_seconds),
        )
    return service


def refusal_text(reader: str, error: Exception, context: Context) -> str:
    """The refusal in words; the processor's reasons each have their own."""
    if isinstance(error, CardDeclined):
        return t(reader, f"funding.decline.{error.reason}")
    if isinstance(error, CardRefused):
        return t(reader, f"funding.card_refused.{error.reason}")
    if isinstance(error, FundingClosed) and error.state == "expired":
        return t(reader, "funding.expired")
    if isinstance(error, FundingClosed) and error.state in ("charging", "paid", "refunded"):
        return t(reader, "funding.paid_already")
    if isinstance(error, AccountFrozen):
        return t(reader, "funding.frozen")
    if isinstance(error, NotYours):
        return t(reader, "funding.not_yours")
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
        await message.reply_text(refusal_text(reader, error, context))
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
        await reply(message, refusal_text(reader, error, context))
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
    except (Refusal, LedgerError) as error:
        await message.reply_text(refusal_text(reader, error, context))
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
        try:
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
        except BadRequest as error:  # an amount outside Telegram's range, a bad token
            log.warning("invoice refused by Telegram: %s", error.message)
            await fundings.cancel(invoice.token, user_id)
            raise Refusal("funding.invoice.refused") from None
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
    except (Refusal, LedgerError) as error:
        await send_text(context.bot, query.from_user.id, refusal_text(reader, error, context))
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
        await _refused(context, query, reader, error)
        return
    await answer(query, t(reader, "funding.already") if done.already else None)
    await _edit(context, query, _topped_up_text(reader, done, context))
    # The card became the notice: its outbox row is delivered by this edit.
    await payments_of(context.bot_data).delivered(done.messages)


async def _refused(context: Context, query: object, reader: str, error: LedgerError) -> None:
    """The press's refusal as an alert; a card that can no longer be confirmed (declined,
    expired) says so in place of its buttons. A press by someone else leaves it alone."""
    said = refusal_text(reader, error, context)
    await answer(query, said, alert=True)  # type: ignore[arg-type]
    if isinstance(error, CardDeclined) or (
        isinstance(error, FundingClosed) and error.state == "expired"
    ):
        await _edit(context, query, said)


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
        await message.reply_text(refusal_text(reader, error, context))
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
        await _refused(context, query, reader, error)
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
    whose credit a stopped process left: each once, people told. One settler at a time over
    all workers (the database's "payouts" lock, as the hold sweeper has its own): the others
    skip this turn at once; nothing is lost, every due payout is the next turn's."""
    fundings = funding_of(application.bot_data)
    payments = payments_of(application.bot_data)
    ledger = fundings.ledger
    async with ledger.db.exclusive("payouts") as mine:
        if not mine:
            return 0
        await ledger.sync_clock()
        settled = await fundings.settle_due()
        recovered = await fundings.credit_recorded_charges()
    await deliver(application.bot, payments, settled.messages, settled.transfers)
    for done in recovered:
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


for _kind in ("topup_credited", "payout_settled", "payout_returned"):
    outbox.RENDERERS[_kind] = _notice


def register(application: Application) -> None:  # type: ignore[type-arg]
    message = filters.UpdateType.MESSAGE
    application.add_handler(CommandHandler("card", card, filters=message))
    application.add_handler(CommandHandler("topup", topup, filters=message))
    application.add_handler(CommandHandler("withdraw", withdraw, filters=message))
    application.add_handler(
        CallbackQueryHandler(topup_pressed, pattern=f"^({TOPUP_CONFIRM}|{TOPUP_CANCEL})")
    )
    application.add_handler(
        CallbackQueryHandler(withdraw_pressed, pattern=f"^({PAYOUT_CONFIRM}|{PAYOUT_CANCEL})")
    )
    application.add_handler(
        CallbackQueryHandler(topup_menu, pattern=f"^({TOPUP_MENU}|{TOPUP_AMOUNT})")
    )
    assert application.job_queue is not None
    interval = application.bot_data["settings"].sweep_interval_seconds
    # A pass right after start (payouts a stopped process held are settled then), then
    # every sweep interval.
    application.job_queue.run_repeating(settle_job, interval=interval, first=1, name="payouts")
