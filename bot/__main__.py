"""``python -m bot`` (and the ``xmoney-bot`` script): check the settings and the database,
apply the migrations, then run the bot by polling or behind a webhook until SIGTERM/SIGINT.

Every way of failing to start is one line on stderr, ``xmoney-bot: <what is wrong>``, and a
non-zero exit: 2 for a missing or malformed setting, 1 for anything found at run time.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path
from typing import NoReturn

from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url
from telegram import Update
from telegram.error import InvalidToken, NetworkError, TelegramError

from bot.logs import Redactor, configure_logging
from bot.settings import Settings, SettingsError, load_settings

log = logging.getLogger("bot")

PROGRAM = "xmoney-bot"
EXIT_SETTINGS = 2
EXIT_RUNTIME = 1
# Long enough for a database that is still starting, short enough for an operator to wait.
DATABASE_CHECK_SECONDS = 30.0
MIN_REDACTED_LENGTH = 8


def fail(message: str, code: int, redact: Redactor | None = None) -> NoReturn:
    line = " ".join(message.split())  # one line, whatever the message held
    print(f"{PROGRAM}: {redact(line) if redact else line}", file=sys.stderr, flush=True)
    sys.exit(code)


def make_data_dir(settings: Settings) -> None:
    """Create ``./data`` for the default SQLite file; other locations are the operator's."""
    if settings.database_url == Settings.model_fields["database_url"].default:
        path = make_url(settings.database_url).database
        if path:
            Path(path).parent.mkdir(parents=True, exist_ok=True)


def database_problem(error: BaseException) -> str:
    """What went wrong with the database, in one line, from the driver's own words."""
    cause: BaseException = error
    if isinstance(error, sa_exc.DBAPIError) and error.orig is not None:
        # SQLAlchemy wraps the driver's error in an adapter; the driver's own error names it best.
        cause = error.orig.__cause__ or error.orig
    if isinstance(cause, TimeoutError):
        return f"no answer within {DATABASE_CHECK_SECONDS:.0f} s"
    text = str(cause).strip()
    first = text.splitlines()[0] if text else ""
    name = type(cause).__name__
    return f"{name}: {first}" if first else name


async def prepare_database(settings: Settings) -> str | None:
    """Apply the migrations; None when the database is ready, else what is wrong."""
    from ledger.db import create_engine
    from ledger.migrate import upgrade

    try:
        engine = create_engine(
            settings.database_url, sqlite_synchronous=settings.sqlite_synchronous
        )
    except Exception as error:  # a URL SQLAlchemy cannot use
        return f"cannot use DATABASE_URL ({database_problem(error)})"
    try:
        async with asyncio.timeout(DATABASE_CHECK_SECONDS):
            await upgrade(engine)
    except Exception as error:  # any failure here means the bot cannot run on it
        log.debug("database check failed", exc_info=True)
        return f"cannot use DATABASE_URL ({database_problem(error)})"
    finally:
        await engine.dispose()
    safe_url = make_url(settings.database_url).render_as_string(hide_password=True)
    log.info("database ready, migrations applied: %s", safe_url)
    return None


async def check_telegram(settings: Settings) -> str | None:
    """Ask the Bot API who we are; None when it answers, else what is wrong.

    The Application would find the same at startup, but only after logging a traceback;
    asking first turns the common mistakes (a wrong token, a wrong URL) into one line.
    """
    from telegram import Bot

    bot = Bot(settings.bot_token.get_secret_value(), base_url=settings.telegram_base_url)
    try:
        async with bot:
            log.info("the Bot API answers: this is @%s", bot.username)
    except InvalidToken:
        return "Telegram rejected BOT_TOKEN (check it with @BotFather)"
    except NetworkError as error:
        return f"cannot reach the Bot API at TELEGRAM_BASE_URL ({error})"
    except TelegramError as error:
        return f"the Bot API refused to start the bot ({error})"
    return None


async def preflight(settings: Settings) -> str | None:
    """Everything the bot needs before it starts, first problem only."""
    return await prepare_database(settings) or await check_telegram(settings)


def log_secrets(settings: Settings) -> list[str]:
    """Redacted from every log record: the token, and the webhook secret (PTB logs the
    setWebhook call) unless it is too short to redact without garbling ordinary words."""
    secrets = [settings.bot_token.get_secret_value()]
    if settings.webhook_secret is not None:
        secret = settings.webhook_secret.get_secret_value()
        if len(secret) >= MIN_REDACTED_LENGTH:
            secrets.append(secret)
    return secrets


def database_password(settings: Settings) -> str:
    """Redacted from the database error line: drivers may quote what they were given."""
    try:
        return str(make_url(settings.database_url).password or "")
    except sa_exc.ArgumentError:
        return ""


def run(settings: Settings) -> None:
    """Build the Application and run it in the configured mode until a stop signal."""
    from bot.app import build_application

    application = build_application(settings, migrate=False)  # the preflight migrated
    log.info("starting in %s mode", settings.mode)
    if settings.mode == "webhook" or settings.webapp_url is not None:
        from bot.webhook import run_webhook  # the HTTP server: the webhook and/or the page

        run_webhook(application, settings)
    else:
        # The preflight ran its own event loop and closed it; PTB wants a current one.
        asyncio.set_event_loop(asyncio.new_event_loop())
        application.run_polling(allowed_updates=Update.ALL_TYPES)
    log.info("stopped")


def main() -> None:
    try:
        settings = load_settings()
    except SettingsError as error:
        fail(str(error), EXIT_SETTINGS)
    secrets = log_secrets(settings)
    redact = configure_logging(settings.log_level, secrets)
    make_data_dir(settings)
    problem = asyncio.run(preflight(settings))
    if problem is not None:
        fail(problem, EXIT_RUNTIME, Redactor([*secrets, database_password(settings)]))
    from bot.webhook import StartupError

    try:
        run(settings)
    except InvalidToken:
        fail("Telegram rejected BOT_TOKEN (check it with @BotFather)", EXIT_RUNTIME)
    except NetworkError as error:
        fail(f"cannot reach the Bot API at TELEGRAM_BASE_URL ({error})", EXIT_RUNTIME, redact)
    except TelegramError as error:
        fail(f"the Bot API refused to start the bot ({error})", EXIT_RUNTIME, redact)
    except StartupError as error:
        fail(str(error), EXIT_RUNTIME, redact)


if __name__ == "__main__":
    main()
