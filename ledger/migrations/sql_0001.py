"""Trigger SQL of revision 0001, one dialect each. Frozen with that revision: a change to
the triggers is a new revision with a new file, never an edit here.

What the triggers guarantee, on every write whoever makes it:
- inserting a transfer moves the two accounts' counters in the same statement (posted or
  pending), refuses frozen accounts for payments, the per-transfer maximum and the daily
  limit, and checks that a reversal mirrors a posted transfer; the accounts' CHECK
  constraint refuses any overdraft of a user account;
- the only update a transfer accepts is its one resolution, pending -> posted | voided |
  expired, posting strictly before ``expires_at`` and expiring not before it;
- every money movement writes its audit row; transfers are never deleted; the audit log
  is append-only.
Errors raised here start with ``ledger:`` and are translated by ``ledger.core``.
On PostgreSQL accounts are locked in id order, so two transfers never deadlock.
"""

from sqlalchemy.engine import Connection

DAY = "86400000000"

_IMMUTABLE = (
    "id",
    "ref",
    "idempotency_key",
    "kind",
    "debit_account_id",
    "credit_account_id",
    "amount",
    "currency",
    "memo",
    "actor_id",
    "created_at",
    "expires_at",
    "reverses_id",
)

_AUDIT_TARGET = (
    "CASE WHEN {t}.kind IN ('credit', 'welcome') THEN {t}.credit_account_id "
    "ELSE {t}.debit_account_id END"
)

POSTGRESQL = [
    """
CREATE FUNCTION ledger_move(
    acc bigint, cur text, d_debits_posted bigint, d_credits_posted bigint,
    d_debits_pending bigint, d_credits_pending bigint, must_be_active boolean, side text,
    sent bigint, today bigint) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    result bigint;
BEGIN
    -- The status test sits in the UPDATE so a concurrent freeze is seen after the row lock.
    UPDATE accounts SET
        debits_posted = debits_posted + d_debits_posted,
        credits_posted = credits_posted + d_credits_posted,
        debits_pending = debits_pending + d_debits_pending,
        credits_pending = credits_pending + d_credits_pending,
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
            RAISE EXCEPTION 'ledger:frozen:%', side;
        END IF;
        RAISE EXCEPTION 'ledger:no_account:%', side;
    END IF;
    RETURN result;
END $$""",
    f"""
CREATE FUNCTION ledger_transfer_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
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
    IF NEW.debit_account_id < NEW.credit_account_id THEN
        sent := ledger_move(NEW.debit_account_id, NEW.currency, posted, 0, held, 0,
                            is_payment, 'debit', counted, today);
        PERFORM ledger_move(NEW.credit_account_id, NEW.currency, 0, posted, 0, held,
                            is_payment, 'credit', 0, today);
    ELSE
        PERFORM ledger_move(NEW.credit_account_id, NEW.currency, 0, posted, 0, held,
                            is_payment, 'credit', 0, today);
        sent := ledger_move(NEW.debit_account_id, NEW.currency, posted, 0, held, 0,
                            is_payment, 'debit', counted, today);
    END IF;
    IF is_payment AND lim.daily_limit IS NOT NULL AND sent > lim.daily_limit THEN
        RAISE EXCEPTION 'ledger:daily_limit';
    END IF;
    INSERT INTO audit_log (at, actor_id, action, admin, account_id, transfer_id, amount, reason)
    VALUES (NEW.created_at, NEW.actor_id, NEW.kind || '.' || NEW.state,
            NEW.kind IN ('credit', 'debit', 'reversal'), {_AUDIT_TARGET.format(t="NEW")},
            NEW.id, NEW.amount, NEW.memo);
    RETURN NULL;
END $$""",
    f"""
CREATE FUNCTION ledger_transfer_resolved() RETURNS trigger LANGUAGE plpgsql AS $$
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
        PERFORM ledger_move(OLD.debit_account_id, OLD.currency, posted, 0, -OLD.amount, 0,
                            must_be_active, 'debit', released, today);
        PERFORM ledger_move(OLD.credit_account_id, OLD.currency, 0, posted, 0, -OLD.amount,
                            must_be_active, 'credit', 0, today);
    ELSE
        PERFORM ledger_move(OLD.credit_account_id, OLD.currency, 0, posted, 0, -OLD.amount,
                            must_be_active, 'credit', 0, today);
        PERFORM ledger_move(OLD.debit_account_id, OLD.currency, posted, 0, -OLD.amount, 0,
                            must_be_active, 'debit', released, today);
    END IF;
    INSERT INTO audit_log (at, actor_id, action, admin, account_id, transfer_id, amount, reason)
    VALUES (NEW.resolved_at, NEW.resolved_by, OLD.kind || '.' || NEW.state, false,
            {_AUDIT_TARGET.format(t="OLD")}, OLD.id, OLD.amount, '');
    RETURN NEW;
END $$""",
    """
CREATE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger:append_only:%', TG_TABLE_NAME;
END $$""",
    "CREATE TRIGGER transfers_inserted AFTER INSERT ON transfers "
    "FOR EACH ROW EXECUTE FUNCTION ledger_transfer_inserted()",
    "CREATE TRIGGER transfers_resolved BEFORE UPDATE ON transfers "
    "FOR EACH ROW EXECUTE FUNCTION ledger_transfer_resolved()",
    "CREATE TRIGGER transfers_never_deleted BEFORE DELETE ON transfers "
    "FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()",
    "CREATE TRIGGER transfers_never_truncated BEFORE TRUNCATE ON transfers "
    "FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change()",
    "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
    "FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()",
    "CREATE TRIGGER audit_log_never_truncated BEFORE TRUNCATE ON audit_log "
    "FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change()",
]

