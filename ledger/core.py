"""The ledger: accounts, transfers (single- and two-phase), reversals, freezes, limits, audit.

Every money movement is one statement (see ``ledger.db``); the triggers enforce the
invariants, and this module translates their refusals into typed errors. The statement also
returns both accounts' owners, so a movement's answer needs no read after its commit (a read
failing there would report a payment that went through as failed). Idempotency: each
movement carries a caller-chosen key, unique in the database; a retry with the same key and
the same fields returns the original (``replayed=True``), with different fields it is
refused naming the field.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from ledger.cache import LruCache
from ledger.db import Database, RetryTransaction
from ledger.errors import (
    AccountFrozen,
    AccountNotFound,
    AlreadyResolved,
    AlreadyReversed,
    AmountTooLarge,
    DailyLimitExceeded,
    DatabaseUnavailable,
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
    from_micros,
    to_micros,
)
from ledger.money import Currency
from ledger.types import (
    Account,
    AuditRecord,
    Card,
    FreezeResult,
    HistoryItem,
    HistoryPage,
    Limits,
    Stats,
    Transfer,
    VerifyReport,
)

Clock = Callable[[], datetime]

_REF_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U
_T_COLS = (
    "id, ref, kind, debit_account_id, credit_account_id, amount, currency, state, memo, "
    "actor_id, created_at, expires_at, resolved_at, resolved_by, reverses_id, "
    "idempotency_key, resolution_key"
)
_T_COLS_OF_T = ", ".join("t." + column.strip() for column in _T_COLS.split(","))  # joins


def _owners(table: str) -> str:
    """Both accounts' owners, read by the statement that writes or reads the transfer row
    (``table``: its name or alias), so no second round trip looks them up: a read failing
    after a committed payment would report it failed. Owner ids never change."""
    return ", ".join(
        f"(SELECT o.owner_id FROM accounts o WHERE o.id = {table}.{side}_account_id)"
        for side in ("debit", "credit")
    )


# A transfer row: _T_COLS (0-16), then its debit and credit accounts' owners (17, 18).
_T_ROW = f"{_T_COLS}, {_owners('transfers')}"
_T_ROW_OF_T = f"{_T_COLS_OF_T}, {_owners('t')}"
# An account's credits are its row's counters plus its shards' (account_credits, written
# instead of the row on PostgreSQL: see migration 0003). One query reads both: the shards'
# sums joined to the rows.
_A_COLS = (
    "a.id, a.owner_id, a.kind, a.currency, a.status, a.debits_posted, "
    "a.credits_posted + COALESCE(s.posted, 0), a.debits_pending, "
    "a.credits_pending + COALESCE(s.pending, 0), a.day_number, a.day_sent"
)
_A_FROM = (
    "accounts a LEFT JOIN (SELECT account_id, CAST(SUM(credits_posted) AS BIGINT) AS posted, "
    "CAST(SUM(credits_pending) AS BIGINT) AS pending FROM account_credits {shards}"
    "GROUP BY account_id) s ON s.account_id = a.id"
)


def _select_accounts(ids: str = "") -> str:
    """Accounts with their total credits, those whose id matches ``ids`` (``"= :id"``,
    ``"IN (...)"``) or all. The shards are filtered by the same test: PostgreSQL infers
    ``a.id = :id`` for them but not an IN list, and would sum every account's shards."""
    shards = f"WHERE account_id {ids} " if ids else ""
    where = f" WHERE a.id {ids}" if ids else ""
    return f"SELECT {_A_COLS} FROM {_A_FROM.format(shards=shards)}{where}"


_SELECT_ACCOUNT = _select_accounts("= :id")
# verify()'s read: the row's counters and its shards' sums apart, added in Python, so that
# books broken past 2^63 are reported rather than failing the read (PostgreSQL's SUM of
# BIGINTs is a NUMERIC, exact).
_SELECT_ALL_ACCOUNTS_APART = (
    "SELECT a.id, a.owner_id, a.kind, a.currency, a.status, a.debits_posted, "
    "a.credits_posted, a.debits_pending, a.credits_pending, a.day_number, a.day_sent, "
    "s.posted, s.pending FROM accounts a LEFT JOIN (SELECT account_id, "
    "SUM(credits_posted) AS posted, SUM(credits_pending) AS pending FROM account_credits "
    "GROUP BY account_id) s ON s.account_id = a.id"
)

_INSERT_TRANSFER = f"""
INSERT INTO transfers (ref, idempotency_key, kind, debit_account_id, credit_account_id, amount,
                       currency, state, memo, actor_id, created_at, expires_at, reverses_id)
VALUES (:ref, :key, :kind, :debit, :credit, :amount, :currency, :state, :memo, :actor, :now,
        :expires, :reverses)
ON CONFLICT (idempotency_key) DO NOTHING
RETURNING {_T_ROW}"""
# A hold that pays a payment request names it (migration 0007).
_INSERT_REQUEST_HOLD = _INSERT_TRANSFER.replace(
    "reverses_id)", "reverses_id, request_id)", 1
).replace(":reverses)", ":reverses, :request)", 1)

_RESOLVE = f"""
UPDATE transfers SET state = :state, resolved_at = :now, resolved_by = :actor,
                     resolution_key = :key
WHERE ref = :ref AND state = 'pending' AND {{timing}}
RETURNING {_T_ROW}"""
_RESOLVE_BEFORE_EXPIRY = _RESOLVE.format(timing="expires_at > :now")
_RESOLVE_AFTER_EXPIRY = _RESOLVE.format(timing="expires_at <= :now")
_SELECT_TRANSFER_BY = f"SELECT {_T_ROW} FROM transfers WHERE {{column}} = :value"
_CARD_COLS = "c.chat_id, c.message_id, c.request_id"
_SELECT_TRANSFER_AND_CARD = (  # the card's columns at 19 to 21
    f"SELECT {_T_ROW_OF_T}, {_CARD_COLS} "
    "FROM transfers t LEFT JOIN cards c ON c.transfer_id = t.id WHERE t.ref = :ref"
)

