"""Delivering the outbox: the messages a money movement owes people, written by the
database in the transaction that moved the money (``ledger.outbox``). The handler that
moved the money delivers its rows at once (``deliver``), so people hear as soon as before;
a periodic job takes over rows a stopped process left (``deliver_stale``). Each row is
rendered at delivery in its recipient's language, sent, then marked sent.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import timedelta

from telegram import Bot
from telegram.error import BadRequest, NetworkError, RetryAfter, TimedOut

from bot.common import BotApplication, BotData, Context, Markup, edit_message, send_private
from bot.people import language_for
from bot.render import memo, money, who
from bot.texts import t
from ledger import Ledger, Transfer
from ledger.outbox import OutboxMessage
from ledger.payments import Payments

log = logging.getLogger(__name__)
_ACTION = {  # for the log
    "frozen": "admin freeze",
    "unfrozen": "admin unfreeze",
    "credited": "admin credit",
    "debited": "admin debit",
    "reversed_taken": "admin reverse",
    "reversed_back": "admin reverse",
}
# An operator's movement (migration 0012): the account whose owner is told, by kind.
_ADMIN_SIDE = {
    "credited": "credit",
    "debited": "debit",
    "reversed_taken": "debit",
    "reversed_back": "credit",
}
# Kinds a feature renders itself (kind -> the text for its reader), sent privately.
RENDERERS: dict[str, Callable[[Ledger, OutboxMessage, str], Awaitable[str]]] = {}


def payments_of(bot_data: BotData) -> Payments:
    """The payments service over the application's ledger (made on first use)."""
    ledger: Ledger = bot_data["ledger"]
    service: Payments | None = bot_data.get("payments")
    if service is None or service.ledger is not ledger:
        settings = bot_data["settings"]
        service = bot_data["payments"] = Payments(
            ledger,
            hold_expiry=timedelta(seconds=settings.hold_expiry_seconds),
            request_expiry=timedelta(seconds=settings.request_expiry_seconds),
        )
    return service


async def deliver(
    bot: Bot,
    payments: Payments,
    messages: list[OutboxMessage],
    transfers: Sequence[Transfer] = (),
    available: Mapping[int, int] | None = None,
    reserved: Mapping[int, int] | None = None,
) -> None:
    """Send ``messages`` (rows this process wrote or took over), then mark them sent. One
    that cannot be delivered (the person blocked the bot) is logged and counts as sent: the
    money movement stands either way. ``transfers`` and ``available`` (balances by account
    id) and ``reserved`` (what each has on hold) are what the caller read already, as the
    movement left them: not read again."""
    if not messages:
        return
    known = _Known(
        payments.ledger,
        {t.id: t for t in transfers},
        {i: (a, (reserved or {}).get(i, 0)) for i, a in (available or {}).items()},
    )
    done = []
    try:
        for message in messages:
            try:
                await _deliver_one(bot, known, message)
            except Exception as error:
                if _passing(error):  # not sent: left claimed, sent again once the lease ends
                    log.warning(
                        "outbox %s (%s) not delivered yet: %s",
                        message.event_key,
                        message.kind,
                        error,
                    )
                    continue
                log.exception("outbox %s (%s) not delivered", message.event_key, message.kind)
            done.append(message)
    finally:
        await payments.delivered(done)


def _passing(error: Exception) -> bool:
    """Telegram's flood limit (429), a timeout or a network failure: the message may go
    through later, so its row is not marked sent. A refusal (blocked, chat not found, a
    message that cannot be edited) will not change: the row counts as delivered."""
    if isinstance(error, RetryAfter | TimedOut):
        return True
    return isinstance(error, NetworkError) and not isinstance(error, BadRequest)


async def deliver_stale(application: BotApplication) -> int:
    """Deliver rows a stopped process left (their claim is stale); how many."""
    payments = payments_of(application.bot_data)
    messages = await payments.stale_messages()
    await deliver(application.bot, payments, messages)
    return len(messages)


async def deliver_stale_job(context: Context) -> None:
    """Runs ``deliver_stale`` on the job queue's schedule."""
    count = await deliver_stale(context.application)
    if count:
        log.info("outbox: delivered %d message(s) left undelivered", count)


class _Known:
    """Reads for rendering, answered from what the caller passed when it has them."""

    def __init__(
        self,
        ledger: Ledger,
        transfers: dict[int, Transfer],
        balances: dict[int, tuple[int, int]],
    ):
        self.ledger, self.transfers, self.balances = ledger, transfers, balances

    async def transfer(self, transfer_id: int) -> Transfer:
        found = self.transfers.get(transfer_id)
        if found is None:
            found = self.transfers[transfer_id] = await self.ledger.transfer_by_id(transfer_id)
        return found

    async def balance(self, account_id: int) -> tuple[int, int]:
        """(available, reserved) of an account."""
        found = self.balances.get(account_id)
        if found is None:
            account = await self.ledger.account(account_id)
            found = self.balances[account_id] = (account.available, account.on_hold)
        return found