POSTGRESQL_DROP = [
    "DROP TRIGGER IF EXISTS audit_log_never_truncated ON audit_log",
    "DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log",
    "DROP TRIGGER IF EXISTS transfers_never_truncated ON transfers",
    "DROP TRIGGER IF EXISTS transfers_never_deleted ON transfers",
    "DROP TRIGGER IF EXISTS transfers_resolved ON transfers",
    "DROP TRIGGER IF EXISTS transfers_inserted ON transfers",
    "DROP FUNCTION IF EXISTS ledger_refuse_change()",
    "DROP FUNCTION IF EXISTS ledger_transfer_resolved()",
    "DROP FUNCTION IF EXISTS ledger_transfer_inserted()",
    "DROP FUNCTION IF EXISTS ledger_move(bigint, text, bigint, bigint, bigint, bigint, "
    "boolean, text, bigint, bigint)",
]


def _sqlite_side_checks(t: str, when: str) -> str:
    return f"""
    SELECT RAISE(ABORT, 'ledger:frozen:debit') WHERE {when}
        AND (SELECT status FROM accounts WHERE id = {t}.debit_account_id) <> 'active';
    SELECT RAISE(ABORT, 'ledger:frozen:credit') WHERE {when}
        AND (SELECT status FROM accounts WHERE id = {t}.credit_account_id) <> 'active';"""


