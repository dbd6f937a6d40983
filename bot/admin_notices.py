"""What the people an admin action concerns are told, privately and in their own language.
A notice that cannot be delivered (the person blocked the bot) is logged; the action stands.
"""

from __future__ import annotations

import logging

from telegram import Bot

from bot import cards
from bot.common import edit_message, send_private
from bot.people import language_for
from bot.render import memo, money
from bot.texts import t
from ledger import Card, Ledger, Transfer

log = logging.getLogger(__name__)

Notice = tuple[int, str]  # (Telegram user id, text)


async def notice(
    ledger: Ledger,
    user_id: int,
    key: str,
    *,
    reason: str = "",
    holds: int = 0,
    amount: int | None = None,
    account_id: int | None = None,
    ref: str = "",
) -> Notice:
    """The text ``key`` for ``user_id`` in their language, with amounts written their way
    and, given ``account_id``, their balance after the action."""
    reader = language_for(await ledger.directory.get(user_id))
    values: dict[str, object] = {"reason": reason, "ref": ref, "optional_reason": memo(reason)}
    if amount is not None:
        values["amount"] = money(reader, amount, ledger.currency)
    if account_id is not None:
        available = (await ledger.account(account_id)).available
        values["available"] = money(reader, available, ledger.currency)
    text = t(reader, key, **values)
    if holds:
        text += "\n" + t(reader, "admin.notice.holds_released", holds=holds)
    return user_id, text


async def reversal_notices(ledger: Ledger, reversal: Transfer, original_ref: str) -> list[Notice]:
    """Both parties of a reversed transfer: who gave the money back, who got it back."""
    notices = []
    for owner, account_id, key in (
        (reversal.debit_owner, reversal.debit_account_id, "admin.notice.reversed_taken"),
        (reversal.credit_owner, reversal.credit_account_id, "admin.notice.reversed_back"),
    ):
        if owner is None:
            continue  # a system account: nobody to tell
        notices.append(
            await notice(
                ledger,
                owner,
                key,
                reason=reversal.memo,
                amount=reversal.amount,
                account_id=account_id,
                ref=original_ref,
            )
        )
    return notices


async def tell(bot: Bot, notices: list[Notice], action: str) -> None:
    """Send each notice privately; the action stands even if one cannot be delivered."""
    for user_id, text in notices:
        if await send_private(bot, user_id, text) is None:
            log.warning("admin %s stands; user %s was not told", action, user_id)


async def release_cards(
    bot: Bot, ledger: Ledger, released: list[tuple[Transfer, Card | None]]
) -> None:
    """A freeze released these holds: their payment cards say so, in their sender's language
    (a request one was held for was cancelled by the database, its requester told by the
    outbox only that the payment was cancelled and nothing moved, not whose account was
    frozen)."""
    for transfer, card in released:
        if card is None:
            continue
        try:
            sender = (
                await ledger.directory.get(transfer.debit_owner) if transfer.debit_owner else None
            )
            reader = language_for(sender)
            text, markup = await cards.ended_card(ledger, transfer, card, reader)
            await edit_message(bot, card.chat_id, card.message_id, text, markup)
        except Exception:  # one card that cannot be edited must not keep the others stale
            log.exception("freeze released hold %s: its card was not updated", transfer.ref)
