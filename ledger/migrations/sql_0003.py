"""Trigger SQL of revision 0003 (PostgreSQL only). Frozen with that revision: a change to
these triggers is a new revision with a new file, never an edit here.

Why: on PostgreSQL a transfer used to UPDATE the credited account's row, and a row lock is
held until the commit's WAL flush, so every payment to one account (a merchant) committed
one flush at a time. Now a credit never updates the credited row:

- the credited amount goes to one of ``SHARDS`` rows of ``account_credits``, the shard being
  the transfer's id modulo ``SHARDS``: transfers in flight together have neighbouring ids, so
  they write different shards, and a hold's resolution comes back to the shard the hold
  wrote, so no shard's pending counter ever goes negative (a CHECK says so);
- an account's credits are its row's own counters plus the sum of its shards;
- a payment's credited account is locked ``FOR SHARE`` (in id order with the debited one,
  as before), and its status checked under that lock: payments to one account do not wait
  for each other, but a freeze's ``FOR NO KEY UPDATE`` waits for them, and they for it;
- the debit side still UPDATEs the debited row (status test and daily counter under its
  lock). The CHECK ``ck_accounts_no_overdraft`` cannot see the shards; the trigger
  ``accounts_no_overdraft`` replaces it and raises the same error (SQLSTATE 23514, naming
  that constraint). It reads the shards without locking them: credits only grow (the
  trigger ``account_credits_only_grow`` refuses anything else), so a credit not committed
  yet is merely not counted, and the check is never too generous;
- shard rows are never deleted, like transfers;
- the hold gate: creating a hold takes a shared advisory lock on each of its two accounts'
  ids, which ``Ledger.freeze`` takes exclusively first. Payments to an account only share
  its row now, so a freeze no longer queues among them: without the gate, holds to a busy
  account committed between the freeze's listing of the holds and its lock on the account
  sent it back to the start every time. Resolutions do not take the gate: they lock their
  transfer row first, which the freeze locks before the accounts, as before. The gate is
  the first lock either side takes (a payment's foreign-key checks take only KEY SHARE,
  which no freeze lock conflicts with), so it adds no deadlock.

The transfer triggers keep their names and OIDs (CREATE OR REPLACE FUNCTION); the downgrade
recreates revision 0001's set. Errors raised here start with ``ledger:`` and are translated
by ``ledger.core``, except the overdraft, which looks like the CHECK it replaces.
"""

from sqlalchemy.engine import Connection

from ledger.migrations import sql_0001

SHARDS = 16
DAY = sql_0001.DAY
_AUDIT_TARGET = sql_0001._AUDIT_TARGET
_IMMUTABLE = sql_0001._IMMUTABLE

# A user account's debits may not exceed its credits: row plus shards.
_NO_OVERDRAFT_MESSAGE = (
    'new row for relation "accounts" violates check constraint "ck_accounts_no_overdraft"'
)

# Open holds were credited on the row; each moves to the shard its resolution will write.
MOVE_HOLDS_TO_SHARDS = [
    f"""
INSERT INTO account_credits (account_id, shard, credits_posted, credits_pending)
SELECT credit_account_id, id % {SHARDS}, 0, SUM(amount) FROM transfers
WHERE state = 'pending' GROUP BY credit_account_id, id % {SHARDS}""",
    """
UPDATE accounts a SET credits_pending = a.credits_pending - h.held
FROM (SELECT credit_account_id, SUM(amount) AS held FROM transfers
      WHERE state = 'pending' GROUP BY credit_account_id) h
WHERE a.id = h.credit_account_id""",
]

# The downgrade puts every shard back on its account's row.
FOLD_SHARDS_INTO_ROWS = """
UPDATE accounts a SET credits_posted = a.credits_posted + s.posted,
                      credits_pending = a.credits_pending + s.pending
FROM (SELECT account_id, SUM(credits_posted) AS posted, SUM(credits_pending) AS pending
      FROM account_credits GROUP BY account_id) s
WHERE a.id = s.account_id"""

