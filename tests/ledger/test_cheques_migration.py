"""Migration 0008 (cheques, payment links, envelopes) goes down and up again on both
databases: its tables go and come back, and the ledger's invariants hold throughout."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from ledger import Ledger
from ledger.db import Database
from ledger.migrate import alembic_config, upgrade
from ledger.payments import Payments
from ledger.payments.cheques import Cheques, new_cheque_id

TABLES = {"cheques", "payment_links", "envelopes"}


async def _tables(url: str) -> set[str]:
    db = Database.from_url(url)
    try:
        async with db.engine.connect() as conn:
            return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
    finally:
        await db.close()


async def _downgrade(url: str, revision: str) -> None:
    db = Database.from_url(url)

    def run(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, revision)

    try:
        async with db.engine.begin() as connection:
            await connection.run_sync(run)
    finally:
        await db.close()


async def test_0008_downgrades_and_upgrades_again(ledger: Ledger, database_url: str) -> None:
    cheques = Cheques(Payments(ledger))
    alice = await ledger.open_account(1)
    await ledger.transfer(ledger.issuance_account_id, alice, 1_000, kind="credit", key="c")
    cheque = await cheques.write(new_cheque_id(), 1, 300, "lunch")
    assert cheque.cheque.state == "open" and (await ledger.verify()).ok
    await cheques.cancel(cheque.cheque.id, 1)  # a hold of a dropped table must not outlive it
    assert TABLES <= await _tables(database_url)

    await _downgrade(database_url, "0007")
    assert not TABLES & await _tables(database_url)

    db = Database.from_url(database_url)
    try:
        await upgrade(db.engine)
    finally:
        await db.close()
    assert TABLES <= await _tables(database_url)
