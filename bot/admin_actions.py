"""The admin actions that wait for a confirmation card, carried out once the admin confirms:
freeze, debit, reverse, and a credit above the per-transfer maximum (a credit within it is
carried out at once, by the same code). Each is one ledger call (audited by the ledger in the
same transaction, which also writes the notices it owes as outbox rows); debit and reverse
carry the idempotency key ``admin:<card id>``, a credit the key of its command message, and a
freeze changes an account at most once, so repeating a call moves no money and tells nobody
twice.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable
from dataclasses import dataclass, field
from datetime import datetime

from telegram import Bot

from bot.admin_notices import release_cards
from bot.admin_parse import check_not_party
from bot.admin_views import person_name
from bot.common import Refusal
from bot.outbox import deliver
from bot.render import money
from bot.texts import t
from ledger import Ledger
from ledger.errors import DatabaseUnavailable, InsufficientFunds
from ledger.outbox import OutboxMessage
from ledger.payments import Payments

log = logging.getLogger(__name__)


@dataclass
class AdminCard:
    """An action an admin asked for, waiting for their Confirm (or, for a credit within the
    maximum, carried out at once)."""

    admin_id: int
    action: str  # freeze | credit | debit | reverse
    reason: str
    # freeze, credit, debit: the account holder; reverse: the recipient who gives back
    target_id: int | None
    other_id: int | None = None  # reverse: the sender who gets the money back (None: system)
    amount: int = 0
    ref: str = ""  # reverse: the transfer reversed
    key: str = ""  # the ledger's idempotency key when not admin:<card id> (credit: the command)
    id: str = field(default_factory=lambda: secrets.token_urlsafe(12))
    created_at: datetime | None = None
    lang: str = "en"
    chat_id: int = 0
    message_id: int = 0
    state: str = "open"  # open -> acting -> done | failed; open -> cancelled | expired
    outcome: str = ""  # the receipt, or why it failed


@dataclass
class Effect:
    """What an action did: the receipt on the card and the notices it owes the people
    concerned (outbox rows written with the money, to deliver once the admin is answered)."""

    receipt: str
    messages: list[OutboxMessage] = field(default_factory=list)
    replayed: bool = False  # the ledger had done it already (the same key): nothing new


async def act(bot: Bot, ledger: Ledger, card: AdminCard) -> Effect:
    """Carry out a confirmed card. Raises a Refusal or the ledger's typed error when refused
    (nothing changed then)."""
    await _check_not_own(ledger, card)
    if card.action == "freeze":
        return await _freeze(bot, ledger, card)
    if card.action in ("credit", "debit"):
        return await _move(ledger, card)
    if card.action == "reverse":
        return await _reverse(ledger, card)
    raise AssertionError(f"unknown admin action {card.action!r}")


async def _check_not_own(ledger: Ledger, card: AdminCard) -> None:
    """Checked again at Confirm, whenever the card was made: an admin never acts on their own
    account, nor on a transfer they are a party to (the transfer's parties, read again)."""
    if card.action == "reverse":
        check_not_party(card.admin_id, await ledger.get_transfer(card.ref))
    elif card.target_id == card.admin_id:
        raise Refusal("admin.refusal.yourself")


async def _described(description: Awaitable[Effect], written: Effect, card: AdminCard) -> Effect:
    """What follows a written action (balances, notices, redrawn cards) only describes it: a
    database outage now must not make the admin think nothing happened, so the receipt is
    the bare ``written`` one and whoever could not be told is logged."""
    try:
        return await description
    except DatabaseUnavailable:
        log.warning("admin card %s (%s) acted; its details could not be read", card.id, card.action)
        return written


async def _freeze(bot: Bot, ledger: Ledger, card: AdminCard) -> Effect:
    target_id = card.target_id
    assert target_id is not None
    payments = Payments(ledger)
    frozen = await payments.freeze(card.admin_id, target_id, card.reason)
    if not frozen.changed:
        name = await person_name(ledger, target_id, card.lang)
        raise Refusal("admin.refusal.already_frozen", name=name)
    holds = len(frozen.released)

    async def describe() -> Effect:
        # The cards of the released holds say so; the person (and the requesters of
        # requests those holds were for) are told by the outbox, written with the freeze.
        await release_cards(bot, ledger, frozen.released)
        await deliver(bot, payments, frozen.messages)
        return Effect(t(card.lang, "admin.done.freeze", holds=holds))

    written = Effect(t(card.lang, "admin.done.freeze_untold", holds=holds))
    return await _described(describe(), written, card)


async def _move(ledger: Ledger, card: AdminCard) -> Effect:
    """A credit (from the issuance account) or a debit (back to it) of the card's amount."""
    target_id = card.target_id  # a local: the narrowing below holds in describe() too
    assert target_id is not None
    credit = card.action == "credit"
    move = Payments(ledger).credit if credit else Payments(ledger).debit
    try:
        moved = await move(
            card.admin_id, target_id, card.amount, card.reason, key=card.key or f"admin:{card.id}"
        )
    except InsufficientFunds as error:
        raise await _short(ledger, card, "admin.refusal.debit_funds", error) from None
    transfer = moved.transfer
    account_id = transfer.credit_account_id if credit else transfer.debit_account_id

    async def describe() -> Effect:
        available = (await ledger.account(account_id)).available
        receipt = t(
            card.lang,
            "admin.done.moved",
            ref=transfer.ref,
            available=money(card.lang, available, ledger.currency),
        )
        return Effect(receipt, moved.messages, replayed=transfer.replayed)

    written = Effect(
        t(card.lang, "admin.done.written", ref=transfer.ref),
        moved.messages,
        replayed=transfer.replayed,
    )
    return await _described(describe(), written, card)


async def _reverse(ledger: Ledger, card: AdminCard) -> Effect:
    try:
        reversal = await Payments(ledger).reverse(
            card.admin_id, card.ref, card.reason, key=f"admin:{card.id}"
        )
    except InsufficientFunds as error:
        raise await _short(ledger, card, "admin.refusal.reverse_funds", error) from None
    # Both parties are told by the outbox rows the reversal wrote (migration 0012).
    return Effect(t(card.lang, "admin.done.reverse", ref=reversal.transfer.ref), reversal.messages)


async def _short(ledger: Ledger, card: AdminCard, key: str, error: InsufficientFunds) -> Refusal:
    """The ledger's overdraft refusal, naming whose account is short and by how much."""
    return Refusal(
        key,
        name=await person_name(ledger, card.target_id, card.lang),
        available=money(card.lang, error.available, ledger.currency),
        amount=money(card.lang, error.amount, ledger.currency),
    )
