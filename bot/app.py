"""Builds the Application: every handler, job, command menu and the error handler, wired in
one place. Shared objects reach handlers through ``context.bot_data``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from telegram import Update
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CommandHandler,
    ContextTypes,
)
from telegram.request import BaseRequest

from bot.settings import Settings
from ledger import Ledger, Limits, utcnow


def build_application(
    settings: Settings,
    *,
    ledger: Ledger | None = None,
    request: BaseRequest | None = None,
    clock: Callable[[], datetime] | None = None,
    rate_limiter: bool = True,
) -> Application:
    """The bot, ready for run_polling / a webhook / process_update.

    Without ``ledger`` one is opened from ``settings.database_url`` in post_init (migrations
    applied) and closed in post_shutdown. ``request`` replaces PTB's HTTP layer (tests).
    """
    clock = clock or utcnow

    async def post_init(application: Application) -> None:
        if "ledger" not in application.bot_data:
            application.bot_data["ledger"] = await Ledger.open(
                settings.database_url,
                settings.currency,
                clock=clock,
                default_limits=Limits(settings.max_transfer_minor, settings.daily_limit_minor),
                sqlite_synchronous=settings.sqlite_synchronous,
            )
            application.bot_data["owns_ledger"] = True

    async def post_shutdown(application: Application) -> None:
        if application.bot_data.get("owns_ledger"):
            await application.bot_data["ledger"].close()

    builder = (
        ApplicationBuilder()
        .token(settings.bot_token.get_secret_value())
        .base_url(settings.telegram_base_url)
        .post_init(post_init)
        .post_shutdown(post_shutdown)
    )
    if request is not None:
        builder = builder.request(request).get_updates_request(request)
    if rate_limiter:
        builder = builder.rate_limiter(AIORateLimiter(max_retries=3))
    application = builder.build()
    application.bot_data["settings"] = settings
    application.bot_data["clock"] = clock
    if ledger is not None:
        application.bot_data["ledger"] = ledger
    application.add_handler(CommandHandler("start", start))
    return application


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Placeholder greeting until the payment chat lands."""
    assert update.effective_message is not None
    await update.effective_message.reply_text("Welcome to X Money.")