POSTGRESQL = [
    """
CREATE FUNCTION ledger_debit(
    acc bigint, cur text, d_posted bigint, d_pending bigint, must_be_active boolean,
    sent bigint, today bigint) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    result bigint;
BEGIN
    -- The status test sits in the UPDATE so a concurrent freeze is seen after the row lock;
    -- the overdraft is refused by the trigger accounts_no_overdraft on this UPDATE.
    UPDATE accounts SET
        debits_posted = debits_posted + d_posted,
        debits_pending = debits_pending + d_pending,
        day_sent = CASE
            WHEN sent > 0 AND day_number = today THEN day_sent + sent
            WHEN sent > 0 THEN sent
            WHEN sent < 0 AND day_number = today THEN greatest(day_sent + sent, 0)
            ELSE day_sent END,
        day_number = CASE WHEN sent > 0 THEN today ELSE day_number END
    WHERE id = acc AND currency = cur AND (status = 'active' OR NOT must_be_active)
    RETURNING day_sent INTO result;
    IF NOT FOUND THEN
        IF EXISTS (SELECT 1 FROM accounts WHERE id = acc AND currency = cur) THEN
            RAISE EXCEPTION 'ledger:frozen:debit';
        END IF;
        RAISE EXCEPTION 'ledger:no_account:debit';
    END IF;
    RETURN result;
END $$""",
    """
CREATE FUNCTION ledger_credit_check(acc bigint, cur text, must_be_active boolean)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    current_status text;
BEGIN
    IF must_be_active THEN
        -- SHARE conflicts with a freeze's NO KEY UPDATE but not with other payments' SHARE.
        SELECT status INTO current_status FROM accounts
        WHERE id = acc AND currency = cur FOR SHARE;
    ELSE
        -- No status to test, and the currency never changes: no lock needed.
        SELECT status INTO current_status FROM accounts WHERE id = acc AND currency = cur;
    END IF;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'ledger:no_account:credit';
    END IF;
    IF must_be_active AND current_status <> 'active' THEN
        RAISE EXCEPTION 'ledger:frozen:credit';
    END IF;
END $$""",
    f"""
CREATE FUNCTION ledger_credit_add(acc bigint, transfer_id bigint, d_posted bigint,
                                  d_pending bigint) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF d_pending < 0 THEN
        -- A hold's resolution: its shard exists (the hold wrote it). Not an upsert, whose
        -- CHECK would judge the values to insert, a negative pending, and refuse them.
        UPDATE account_credits SET
            credits_posted = credits_posted + d_posted,
            credits_pending = credits_pending + d_pending
        WHERE account_id = acc AND shard = transfer_id % {SHARDS};
        IF NOT FOUND THEN
            RAISE EXCEPTION 'ledger:no_shard';
        END IF;
    ELSE
        INSERT INTO account_credits AS c (account_id, shard, credits_posted, credits_pending)
        VALUES (acc, transfer_id % {SHARDS}, d_posted, d_pending)
        ON CONFLICT (account_id, shard) DO UPDATE SET
            credits_posted = c.credits_posted + EXCLUDED.credits_posted,
            credits_pending = c.credits_pending + EXCLUDED.credits_pending;
    END IF;
END $$""",
    f"""
CREATE OR REPLACE FUNCTION ledger_transfer_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    posted bigint := CASE WHEN NEW.state = 'posted' THEN NEW.amount ELSE 0 END;
    held bigint := CASE WHEN NEW.state = 'pending' THEN NEW.amount ELSE 0 END;
    is_payment boolean := NEW.kind = 'payment';
    counted bigint := CASE WHEN NEW.kind = 'payment' THEN NEW.amount ELSE 0 END;
    today bigint := NEW.created_at / {DAY};
    lim ledger_limits%ROWTYPE;
    sent bigint;
BEGIN
    IF NEW.state NOT IN ('pending', 'posted') OR NEW.resolved_at IS NOT NULL THEN
        RAISE EXCEPTION 'ledger:bad_state';
    END IF;
    IF NEW.state = 'pending' THEN
        -- The hold gate: a freeze takes this lock exclusively before it lists the holds.
        PERFORM pg_advisory_xact_lock_shared(least(NEW.debit_account_id, NEW.credit_account_id));
        PERFORM pg_advisory_xact_lock_shared(
            greatest(NEW.debit_account_id, NEW.credit_account_id));
    END IF;
    IF is_payment THEN
        SELECT * INTO lim FROM ledger_limits WHERE currency = NEW.currency;
        IF FOUND AND NEW.amount > lim.max_transfer THEN
            RAISE EXCEPTION 'ledger:over_max';
        END IF;
    END IF;
    IF NEW.kind = 'reversal' THEN
        PERFORM 1 FROM transfers o
        WHERE o.id = NEW.reverses_id AND o.state = 'posted' AND o.kind <> 'reversal'
          AND o.debit_account_id = NEW.credit_account_id
          AND o.credit_account_id = NEW.debit_account_id
          AND o.amount = NEW.amount AND o.currency = NEW.currency;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'ledger:not_reversible';
        END IF;
    END IF;
    -- Both accounts locked in id order, so two transfers never deadlock; the shard last.
    IF NEW.debit_account_id < NEW.credit_account_id THEN
        sent := ledger_debit(NEW.debit_account_id, NEW.currency, posted, held, is_payment,
                             counted, today);
        PERFORM ledger_credit_check(NEW.credit_account_id, NEW.currency, is_payment);
    ELSE
        PERFORM ledger_credit_check(NEW.credit_account_id, NEW.currency, is_payment);
        sent := ledger_debit(NEW.debit_account_id, NEW.currency, posted, held, is_payment,
                             counted, today);
    END IF;
    IF is_payment AND lim.daily_limit IS NOT NULL AND sent > lim.daily_limit THEN
        RAISE EXCEPTION 'ledger:daily_limit';
    END IF;
    PERFORM ledger_credit_add(NEW.credit_account_id, NEW.id, posted, held);
    INSERT INTO audit_log (at, actor_id, action, admin, account_id, transfer_id, amount, reason)
    VALUES (NEW.created_at, NEW.actor_id, NEW.kind || '.' || NEW.state,
            NEW.kind IN ('credit', 'debit', 'reversal'), {_AUDIT_TARGET.format(t="NEW")},
            NEW.id, NEW.amount, NEW.memo);
    RETURN NULL;
END $$""",
    f"""
CREATE OR REPLACE FUNCTION ledger_transfer_resolved() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    posted bigint := CASE WHEN NEW.state = 'posted' THEN OLD.amount ELSE 0 END;
    released bigint := CASE WHEN NEW.state <> 'posted' AND OLD.kind = 'payment'
                            THEN -OLD.amount ELSE 0 END;
    must_be_active boolean := OLD.kind = 'payment' AND NEW.state = 'posted';
    today bigint := OLD.created_at / {DAY};
BEGIN
    IF OLD.state <> 'pending' THEN
        RAISE EXCEPTION 'ledger:already_resolved';
    END IF;
    IF ({", ".join("NEW." + c for c in _IMMUTABLE)})
       IS DISTINCT FROM ({", ".join("OLD." + c for c in _IMMUTABLE)}) THEN
        RAISE EXCEPTION 'ledger:immutable';
    END IF;
    IF NEW.state NOT IN ('posted', 'voided', 'expired') OR NEW.resolved_at IS NULL THEN
        RAISE EXCEPTION 'ledger:bad_state';
    END IF;
    IF NEW.state = 'posted' AND NEW.resolved_at >= OLD.expires_at THEN
        RAISE EXCEPTION 'ledger:hold_expired';
    END IF;
    IF NEW.state = 'expired' AND NEW.resolved_at < OLD.expires_at THEN
        RAISE EXCEPTION 'ledger:not_expired';
    END IF;
    IF OLD.debit_account_id < OLD.credit_account_id THEN
        PERFORM ledger_debit(OLD.debit_account_id, OLD.currency, posted, -OLD.amount,
                             must_be_active, released, today);
        PERFORM ledger_credit_check(OLD.credit_account_id, OLD.currency, must_be_active);
    ELSE
        PERFORM ledger_credit_check(OLD.credit_account_id, OLD.currency, must_be_active);
        PERFORM ledger_debit(OLD.debit_account_id, OLD.currency, posted, -OLD.amount,
                             must_be_active, released, today);
    END IF;
    -- The hold's own shard: its pending credit is there.
    PERFORM ledger_credit_add(OLD.credit_account_id, OLD.id, posted, -OLD.amount);
    INSERT INTO audit_log (at, actor_id, action, admin, account_id, transfer_id, amount, reason)
    VALUES (NEW.resolved_at, NEW.resolved_by, OLD.kind || '.' || NEW.state, false,
            {_AUDIT_TARGET.format(t="OLD")}, OLD.id, OLD.amount, '');
    RETURN NEW;
END $$""",
    f"""
CREATE FUNCTION ledger_no_overdraft() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.debits_posted + NEW.debits_pending > NEW.credits_posted + COALESCE(
        (SELECT SUM(credits_posted) FROM account_credits WHERE account_id = NEW.id), 0)
    THEN
        RAISE EXCEPTION USING ERRCODE = 'check_violation', TABLE = 'accounts',
            CONSTRAINT = 'ck_accounts_no_overdraft', MESSAGE = '{_NO_OVERDRAFT_MESSAGE}';
    END IF;
    RETURN NEW;
END $$""",
    # WHEN: only a row whose own counters would overdraw it needs its shards read.
    "CREATE TRIGGER accounts_no_overdraft "
    "BEFORE INSERT OR UPDATE OF kind, debits_posted, debits_pending, credits_posted "
    "ON accounts FOR EACH ROW "
    "WHEN (NEW.kind = 'user' AND NEW.debits_posted + NEW.debits_pending > NEW.credits_posted) "
    "EXECUTE FUNCTION ledger_no_overdraft()",
    """
CREATE FUNCTION ledger_credits_only_grow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger:credits_only_grow';
END $$""",
    "CREATE TRIGGER account_credits_only_grow BEFORE UPDATE ON account_credits "
    "FOR EACH ROW WHEN (NEW.credits_posted < OLD.credits_posted "
    "OR NEW.account_id <> OLD.account_id OR NEW.shard <> OLD.shard) "
    "EXECUTE FUNCTION ledger_credits_only_grow()",
    "CREATE TRIGGER account_credits_never_deleted BEFORE DELETE ON account_credits "
    "FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()",
    "CREATE TRIGGER account_credits_never_truncated BEFORE TRUNCATE ON account_credits "
    "FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change()",
    "DROP FUNCTION ledger_move(bigint, text, bigint, bigint, bigint, bigint, "
    "boolean, text, bigint, bigint)",
]

