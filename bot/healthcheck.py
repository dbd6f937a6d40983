"""``python -m bot.healthcheck``: exit 0 when the bot's service is healthy, 1 when not
(the Docker HEALTHCHECK). No curl needed in the image.

Webhook mode asks the running bot's ``/healthz`` (which pings the database). Polling mode
has no HTTP server, so it checks what the bot needs to work: the database answers. It never
creates a database: a missing SQLite file is unhealthy, not a new empty file.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import urllib.error
import urllib.request
from pathlib import Path

from sqlalchemy.engine import make_url

from bot.settings import Settings, SettingsError, load_settings

TIMEOUT_SECONDS = 5.0
WILDCARD_HOSTS = {"", "0.0.0.0", "::"}


def check_webhook(settings: Settings) -> str | None:
    host = "127.0.0.1" if settings.listen in WILDCARD_HOSTS else settings.listen
    if ":" in host:
        host = f"[{host}]"
    url = f"http://{host}:{settings.port}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:
            if response.status == 200:
                return None
            return f"{url} answered {response.status}"
    except urllib.error.HTTPError as error:
        return f"{url} answered {error.code}"
    except OSError as error:
        return f"{url} unreachable ({error})"


def check_database(settings: Settings) -> str | None:
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        if not Path(url.database).is_file():
            return f"no database file at {url.database}"
    return None if asyncio.run(ping(settings)) else "the database does not answer"


async def ping(settings: Settings) -> bool:
    from ledger.db import Database

    database = Database.from_url(
        settings.database_url, sqlite_synchronous=settings.sqlite_synchronous
    )
    try:
        return await asyncio.wait_for(database.ping(), TIMEOUT_SECONDS)
    except TimeoutError:
        return False
    finally:
        await database.close()


def main() -> int:
    # The verdict is the one line printed; the ping's own warning would only repeat it.
    logging.basicConfig(level=logging.ERROR)
    try:
        settings = load_settings()
    except SettingsError as error:
        print(f"unhealthy: {error}")
        return 1
    if settings.mode == "webhook":
        problem = check_webhook(settings)
    else:
        problem = check_database(settings)
    print(f"unhealthy: {problem}" if problem else "healthy")
    return 1 if problem else 0


if __name__ == "__main__":
    sys.exit(main())
