"""Trigger SQL of revision 0012: an operator's credit, debit or reversal writes the notices
it owes as outbox rows, in the statement that moves the money (as revision 0007 does for
payments). Frozen with that revision: a change is a new revision with a new file.

- A credit tells its account's owner (``credited``), a debit its owner (``debited``); a
  reversal tells both parties of the transfer it undoes: the one who gives the money back
  (``reversed_taken``, the reversal's debit side) and the one who gets it back
  (``reversed_back``). A system account (no owner) is told nothing.
- Only a movement an operator made (``actor_id`` set, as every admin action is): a credit
  the ledger's own code makes without an actor (a test's or a script's funding) owes nobody
  a message.
- A row is written claimed by the movement's idempotency key (the admin command's or card's
  key), at the movement's time: the process that moved the money delivers it at once; a
  redelivered command, which inserts nothing, takes it over only once the claim is stale
  (``ledger.outbox``). The reason, amount and balance are read from the transfer when the
  row is delivered.
"""

from sqlalchemy.engine import Connection

_COLS = "event_key, recipient_id, kind, transfer_id, created_at, claimed_at, claimed_by"
_WHEN = "NEW.kind IN ('credit', 'debit', 'reversal') AND NEW.state = 'posted' " + (
    "AND NEW.actor_id IS NOT NULL"
)

# (transfer kind, side whose owner is told, outbox kind)
_NOTICES = (
    ("credit", "credit", "credited"),
    ("debit", "debit", "debited"),
    ("reversal", "debit", "reversed_taken"),
    ("reversal", "credit", "reversed_back"),
)


def _rows(tail: str) -> list[str]:
    rows = []
    for kind, side, notice in _NOTICES:
        owner = f"(SELECT owner_id FROM accounts WHERE id = NEW.{side}_account_id)"
        rows.append(
            f"""INSERT INTO outbox ({_COLS})
            SELECT 'admin:' || NEW.id || ':{notice}', {owner}, '{notice}', NEW.id,
                   NEW.created_at, NEW.created_at, NEW.idempotency_key
            WHERE NEW.kind = '{kind}' AND {owner} IS NOT NULL{tail}"""
        )
    return rows


SQLITE = [
    f"CREATE TRIGGER transfers_admin_notices AFTER INSERT ON transfers WHEN {_WHEN} BEGIN "
    + "; ".join(_rows(""))
    + "; END",
]

POSTGRESQL = [
    "CREATE FUNCTION ledger_admin_notices() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    + "; ".join(_rows(" ON CONFLICT (event_key) DO NOTHING"))
    + "; RETURN NULL; END $$",
    "CREATE TRIGGER transfers_admin_notices AFTER INSERT ON transfers FOR EACH ROW "
    f"WHEN ({_WHEN}) EXECUTE FUNCTION ledger_admin_notices()",
]


def upgrade(conn: Connection) -> None:
    postgresql = conn.dialect.name == "postgresql"
    for statement in POSTGRESQL if postgresql else SQLITE:
        conn.exec_driver_sql(statement)


def downgrade(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("DROP TRIGGER IF EXISTS transfers_admin_notices ON transfers")
        conn.exec_driver_sql("DROP FUNCTION IF EXISTS ledger_admin_notices()")
    else:
        conn.exec_driver_sql("DROP TRIGGER IF EXISTS transfers_admin_notices")
