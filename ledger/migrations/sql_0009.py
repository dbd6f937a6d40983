"""SQL of revision 0009 (money in and out). Frozen with that revision: a change is a new
revision with a new file, never an edit here.

- Two transfer kinds: ``topup`` (card-settlement account -> a user, posted at once) and
  ``payout`` (a user -> card-settlement, held until the card processor settles it: posted,
  or returned: voided, or expired by the hold sweeper as a last resort). A refund of a top-up
  is a ``reversal`` of it. One account kind: ``settlement``, the outside world's side of
  every card movement (it may go below zero: it is the money that came in).
- What people are owed, written by the statement that moved the money (as in 0007): the
  top-up's owner hears it credited, the payout's owner hears it settled or returned (a
  refund, a reversal, is told by revision 0012's reversal notice). One row per event.
"""

from __future__ import annotations

import re

from sqlalchemy import text
from sqlalchemy.engine import Connection

ACCOUNT_KINDS = ("settlement",)
TRANSFER_KINDS = ("topup", "payout")

_COLS = "event_key, recipient_id, kind, transfer_id, created_at, claimed_at, claimed_by"


def _owner(side: str) -> str:
    return f"(SELECT owner_id FROM accounts WHERE id = NEW.{side}_account_id)"


def _topup_row(tail: str) -> str:
    return f"""INSERT INTO outbox ({_COLS})
    SELECT 'topup:' || NEW.id, {_owner("credit")}, 'topup_credited', NEW.id,
           NEW.created_at, NEW.created_at, NEW.idempotency_key
    WHERE NEW.kind = 'topup' AND NEW.state = 'posted' AND {_owner("credit")} IS NOT NULL{tail}"""


def _payout_row(tail: str) -> str:
    return f"""INSERT INTO outbox ({_COLS})
    SELECT 'payout:' || NEW.id || ':' || NEW.state, {_owner("debit")},
           CASE WHEN NEW.state = 'posted' THEN 'payout_settled' ELSE 'payout_returned' END,
           NEW.id, NEW.resolved_at, NEW.resolved_at, NEW.resolution_key
    WHERE NEW.kind = 'payout' AND {_owner("debit")} IS NOT NULL{tail}"""


SQLITE = [
    "CREATE TRIGGER transfers_money_in AFTER INSERT ON transfers "
    "WHEN NEW.kind = 'topup' BEGIN " + _topup_row("") + "; END",
    "CREATE TRIGGER transfers_payout_settled AFTER UPDATE OF state ON transfers "
    "WHEN OLD.state = 'pending' AND NEW.state <> 'pending' AND NEW.kind = 'payout' BEGIN "
    + _payout_row("")
    + "; END",
]

_PG_TAIL = " ON CONFLICT (event_key) DO NOTHING"

POSTGRESQL = [
    "CREATE FUNCTION ledger_money_in() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    + _topup_row(_PG_TAIL)
    + "; RETURN NULL; END $$",
    "CREATE TRIGGER transfers_money_in AFTER INSERT ON transfers FOR EACH ROW "
    "WHEN (NEW.kind = 'topup') EXECUTE FUNCTION ledger_money_in()",
    "CREATE FUNCTION ledger_payout_settled() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    + _payout_row(_PG_TAIL)
    + "; RETURN NULL; END $$",
    "CREATE TRIGGER transfers_payout_settled AFTER UPDATE OF state ON transfers FOR EACH ROW "
    "WHEN (OLD.state = 'pending' AND NEW.state <> 'pending' AND NEW.kind = 'payout') "
    "EXECUTE FUNCTION ledger_payout_settled()",
]

_TRIGGERS = (("transfers", "transfers_money_in"), ("transfers", "transfers_payout_settled"))
_FUNCTIONS = ("ledger_money_in", "ledger_payout_settled")

_CHECKS = (
    ("accounts", "ck_accounts_kind", ACCOUNT_KINDS),
    ("transfers", "ck_transfers_kind", TRANSFER_KINDS),
)


def _with(values: list[str], added: tuple[str, ...], remove: bool) -> list[str]:
    if remove:
        return [v for v in values if v not in added]
    return values + [v for v in added if v not in values]


def _widen_sqlite(conn: Connection, remove: bool) -> None:
    """Add (or remove) values of a ``kind IN (...)`` CHECK in place. SQLite cannot alter a
    constraint, and rebuilding the table would drop its triggers; widening a CHECK leaves
    every stored row valid, the case SQLite documents for editing the schema text
    (``PRAGMA writable_schema``). Whatever values an earlier revision added are kept."""
    for table, name, added in _CHECKS:
        sql = conn.execute(
            text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :t"), {"t": table}
        ).scalar_one()
        pattern = re.compile(rf"(CONSTRAINT {name} CHECK \(kind IN \()([^)]*)(\)\))")
        match = pattern.search(sql)
        if match is None:
            raise RuntimeError(f"{table}: constraint {name} not found")
        values = re.findall(r"'([a-z_]+)'", match.group(2))
        listed = ", ".join(f"'{v}'" for v in _with(values, added, remove))
        new_sql = sql[: match.start(2)] + listed + sql[match.end(2) :]
        version = conn.exec_driver_sql("PRAGMA schema_version").scalar_one()
        conn.exec_driver_sql("PRAGMA writable_schema = ON")
        try:
            conn.execute(
                text("UPDATE sqlite_master SET sql = :s WHERE type = 'table' AND name = :t"),
                {"s": new_sql, "t": table},
            )
            conn.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
        finally:
            conn.exec_driver_sql("PRAGMA writable_schema = OFF")


def _widen_postgresql(conn: Connection, remove: bool) -> None:
    for table, name, added in _CHECKS:
        definition = conn.execute(
            text("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = :n"),
            {"n": name},
        ).scalar_one()
        values = re.findall(r"'([a-z_]+)'", definition)
        listed = ", ".join(f"'{v}'" for v in _with(values, added, remove))
        conn.exec_driver_sql(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
        conn.exec_driver_sql(
            f"ALTER TABLE {table} ADD CONSTRAINT {name} CHECK (kind IN ({listed}))"
        )


def upgrade(conn: Connection) -> None:
    postgresql = conn.dialect.name == "postgresql"
    (_widen_postgresql if postgresql else _widen_sqlite)(conn, False)
    for statement in POSTGRESQL if postgresql else SQLITE:
        conn.exec_driver_sql(statement)


def downgrade(conn: Connection) -> None:
    postgresql = conn.dialect.name == "postgresql"
    for table, trigger in _TRIGGERS:
        conn.exec_driver_sql(
            f"DROP TRIGGER IF EXISTS {trigger} ON {table}"
            if postgresql
            else f"DROP TRIGGER IF EXISTS {trigger}"
        )
    if postgresql:
        for function in _FUNCTIONS:
            conn.exec_driver_sql(f"DROP FUNCTION IF EXISTS {function}()")
    # Rows of the new kinds must be gone before the CHECKs narrow again.
    conn.exec_driver_sql(
        "DELETE FROM outbox WHERE kind IN ('topup_credited', 'payout_settled', 'payout_returned')"
    )
    (_widen_postgresql if postgresql else _widen_sqlite)(conn, True)
