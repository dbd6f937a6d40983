"""The admin's side of money in and out: /refund of a top-up, the daily top-up and payout
limits in /limits, the day's figures and the books' identity in /stats (``bot.admin`` asks
for those two)."""

from __future__ import annotations

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application, CommandHandler, filters

from bot.admin import admin_only
from bot.admin_parse import Words, amount_of, reason_of
from bot.common import Context, Refusal, lang, ledger_of, reply
from bot.funding import funding_of
from bot.outbox import deliver, payments_of
from bot.render import money
from bot.texts import t

ADMIN_COMMANDS = [("refund", "menu.refund")]


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
    application.add_handler(CommandHandler("refund", refund, filters=filters.UpdateType.MESSAGE))
