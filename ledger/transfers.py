"""Writing a transfer: the one statement that creates or resolves it, and the translation
of the database's refusal into a typed ``LedgerError`` (or a replay of an earlier call).
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from ledger.errors import (
    AccountFrozen,
    AccountNotFound,
    AlreadyResolved,
    AlreadyReversed,
    AmountTooLarge,
    DailyLimitExceeded,
    IdempotencyConflict,
    InsufficientFunds,
    LedgerError,
    MemoTooLong,
    NotPending,
    NotReversible,
    OverTransferMax,
    RequestClosed,
    SameAccount,
    TotalTooLarge,
    TransferNotFound,
    WelcomeCapReached,
)
from ledger.models import (
    AMOUNT_MAX,
    COUNTER_MAX,
    DAY_USEC,
    KEY_MAX,
    MEMO_MAX,
    clean_text,
    to_micros,
)
from ledger.refs import new_ref
from ledger.sql import (
    _INSERT_REQUEST_HOLD,
    _INSERT_TRANSFER,
    _RESOLVE_AFTER_EXPIRY,
    _RESOLVE_BEFORE_EXPIRY,
    _SELECT_TRANSFER_BY,
)
from ledger.types import Transfer

if TYPE_CHECKING:
    from ledger.core import Ledger


def _refusal(error: BaseException) -> str | None:
    """Name the database refusal behind ``error``: a ``ledger:`` trigger code or a constraint."""
    message = str(getattr(error, "orig", None) or error)
    if "ledger:" in message:
        return message.split("ledger:", 1)[1].split()[0].strip("'\".,")
    for needle, name in (
        ("no_overdraft", "overdraft"),
        ("reverses_id", "reversed"),
        ("transfers.ref", "ref_taken"),
        ("uq_transfers_ref", "ref_taken"),
        ("memo_length", "memo"),
        ("counters_max", "counter_cap"),  # PostgreSQL's CHECKs of revision 0005
        ("amount_max", "amount_cap"),
        ("ledger_limits_max", "limit_cap"),
        ("out of range", "counter_cap"),  # PostgreSQL, on a counter broken before 0005
        ("two_accounts", "same_account"),
        ("FOREIGN KEY", "no_account"),
        ("foreign key", "no_account"),
    ):
        if needle in message:
            return name
    return None


async def insert(
    ledger: Ledger,
    kind: str,
    state: str,
    debit: int,
    credit: int,
    amount: int,
    key: str,
    memo: str,
    actor: int | None,
    *,
    expires_in: timedelta | None = None,
    reverses: int | None = None,
    request_id: int | None = None,
) -> Transfer:
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise ValueError("amount must be a positive int of minor units")
    if amount > AMOUNT_MAX:  # the database refuses it too (revision 0005)
        raise AmountTooLarge(AMOUNT_MAX)
    if not key or len(key) > KEY_MAX:
        raise ValueError(f"an idempotency key of 1 to {KEY_MAX} characters is required")
    memo = clean_text(memo)
    if len(memo) > MEMO_MAX:
        raise MemoTooLong(MEMO_MAX)
    if debit == credit:
        raise SameAccount()
    now = ledger.clock()
    params = {
        "ref": new_ref(),
        "key": key,
        "kind": kind,
        "debit": debit,
        "credit": credit,
        "amount": amount,
        "currency": ledger.currency.code,
        "state": state,
        "memo": memo,
        "actor": actor,
        "now": to_micros(now),
        "expires": None if expires_in is None else to_micros(now + expires_in),
        "reverses": reverses,
        "request": request_id,
    }
    for _ in range(3):
        try:
            insert = _INSERT_TRANSFER if request_id is None else _INSERT_REQUEST_HOLD
            rows = await ledger.db.write_one(insert, params)
        except LedgerError:
            raise
        except Exception as error:
            refusal = _refusal(error)
            if refusal == "ref_taken":
                params["ref"] = new_ref()
                continue
            if refusal is None:
                raise
            raise await explain(ledger, refusal, params) from None
        if rows:
            return ledger._transfer_of(rows[0])
        return await replay(ledger, params)
    raise RuntimeError("could not allocate a unique transfer reference")


async def replay(ledger: Ledger, params: dict[str, Any]) -> Transfer:
    """The key was used before: same fields give back the original, others are refused."""
    existing = await ledger._find("idempotency_key", params["key"])
    if existing is None:  # pragma: no cover - a key row is never deleted
        raise RuntimeError("idempotency key vanished")
    was_pending = existing.expires_at is not None
    for field, old, new in (
        ("kind", existing.kind, params["kind"]),
        ("sender", existing.debit_account_id, params["debit"]),
        ("recipient", existing.credit_account_id, params["credit"]),
        ("amount", existing.amount, params["amount"]),
        ("currency", existing.currency, params["currency"]),
        ("memo", existing.memo, params["memo"]),
        ("phase", was_pending, params["expires"] is not None),
        ("reversed transfer", existing.reverses_id, params["reverses"]),
    ):
        if old != new:
            raise IdempotencyConflict(params["key"], field)
    return existing.as_replay()


async def explain(ledger: Ledger, refusal: str, params: dict[str, Any]) -> LedgerError:
    """Turn a trigger or constraint refusal into the typed error, with its figures."""
    if refusal.startswith("frozen"):
        side = "recipient" if refusal.endswith("credit") else "sender"
        account = params["credit"] if side == "recipient" else params["debit"]
        return AccountFrozen(account, side)
    if refusal.startswith("no_account"):
        return AccountNotFound()
    if refusal == "overdraft":
        account = await ledger.account(params["debit"])
        return InsufficientFunds(account.available, params["amount"])
    if refusal == "over_max":
        return OverTransferMax((await ledger.limits(fresh=True)).max_transfer)
    if refusal == "daily_limit":
        limits = await ledger.limits(fresh=True)
        account = await ledger.account(params["debit"])
        today = params["now"] // DAY_USEC
        sent = account.day_sent if account.day_number == today else 0
        return DailyLimitExceeded(limits.daily_limit, max(limits.daily_limit - sent, 0))
    if refusal == "reversed":
        return AlreadyReversed("", "")
    if refusal == "not_reversible":
        return NotReversible("", "it no longer matches a posted transfer")
    if refusal == "memo":
        return MemoTooLong(MEMO_MAX)
    if refusal == "counter_cap":
        return await totals_full(ledger, params["debit"], params["credit"], params["amount"])
    if refusal == "amount_cap":
        return AmountTooLarge(AMOUNT_MAX)
    if refusal == "welcome_cap":
        return WelcomeCapReached(await ledger.welcome_daily_cap())
    if refusal == "same_account":
        return SameAccount()
    if refusal == "request_closed":
        rows = await ledger.db.read_one(
            "SELECT ref, state FROM payment_requests WHERE id = :r", {"r": params["request"]}
        )
        return RequestClosed(rows[0][0], rows[0][1]) if rows else RequestClosed("", "closed")
    return LedgerError(f"refused by the ledger: {refusal}")


async def resolve(
    ledger: Ledger, ref: str, state: str, key: str | None, actor: int | None
) -> Transfer:
    ref = ref.strip().upper()  # references are read aloud and retyped: case never matters
    now = to_micros(ledger.clock())
    sql = _RESOLVE_AFTER_EXPIRY if state == "expired" else _RESOLVE_BEFORE_EXPIRY
    params = {"state": state, "now": now, "actor": actor, "key": key, "ref": ref}
    try:
        rows = await ledger.db.write_one(sql, params)
    except LedgerError:
        raise
    except Exception as error:
        refusal = _refusal(error)
        if refusal is None:
            raise
        existing = await ledger.get_transfer(ref)
        if refusal.startswith("frozen"):
            side = "recipient" if refusal.endswith("credit") else "sender"
            account = (
                existing.credit_account_id if side == "recipient" else existing.debit_account_id
            )
            raise AccountFrozen(account, side) from None
        if refusal == "already_resolved":
            raise AlreadyResolved(ref, existing.state) from None
        if refusal == "request_closed":
            rows = await ledger.db.read_one(
                "SELECT r.ref, r.state FROM payment_requests r "
                "JOIN transfers t ON t.request_id = r.id WHERE t.ref = :ref",
                {"ref": ref},
            )
            raise RequestClosed(rows[0][0], rows[0][1]) from None
        if refusal == "counter_cap":
            raise await totals_full(
                ledger, existing.debit_account_id, existing.credit_account_id, existing.amount
            ) from None
        raise LedgerError(f"refused by the ledger: {refusal}") from None
    if rows:
        return ledger._transfer_of(rows[0])
    # Nothing matched: say why, from the transfer as it stands.
    rows = await ledger.db.read_one(_SELECT_TRANSFER_BY.format(column="ref"), {"value": ref})
    if not rows:
        raise TransferNotFound(ref)
    existing = ledger._transfer_of(rows[0])
    resolution_key = rows[0][16]
    if existing.expires_at is None:
        raise NotPending(ref)
    if existing.state == "pending":
        if state == "expired":
            raise LedgerError(f"transfer {ref} has not expired yet")
        # Past its expiry: it can only expire now; say so to whoever pressed late.
        try:  # keyed, so the press that expired it delivers what that wrote
            await ledger.expire(ref, key=f"late:{ref}")
        except AlreadyResolved as resolved:  # resolved meanwhile (a freeze): say how
            raise AlreadyResolved(ref, resolved.state) from None
        raise AlreadyResolved(ref, "expired")
    if key is not None and existing.state == state and resolution_key == key:
        return existing.as_replay()
    raise AlreadyResolved(ref, existing.state)


async def totals_full(ledger: Ledger, debit: int, credit: int, amount: int) -> TotalTooLarge:
    """The refusal of a movement that would pass a counter's cap, naming the account
    whose totals are full (the sender's when both are)."""
    accounts = await ledger.accounts([debit, credit])
    sender = accounts.get(debit)
    if sender is not None and sender.debits_posted + sender.debits_pending + amount > (COUNTER_MAX):
        return TotalTooLarge(COUNTER_MAX, debit)
    return TotalTooLarge(COUNTER_MAX, credit)
