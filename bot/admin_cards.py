"""Admin confirmation cards: freeze, debit, reverse and a credit above the per-transfer maximum
wait for [Confirm] from the admin who asked, then act once and tell the people concerned.

Where a pending action lives: server-side, in ``bot_data["admin_cards"]`` under a random card
id. The callback data carries only that id (``a:c:<id>`` Confirm, ``a:x:<id>`` Cancel, 20
bytes); the action's parameters (admin, action, target, amount, reference, reason, time) never
travel through Telegram, so tampered data can at most name a card that does not exist or is not
the presser's. Cards are lost on restart; a press on one is then answered "this card expired,
run the command again", which is safe: nothing was done and nothing is pending. A card expires
after ``hold_expiry_seconds`` like a payment card.

Once only: a press marks the card "acting" before its first ``await``, so a second or
concurrent press is told "already done"; behind that, the ledger call carries the key
``admin:<card id>`` (debit, reverse; a credit carries its command's, and a freeze is
idempotent by itself), so even a repeated call moves money once and tells nobody twice.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler

from bot.admin_actions import AdminCard, act
from bot.admin_notices import tell
from bot.admin_views import admin_explain, person_name
from bot.common import (
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
from bot.render import memo, minutes, money
from bot.settings import Settings
from bot.texts import Html, t
from ledger import Ledger
from ledger.errors import DatabaseUnavailable, LedgerError

log = logging.getLogger(__name__)

PREFIX = "a:"
_DATA = re.compile(r"a:([cx]):([A-Za-z0-9_-]{16})")
_CARDS = "admin_cards"


def cards_of(bot_data: dict[str, Any]) -> dict[str, AdminCard]:
    return bot_data.setdefault(_CARDS, {})


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
    """Show the card to the admin who asked, privately, and keep it until pressed."""
    card.created_at, card.lang = now(context), lang(context)
    found = cards_of(context.bot_data)
    _forget_old(context.bot_data, found)
    text = await card_text(ledger_of(context), card, card.lang, settings_of(context))
    shown = await to_admin(update, context, text, _buttons(card))
    if shown is None:
        return
    card.chat_id, card.message_id = shown.chat_id, shown.message_id
    found[card.id] = card


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


def _is_expired(card: AdminCard, moment: datetime, expiry_seconds: int) -> bool:
    assert card.created_at is not None
    return moment - card.created_at >= timedelta(seconds=expiry_seconds)


# --- the buttons -------------------------------------------------------------------------


async def press(update: Update, context: Context) -> None:
    """Acts on an admin card when the admin who asked presses Confirm; Cancel drops it."""
    query = update.callback_query
    assert query is not None
    if query.from_user.id not in settings_of(context).admin_ids:
        await stale_button(update, context)  # what any unknown button gets: nothing revealed
        return
    reader = lang(context)
    match = _DATA.fullmatch(query.data or "")
    card = cards_of(context.bot_data).get(match.group(2)) if match else None
    if match is None or card is None:
        await answer(query, t(reader, "admin.press.unknown"), alert=True)
        return
    if card.admin_id != query.from_user.id:
        await answer(query, t(reader, "admin.press.not_yours"), alert=True)
        return
    if card.state != "open":
        state = "done" if card.state == "acting" else card.state
        await answer(query, t(reader, f"admin.press.{state}"), alert=True)
        return
    if _is_expired(card, now(context), settings_of(context).hold_expiry_seconds):
        card.state = "expired"
        await answer(query, t(reader, "admin.press.expired"), alert=True)
        await _redraw(context, card)
        return
    if match.group(1) == "x":
        card.state = "cancelled"
        await answer(query, t(reader, "admin.press.cancelled_answer"))
        await _redraw(context, card)
        return
    card.state = "acting"  # before the first await: any other press now hears "already done"
    try:
        effect = await act(context.bot, ledger_of(context), card)
    except DatabaseUnavailable:
        card.state = "open"  # nothing happened; the key makes a second try act at most once
        await answer(query, t(reader, "admin.press.unavailable"), alert=True)
        return
    except (Refusal, LedgerError) as error:
        card.state, card.outcome = (
            "failed",
            admin_explain(reader, error, ledger_of(context).currency),
        )
        await answer(query, card.outcome, alert=True)
        await _redraw(context, card)
        return
    note_money_moved(context, update)  # a later failure must not claim nothing happened
    card.state, card.outcome = "done", effect.receipt
    await answer(query, t(reader, "admin.press.done_answer"))
    await _redraw(context, card)
    await tell(context.bot, effect.notices, card.action)


# --- expiry ------------------------------------------------------------------------------


def _forget_old(bot_data: dict[str, Any], found: dict[str, AdminCard]) -> None:
    """Drop settled cards past their expiry, so the store stays small (open ones are left
    for the sweeper, which also edits them)."""
    moment, expiry = bot_data["clock"](), bot_data["settings"].hold_expiry_seconds
    for card_id, card in list(found.items()):
        if card.state != "open" and _is_expired(card, moment, expiry):
            del found[card_id]


async def sweep(application: Application) -> list[AdminCard]:
    """Mark every unanswered card past its time expired, edit it, and forget it. Run
    periodically; tests call it directly after moving the clock."""
    bot_data = application.bot_data
    found = cards_of(bot_data)
    moment, settings = bot_data["clock"](), bot_data["settings"]
    expired = []
    for card_id, card in list(found.items()):
        if not _is_expired(card, moment, settings.hold_expiry_seconds):
            continue
        del found[card_id]
        if card.state != "open":
            continue
        card.state = "expired"
        expired.append(card)
        text = await card_text(bot_data["ledger"], card, card.lang, settings)
        try:
            await edit_message(application.bot, card.chat_id, card.message_id, text)
        except Exception:  # one card that cannot be edited must not stop the sweep
            log.exception("expired admin card %s: not edited", card.id)
    return expired


async def sweep_job(context: Context) -> None:
    """Runs the admin-card sweeper on the job queue's schedule."""
    await sweep(context.application)


def register(application: Application) -> None:
    application.add_handler(CallbackQueryHandler(press, pattern="^" + PREFIX))
    settings = application.bot_data["settings"]
    if application.job_queue is not None:
        application.job_queue.run_repeating(
            sweep_job,
            interval=settings.sweep_interval_seconds,
            first=settings.sweep_interval_seconds,
            name="admin-card-sweeper",
        )
