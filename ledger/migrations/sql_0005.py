"""Trigger SQL of revision 0005. Frozen with that revision: a change is a new revision with a
new file, never an edit here.

**Caps** (``ledger.models.AMOUNT_MAX``, ``COUNTER_MAX``). SQLite stores an integer that
overflows 64 bits as a REAL, silently: two credits of the largest BIGINT made an account's
counter a float, and every later SUM over it failed with "integer overflow". PostgreSQL
refuses such a write ("bigint out of range"), but only at 2^63. So a single amount is at most
``AMOUNT_MAX`` and every stored counter at most ``COUNTER_MAX``, far enough below 2^63 that a
counter plus an amount never overflows, nor an account's credits on PostgreSQL (its row plus
16 shards: 17 * COUNTER_MAX < 2^62), nor anything the ledger computes from them. On PostgreSQL
each shard has the cap, so an account's credits there may total up to 17 times it.

- PostgreSQL: CHECK constraints (in the migration; their names end in ``_max``).
- SQLite: BEFORE triggers raising ``ledger:amount_cap`` / ``ledger:counter_cap`` /
  ``ledger:limit_cap``, which also refuse any value not stored as an integer
  (``typeof(x) <> 'integer'``: a REAL or a text). SQLite cannot add a CHECK to a table without
  rebuilding it, and ``accounts`` / ``transfers`` carry the triggers and foreign keys of
  revisions 0001 and 0003: triggers leave them alone. They run on every write after this
  revision; rows written before it are not rewritten, and ``Ledger.verify`` reports any that
  break the caps.

**Welcome credits per day.** ``welcome_days`` counts the welcome credits issued per currency
and day (the UTC day of the transfer's ``created_at``, as for the daily sending limit); the
trigger ``transfers_welcome_counted`` adds one for every welcome transfer inserted and refuses
it (``ledger:welcome_cap``) once the day's count would pass ``ledger_limits.welcome_daily_cap``.
The counter row is written by an upsert, which on PostgreSQL locks it: concurrent welcomes,
from any number of processes, are counted one after the other, so the cap holds exactly. A
replayed insert (``ON CONFLICT (idempotency_key) DO NOTHING``) inserts nothing and counts
nothing.
"""

from sqlalchemy.engine import Connection

from ledger.migrations.sql_0001 import DAY

# The caps as this revision writes them (ledger.models holds the same values for the code).
AMOUNT_MAX = 10**15  # minor units: 10 trillion USD, or 10^15 JPY
COUNTER_MAX = 25 * 10**16  # 17 of these (a PostgreSQL row and its 16 shards) < 2^62

ACCOUNT_COUNTERS = ("debits_posted", "credits_posted", "debits_pending", "credits_pending")
SHARD_COUNTERS = ("credits_posted", "credits_pending")


def capped(columns: tuple[str, ...], maximum: int, row: str = "") -> str:
    """Every column at most ``maximum`` (the PostgreSQL CHECK, and with ``row`` the SQLite
    trigger's test, which also insists on integer storage)."""
    if not row:
        return " AND ".join(f"{c} <= {maximum}" for c in columns)
    return " AND ".join(
        f"typeof({row}.{c}) = 'integer' AND {row}.{c} <= {maximum}" for c in columns
    )


# PostgreSQL CHECKs: (table, name, condition). Models mirror them (ledger/models.py).
POSTGRESQL_CHECKS = [
    ("accounts", "ck_accounts_counters_max", capped((*ACCOUNT_COUNTERS, "day_sent"), COUNTER_MAX)),
    ("account_credits", "ck_account_credits_counters_max", capped(SHARD_COUNTERS, COUNTER_MAX)),
    ("transfers", "ck_transfers_amount_max", capped(("amount",), AMOUNT_MAX)),
    ("payment_requests", "ck_payment_requests_amount_max", capped(("amount",), AMOUNT_MAX)),
    (
        "ledger_limits",
        "ck_ledger_limits_max",
        f"max_transfer <= {AMOUNT_MAX} AND daily_limit <= {COUNTER_MAX} AND welcome_daily_cap >= 0",
    ),
]


def _sqlite_guard(name: str, event: str, table: str, test: str, code: str) -> str:
    return (
        f"CREATE TRIGGER {name} BEFORE {event} ON {table} FOR EACH ROW WHEN NOT ({test}) "
        f"BEGIN SELECT RAISE(ABORT, 'ledger:{code}'); END"
    )