POSTGRESQL_DROP = [
    "DROP TRIGGER IF EXISTS account_credits_never_truncated ON account_credits",
    "DROP TRIGGER IF EXISTS account_credits_never_deleted ON account_credits",
    "DROP TRIGGER IF EXISTS account_credits_only_grow ON account_credits",
    "DROP FUNCTION IF EXISTS ledger_credits_only_grow()",
    "DROP TRIGGER IF EXISTS accounts_no_overdraft ON accounts",
    "DROP FUNCTION IF EXISTS ledger_no_overdraft()",
]

# Dropped after revision 0001's transfer triggers, which call them.
POSTGRESQL_DROP_HELPERS = [
    "DROP FUNCTION IF EXISTS ledger_credit_add(bigint, bigint, bigint, bigint)",
    "DROP FUNCTION IF EXISTS ledger_credit_check(bigint, text, boolean)",
    "DROP FUNCTION IF EXISTS ledger_debit(bigint, text, bigint, bigint, boolean, bigint, bigint)",
]


def upgrade_postgresql(connection: Connection) -> None:
    """Move the open holds' credits to their shards, then switch the triggers over."""
    for statement in [*MOVE_HOLDS_TO_SHARDS, *POSTGRESQL]:
        connection.exec_driver_sql(statement)


def downgrade_postgresql(connection: Connection) -> None:
    """Revision 0001's triggers back, and every shard folded into its account's row."""
    for statement in POSTGRESQL_DROP:
        connection.exec_driver_sql(statement)
    sql_0001.drop_triggers(connection)
    for statement in POSTGRESQL_DROP_HELPERS:
        connection.exec_driver_sql(statement)
    sql_0001.create_triggers(connection)
    connection.exec_driver_sql(FOLD_SHARDS_INTO_ROWS)
