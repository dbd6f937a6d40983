"""Admin moderation from the chat: every action is a ledger call, audited in the same
transaction as its effect (the ledger writes the row).

    /freeze @bob spamming            /unfreeze @bob [reason]
    /credit @bob 10 top-up           /debit @bob 5 chargeback
    /reverse 7K3M9Q2XRT fraud        /user @bob   /user 123456789
    /tx 7K3M9Q2XRT                   /audit [n]   /stats
    /limits    /limits max 500 [reason]    /limits daily 2000 [reason]

Who is an admin: a Telegram user id in ``settings.admin_ids``. Anyone else typing an admin
command gets exactly what an unknown command gets, so the commands' existence is not revealed.
Admins are answered privately; from a group the bot writes to the admin's private chat and
says nothing in the group. The person acted on is an @username, a numeric id, a text mention,
or the author of the message the command replies to.

Freeze, debit and reverse wait for a confirmation card (``bot.admin_cards``), and so does a
credit above the per-transfer maximum (most likely a slip); other credits, unfreeze and limits
act at once, since they take nothing from anyone.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from telegram import Update
from telegram.ext import Application, CommandHandler, filters

from bot import admin_cards
from bot.admin_actions import AdminCard, act
from bot.admin_cards import to_admin
from bot.admin_parse import (
    REF,
    Words,
    amount_of,
    check_not_party,
    check_target,
    reason_of,
    split,
    target_of,
    words_of,
)
from bot.admin_views import (
    AUDIT_DEFAULT,
    AUDIT_MAX,
    admin_explain,
    audit_view,
    limits_view,
    split_message,
    state_name,
    stats_view,
    transfer_view,
    user_view,
)
from bot.common import (
    Context,
    Refusal,
    lang,
    ledger_of,
    note_money_moved,
    reply_unknown_command,
    settings_of,
)
from bot.outbox import deliver, payments_of
from bot.render import money, who
from bot.texts import Html, t
from ledger import Limits, Person
from ledger.errors import LedgerError

AdminHandler = Callable[[Update, Context, Words], Awaitable[None]]


def admin_only(handler: AdminHandler) -> Callable[[Update, Context], Coroutine[Any, Any, None]]:
    """Runs ``handler`` for admins only (anyone else: the unknown-command reply) and turns
    its refusals into one private message to the admin."""

    @functools.wraps(handler)
    async def gate(update: Update, context: Context) -> None:
        message, user = update.effective_message, update.effective_user
        if message is None or user is None or user.id not in settings_of(context).admin_ids:
            await reply_unknown_command(update, context)
            return
        try:
            await handler(update, context, words_of(message))
        except (Refusal, LedgerError) as error:
            text = admin_explain(lang(context), error, ledger_of(context).currency)
            await to_admin(update, context, text)

    return gate


async def _say(update: Update, context: Context, lines: list[str]) -> None:
    for chunk in split_message(lines):
        await to_admin(update, context, chunk)


def _admin_id(update: Update) -> int:
    assert update.effective_user is not None
    return update.effective_user.id


# --- acting on an account ----------------------------------------------------------------


@admin_only
async def freeze(update: Update, context: Context, words: Words) -> None:
    """Asks the admin to confirm freezing someone's account."""
    reader, ledger = lang(context), ledger_of(context)
    person, rest = await target_of(context, words, "admin.usage.freeze")
    check_target(_admin_id(update), person)
    reason = reason_of(reader, rest, "admin.usage.freeze")
    account_id = await ledger.account_of(person.id)
    if account_id is not None and (await ledger.account(account_id)).frozen:
        raise Refusal("admin.refusal.already_frozen", name=who(person, reader))
    await admin_cards.offer(
        update, context, AdminCard(_admin_id(update), "freeze", reason, person.id)
    )


