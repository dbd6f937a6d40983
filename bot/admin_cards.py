"""Admin confirmation cards: freeze, debit, reverse and a credit above the per-transfer maximum
wait for [Confirm] from the admin who asked, then act once and tell the people concerned.

Where a pending action lives: server-side, in the database's ``admin_cards`` table under a
random card id, so a card shown by one worker (or before a restart) is confirmed on any other.
The callback data carries only that id (``a:c:<id>`` Confirm, ``a:x:<id>`` Cancel, 20 bytes);
the action's parameters (admin, action, target, amount, reference, reason, time) never travel
through Telegram, so tampered data can at most name a card that does not exist or is not the
presser's. A card expires ``hold_expiry_seconds`` after it was made, like a payment card; the
database decides (``expires_at``, on the ledger's clock, the database's).

Once only: a press claims the card with one conditional UPDATE (open and not expired ->
acting) that a single press on a single worker wins; every other press is told "already
done". Behind that, the ledger call carries the key ``admin:<card id>`` (debit, reverse; a
credit carries its command's, and a freeze is idempotent by itself), so even a repeated call
moves money once and tells nobody twice.
"""

from __future__ import annotations

import contextlib
import logging
import re
from datetime import datetime, timedelta

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler

from bot import buttons
from bot.admin_actions import AdminCard, act
from bot.admin_views import admin_explain, person_name
from bot.common import (
    BotApplication,
    Context,
    Refusal,
    Sent,
    answer,
    edit_message,
    lang,
    ledger_of,
    note_money_moved,
    now,
    reply,
    send_private,
    settings_of,
    stale_button,
)
from bot.outbox import deliver, payments_of
from bot.render import memo, minutes, money
from bot.settings import Settings
from bot.texts import Html, t
from ledger import Ledger
from ledger.errors import DatabaseUnavailable, LedgerError
from ledger.models import from_micros, to_micros
from ledger.shared import StoredCard

log = logging.getLogger(__name__)

PREFIX = buttons.ADMIN_CARD
_DATA = re.compile(r"a:([cx]):([A-Za-z0-9_-]{16})")


def _stored(card: AdminCard, expires_at: datetime) -> StoredCard:
    assert card.created_at is not None
    return StoredCard(
        id=card.id,
        admin_id=card.admin_id,
        action=card.action,
        reason=card.reason,
        target_id=card.target_id,
        other_id=card.other_id,
        amount=card.amount,
        ref=card.ref,
        key=card.key,
        lang=card.lang,
        chat_id=card.chat_id,
        message_id=card.message_id,
        state=card.state,
        outcome=card.outcome,
        created_at=to_micros(card.created_at),
        expires_at=to_micros(expires_at),
    )


def _card(stored: StoredCard) -> AdminCard:
    return AdminCard(
        admin_id=stored.admin_id,
        action=stored.action,
        reason=stored.reason,
        target_id=stored.target_id,
        other_id=stored.other_id,
        amount=stored.amount,
        ref=stored.ref,
        key=stored.key,
        id=stored.id,
        created_at=from_micros(stored.created_at),
        lang=stored.lang,
        chat_id=stored.chat_id,
        message_id=stored.message_id,
        state=stored.state,
        outcome=stored.outcome,
    )


async def card_of(ledger: Ledger, card_id: str) -> AdminCard | None:
    """The card as the database has it (None: no such card, or forgotten since it ended)."""
    stored = await ledger.shared.card(card_id)
    return None if stored is None else _card(stored)


async def to_admin(
    update: Update, context: Context, text: str, markup: InlineKeyboardMarkup | None = None
) -> Sent | None:
    """Answer an admin privately. From a group the answer goes to their private chat and the
    group hears nothing, even when that fails (logged)."""
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    if message.chat.type == "private":
        return await reply(message, text, markup)
    sent = await send_private(context.bot, user.id, text, markup)
    if sent is None:
        log.warning("admin %s used a command in a group but cannot be told privately", user.id)
    return sent


async def offer(update: Update, context: Context, card: AdminCard) -> None:
    """Show the card to the admin who asked, privately, and keep it until pressed. It is
    stored before it is shown, so a press as quick as the message finds it."""
    card.created_at, card.lang = now(context), lang(context)
    ledger = ledger_of(context)
    expiry = timedelta(seconds=settings_of(context).hold_expiry_seconds)
    await ledger.shared.add_card(_stored(card, card.created_at + expiry))
    text = await card_text(ledger, card, card.lang, settings_of(context))
    shown = await to_admin(update, context, text, _buttons(card))
    if shown is None:
        return  # never shown: it lapses unpressed
    await ledger.shared.place_card(card.id, shown.chat_id, shown.message_id)


def _buttons(card: AdminCard) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t(card.lang, "admin.button.confirm"), callback_data=f"{PREFIX}c:{card.id}"
                ),
                InlineKeyboardButton(
                    t(card.lang, "admin.button.cancel"), callback_data=f"{PREFIX}x:{card.id}"
                ),
            ]
        ]
    )


async def summary(ledger: Ledger, card: AdminCard, reader: str) -> Html:
    """The action in one line: "freeze @bob's account", "debit 5.00 USD from @bob"..."""
    return Html(
        t(
            reader,
            f"admin.summary.{card.action}",
            name=await person_name(ledger, card.target_id, reader),
            sender=await person_name(ledger, card.other_id, reader),
            amount=money(reader, card.amount, ledger.currency),
            ref=card.ref,
        )
    )