# Sums over many amounts are taken in two parts, each far from 64 bits whatever the number of
# rows (amounts <= AMOUNT_MAX < 2^50: the high part < 2^26 a row), and put together in Python,
# whose ints do not overflow: SQLite's SUM fails with "integer overflow" past 2^63, which a
# day's volume or corrupted books (amounts written before revision 0005) could reach.
_SPLIT = 1 << 24


def _split_sums(expression: str) -> tuple[str, str]:
    """Two SQL sums (of non-negative integers) whose ``_joined`` value is
    ``SUM(expression)``, exactly."""
    return f"SUM(({expression}) / {_SPLIT})", f"SUM(({expression}) % {_SPLIT})"


def _joined(high: Any, low: Any) -> int:
    return int(high or 0) * _SPLIT + int(low or 0)


# What each row of Ledger._beyond_caps_sql holds, in verify()'s report.
_BEYOND_LABELS = {
    "account": "(debits_posted, credits_posted, debits_pending, credits_pending, day_sent)",
    "account shard": "(shard, credits_posted, credits_pending)",
    "transfer": "(amount)",
}

ADMIN_KINDS = ("credit", "debit", "reversal")
LIMITS_TTL_S = 15.0
OWNERS_KEPT = 4_096  # owner -> account ids a process remembers


def utcnow() -> datetime:
    return datetime.now(UTC)


class DatabaseClock:
    """The database server's clock, read without a round trip: the offset between it and
    this host's clock is measured at open and again by each ``sync`` (the sweeper's), and
    the time is this host's plus that offset. Workers on one PostgreSQL then agree to within
    a round trip, whatever their hosts' clocks say. On SQLite the database's clock is this
    host's (one process)."""

    def __init__(self, db: Database, host: Clock = utcnow) -> None:
        self._db = db
        self._host = host
        self._offset = timedelta(0)

    def __call__(self) -> datetime:
        return self._host() + self._offset

    async def sync(self) -> None:
        if self._db.is_sqlite:
            return
        before = self._host()
        rows = await self._db.read_one(
            "SELECT CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000000 AS BIGINT)", {}
        )
        after = self._host()
        self._offset = from_micros(int(rows[0][0])) - (before + (after - before) / 2)


def new_ref(length: int = 10) -> str:
    """An unguessable public reference, easy to read aloud (Crockford base32).

    One ``token_bytes`` call (one read of the OS's random source, not one per character);
    the alphabet has 32 letters, so each byte's low five bits pick one uniformly."""
    return "".join([_REF_ALPHABET[byte & 31] for byte in secrets.token_bytes(length)])


def _row_to_transfer(row: Sequence[Any]) -> Transfer:
    """A transfer row as ``_T_ROW`` lists it, owners included."""
    return _transfer(row, row[17], row[18])


def _transfer(row: Sequence[Any], debit_owner: int | None, credit_owner: int | None) -> Transfer:
    return Transfer(
        id=row[0],
        ref=row[1],
        kind=row[2],
        debit_account_id=row[3],
        credit_account_id=row[4],
        amount=row[5],
        currency=row[6],
        state=row[7],
        memo=row[8],
        actor_id=row[9],
        created_at=from_micros(row[10]),
        expires_at=None if row[11] is None else from_micros(row[11]),
        resolved_at=None if row[12] is None else from_micros(row[12]),
        resolved_by=row[13],
        reverses_id=row[14],
        debit_owner=debit_owner,
        credit_owner=credit_owner,
    )


def _row_to_card(row: Sequence[Any]) -> Card | None:
    """A card from (chat_id, message_id, request_id); None when its columns are NULL (no
    card, through a LEFT JOIN)."""
    return None if row[0] is None else Card(row[0], row[1], row[2])


def _row_to_account(row: Sequence[Any]) -> Account:
    return Account(*row[:11])


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


