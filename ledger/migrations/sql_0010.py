"""Trigger SQL of revision 0010: a request outlives the holds made to pay it.

Until 0010 a request settled with its hold whatever became of it: posted, paid; released by
its payer (Cancel on the card), declined; expired or released otherwise, cancelled. Now
only posting settles it. A hold that ends unpaid leaves its request open, to be paid later,
declined (Decline), withdrawn by its requester or lapsed at its own expiry.

Revision 0007's ``transfers_settled`` trigger is left as it is (other revisions may build on
it); a BEFORE UPDATE trigger on ``payment_requests`` drops the one update that no longer
applies: an open request closed *with a hold's ref* other than by payment (only 0007's
settlement writes a ref; a Decline, a withdrawal and an expiry write none). SQLite skips
the row with ``RAISE(IGNORE)``, PostgreSQL by returning NULL.
Frozen with that revision: a change is a new revision with a new file, never an edit here.
"""

from sqlalchemy.engine import Connection

_KEEP_OPEN = (
    "OLD.state = 'open' AND NEW.state IN ('declined', 'cancelled') AND NEW.transfer_ref IS NOT NULL"
)

SQLITE = [
    "CREATE TRIGGER payment_requests_outlive_holds BEFORE UPDATE OF state ON payment_requests "
    f"WHEN {_KEEP_OPEN} BEGIN SELECT RAISE(IGNORE); END",
]

POSTGRESQL = [
    """CREATE FUNCTION ledger_request_outlives_holds() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RETURN NULL;
    END $$""",
    "CREATE TRIGGER payment_requests_outlive_holds BEFORE UPDATE OF state ON payment_requests "
    f"FOR EACH ROW WHEN ({_KEEP_OPEN}) EXECUTE FUNCTION ledger_request_outlives_holds()",
]


def upgrade(conn: Connection) -> None:
    for statement in POSTGRESQL if conn.dialect.name == "postgresql" else SQLITE:
        conn.exec_driver_sql(statement)


def downgrade(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(
            "DROP TRIGGER IF EXISTS payment_requests_outlive_holds ON payment_requests"
        )
        conn.exec_driver_sql("DROP FUNCTION IF EXISTS ledger_request_outlives_holds()")
    else:
        conn.exec_driver_sql("DROP TRIGGER IF EXISTS payment_requests_outlive_holds")
