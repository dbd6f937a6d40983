"""Builds the Application: every handler, job, command menu and the error handler, wired in
one place. Shared objects reach handlers through ``context.bot_data`` ("ledger", "settings",
"clock").

How features plug in: each module in ``FEATURES`` has ``register(application)``, which adds its
handlers, and may list ``COMMANDS`` (and ``ADMIN_COMMANDS``) as ``(command, catalogue key of its
description)`` for the command menus. Modules register in the order listed; every command
and button handler goes in group 0, where the first that matches wins. Negative groups run
before it on every update: ``bot.forwarded`` (-3) stops forwarded commands,
``bot.ratelimit`` (-2) drops a flood, ``bot.people`` (-1) refreshes
the directory and picks the reader's language. The catch-alls (unknown command, stale button)
are registered after all features, so a feature added to the list (admin, for example) is
always tried first.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from types import ModuleType

from telegram import Bot, BotCommand, BotCommandScopeChat, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationBuilder, Defaults
from telegram.request import BaseRequest

from bot import (
    admin,
    balance,
    cards,
    chat,
    cheques,
    common,
    envelopes,
    errors,
    forwarded,
    funding,
    funding_admin,
    history,
    invoices,
    language,
    links,
    outbox,
    people,
    ratelimit,
    receipts,
    requests_view,
    send,
    start,
    statement,
    texts,
    timezone,
    wallet,
)
from bot import request as payment_request
from bot.common import CONTEXT_TYPES, BotApplication
from bot.flood import Outgoing
from bot.metrics import MeasuredUpdates
from bot.settings import Settings
from bot.texts import DEFAULT_LANGUAGE, LANGUAGES, t
from ledger import Ledger, Limits, utcnow

log = logging.getLogger(__name__)

FEATURES: tuple[ModuleType, ...] = (
    forwarded,
    people,
    ratelimit,
    start,
    balance,
    payment_request,  # before send: its /cancel, while it waits, is its own
    send,
    requests_view,
    cards,
    receipts,
    cheques,
    links,
    envelopes,
    history,
    statement,
    wallet,
    language,
    timezone,
    admin,
    funding,
    invoices,
    funding_admin,
    chat,
)


def build_application(
    settings: Settings,
    *,
    ledger: Ledger | None = None,
    request: BaseRequest | None = None,
    clock: Callable[[], datetime] | None = None,
    migrate: bool = True,
) -> Application:
    """The bot, ready for run_polling / a webhook / process_update.

    Without ``ledger`` one is opened from ``settings.database_url`` in post_init (migrations
    applied unless ``migrate`` is False: ``python -m bot`` applied them before starting) and
    closed in post_shutdown; its clock is then the database's, and so is the bot's.
    ``request`` replaces PTB's HTTP layer (tests); ``clock`` the time (tests move it).
    """
    # httpx logs every request URL at INFO, and the URL contains the bot token.
    logging.getLogger("httpx").setLevel(logging.WARNING)

    async def post_init(application: BotApplication) -> None:
        if "ledger" not in application.bot_data:
            ledger = await Ledger.open(
                settings.database_url,
                settings.currency,
                migrate=migrate,
                clock=clock,
                default_limits=Limits(settings.max_transfer_minor, settings.daily_limit_minor),
                sqlite_synchronous=settings.sqlite_synchronous,
            )
            application.bot_data["ledger"] = ledger
            application.bot_data["clock"] = ledger.clock
            application.bot_data["owns_ledger"] = True
        await startup(application)

    async def post_shutdown(application: BotApplication) -> None:
        await application.bot_data["outgoing"].drain()
        if application.bot_data.get("owns_ledger"):
            await application.bot_data["ledger"].close()

    builder: ApplicationBuilder = (
        ApplicationBuilder()
        .token(settings.bot_token.get_secret_value())
        .base_url(settings.telegram_base_url)
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
                allow_sending_without_reply=True,
            )
        )
        .context_types(CONTEXT_TYPES)
        .post_init(post_init)
        .post_shutdown(post_shutdown)
    )
    if request is not None:
        builder = builder.request(request).get_updates_request(request)
    # Updates run concurrently, each user's in order (bot.flood.PerUserOrder). No rate
    # limiter: it would make handlers wait for Telegram's flood limits; what may go out
    # later goes through bot.common.post, queued per chat and sent at the chat's pace.
    # Each update is also counted and timed (bot.metrics.MeasuredUpdates, a PerUserOrder).
    builder = builder.concurrent_updates(MeasuredUpdates(settings.concurrent_updates))
    application = _build_quietly(builder)
    application.bot_data["outgoing"] = Outgoing()
    application.bot_data["settings"] = settings
    texts.support_contact = settings.support_contact  # one per process, as the settings
    application.bot_data["clock"] = clock or (ledger.clock if ledger is not None else utcnow)
    if ledger is not None:
        application.bot_data["ledger"] = ledger
    for feature in FEATURES:
        feature.register(application)
    common.register_fallbacks(application)
    application.add_error_handler(errors.on_error)
    assert application.job_queue is not None, "python-telegram-bot[job-queue] is required"
    application.job_queue.run_repeating(
        cards.sweep_job,
        interval=settings.sweep_interval_seconds,
        first=settings.sweep_interval_seconds,
        name="sweeper",
    )
    # Messages a stopped process owed people (outbox rows whose claim went stale).
    application.job_queue.run_repeating(
        outbox.deliver_stale_job,
        interval=settings.sweep_interval_seconds,
        first=settings.sweep_interval_seconds,
        name="outbox",
    )
    return application


def _build_quietly(builder: ApplicationBuilder) -> BotApplication:
    """PTB logs its API URL, token included, at DEBUG when it creates the bot: that line is
    never emitted, whatever the logging set-up (the program's also redacts, bot/logs.py)."""
    bot_log = logging.getLogger("telegram.ext.ExtBot")
    level = bot_log.level
    bot_log.setLevel(max(level, logging.INFO))
    try:
        return builder.build()
    finally:
        bot_log.setLevel(level)


async def startup(application: BotApplication) -> None:
    """Once the bot is up: put the welcome cap in the database, release holds left overdue
    by the last run, set the command menus."""
    settings: Settings = application.bot_data["settings"]
    # In the database, where the trigger counting welcome credits reads it: every process
    # shares the day's count, and the last one started sets the cap.
    await application.bot_data["ledger"].set_welcome_daily_cap(settings.welcome_credit_daily_cap)
    try:
        await cards.sweep(application)
    except Exception:  # the periodic sweeper will try again
        log.exception("startup sweep failed")
    try:
        await outbox.deliver_stale(application)
    except Exception:  # the periodic delivery will try again
        log.exception("startup outbox delivery failed")
    try:
        await set_command_menus(
            application.bot,
            settings.admin_ids,
            [c for feature in FEATURES for c in getattr(feature, "COMMANDS", ())],
            [c for feature in FEATURES for c in getattr(feature, "ADMIN_COMMANDS", ())],
        )
    except TelegramError as error:  # a bot without menus still works
        log.warning("command menus not set: %s", error.message)
    await wallet.set_menu_button(application)


async def set_command_menus(
    bot: Bot,
    admin_ids: Sequence[int] | frozenset[int],
    user_commands: Sequence[tuple[str, str]],
    admin_commands: Sequence[tuple[str, str]] = (),
) -> None:
    """The command menu in each language: user commands for everyone; in each admin's private
    chat, the user commands followed by the admin commands."""
    for code in LANGUAGES:
        language_code = None if code == DEFAULT_LANGUAGE else code
        users = [BotCommand(command, t(code, key)) for command, key in user_commands]
        await bot.set_my_commands(users, language_code=language_code)
        if not admin_commands:
            continue
        admins = users + [BotCommand(command, t(code, key)) for command, key in admin_commands]
        for admin_id in sorted(admin_ids):
            await bot.set_my_commands(
                admins, scope=BotCommandScopeChat(admin_id), language_code=language_code
            )