async def _deliver_one(bot: Bot, known: _Known, message: OutboxMessage) -> None:
    from bot import cheques  # a cheque's hold expires, and its payout is told, here too
    from bot.cards import balance_line, card_text, ended_card, receipt_buttons  # card texts

    ledger = known.ledger
    directory = ledger.directory
    reader = language_for(await directory.get(message.recipient_id))
    currency = ledger.currency

    if message.kind == "card_expired":
        assert message.transfer_id is not None
        transfer = await known.transfer(message.transfer_id)
        card = await ledger.card_of(transfer.id)
        if card is not None:
            text, markup = await ended_card(ledger, transfer, card, reader)
            await edit_message(bot, card.chat_id, card.message_id, text, markup)
        elif told := await cheques.expired(bot, ledger, transfer, reader):
            await _send(bot, message, told)
        return
    if (told := await cheques.tell(ledger, message, reader)) is not None:
        if told:  # ("": a row owed nobody a message, as a red envelope's to its sender)
            await _send(bot, message, told)
        return
    if message.kind in ("frozen", "unfrozen"):
        key = "admin.notice.frozen" if message.kind == "frozen" else "admin.notice.unfrozen"
        reason = message.note or ""
        text = t(reader, key, reason=reason, optional_reason=memo(reason))
        if message.detail:
            text += "\n" + t(reader, "admin.notice.holds_released", holds=message.detail)
        await _send(bot, message, text, _ACTION[message.kind])
        return
    if message.kind in _ADMIN_SIDE:
        assert message.transfer_id is not None
        moved = await known.transfer(message.transfer_id)
        side = _ADMIN_SIDE[message.kind]
        mine = moved.credit_account_id if side == "credit" else moved.debit_account_id
        ref = ""
        if moved.reverses_id is not None:  # a reversal names the transfer it undid
            ref = (await known.transfer(moved.reverses_id)).ref
        text = t(
            reader,
            f"admin.notice.{message.kind}",
            amount=money(reader, moved.amount, currency),
            reason=moved.memo,
            optional_reason=memo(moved.memo),
            ref=ref,
            available=money(reader, (await known.balance(mine))[0], currency),
        )
        await _send(bot, message, text, _ACTION[message.kind])
        return
    if message.kind in ("receipt", "received"):
        assert message.transfer_id is not None
        posted = await known.transfer(message.transfer_id)
        paying = message.kind == "receipt"
        mine = posted.debit_account_id if paying else posted.credit_account_id
        balance = balance_line(reader, currency, *await known.balance(mine))
        if paying:
            text = await card_text(ledger, posted, reader, "posted")
        else:
            sender = await directory.get(posted.debit_owner) if posted.debit_owner else None
            text = t(
                reader,
                "card.received",
                sender=who(sender, reader),
                amount=money(reader, posted.amount, currency),
                memo=memo(posted.memo),
                ref=posted.ref,
            )
        markup = receipt_buttons(reader, posted.ref, payer=paying)
        if paying:
            await _send(bot, message, text + "\n\n" + balance, markup=markup)
        elif await send_private(bot, message.recipient_id, text + "\n\n" + balance, markup) is None:
            log.warning(
                "payment %s stands; its recipient %s was not told",
                posted.ref,
                message.recipient_id,
            )
        return
    if message.kind.startswith("request_"):
        assert message.request_id is not None
        request = await ledger.requests.by_id(message.request_id)
        outcome = request.state
        if outcome == "cancelled" and message.transfer_id is not None:
            hold = await known.transfer(message.transfer_id)
            outcome = "cancelled" if hold.state == "expired" else "released"
        payer = await directory.get(request.payer_id)
        text = t(
            reader,
            f"request.outcome.{outcome}",
            payer=who(payer, reader),
            amount=money(reader, request.amount, currency),
            memo=memo(request.memo),
        )
        if request.state == "paid" and message.transfer_id is not None:
            paid = await known.transfer(message.transfer_id)
            text += "\n\n" + balance_line(
                reader, currency, *await known.balance(paid.credit_account_id)
            )
        await _send(bot, message, text)
        return
    render = RENDERERS.get(message.kind)
    if render is not None:
        await _send(bot, message, await render(ledger, message, reader))
        return
    log.error("outbox %s: unknown kind %r", message.event_key, message.kind)


async def _send(
    bot: Bot, message: OutboxMessage, text: str, what: str = "", markup: Markup | None = None
) -> None:
    if await send_private(bot, message.recipient_id, text, markup) is None:
        what = what or f"{message.kind} ({message.event_key})"
        log.warning("%s stands; user %s was not told", what, message.recipient_id)