@admin_only
async def unfreeze(update: Update, context: Context, words: Words) -> None:
    """Unfreezes someone's account at once and tells them."""
    reader = lang(context)
    person, rest = await target_of(context, words, "admin.usage.unfreeze")
    check_target(_admin_id(update), person)
    reason = reason_of(reader, rest, "admin.usage.unfreeze", required=False)
    payments = payments_of(context.bot_data)
    unfrozen = await payments.unfreeze(_admin_id(update), person.id, reason)
    if not unfrozen.changed:
        raise Refusal("admin.refusal.not_frozen", name=who(person, reader))
    await to_admin(update, context, t(reader, "admin.done.unfreeze", name=who(person, reader)))
    await deliver(context.bot, payments, unfrozen.messages)  # they are told, by the outbox


@admin_only
async def credit(update: Update, context: Context, words: Words) -> None:
    """Tops up someone's account from the issuance account and tells them: at once, or after
    a confirmation card when it is more than one payment may be (a slip of the keyboard)."""
    reader, ledger = lang(context), ledger_of(context)
    message = update.effective_message
    assert message is not None
    person, rest = await target_of(context, words, "admin.usage.credit")
    check_target(_admin_id(update), person)
    amount, rest = amount_of(context, rest, "admin.usage.credit")
    reason = reason_of(reader, rest, "admin.usage.credit")
    card = AdminCard(
        _admin_id(update),
        "credit",
        reason,
        person.id,
        amount=amount,
        # One credit per command message, even through two cards: a redelivered update
        # finds this one again.
        key=f"admin:credit:{message.chat_id}:{message.message_id}",
        lang=reader,
    )
    if amount > (await ledger.limits()).max_transfer:
        await admin_cards.offer(update, context, card)
        return
    effect = await act(context.bot, ledger, card)
    note_money_moved(context, update)  # delivering the notice may fail: the credit stands
    if effect.replayed:  # answered before; only notices whose delivery was abandoned
        await deliver(context.bot, payments_of(context.bot_data), effect.messages)
        return
    await to_admin(
        update,
        context,
        t(
            reader,
            "admin.done.credit",
            amount=money(reader, amount, ledger.currency),
            name=who(person, reader),
            outcome=Html(effect.receipt),
        ),
    )
    await deliver(context.bot, payments_of(context.bot_data), effect.messages)


@admin_only
async def debit(update: Update, context: Context, words: Words) -> None:
    """Asks the admin to confirm taking money out of someone's account (never below zero)."""
    reader, ledger = lang(context), ledger_of(context)
    person, rest = await target_of(context, words, "admin.usage.debit")
    check_target(_admin_id(update), person)
    amount, rest = amount_of(context, rest, "admin.usage.debit")
    reason = reason_of(reader, rest, "admin.usage.debit")
    account_id = await ledger.account_of(person.id)
    available = 0 if account_id is None else (await ledger.account(account_id)).available
    if amount > available:
        raise Refusal(
            "admin.refusal.debit_funds",
            name=who(person, reader),
            available=money(reader, available, ledger.currency),
            amount=money(reader, amount, ledger.currency),
        )
    card = AdminCard(_admin_id(update), "debit", reason, person.id, amount=amount)
    await admin_cards.offer(update, context, card)


@admin_only
async def reverse(update: Update, context: Context, words: Words) -> None:
    """Asks the admin to confirm reversing a posted transfer with a compensating one."""
    reader, ledger = lang(context), ledger_of(context)
    token, rest = split(words.text)
    if token is None or REF.fullmatch(token) is None:
        raise Refusal("admin.usage.reverse")
    reason = reason_of(reader, rest, "admin.usage.reverse")
    original = await payments_of(context.bot_data).reversal_candidate(token)
    check_not_party(_admin_id(update), original)
    if original.kind == "reversal":
        raise Refusal("admin.refusal.reverse_reversal", ref=original.ref)
    if original.state != "posted":
        raise Refusal(
            "admin.refusal.not_posted", ref=original.ref, state=state_name(reader, original.state)
        )
    if original.credit_owner is not None:
        available = (await ledger.account(original.credit_account_id)).available
        if available < original.amount:
            recipient = await ledger.directory.get(original.credit_owner)
            raise Refusal(
                "admin.refusal.reverse_funds",
                name=who(recipient or Person(original.credit_owner, None), reader),
                available=money(reader, available, ledger.currency),
                amount=money(reader, original.amount, ledger.currency),
            )
    card = AdminCard(
        _admin_id(update),
        "reverse",
        reason,
        original.credit_owner,
        other_id=original.debit_owner,
        amount=original.amount,
        ref=original.ref,
    )
    await admin_cards.offer(update, context, card)


