"""The ledger: accounts, transfers (single- and two-phase), reversals, freezes, limits, audit.

``Ledger`` is the one object callers hold; each job lives in its own module, to which its
methods delegate: ``transfers`` (the statement that writes a transfer and the typed error
for its refusal), ``account_status`` (freeze, unfreeze), ``limits``, ``history``, ``books``
(verify, stats, the audit log), with the SQL text they share in ``sql`` and the time in
``clock``.

Every money movement is one statement (see ``ledger.db``); the triggers enforce the
invariants, and ``ledger.transfers`` translates their refusals into typed errors. The
statement also returns both accounts' owners, so a movement's answer needs no read after its
commit (a read failing there would report a payment that went through as failed).
Idempotency: each movement carries a caller-chosen key, unique in the database; a retry with
the same key and the same fields returns the original (``replayed=True``), with different
fields it is refused naming the field.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from ledger import account_status, books, history, limits, transfers
from ledger.cache import LruCache
from ledger.clock import Clock, DatabaseClock, utcnow
from ledger.db import Database
from ledger.errors import (
    AccountNotFound,
    AlreadyResolved,
    AlreadyReversed,
    NotReversible,
    TransferNotFound,
)
from ledger.models import to_micros
from ledger.money import Currency
from ledger.sql import (
    _CARD_COLS,
    _SELECT_ACCOUNT,
    _SELECT_TRANSFER_AND_CARD,
    _SELECT_TRANSFER_BY,
    _row_to_account,
    _row_to_card,
    _row_to_transfer,
    _select_accounts,
)
from ledger.types import (
    Account,
    AuditRecord,
    Card,
    FreezeResult,
    HistoryPage,
    Limits,
    Stats,
    Transfer,
    VerifyReport,
)

ADMIN_KINDS = ("credit", "debit", "reversal")
OWNERS_KEPT = 4_096  # owner -> account ids a process remembers


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
        return await transfers.insert(self, kind, "posted", debit, credit, amount, key, memo, actor)

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
        return await transfers.insert(
            self,
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
        return await transfers.resolve(self, ref, "posted", key, actor)

    async def void(self, ref: str, *, key: str | None = None, actor: int | None = None) -> Transfer:
        """Release a pending transfer's reservation."""
        return await transfers.resolve(self, ref, "voided", key, actor)

    async def expire(self, ref: str, *, key: str | None = None) -> Transfer:
        """Mark an overdue pending transfer expired, releasing its reservation."""
        return await transfers.resolve(self, ref, "expired", key, None)

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
            return await transfers.insert(
                self,
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
        return await history.history(self, account_id, limit=limit, offset=offset)

    # --- limits -----------------------------------------------------------------------

    async def limits(self, *, fresh: bool = False) -> Limits:
        return await limits.limits(self, fresh=fresh)

    async def sent_today(self, account_id: int) -> int:
        return await limits.sent_today(self, account_id)

    async def set_limits(
        self,
        *,
        actor: int,
        reason: str = "",
        max_transfer: int | None = None,
        daily_limit: int | None = None,
    ) -> Limits:
        return await limits.set_limits(
            self, actor=actor, reason=reason, max_transfer=max_transfer, daily_limit=daily_limit
        )

    async def welcome_daily_cap(self) -> int:
        return await limits.welcome_daily_cap(self)

    async def set_welcome_daily_cap(self, cap: int) -> None:
        return await limits.set_welcome_daily_cap(self, cap)

    async def welcomes_today(self) -> int:
        return await limits.welcomes_today(self)

    # --- moderation -------------------------------------------------------------------

    async def freeze(self, account_id: int, *, actor: int, reason: str = "") -> FreezeResult:
        """Freeze an account: it can neither send nor receive; its open holds are voided."""
        return await account_status.set_status(self, account_id, "frozen", actor, reason)

    async def unfreeze(self, account_id: int, *, actor: int, reason: str = "") -> FreezeResult:
        return await account_status.set_status(self, account_id, "active", actor, reason)

    async def audit_log(self, *, limit: int = 20, admin_only: bool = True) -> list[AuditRecord]:
        return await books.audit_log(self, limit=limit, admin_only=admin_only)

    # --- checking ---------------------------------------------------------------------

    async def verify(self) -> VerifyReport:
        return await books.verify(self)

    async def stats(self) -> Stats:
        return await books.stats(self)

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