_ACCOUNTS_OK = capped((*ACCOUNT_COUNTERS, "day_sent"), COUNTER_MAX, "NEW")
_SHARDS_OK = capped(SHARD_COUNTERS, COUNTER_MAX, "NEW")
_AMOUNT_OK = capped(("amount",), AMOUNT_MAX, "NEW")
_LIMITS_OK = (
    f"{capped(('max_transfer',), AMOUNT_MAX, 'NEW')} AND "
    f"{capped(('daily_limit',), COUNTER_MAX, 'NEW')} AND "
    "typeof(NEW.welcome_daily_cap) = 'integer' AND NEW.welcome_daily_cap >= 0"
)
_ACCOUNT_UPDATE = f"UPDATE OF {', '.join((*ACCOUNT_COUNTERS, 'day_sent'))}"

SQLITE = [
    _sqlite_guard("accounts_capped_insert", "INSERT", "accounts", _ACCOUNTS_OK, "counter_cap"),
    _sqlite_guard(
        "accounts_capped_update", _ACCOUNT_UPDATE, "accounts", _ACCOUNTS_OK, "counter_cap"
    ),
    _sqlite_guard(
        "account_credits_capped_insert", "INSERT", "account_credits", _SHARDS_OK, "counter_cap"
    ),
    _sqlite_guard(
        "account_credits_capped_update",
        "UPDATE OF credits_posted, credits_pending",
        "account_credits",
        _SHARDS_OK,
        "counter_cap",
    ),
    _sqlite_guard("transfers_amount_capped", "INSERT", "transfers", _AMOUNT_OK, "amount_cap"),
    _sqlite_guard(
        "payment_requests_capped_insert", "INSERT", "payment_requests", _AMOUNT_OK, "amount_cap"
    ),
    _sqlite_guard(
        "payment_requests_capped_update",
        "UPDATE OF amount",
        "payment_requests",
        _AMOUNT_OK,
        "amount_cap",
    ),
    _sqlite_guard(
        "ledger_limits_capped_insert", "INSERT", "ledger_limits", _LIMITS_OK, "limit_cap"
    ),
    _sqlite_guard(
        "ledger_limits_capped_update",
        "UPDATE OF max_transfer, daily_limit, welcome_daily_cap",
        "ledger_limits",
        _LIMITS_OK,
        "limit_cap",
    ),
    f"""
CREATE TRIGGER transfers_welcome_counted AFTER INSERT ON transfers
FOR EACH ROW WHEN NEW.kind = 'welcome' BEGIN
    INSERT INTO welcome_days (currency, day_number, issued)
    VALUES (NEW.currency, NEW.created_at / {DAY}, 1)
    ON CONFLICT (currency, day_number) DO UPDATE SET issued = issued + 1;
    SELECT RAISE(ABORT, 'ledger:welcome_cap') WHERE
        (SELECT issued FROM welcome_days
         WHERE currency = NEW.currency AND day_number = NEW.created_at / {DAY})
        > COALESCE((SELECT welcome_daily_cap FROM ledger_limits
                    WHERE currency = NEW.currency), 0);
END""",
]

SQLITE_DROP = [
    f"DROP TRIGGER IF EXISTS {name}"
    for name in (
        "transfers_welcome_counted",
        "ledger_limits_capped_update",
        "ledger_limits_capped_insert",
        "payment_requests_capped_update",
        "payment_requests_capped_insert",
        "transfers_amount_capped",
        "account_credits_capped_update",
        "account_credits_capped_insert",
        "accounts_capped_update",
        "accounts_capped_insert",
    )
]

POSTGRESQL = [
    f"""
CREATE FUNCTION ledger_welcome_counted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    issued_today bigint;
    cap bigint;
BEGIN
    -- The upsert locks the day's row: concurrent welcomes are counted one after the other.
    INSERT INTO welcome_days AS w (currency, day_number, issued)
    VALUES (NEW.currency, NEW.created_at / {DAY}, 1)
    ON CONFLICT (currency, day_number) DO UPDATE SET issued = w.issued + 1
    RETURNING issued INTO issued_today;
    SELECT welcome_daily_cap INTO cap FROM ledger_limits WHERE currency = NEW.currency;
    IF issued_today > COALESCE(cap, 0) THEN
        RAISE EXCEPTION 'ledger:welcome_cap';
    END IF;
    RETURN NULL;
END $$""",
    "CREATE TRIGGER transfers_welcome_counted AFTER INSERT ON transfers FOR EACH ROW "
    "WHEN (NEW.kind = 'welcome') EXECUTE FUNCTION ledger_welcome_counted()",
]

POSTGRESQL_DROP = [
    "DROP TRIGGER IF EXISTS transfers_welcome_counted ON transfers",
    "DROP FUNCTION IF EXISTS ledger_welcome_counted()",
]


def create_triggers(connection: Connection) -> None:
    for statement in POSTGRESQL if connection.dialect.name == "postgresql" else SQLITE:
        connection.exec_driver_sql(statement)


def drop_triggers(connection: Connection) -> None:
    for statement in POSTGRESQL_DROP if connection.dialect.name == "postgresql" else SQLITE_DROP:
        connection.exec_driver_sql(statement)
