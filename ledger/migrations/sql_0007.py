"""Trigger SQL of revision 0007: a request settles with the hold made to pay it, and every
message a money movement owes someone is an outbox row written by the same transaction.
Frozen with that revision: a change is a new revision with a new file, never an edit here.

- ``transfers.request_id`` links a hold to the request it pays. Posting that hold marks the
  request paid; voiding it marks it declined when its payer released it (Cancel on the card)
  and cancelled otherwise (a freeze, a card that could not be shown); expiring it marks it
  cancelled. All in the statement that moved the money.
- A declined request can never be paid: a hold cannot be created for a request that is not
  open, nor posted once its request is closed (``ledger:request_closed``), and declining a
  request releases its pending hold in the same statement.
- Outbox rows (``outbox``), one per person and event, its ``event_key`` unique: the sender's
  receipt when the card is not in the sender's private chat, "you received" to the
  recipient (unless the payment settles a request: the requester hears that instead), the
  request's outcome to its requester, an expired hold's card. A row is written claimed by
  the statement's resolution key (``claimed_by``, ``claimed_at``): the process that moved
  the money delivers it at once; anyone else takes it over only with that same key (the
  same press delivered again) or once the claim is stale (see ``ledger.outbox``).

Times in rows are the movement's own (``resolved_at``), so the ledger's clock decides them.
"""

from sqlalchemy.engine import Connection

_COLS = "event_key, recipient_id, kind, transfer_id, request_id, created_at, claimed_at, claimed_by"


def _owner(side: str) -> str:
    return f"(SELECT owner_id FROM accounts WHERE id = NEW.{side}_account_id)"


# The rows a transfer leaving 'pending' owes, as INSERT ... SELECT statements; ``tail`` ends
# each (PostgreSQL: ON CONFLICT DO NOTHING).
def _transfer_rows(tail: str) -> list[str]:
    claim = "NEW.resolved_at, NEW.resolved_at, NEW.resolution_key"
    return [
        # The sender's receipt, unless the card is in the sender's private chat (it becomes
        # the receipt there): a card in a group shows no balance.
        f"""INSERT INTO outbox ({_COLS})
        SELECT 'posted:' || NEW.id || ':sender', {_owner("debit")}, 'receipt', NEW.id,
               NEW.request_id, {claim}
        WHERE NEW.state = 'posted' AND NEW.kind = 'payment' AND {_owner("debit")} IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM cards c WHERE c.transfer_id = NEW.id
                          AND c.chat_id = {_owner("debit")}){tail}""",
        f"""INSERT INTO outbox ({_COLS})
        SELECT 'posted:' || NEW.id || ':recipient', {_owner("credit")}, 'received', NEW.id,
               NULL, {claim}
        WHERE NEW.state = 'posted' AND NEW.kind = 'payment' AND NEW.request_id IS NULL
          AND {_owner("credit")} IS NOT NULL{tail}""",
        f"""INSERT INTO outbox ({_COLS})
        SELECT 'expired:' || NEW.id, {_owner("debit")}, 'card_expired', NEW.id,
               NEW.request_id, {claim}
        WHERE NEW.state = 'expired' AND NEW.kind = 'payment'
          AND {_owner("debit")} IS NOT NULL{tail}""",
    ]


# The request a hold was made for settles with it.
_SETTLE_REQUEST = """UPDATE payment_requests SET
        state = CASE WHEN NEW.state = 'posted' THEN 'paid'
                     WHEN NEW.state = 'voided' AND NEW.resolved_by = payer_id THEN 'declined'
                     ELSE 'cancelled' END,
        transfer_ref = NEW.ref, resolved_at = NEW.resolved_at
    WHERE id = NEW.request_id AND state = 'open'"""


# The requester hears a request's outcome: paid, declined, or cancelled because its hold
# ended (a request cancelled before anything was held, as one that could not be delivered,
# tells nobody: the requester was answered at once).
def _request_row(tail: str) -> str:
    return f"""INSERT INTO outbox ({_COLS})
    SELECT 'request:' || NEW.id || ':' || NEW.state, NEW.requester_id, 'request_' || NEW.state,
           (SELECT id FROM transfers WHERE ref = NEW.transfer_ref), NEW.id, NEW.resolved_at,
           NEW.resolved_at,
           (SELECT resolution_key FROM transfers WHERE ref = NEW.transfer_ref)
    WHERE NEW.state IN ('paid', 'declined') OR NEW.transfer_ref IS NOT NULL{tail}"""