async def card_text(ledger: Ledger, card: AdminCard, reader: str, settings: Settings) -> str:
    state = "open" if card.state == "acting" else card.state
    return t(
        reader,
        f"admin.card.{state}",
        summary=await summary(ledger, card, reader),
        reason=memo(card.reason),
        minutes=minutes(settings.hold_expiry_seconds),
        outcome=Html(card.outcome),
    )


async def _redraw(context: Context, card: AdminCard) -> None:
    text = await card_text(ledger_of(context), card, card.lang, settings_of(context))
    markup = _buttons(card) if card.state == "open" else None
    await edit_message(context.bot, card.chat_id, card.message_id, text, reply_markup=markup)


# --- the buttons -------------------------------------------------------------------------


async def press(update: Update, context: Context) -> None:
    """Acts on an admin card when the admin who asked presses Confirm; Cancel drops it."""
    query = update.callback_query
    assert query is not None
    if query.from_user.id not in settings_of(context).admin_ids:
        await stale_button(update, context)  # what any unknown button gets: nothing revealed
        return
    reader, ledger = lang(context), ledger_of(context)
    match = _DATA.fullmatch(query.data or "")
    card = await card_of(ledger, match.group(2)) if match else None
    if match is None or card is None:
        await answer(query, t(reader, "admin.press.unknown"), alert=True)
        return
    if card.admin_id != query.from_user.id:
        await answer(query, t(reader, "admin.press.not_yours"), alert=True)
        return
    if match.group(1) == "x":
        cancelled = await ledger.shared.settle_card(card.id, "cancelled", was="open")
        if cancelled is None:
            await _not_open(update, context, card.id)
            return
        await answer(query, t(reader, "admin.press.cancelled_answer"))
        await _redraw(context, _card(cancelled))
        return
    claimed = await ledger.shared.claim_card(card.id)
    if claimed is None:  # another press won, or the card ended or expired
        await _not_open(update, context, card.id)
        return
    card = _card(claimed)
    try:
        effect = await act(context.bot, ledger, card)
    except DatabaseUnavailable:
        # Nothing happened; the key makes a second try act at most once. If the database
        # cannot hear that either, the card stays "acting" and lapses: nothing was done.
        with contextlib.suppress(DatabaseUnavailable):
            await ledger.shared.settle_card(card.id, "open", was="acting")
        await answer(query, t(reader, "admin.press.unavailable"), alert=True)
        return
    except (Refusal, LedgerError) as error:
        card.state, card.outcome = "failed", admin_explain(reader, error, ledger.currency)
        await ledger.shared.settle_card(card.id, "failed", was="acting", outcome=card.outcome)
        await answer(query, card.outcome, alert=True)
        await _redraw(context, card)
        return
    note_money_moved(context, update)  # a later failure must not claim nothing happened
    card.state, card.outcome = "done", effect.receipt
    try:
        await ledger.shared.settle_card(card.id, "done", was="acting", outcome=card.outcome)
    except DatabaseUnavailable:  # done all the same; the card reads "already done" anyway
        log.warning("admin card %s acted; its state could not be written", card.id)
    await answer(query, t(reader, "admin.press.done_answer"))
    await _redraw(context, card)
    await deliver(context.bot, payments_of(context.bot_data), effect.messages)


async def _not_open(update: Update, context: Context, card_id: str) -> None:
    """A press on a card that is no longer open: say what became of it. An open card past its
    time is marked expired here (once, whichever worker) and redrawn."""
    query = update.callback_query
    assert query is not None
    reader, ledger = lang(context), ledger_of(context)
    expired = await ledger.shared.settle_card(card_id, "expired", was="open", expired=True)
    if expired is not None:
        await answer(query, t(reader, "admin.press.expired"), alert=True)
        await _redraw(context, _card(expired))
        return
    card = await card_of(ledger, card_id)
    if card is None:
        await answer(query, t(reader, "admin.press.unknown"), alert=True)
        return
    state = "done" if card.state in ("acting", "open") else card.state
    await answer(query, t(reader, f"admin.press.{state}"), alert=True)


# --- expiry ------------------------------------------------------------------------------


async def sweep(application: BotApplication) -> list[AdminCard]:
    """Mark every unanswered card past its time expired and edit it; forget settled ones.
    Each expired card is handed to one worker only (one UPDATE ... RETURNING). Run
    periodically; tests call it directly after moving the clock."""
    bot_data = application.bot_data
    ledger: Ledger = bot_data["ledger"]
    expired = [_card(stored) for stored in await ledger.shared.expire_cards()]
    for card in expired:
        text = await card_text(ledger, card, card.lang, bot_data["settings"])
        try:
            await edit_message(application.bot, card.chat_id, card.message_id, text)
        except Exception:  # one card that cannot be edited must not stop the sweep
            log.exception("expired admin card %s: not edited", card.id)
    return expired


async def sweep_job(context: Context) -> None:
    """Runs the admin-card sweeper on the job queue's schedule."""
    await sweep(context.application)


def register(application: BotApplication) -> None:
    application.add_handler(CallbackQueryHandler(press, pattern="^" + PREFIX))
    settings = application.bot_data["settings"]
    if application.job_queue is not None:
        application.job_queue.run_repeating(
            sweep_job,
            interval=settings.sweep_interval_seconds,
            first=settings.sweep_interval_seconds,
            name="admin-card-sweeper",
        )