# --- looking ----------------------------------------------------------------------------


@admin_only
async def user(update: Update, context: Context, words: Words) -> None:
    """Shows someone's account: status, balances, today's sending, last transfers."""
    person, _ = await target_of(context, words, "admin.usage.user")
    await _say(update, context, await user_view(ledger_of(context), person, lang(context)))


@admin_only
async def tx(update: Update, context: Context, words: Words) -> None:
    """Shows one transfer in full."""
    token, _ = split(words.text)
    if token is None or REF.fullmatch(token) is None:
        raise Refusal("admin.usage.tx")
    ledger = ledger_of(context)
    transfer = await ledger.get_transfer(token)
    await _say(update, context, await transfer_view(ledger, transfer, lang(context)))


@admin_only
async def audit(update: Update, context: Context, words: Words) -> None:
    """Shows the latest admin actions (10 unless asked, at most 50)."""
    token, _ = split(words.text)
    count = AUDIT_DEFAULT
    if token is not None:
        if not (token.isascii() and token.isdigit()) or int(token) < 1:
            raise Refusal("admin.usage.audit", maximum=AUDIT_MAX)
        count = min(int(token), AUDIT_MAX)
    ledger = ledger_of(context)
    records = await ledger.audit_log(limit=count)
    await _say(update, context, await audit_view(ledger, records, lang(context)))


@admin_only
async def stats(update: Update, context: Context, words: Words) -> None:
    """Shows the ledger's figures and whether every invariant holds."""
    from bot import funding_admin as funding  # (it imports this module)

    await _say(update, context, await funding.stats_lines(context, lang(context)))
    await _say(update, context, await stats_view(ledger_of(context), lang(context)))


@admin_only
async def limits(update: Update, context: Context, words: Words) -> None:
    """Shows the limits, or sets the per-transfer maximum or the daily sending limit."""
    reader, ledger, settings = lang(context), ledger_of(context), settings_of(context)
    defaults = Limits(settings.max_transfer_minor, settings.daily_limit_minor)
    which, rest = split(words.text)
    from bot import funding_admin as funding  # money in and out (it imports this module)

    if which is None:
        current = await ledger.limits(fresh=True)
        await to_admin(update, context, await funding.limits_text(context, reader))
        await to_admin(update, context, limits_view(current, defaults, ledger.currency, reader))
        return
    if which.lower() in funding.LIMIT_FIELDS:
        said = await funding.set_limit(context, _admin_id(update), which.lower(), rest)
        await to_admin(update, context, said)
        return
    field = {"max": "max_transfer", "daily": "daily_limit"}.get(which.lower())
    if field is None:
        raise Refusal("admin.usage.limits")
    amount, rest = amount_of(context, rest, "admin.usage.limits")
    reason = reason_of(reader, rest, "admin.usage.limits", required=False)
    changed = await payments_of(context.bot_data).set_limits(
        _admin_id(update), reason=reason, **{field: amount}
    )
    text = (
        t(reader, "admin.limits.set")
        + "\n\n"
        + limits_view(changed, defaults, ledger.currency, reader)
    )
    if changed.max_transfer > changed.daily_limit:
        text += "\n\n" + t(reader, "admin.limits.max_above_daily")
    await to_admin(update, context, text)


_HANDLERS = {
    "user": user,
    "tx": tx,
    "freeze": freeze,
    "unfreeze": unfreeze,
    "credit": credit,
    "debit": debit,
    "reverse": reverse,
    "audit": audit,
    "stats": stats,
    "limits": limits,
}
ADMIN_COMMANDS = [(name, f"menu.admin_{name}") for name in _HANDLERS]


def register(application: Application) -> None:
    for name, handler in _HANDLERS.items():
        application.add_handler(CommandHandler(name, handler, filters=filters.UpdateType.MESSAGE))
    admin_cards.register(application)