# Declining a request releases the hold made to pay it (Pay pressed, card not confirmed).
_RELEASE_DECLINED = """UPDATE transfers SET
        state = CASE WHEN expires_at <= NEW.resolved_at THEN 'expired' ELSE 'voided' END,
        resolved_at = NEW.resolved_at, resolved_by = NEW.payer_id
    WHERE request_id = NEW.id AND state = 'pending' AND NEW.state = 'declined'"""

SQLITE = [
    """CREATE TRIGGER transfers_request_hold AFTER INSERT ON transfers
    WHEN NEW.request_id IS NOT NULL BEGIN
        SELECT RAISE(ABORT, 'ledger:request_closed')
        WHERE (SELECT state FROM payment_requests WHERE id = NEW.request_id) <> 'open';
    END""",
    """CREATE TRIGGER transfers_request_open BEFORE UPDATE ON transfers
    WHEN NEW.state = 'posted' AND OLD.request_id IS NOT NULL BEGIN
        SELECT RAISE(ABORT, 'ledger:request_closed')
        WHERE (SELECT state FROM payment_requests WHERE id = OLD.request_id) <> 'open';
    END""",
    "CREATE TRIGGER transfers_settled AFTER UPDATE OF state ON transfers "
    "WHEN OLD.state = 'pending' AND NEW.state <> 'pending' BEGIN "
    + "; ".join([*_transfer_rows(""), _SETTLE_REQUEST])
    + "; END",
    "CREATE TRIGGER payment_requests_settled AFTER UPDATE OF state ON payment_requests "
    "WHEN OLD.state = 'open' AND NEW.state <> 'open' BEGIN "
    + "; ".join([_request_row(""), _RELEASE_DECLINED])
    + "; END",
]

_PG_TAIL = " ON CONFLICT (event_key) DO NOTHING"

POSTGRESQL = [
    # FOR SHARE: a Decline updating the request at the same moment waits for this hold to
    # commit (and then releases it), or this hold waits for the Decline (and is refused).
    """CREATE FUNCTION ledger_request_hold() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM 1 FROM payment_requests WHERE id = NEW.request_id AND state = 'open'
            FOR SHARE;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'ledger:request_closed';
        END IF;
        RETURN NULL;
    END $$""",
    "CREATE TRIGGER transfers_request_hold AFTER INSERT ON transfers FOR EACH ROW "
    "WHEN (NEW.request_id IS NOT NULL) EXECUTE FUNCTION ledger_request_hold()",
    """CREATE FUNCTION ledger_request_open() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF (SELECT state FROM payment_requests WHERE id = OLD.request_id) <> 'open' THEN
            RAISE EXCEPTION 'ledger:request_closed';
        END IF;
        RETURN NEW;
    END $$""",
    "CREATE TRIGGER transfers_request_open BEFORE UPDATE ON transfers FOR EACH ROW "
    "WHEN (NEW.state = 'posted' AND OLD.request_id IS NOT NULL) "
    "EXECUTE FUNCTION ledger_request_open()",
    "CREATE FUNCTION ledger_transfer_settled() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    + "; ".join([*_transfer_rows(_PG_TAIL), _SETTLE_REQUEST])
    + "; RETURN NULL; END $$",
    "CREATE TRIGGER transfers_settled AFTER UPDATE OF state ON transfers FOR EACH ROW "
    "WHEN (OLD.state = 'pending' AND NEW.state <> 'pending') "
    "EXECUTE FUNCTION ledger_transfer_settled()",
    "CREATE FUNCTION ledger_request_settled() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    + "; ".join([_request_row(_PG_TAIL), _RELEASE_DECLINED])
    + "; RETURN NULL; END $$",
    "CREATE TRIGGER payment_requests_settled AFTER UPDATE OF state ON payment_requests "
    "FOR EACH ROW WHEN (OLD.state = 'open' AND NEW.state <> 'open') "
    "EXECUTE FUNCTION ledger_request_settled()",
]

_TRIGGERS = (
    ("transfers", "transfers_request_hold"),
    ("transfers", "transfers_request_open"),
    ("transfers", "transfers_settled"),
    ("payment_requests", "payment_requests_settled"),
)
_FUNCTIONS = (
    "ledger_request_hold",
    "ledger_request_open",
    "ledger_transfer_settled",
    "ledger_request_settled",
)


def upgrade(conn: Connection) -> None:
    postgresql = conn.dialect.name == "postgresql"
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