SQLITE = [
    f"""
CREATE TRIGGER transfers_inserted AFTER INSERT ON transfers BEGIN
    SELECT RAISE(ABORT, 'ledger:bad_state')
        WHERE NEW.state NOT IN ('pending', 'posted') OR NEW.resolved_at IS NOT NULL;
    SELECT RAISE(ABORT, 'ledger:over_max') WHERE NEW.kind = 'payment'
        AND NEW.amount > (SELECT max_transfer FROM ledger_limits WHERE currency = NEW.currency);
    SELECT RAISE(ABORT, 'ledger:not_reversible') WHERE NEW.kind = 'reversal' AND NOT EXISTS (
        SELECT 1 FROM transfers o
        WHERE o.id = NEW.reverses_id AND o.state = 'posted' AND o.kind <> 'reversal'
          AND o.debit_account_id = NEW.credit_account_id
          AND o.credit_account_id = NEW.debit_account_id
          AND o.amount = NEW.amount AND o.currency = NEW.currency);
    SELECT RAISE(ABORT, 'ledger:no_account:debit') WHERE NOT EXISTS (
        SELECT 1 FROM accounts WHERE id = NEW.debit_account_id AND currency = NEW.currency);
    SELECT RAISE(ABORT, 'ledger:no_account:credit') WHERE NOT EXISTS (
        SELECT 1 FROM accounts WHERE id = NEW.credit_account_id AND currency = NEW.currency);
    {_sqlite_side_checks("NEW", "NEW.kind = 'payment'")}
    UPDATE accounts SET
        debits_posted = debits_posted + (CASE WHEN NEW.state = 'posted' THEN NEW.amount ELSE 0 END),
        debits_pending = debits_pending + (CASE WHEN NEW.state = 'pending' THEN NEW.amount ELSE 0 END),
        day_sent = CASE
            WHEN NEW.kind <> 'payment' THEN day_sent
            WHEN day_number = NEW.created_at / {DAY} THEN day_sent + NEW.amount
            ELSE NEW.amount END,
        day_number = CASE WHEN NEW.kind = 'payment' THEN NEW.created_at / {DAY}
                          ELSE day_number END
    WHERE id = NEW.debit_account_id;
    SELECT RAISE(ABORT, 'ledger:daily_limit') WHERE NEW.kind = 'payment'
        AND (SELECT day_sent FROM accounts WHERE id = NEW.debit_account_id)
            > (SELECT daily_limit FROM ledger_limits WHERE currency = NEW.currency);
    UPDATE accounts SET
        credits_posted = credits_posted + (CASE WHEN NEW.state = 'posted' THEN NEW.amount ELSE 0 END),
        credits_pending = credits_pending + (CASE WHEN NEW.state = 'pending' THEN NEW.amount ELSE 0 END)
    WHERE id = NEW.credit_account_id;
    INSERT INTO audit_log (at, actor_id, action, admin, account_id, transfer_id, amount, reason)
    VALUES (NEW.created_at, NEW.actor_id, NEW.kind || '.' || NEW.state,
            NEW.kind IN ('credit', 'debit', 'reversal'), {_AUDIT_TARGET.format(t="NEW")},
            NEW.id, NEW.amount, NEW.memo);
END""",
    f"""
CREATE TRIGGER transfers_resolved BEFORE UPDATE ON transfers BEGIN
    SELECT RAISE(ABORT, 'ledger:already_resolved') WHERE OLD.state <> 'pending';
    SELECT RAISE(ABORT, 'ledger:immutable') WHERE
        {" OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in _IMMUTABLE)};
    SELECT RAISE(ABORT, 'ledger:bad_state')
        WHERE NEW.state NOT IN ('posted', 'voided', 'expired') OR NEW.resolved_at IS NULL;
    SELECT RAISE(ABORT, 'ledger:hold_expired')
        WHERE NEW.state = 'posted' AND NEW.resolved_at >= OLD.expires_at;
    SELECT RAISE(ABORT, 'ledger:not_expired')
        WHERE NEW.state = 'expired' AND NEW.resolved_at < OLD.expires_at;
    {_sqlite_side_checks("OLD", "OLD.kind = 'payment' AND NEW.state = 'posted'")}
    UPDATE accounts SET
        debits_pending = debits_pending - OLD.amount,
        debits_posted = debits_posted + (CASE WHEN NEW.state = 'posted' THEN OLD.amount ELSE 0 END),
        day_sent = CASE
            WHEN OLD.kind = 'payment' AND NEW.state <> 'posted'
                 AND day_number = OLD.created_at / {DAY} THEN max(day_sent - OLD.amount, 0)
            ELSE day_sent END
    WHERE id = OLD.debit_account_id;
    UPDATE accounts SET
        credits_pending = credits_pending - OLD.amount,
        credits_posted = credits_posted + (CASE WHEN NEW.state = 'posted' THEN OLD.amount ELSE 0 END)
    WHERE id = OLD.credit_account_id;
    INSERT INTO audit_log (at, actor_id, action, admin, account_id, transfer_id, amount, reason)
    VALUES (NEW.resolved_at, NEW.resolved_by, OLD.kind || '.' || NEW.state, 0,
            {_AUDIT_TARGET.format(t="OLD")}, OLD.id, OLD.amount, '');
END""",
    "CREATE TRIGGER transfers_never_deleted BEFORE DELETE ON transfers "
    "BEGIN SELECT RAISE(ABORT, 'ledger:append_only:transfers'); END",
    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'ledger:append_only:audit_log'); END",
    "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'ledger:append_only:audit_log'); END",
]

SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS audit_log_no_delete",
    "DROP TRIGGER IF EXISTS audit_log_no_update",
    "DROP TRIGGER IF EXISTS transfers_never_deleted",
    "DROP TRIGGER IF EXISTS transfers_resolved",
    "DROP TRIGGER IF EXISTS transfers_inserted",
]


def create_triggers(connection: Connection) -> None:
    for statement in POSTGRESQL if connection.dialect.name == "postgresql" else SQLITE:
        connection.exec_driver_sql(statement)


def drop_triggers(connection: Connection) -> None:
    for statement in POSTGRESQL_DROP if connection.dialect.name == "postgresql" else SQLITE_DROP:
        connection.exec_driver_sql(statement)
