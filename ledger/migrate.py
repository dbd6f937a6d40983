"""Apply the Alembic migrations: the one way a ledger schema is made."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

_HERE = Path(__file__).resolve().parent


def alembic_config() -> Config:
    config = Config(str(_HERE / "alembic.ini"))
    config.set_main_option("script_location", str(_HERE / "migrations"))
    return config


MIGRATION_LOCK = 0x786D6F6E  # the advisory lock key every process migrates under ("xmon")


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Bring the database behind ``engine`` up to ``revision``.

    On PostgreSQL under a transaction-scoped advisory lock: several workers starting together
    on an empty database take turns; the first migrates, the others then find the schema
    at ``revision`` and do nothing (without it two would create the same tables, and all
    but one fail). SQLite serves one process."""

    def run(connection: Connection) -> None:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, revision)

    async with engine.begin() as connection:
        await connection.run_sync(run)
