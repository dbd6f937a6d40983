"""What a freeze shows on the payment cards it released. (What the people an admin action
concerns are told is written by the database with the action, as outbox rows, and rendered
by ``bot.outbox``.)"""

from __future__ import annotations

import logging

from telegram import Bot

from bot import cards, cheques
from bot.common import edit_message
from bot.people import language_for
from ledger import Card, Ledger, Transfer

log = logging.getLogger(__name__)


async def release_cards(
    bot: Bot, ledger: Ledger, released: list[tuple[Transfer, Card | None]]
) -> None:
    """A freeze released these holds: their payment cards say so, in their sender's language
    (a request one was held for was cancelled by the database, its requester told by the
    outbox only that the payment was cancelled and nothing moved, not whose account was
    frozen)."""
    for transfer, card in released:
        if card is None:  # a cheque's or an envelope share's hold: its message says so
            try:
                await cheques.released(bot, ledger, transfer)
            except Exception:
                log.exception("freeze released hold %s: its cheque was not updated", transfer.ref)
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