class Ledger:
    """The money core. Async; safe for many concurrent callers on SQLite and PostgreSQL."""

    def __init__(
        self,
        db: Database,
        currency: Currency,
        *,
        clock: Clock = utcnow,
        default_limits: Limits | None = None,
    ) -> None:
        self.db = db
        self.currency = currency
        self.clock = clock
        self._default_limits = default_limits or Limits(
            max_transfer=1_000 * 10**currency.exponent, daily_limit=5_000 * 10**currency.exponent
        )
        # Owners' accounts never change; the map is bounded so strangers cannot grow it.
        self._account_of_owner: LruCache[int, int] = LruCache(OWNERS_KEPT)
        self._limits: tuple[float, Limits] | None = None
        self.issuance_account_id = 0
        from ledger.directory import Directory
        from ledger.outbox import Outbox
        from ledger.requests import PaymentRequests
        from ledger.shared import SharedState

        self.directory = Directory(db, clock)
        self.requests = PaymentRequests(db, clock, currency)
        self.outbox = Outbox(db, clock)
        self.shared = SharedState(db, clock)

    @classmethod
    async def open(
        cls,
        url: str,
        currency: str | Currency = "USD",
        *,
        migrate: bool = True,
        clock: Clock | None = None,
        default_limits: Limits | None = None,
        sqlite_synchronous: str = "FULL",
        pool_size: int = 20,
    ) -> Ledger:
        """Connect, apply migrations, and make sure the system accounts and limits exist.

        Without ``clock`` the ledger's time is the database's (``DatabaseClock``): every
        worker on one PostgreSQL then decides expiry, the daily limit's day and every shared
        deadline by the same clock, not by its host's. Tests pass a clock they move."""
        from ledger.migrate import upgrade

        options: dict[str, Any] = {"sqlite_synchronous": sqlite_synchronous}
        if not url.startswith("sqlite"):
            options = {"pool_size": pool_size}
        db = Database.from_url(url, **options)
        try:
            if migrate:
                await upgrade(db.engine)
            cur = currency if isinstance(currency, Currency) else Currency.of(currency)
            if clock is None:
                clock = DatabaseClock(db)
                await clock.sync()
            ledger = cls(db, cur, clock=clock, default_limits=default_limits)
            await ledger.start()
        except BaseException:
            await db.close()
            raise
        return ledger

    async def start(self) -> None:
        async def setup(conn: AsyncConnection) -> int:
            now = to_micros(self.clock())
            # Several workers starting at once each try; the unique index lets one insert.
            await conn.execute(
                text(
                    "INSERT INTO accounts (kind, currency, status, created_at) "
                    "VALUES ('issuance', :c, 'active', :now) "
                    "ON CONFLICT (kind, currency) WHERE owner_id IS NULL DO NOTHING"
                ),
                {"c": self.currency.code, "now": now},
            )
            found = await conn.execute(
                text("SELECT id FROM accounts WHERE kind = 'issuance' AND currency = :c"),
                {"c": self.currency.code},
            )
            account_id = found.scalar_one()
            await conn.execute(
                text(
                    "INSERT INTO ledger_limits (currency, max_transfer, daily_limit, updated_at) "
                    "VALUES (:c, :m, :d, :now) ON CONFLICT (currency) DO NOTHING"
                ),
                {
                    "c": self.currency.code,
                    "m": self._default_limits.max_transfer,
                    "d": self._default_limits.daily_limit,
                    "now": now,
                },
            )
            return int(account_id)

        self.issuance_account_id = await self.db.transaction(setup)

    async def close(self) -> None:
        await self.db.close()

    async def sync_clock(self) -> None:
        """Measure the database's clock again (``DatabaseClock``; an injected clock stays)."""
        if isinstance(self.clock, DatabaseClock):
            await self.clock.sync()

    # --- accounts ---------------------------------------------------------------------

    async def open_account(self, owner_id: int) -> int:
        """The owner's account in the ledger's currency, created on first use. Idempotent."""
        cached = self._account_of_owner.get(owner_id)
        if cached is not None:
            return cached
        params = {"owner": owner_id, "c": self.currency.code, "now": to_micros(self.clock())}
        rows = await self.db.write_one(
            "INSERT INTO accounts (owner_id, kind, currency, status, created_at) "
            "VALUES (:owner, 'user', :c, 'active', :now) "
            "ON CONFLICT (owner_id, currency) DO NOTHING RETURNING id",
            params,
        )
        if not rows:
            rows = await self.db.read_one(
                "SELECT id FROM accounts WHERE owner_id = :owner AND currency = :c", params
            )
        account_id = int(rows[0][0])
        self._remember(account_id, owner_id)
        return account_id

    async def account_of(self, owner_id: int) -> int | None:
        """The owner's account id, or None when they have none yet."""
        cached = self._account_of_owner.get(owner_id)
        if cached is not None:
            return cached
        rows = await self.db.read_one(
            "SELECT id FROM accounts WHERE owner_id = :owner AND currency = :c",
            {"owner": owner_id, "c": self.currency.code},
        )
        if not rows:
            return None
        self._remember(int(rows[0][0]), owner_id)
        return int(rows[0][0])

    def _remember(self, account_id: int, owner_id: int | None) -> None:
        if owner_id is not None:
            self._account_of_owner.put(owner_id, account_id)

    async def account(self, account_id: int) -> Account:
        rows = await self.db.read_one(_SELECT_ACCOUNT, {"id": account_id})
        if not rows:
            raise AccountNotFound()
        account = _row_to_account(rows[0])
        self._remember(account.id, account.owner_id)
        return account

    async def accounts(self, account_ids: Sequence[int]) -> dict[int, Account]:
        """Several accounts in one round trip."""
        if not account_ids:
            return {}
        ids = sorted(set(account_ids))
        marks = ", ".join(f":a{i}" for i in range(len(ids)))
        rows = await self.db.read_one(
            _select_accounts(f"IN ({marks})"),
            {f"a{i}": v for i, v in enumerate(ids)},
        )
        return {row[0]: _row_to_account(row) for row in rows}

    # --- moving money -----------------------------------------------------------------

    async def transfer(
        self,
        debit: int,
        credit: int,
        amount: int,
        *,
        key: str,
        kind: str = "payment",
        memo: str = "",
        actor: int | None = None,
    ) -> Transfer:
        """A single-phase transfer: posted at once."""
        return await self._insert(kind, "posted", debit, credit, amount, key, memo, actor)

    async def create_pending(
        self,
        debit: int,
        credit: int,
        amount: int,
        *,
        key: str,
        expires_in: timedelta,
        memo: str = "",
        actor: int | None = None,
        kind: str = "payment",
        request_id: int | None = None,
    ) -> Transfer:
        """Reserve ``amount`` on the debit account until ``expires_in`` from now; with
        ``request_id``, to pay that request (it settles with this hold, in the database)."""
        if expires_in <= timedelta(0):
            raise ValueError("a pending transfer needs a positive timeout")
        return await self._insert(
            kind,
            "pending",
            debit,
            credit,
            amount,
            key,
            memo,
            actor,
            expires_in=expires_in,
            request_id=request_id,
        )

    async def post(self, ref: str, *, key: str | None = None, actor: int | None = None) -> Transfer:
        """Complete a pending transfer, at most once and only before it expires."""
        return await self._resolve(ref, "posted", key, actor)

    async def void(self, ref: str, *, key: str | None = None, actor: int | None = None) -> Transfer:
        """Release a pending transfer's reservation."""
        return await self._resolve(ref, "voided", key, actor)

    async def expire(self, ref: str, *, key: str | None = None) -> Transfer:
        """Mark an overdue pending transfer expired, releasing its reservation."""
        return await self._resolve(ref, "expired", key, None)

    async def expire_overdue(self, limit: int = 200) -> list[Transfer]:
        """Expire every pending transfer whose time is up (the sweeper's one call)."""
        rows = await self.db.read_one(
            "SELECT ref FROM transfers WHERE state = 'pending' AND expires_at <= :now "
            "ORDER BY expires_at LIMIT :limit",
            {"now": to_micros(self.clock()), "limit": limit},
        )
        expired = []
        for (ref,) in rows:
            try:
                expired.append(await self.expire(ref))
            except AlreadyResolved:
                continue  # resolved by someone else between the read and the update
        return expired

    async def reverse(
        self, ref: str, *, key: str, actor: int | None = None, reason: str = ""
    ) -> Transfer:
        """Undo a posted transfer with a compensating one, at most once."""
        original = await self.get_transfer(ref)
        if original.kind == "reversal":
            raise NotReversible(ref, "it is itself a reversal")
        if original.state != "posted":
            raise NotReversible(ref, f"it is {original.state}, not posted")
        try:
            return await self._insert(
                "reversal",
                "posted",
                original.credit_account_id,
                original.debit_account_id,
                original.amount,
                key,
                reason,
                actor,
                reverses=original.id,
            )
        except AlreadyReversed:
            rows = await self.db.read_one(
                "SELECT ref FROM transfers WHERE reverses_id = :id", {"id": original.id}
            )
            raise AlreadyReversed(ref, rows[0][0] if rows else "?") from None

    async def _insert(
        self,
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
        now = self.clock()
        params = {
            "ref": new_ref(),
            "key": key,
            "kind": kind,
            "debit": debit,
            "credit": credit,
            "amount": amount,
            "currency": self.currency.code,
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
                rows = await self.db.write_one(insert, params)
            except LedgerError:
                raise
            except Exception as error:
                refusal = _refusal(error)
                if refusal == "ref_taken":
                    params["ref"] = new_ref()
                    continue
                if refusal is None:
                    raise
                raise await self._explain(refusal, params) from None
            if rows:
                return self._transfer_of(rows[0])
            return await self._replay(params)
        raise RuntimeError("could not allocate a unique transfer reference")

    async def _replay(self, params: dict[str, Any]) -> Transfer:
        """The key was used before: same fields give back the original, others are refused."""
        existing = await self._find("idempotency_key", params["key"])
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

    async def _explain(self, refusal: str, params: dict[str, Any]) -> LedgerError:
        """Turn a trigger or constraint refusal into the typed error, with its figures."""
        if refusal.startswith("frozen"):
            side = "recipient" if refusal.endswith("credit") else "sender"
            account = params["credit"] if side == "recipient" else params["debit"]
            return AccountFrozen(account, side)
        if refusal.startswith("no_account"):
            return AccountNotFound()
        if refusal == "overdraft":
            account = await self.account(params["debit"])
            return InsufficientFunds(account.available, params["amount"])
        if refusal == "over_max":
            return OverTransferMax((await self.limits(fresh=True)).max_transfer)
        if refusal == "daily_limit":
            limits = await self.limits(fresh=True)
            account = await self.account(params["debit"])
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
            return await self._totals_full(params["debit"], params["credit"], params["amount"])
        if refusal == "amount_cap":
            return AmountTooLarge(AMOUNT_MAX)
        if refusal == "welcome_cap":
            return WelcomeCapReached(await self.welcome_daily_cap())
        if refusal == "same_account":
            return SameAccount()
        if refusal == "request_closed":
            rows = await self.db.read_one(
                "SELECT ref, state FROM payment_requests WHERE id = :r", {"r": params["request"]}
            )
            return RequestClosed(rows[0][0], rows[0][1]) if rows else RequestClosed("", "closed")
        return LedgerError(f"refused by the ledger: {refusal}")

    async def _resolve(self, ref: str, state: str, key: str | None, actor: int | None) -> Transfer:
        ref = ref.strip().upper()  # references are read aloud and retyped: case never matters
        now = to_micros(self.clock())
        sql = _RESOLVE_AFTER_EXPIRY if state == "expired" else _RESOLVE_BEFORE_EXPIRY
        params = {"state": state, "now": now, "actor": actor, "key": key, "ref": ref}
        try:
            rows = await self.db.write_one(sql, params)
        except LedgerError:
            raise
        except Exception as error:
            refusal = _refusal(error)
            if refusal is None:
                raise
            existing = await self.get_transfer(ref)
            if refusal.startswith("frozen"):
                side = "recipient" if refusal.endswith("credit") else "sender"
                account = (
                    existing.credit_account_id if side == "recipient" else existing.debit_account_id
                )
                raise AccountFrozen(account, side) from None
            if refusal == "already_resolved":
                raise AlreadyResolved(ref, existing.state) from None
            if refusal == "request_closed":
                rows = await self.db.read_one(
                    "SELECT r.ref, r.state FROM payment_requests r "
                    "JOIN transfers t ON t.request_id = r.id WHERE t.ref = :ref",
                    {"ref": ref},
                )
                raise RequestClosed(rows[0][0], rows[0][1]) from None
            if refusal == "counter_cap":
                raise await self._totals_full(
                    existing.debit_account_id, existing.credit_account_id, existing.amount
                ) from None
            raise LedgerError(f"refused by the ledger: {refusal}") from None
        if rows:
            return self._transfer_of(rows[0])
        # Nothing matched: say why, from the transfer as it stands.
        rows = await self.db.read_one(_SELECT_TRANSFER_BY.format(column="ref"), {"value": ref})
        if not rows:
            raise TransferNotFound(ref)
        existing = self._transfer_of(rows[0])
        resolution_key = rows[0][16]
        if existing.expires_at is None:
            raise NotPending(ref)
        if existing.state == "pending":
            if state == "expired":
                raise LedgerError(f"transfer {ref} has not expired yet")
            # Past its expiry: it can only expire now; say so to whoever pressed late.
            try:  # keyed, so the press that expired it delivers what that wrote
                await self.expire(ref, key=f"late:{ref}")
            except AlreadyResolved as resolved:  # resolved meanwhile (a freeze): say how
                raise AlreadyResolved(ref, resolved.state) from None
            raise AlreadyResolved(ref, "expired")
        if key is not None and existing.state == state and resolution_key == key:
            return existing.as_replay()
        raise AlreadyResolved(ref, existing.state)

    async def _totals_full(self, debit: int, credit: int, amount: int) -> TotalTooLarge:
        """The refusal of a movement that would pass a counter's cap, naming the account
        whose totals are full (the sender's when both are)."""
        accounts = await self.accounts([debit, credit])
        sender = accounts.get(debit)
        if sender is not None and sender.debits_posted + sender.debits_pending + amount > (
            COUNTER_MAX
        ):
            return TotalTooLarge(COUNTER_MAX, debit)
        return TotalTooLarge(COUNTER_MAX, credit)

    def _transfer_of(self, row: Sequence[Any]) -> Transfer:
        """The transfer of a ``_T_ROW`` row; its owners go to the caches on the way."""
        transfer = _row_to_transfer(row)
        if transfer.currency == self.currency.code:  # an owner's account in our currency
            self._remember(transfer.debit_account_id, transfer.debit_owner)
            self._remember(transfer.credit_account_id, transfer.credit_owner)
        return transfer

    # --- reading ----------------------------------------------------------------------

    async def _find(self, column: str, value: Any) -> Transfer | None:
        rows = await self.db.read_one(_SELECT_TRANSFER_BY.format(column=column), {"value": value})
        return self._transfer_of(rows[0]) if rows else None

    async def get_transfer(self, ref: str) -> Transfer:
        found = await self._find("ref", ref.strip().upper())
        if found is None:
            raise TransferNotFound(ref)
        return found

    async def transfer_and_card(self, ref: str) -> tuple[Transfer, Card | None]:
        """A transfer and, if one was shown, its card, in one read (a button press needs
        both)."""
        rows = await self.db.read_one(_SELECT_TRANSFER_AND_CARD, {"ref": ref.strip().upper()})
        if not rows:
            raise TransferNotFound(ref)
        row = rows[0]
        return self._transfer_of(row), _row_to_card(row[19:22])

    async def transfer_by_key(self, key: str) -> Transfer | None:
        """The transfer made with idempotency ``key``, if any (a request's hold is keyed by
        the request, so it is found from the request)."""
        return await self._find("idempotency_key", key)

    async def transfer_by_id(self, transfer_id: int) -> Transfer:
        """A transfer by its internal id (a reversal names the transfer it reverses by id)."""
        found = await self._find("id", transfer_id)
        if found is None:
            raise TransferNotFound(str(transfer_id))
        return found

    async def reversal_of(self, transfer_id: int) -> Transfer | None:
        return await self._find("reverses_id", transfer_id)

    async def history(self, account_id: int, *, limit: int = 10, offset: int = 0) -> HistoryPage:
        """The account's transfers, newest first, ``limit`` at a time (a busy account's
        may be many rows to sort: off the event loop)."""
        # The counterparty's account and owner (17, 18), then the account's own owner (19):
        # one lookup for the page, not one per row.
        rows = await self.db.read_scan(
            f"SELECT {_T_COLS_OF_T}, c.id, c.owner_id, "
            "(SELECT o.owner_id FROM accounts o WHERE o.id = :acc) "
            "FROM transfers t JOIN accounts c ON c.id = CASE WHEN t.debit_account_id = :acc "
            "THEN t.credit_account_id ELSE t.debit_account_id END "
            "WHERE t.debit_account_id = :acc OR t.credit_account_id = :acc "
            "ORDER BY t.id DESC LIMIT :limit OFFSET :offset",
            {"acc": account_id, "limit": limit + 1, "offset": offset},
        )
        items = []
        for row in rows[:limit]:
            outgoing = row[3] == account_id
            other, own = row[18], row[19]
            transfer = _transfer(row, own, other) if outgoing else _transfer(row, other, own)
            items.append(HistoryItem(transfer, "out" if outgoing else "in", row[17], other))
        return HistoryPage(items, offset, len(rows) > limit)

    # --- limits -----------------------------------------------------------------------

    async def limits(self, *, fresh: bool = False) -> Limits:
        cached = self._limits
        if cached is not None and not fresh and time.monotonic() - cached[0] < LIMITS_TTL_S:
            return cached[1]
        rows = await self.db.read_one(
            "SELECT max_transfer, daily_limit FROM ledger_limits WHERE currency = :c",
            {"c": self.currency.code},
        )
        limits = Limits(*rows[0]) if rows else self._default_limits
        self._limits = (time.monotonic(), limits)
        return limits

    async def sent_today(self, account_id: int) -> int:
        account = await self.account(account_id)
        today = to_micros(self.clock()) // DAY_USEC
        return account.day_sent if account.day_number == today else 0

    async def set_limits(
        self,
        *,
        actor: int,
        reason: str = "",
        max_transfer: int | None = None,
        daily_limit: int | None = None,
    ) -> Limits:
        """Change the per-transfer maximum and/or the daily sending limit, on the record."""
        for value in (max_transfer, daily_limit):
            if value is not None and (not isinstance(value, int) or value <= 0):
                raise ValueError("limits must be positive ints of minor units")
        if max_transfer is not None and max_transfer > AMOUNT_MAX:
            raise AmountTooLarge(AMOUNT_MAX)
        if daily_limit is not None and daily_limit > COUNTER_MAX:
            raise AmountTooLarge(COUNTER_MAX)

        async def work(conn: AsyncConnection) -> Limits:
            now = to_micros(self.clock())
            row = (
                await conn.execute(
                    text(
                        "UPDATE ledger_limits SET "
                        "max_transfer = COALESCE(:m, max_transfer), "
                        "daily_limit = COALESCE(:d, daily_limit), "
                        "updated_at = :now, updated_by = :actor WHERE currency = :c "
                        "RETURNING max_transfer, daily_limit"
                    ),
                    {
                        "m": max_transfer,
                        "d": daily_limit,
                        "now": now,
                        "actor": actor,
                        "c": self.currency.code,
                    },
                )
            ).one()
            limits = Limits(row[0], row[1])
            await self._audit(
                conn,
                now,
                actor,
                "limits",
                None,
                None,
                None,
                f"max_transfer={limits.max_transfer} daily_limit={limits.daily_limit}"
                + (f"; {reason}" if reason else ""),
            )
            return limits

        limits = await self.db.transaction(work)
        self._limits = (time.monotonic(), limits)
        return limits

    async def welcome_daily_cap(self) -> int:
        """How many welcome credits may be issued per day, across all users."""
        rows = await self.db.read_one(
            "SELECT welcome_daily_cap FROM ledger_limits WHERE currency = :c",
            {"c": self.currency.code},
        )
        return int(rows[0][0]) if rows else 0

    async def set_welcome_daily_cap(self, cap: int) -> None:
        """Set how many welcome credits may be issued per day (0: none). The database counts
        them (``welcome_days``) and refuses the one over the cap: every process shares it."""
        if not isinstance(cap, int) or isinstance(cap, bool) or cap < 0:
            raise ValueError("the welcome cap is a count of credits, 0 or more")
        await self.db.write_one(
            "UPDATE ledger_limits SET welcome_daily_cap = :cap WHERE currency = :c",
            {"cap": cap, "c": self.currency.code},
        )

    async def welcomes_today(self) -> int:
        """Welcome credits issued today (the ledger's UTC day, as for the daily limit)."""
        rows = await self.db.read_one(
            "SELECT issued FROM welcome_days WHERE currency = :c AND day_number = :d",
            {"c": self.currency.code, "d": to_micros(self.clock()) // DAY_USEC},
        )
        return int(rows[0][0]) if rows else 0

    # --- moderation -------------------------------------------------------------------

    async def freeze(self, account_id: int, *, actor: int, reason: str = "") -> FreezeResult:
        """Freeze an account: it can neither send nor receive; its open holds are voided."""
        return await self._set_status(account_id, "frozen", actor, reason)

    async def unfreeze(self, account_id: int, *, actor: int, reason: str = "") -> FreezeResult:
        return await self._set_status(account_id, "active", actor, reason)

    async def _set_status(
        self, account_id: int, status: str, actor: int, reason: str
    ) -> FreezeResult:
        async def work(conn: AsyncConnection) -> tuple[bool, list[Transfer], list[int]]:
            now = to_micros(self.clock())
            pending: list[Sequence[Any]] = []
            if status == "frozen" and not self.db.is_sqlite:
                # The hold gate (migration 0003): every hold being created with this account
                # holds it shared; once it is ours no new hold can land, so the holds listed
                # next are all there will be, however busy the account.
                await conn.execute(text("SELECT pg_advisory_xact_lock(:a)"), {"a": account_id})
            if status == "frozen":
                # Lock order: the pending transfers, then the accounts (both in id order).
                # NO KEY UPDATE, not UPDATE: a payment's foreign-key checks take KEY SHARE on
                # its two accounts in column order, which FOR UPDATE would wait on (deadlock).
                lock = "" if self.db.is_sqlite else " FOR NO KEY UPDATE"
                pending = list(
                    (
                        await conn.execute(
                            text(
                                f"SELECT {_T_COLS} FROM transfers WHERE state = 'pending' AND "
                                "(debit_account_id = :a OR credit_account_id = :a) "
                                f"ORDER BY id{lock}"
                            ),
                            {"a": account_id},
                        )
                    ).all()
                )
                involved = {account_id}
                for row in pending:
                    involved.update((row[3], row[4]))
                if not self.db.is_sqlite:
                    await conn.execute(
                        text(
                            "SELECT id FROM accounts WHERE id IN "
                            f"({', '.join(str(int(i)) for i in sorted(involved))}) "
                            "ORDER BY id FOR NO KEY UPDATE"
                        )
                    )
            changed = (
                await conn.execute(
                    text(
                        "UPDATE accounts SET status = :s WHERE id = :a AND kind = 'user' "
                        "AND status <> :s RETURNING id"
                    ),
                    {"s": status, "a": account_id},
                )
            ).first() is not None
            if not changed:
                exists = (
                    await conn.execute(
                        text("SELECT 1 FROM accounts WHERE id = :a AND kind = 'user'"),
                        {"a": account_id},
                    )
                ).first()
                if exists is None:
                    raise AccountNotFound()
            if status == "frozen" and not self.db.is_sqlite:
                # A hold committed between the select above and the lock on the account
                # would have slipped past it (the hold gate above prevents that; this stays
                # as the check that it did). If one did, start over so it is locked in order
                # with the others (voiding it from here would take locks out of order).
                seen = {row[0] for row in pending}
                now_pending = (
                    await conn.execute(
                        text(
                            "SELECT id FROM transfers WHERE state = 'pending' AND "
                            "(debit_account_id = :a OR credit_account_id = :a)"
                        ),
                        {"a": account_id},
                    )
                ).scalars()
                if any(transfer_id not in seen for transfer_id in now_pending):
                    raise RetryTransaction()
            voided = []
            for row in pending:
                result = (
                    await conn.execute(
                        text(
                            "UPDATE transfers SET state = 'voided', resolved_at = :now, "
                            "resolved_by = :actor WHERE id = :id AND state = 'pending' "
                            f"RETURNING {_T_ROW}"
                        ),
                        {"now": now, "actor": actor, "id": row[0]},
                    )
                ).first()
                if result is not None:
                    voided.append(self._transfer_of(result))
            notices: list[int] = []
            if changed:
                action = "freeze" if status == "frozen" else "unfreeze"
                await self._audit(conn, now, actor, action, account_id, None, None, reason)
                owner = (
                    await conn.execute(
                        text("SELECT owner_id FROM accounts WHERE id = :a"), {"a": account_id}
                    )
                ).scalar()
                if owner is not None:  # the person is told, by the outbox (see ledger.outbox)
                    notice = await self.outbox.write(
                        conn,
                        f"{action}:{account_id}:{now}",
                        int(owner),
                        status if status == "frozen" else "unfrozen",
                        detail=len(voided),
                        note=clean_text(reason)[:MEMO_MAX],
                    )
                    notices += [] if notice is None else [notice]
            return changed, voided, notices

        changed, voided, notices = await self.db.transaction(work)
        return FreezeResult(account_id, changed, voided, notices)

    async def _audit(
        self,
        conn: AsyncConnection,
        now: int,
        actor: int | None,
        action: str,
        account_id: int | None,
        transfer_id: int | None,
        amount: int | None,
        reason: str,
    ) -> None:
        await conn.execute(
            text(
                "INSERT INTO audit_log (at, actor_id, action, admin, account_id, transfer_id, "
                "amount, reason) VALUES (:at, :actor, :action, :admin, :account, :transfer, "
                ":amount, :reason)"
            ),
            {
                "at": now,
                "actor": actor,
                "action": action,
                "admin": True,
                "account": account_id,
                "transfer": transfer_id,
                "amount": amount,
                "reason": clean_text(reason)[:MEMO_MAX],
            },
        )

    async def audit_log(self, *, limit: int = 20, admin_only: bool = True) -> list[AuditRecord]:
        """The latest audit entries, newest first."""
        where = "WHERE a.admin = :yes " if admin_only else ""
        # Admin entries can be few among many: a scan, off the event loop.
        rows = await self.db.read_scan(
            "SELECT a.id, a.at, a.actor_id, a.action, a.admin, a.account_id, c.owner_id, t.ref, "
            "a.amount, a.reason FROM audit_log a "
            "LEFT JOIN accounts c ON c.id = a.account_id "
            "LEFT JOIN transfers t ON t.id = a.transfer_id "
            f"{where}ORDER BY a.id DESC LIMIT :limit",
            {"limit": limit, "yes": True},
        )
        return [
            AuditRecord(
                r[0], from_micros(r[1]), r[2], r[3], bool(r[4]), r[5], r[6], r[7], r[8], r[9]
            )
            for r in rows
        ]

    # --- checking ---------------------------------------------------------------------

    async def verify(self) -> VerifyReport:
        """Recompute every account's counters from the transfers and check the invariants.

        It reports, it never raises for what it finds (only ``DatabaseUnavailable`` when the
        database cannot be reached): a counter or an amount past revision 0005's caps or not
        stored as an integer (a REAL on SQLite) is one more problem, and so are books that
        cannot even be read."""
        sums_sql = ", ".join(
            part
            for state in ("posted", "pending")
            for side in ("d", "c")
            for part in _split_sums(
                f"CASE WHEN side = '{side}' AND state = '{state}' THEN amount ELSE 0 END"
            )
        )
        try:
            async with self.db.reading() as conn:
                accounts = (await conn.execute(text(_SELECT_ALL_ACCOUNTS_APART))).all()
                sums = (
                    await conn.execute(
                        text(
                            f"SELECT account_id, {sums_sql}, COUNT(*) FROM ("
                            "SELECT debit_account_id AS account_id, 'd' AS side, state, amount "
                            "FROM transfers UNION ALL "
                            "SELECT credit_account_id, 'c', state, amount FROM transfers) x "
                            "GROUP BY account_id"
                        )
                    )
                ).all()
                counts = (
                    await conn.execute(
                        text(
                            "SELECT COUNT(*), SUM(CASE WHEN state = 'pending' THEN 1 ELSE 0 END), "
                            "SUM(CASE WHEN reverses_id IS NOT NULL THEN 1 ELSE 0 END) "
                            "FROM transfers"
                        )
                    )
                ).one()
                beyond = (await conn.execute(text(self._beyond_caps_sql()))).all()
        except DatabaseUnavailable:
            raise
        except Exception as error:  # the books themselves cannot be read: say so, do not crash
            cause = str(getattr(error, "orig", None) or error).strip().splitlines() or ["?"]
            return VerifyReport(
                ok=False,
                problems=[f"the books cannot be read: {cause[0]}"],
                accounts_checked=0,
                transfers_checked=0,
                pending_transfers=0,
            )
        expected = {
            row[0]: tuple(_joined(row[i], row[i + 1]) for i in (1, 3, 5, 7)) for row in sums
        }
        problems = [
            f"{what} {ident} holds {_BEYOND_LABELS[what]} = "
            f"{tuple(v for v in values if v is not None)}, beyond the cap "
            f"({AMOUNT_MAX if what == 'transfer' else COUNTER_MAX}) or not stored as integers"
            for what, ident, *values in beyond
        ]
        totals: dict[str, list[int]] = {}
        for row in accounts:
            shards = (int(row[11] or 0), int(row[12] or 0))  # NUMERIC sums on PostgreSQL
            account = _row_to_account(
                [*row[:6], row[6] + shards[0], row[7], row[8] + shards[1], *row[9:11]]
            )
            actual = (
                account.debits_posted,
                account.credits_posted,
                account.debits_pending,
                account.credits_pending,
            )
            recomputed = expected.get(account.id, (0, 0, 0, 0))
            if actual != recomputed:
                problems.append(
                    f"account {account.id} counters {actual} != recomputed {recomputed} "
                    "(debits_posted, credits_posted, debits_pending, credits_pending)"
                )
            if account.kind == "user" and account.available < 0:
                problems.append(f"account {account.id} is overdrawn: {account.available}")
            t = totals.setdefault(account.currency, [0, 0, 0, 0])
            for i, value in enumerate(actual):
                t[i] += value
        for currency, (dp, cp, dpend, cpend) in totals.items():
            if dp != cp:
                problems.append(f"{currency}: posted debits {dp} != posted credits {cp}")
            if dpend != cpend:
                problems.append(f"{currency}: pending debits {dpend} != pending credits {cpend}")
        known = {row[0] for row in accounts}
        for account_id in expected.keys() - known:
            problems.append(f"transfers reference missing account {account_id}")
        from ledger.payments.cheques import cheque_problems  # cheques are holds too

        problems += await cheque_problems(self.db)
        return VerifyReport(
            ok=not problems,
            problems=problems,
            accounts_checked=len(accounts),
            transfers_checked=int(counts[0] or 0),
            pending_transfers=int(counts[1] or 0),
        )

    def _beyond_caps_sql(self) -> str:
        """Rows (what, id, values...) whose counters or amount break revision 0005's caps, as
        rows written before it could (on SQLite: or are not stored as integers)."""

        def outside(columns: Sequence[str], low: int, high: int) -> str:
            tests = [f"{c} NOT BETWEEN {low} AND {high}" for c in columns]
            if self.db.is_sqlite:
                tests += [f"typeof({c}) <> 'integer'" for c in columns]
            return " OR ".join(tests)

        counters = ("debits_posted", "credits_posted", "debits_pending", "credits_pending")
        return (
            f"SELECT 'account', id, {', '.join(counters)}, day_sent FROM accounts "
            f"WHERE {outside((*counters, 'day_sent'), 0, COUNTER_MAX)} "
            "UNION ALL SELECT 'account shard', account_id, shard, credits_posted, "
            "credits_pending, NULL, NULL FROM account_credits "
            f"WHERE {outside(('credits_posted', 'credits_pending'), 0, COUNTER_MAX)} "
            "UNION ALL SELECT 'transfer', id, amount, NULL, NULL, NULL, NULL FROM transfers "
            f"WHERE {outside(('amount',), 1, AMOUNT_MAX)}"
        )

    async def stats(self) -> Stats:
        now = to_micros(self.clock())
        day_start = now - now % DAY_USEC
        paid_today = (
            "FROM transfers WHERE kind = 'payment' AND state = 'posted' AND created_at >= :day"
        )
        high, low = _split_sums("amount")  # the day's volume: see _split_sums
        rows = await self.db.read_scan(  # counts over whole tables
            "SELECT "
            "(SELECT COUNT(*) FROM accounts WHERE kind = 'user'), "
            "(SELECT COUNT(*) FROM accounts WHERE kind = 'user' AND status = 'frozen'), "
            "(SELECT debits_posted - credits_posted - COALESCE((SELECT SUM(credits_posted) "
            " FROM account_credits WHERE account_id = :iss), 0) FROM accounts WHERE id = :iss), "
            f"(SELECT COUNT(*) {paid_today}), (SELECT {high} {paid_today}), "
            f"(SELECT {low} {paid_today}), "
            "(SELECT COUNT(*) FROM transfers WHERE state = 'pending')",
            {"iss": self.issuance_account_id, "day": day_start},
        )
        users, frozen, issued, count, volume_high, volume_low, pending = rows[0]
        return Stats(
            int(users or 0),
            int(frozen or 0),
            int(issued or 0),
            int(count or 0),
            _joined(volume_high, volume_low),
            int(pending or 0),
            await self.verify(),
        )

    # --- cards: where a pending transfer was shown ------------------------------------

    async def remember_card(
        self, transfer_id: int, chat_id: int, message_id: int, request_id: int | None = None
    ) -> None:
        await self.db.write_one(
            "INSERT INTO cards (transfer_id, chat_id, message_id, request_id) "
            "VALUES (:t, :c, :m, :r) ON CONFLICT (transfer_id) DO NOTHING",
            {"t": transfer_id, "c": chat_id, "m": message_id, "r": request_id},
        )

    async def card_of(self, transfer_id: int) -> Card | None:
        """The transfer's card, if one was shown."""
        rows = await self.db.read_one(
            f"SELECT {_CARD_COLS} FROM cards c WHERE c.transfer_id = :t", {"t": transfer_id}
        )
        return _row_to_card(rows[0]) if rows else None
