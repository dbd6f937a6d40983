"""/start (registration, the welcome credit, deep links) and /help."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from telegram import Update
from telegram.ext import Application, CommandHandler, filters

from bot import cheques, invites, links
from bot.common import (
    GROUP_COMMANDS_EVERY,
    Context,
    answer_in_group,
    is_private,
    lang,
    ledger_of,
    send_private,
    settings_of,
    start_link,
)
from bot.people import language_for, person_of
from bot.render import money, who
from bot.texts import Html, t
from ledger.errors import IdempotencyConflict, WelcomeCapReached

log = logging.getLogger(__name__)

COMMANDS = [("start", "menu.start"), ("help", "menu.help")]

# Telegram allows A-Z, a-z, 0-9, _ and - in a start payload, at most 64 characters.
_PAYLOAD = re.compile(r"[A-Za-z0-9_-]{1,64}")


@dataclass(frozen=True)
class StartLink:
    """What a t.me/<bot>?start=<payload> link asked for."""

    invited_by: int | None = None


def parse_start_payload(args: list[str], token: str) -> StartLink:
    """Read a deep-link payload; anything unrecognised, or an invitation the bot did not sign
    with ``token``, is ignored, never an error."""
    payload = args[0] if len(args) == 1 else ""
    if not _PAYLOAD.fullmatch(payload):
        return StartLink()
    return StartLink(invited_by=invites.inviter_of(token, payload))


async def start(update: Update, context: Context) -> None:
    """Registers the user, opens their account and greets them with their balance."""
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    reader = lang(context)
    if not is_private(update):
        await message.reply_text(t(reader, "start.in_group", link=start_link(context.bot)))
        return
    ledger, settings = ledger_of(context), settings_of(context)
    link = parse_start_payload(context.args or [], context.bot.token)
    known = await ledger.directory.get(user.id)
    newcomer = known is None or not known.registered
    account_id = await ledger.open_account(user.id)
    welcome = 0
    if newcomer and settings.welcome_credit_minor and settings.welcome_credit_daily_cap:
        welcome = await _grant_welcome(context, user.id, account_id)
    person = await ledger.directory.register(person_of(user))
    account = await ledger.account(account_id)
    lines = [
        t(
            reader,
            "start.greeting" if newcomer else "start.again",
            name=user.first_name,
            available=money(reader, account.available, ledger.currency),
        )
    ]
    if welcome:
        lines.append(
            t(reader, "start.welcome_credit", amount=money(reader, welcome, ledger.currency))
        )
    lines.append(t(reader, "start.how_to_pay"))
    await message.reply_text("\n\n".join(lines))
    if newcomer and link.invited_by and link.invited_by != user.id:
        await _tell_inviter(context, link.invited_by, user.id)
    payload = (context.args or [""])[0]
    if (claimed := cheques.claim_of(payload)) is not None:  # a cheque for them
        await cheques.claim(update, context, claimed, person)
    elif (paying := links.pay_of(payload)) is not None:  # someone's "pay me" link
        await links.open_link(update, context, paying, person)


async def _grant_welcome(context: Context, user_id: int, account_id: int) -> int:
    """Credit the welcome amount once per person (the key makes a retry a no-op), while the
    day's welcome credits last: the database counts them across every bot process and refuses
    the one over ``WELCOME_CREDIT_DAILY_CAP``. Over it, the account opens all the same, and the
    greeting, which shows the balance, promises nothing."""
    ledger, amount = ledger_of(context), settings_of(context).welcome_credit_minor
    try:
        granted = await ledger.transfer(
            ledger.issuance_account_id, account_id, amount, kind="welcome", key=f"welcome:{user_id}"
        )
    except IdempotencyConflict:
        return 0  # granted before, when the setting had another value
    except WelcomeCapReached as full:
        log.info("no welcome credit for a new user: today's %d are given out", full.cap)
        return 0
    return 0 if granted.replayed else amount


async def _tell_inviter(context: Context, inviter_id: int, newcomer_id: int) -> None:
    """Let whoever passed on the invitation know they can pay the newcomer now."""
    directory = ledger_of(context).directory
    inviter = await directory.get(inviter_id)
    if inviter is None or not inviter.registered:
        return
    newcomer = await directory.get(newcomer_id)
    reader = language_for(inviter)
    await send_private(
        context.bot, inviter_id, t(reader, "start.invitee_joined", name=Html(who(newcomer, reader)))
    )


async def help_command(update: Update, context: Context) -> None:
    """Lists the commands with examples."""
    message = update.effective_message
    assert message is not None
    text = t(lang(context), "start.help")
    if is_private(update):
        await message.reply_text(text)
    else:  # a group hears it once a minute at most, however many ask
        await answer_in_group(update, context, text, "commands", GROUP_COMMANDS_EVERY)


def register(application: Application) -> None:
    only_new = filters.UpdateType.MESSAGE
    application.add_handler(CommandHandler("start", start, filters=only_new))
    application.add_handler(CommandHandler("help", help_command, filters=only_new))
