"""Random sequences of ledger operations against a plain-Python model of the books.

Hypothesis drives credits, debits, payments, holds, confirm and cancel presses, expiry with a
clock it moves, freezes, reversals, limit changes and replays of earlier requests. After every
step each account's four counters, its daily counter, every transfer's state and verify()
must agree with the model. Each example gets a fresh database (SQLite and PostgreSQL).

Hypothesis's stateful tests are synchronous, so the machine owns an event loop and runs the
async ledger on it.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from ledger import Ledger, Limits, Transfer
from ledger.errors import (
    AccountFrozen,
    AlreadyResolved,
    AlreadyReversed,
    DailyLimitExceeded,
    IdempotencyConflict,
    InsufficientFunds,
    LedgerError,
    NotPending,
    NotReversible,
    OverTransferMax,
    SameAccount,
)
from ledger.models import DAY_USEC, to_micros
from tests.conftest import FakeClock
from tests.ledger.conftest import clone_postgres_database

T = TypeVar("T")
USERS = 4
ADMIN = 42
# Who is paid, counted from the sender; now and then the sender themself (None).
RECIPIENT = st.sampled_from([*range(1, USERS)] * 3 + [None])
# A PostgreSQL example pays for cloning a database (about half a second); SQLite is cheap.
EXAMPLES = {"sqlite": 35, "postgresql": 20}
STEPS = 50


@dataclass
class ModelAccount:
    """An account as the model sees it: TigerBeetle's four counters plus the daily counter."""

    user: bool = True
    debits_posted: int = 0
    credits_posted: int = 0
    debits_pending: int = 0
    credits_pending: int = 0
    frozen: bool = False
    day_number: int = 0
    day_sent: int = 0

    @property
    def available(self) -> int:
        return self.credits_posted - self.debits_posted - self.debits_pending


@dataclass
class ModelTransfer:
    ref: str
    kind: str
    debit: int
    credit: int
    amount: int
    state: str
    created_at: int
    expires_at: int | None
    reversed_by: str | None = None


@dataclass
class Request:
    """A creation request that went through, to be replayed later with the same key."""

    call: str  # "transfer" | "create_pending" | "reverse"
    kwargs: dict[str, Any]
    ref: str


class LedgerMachine(RuleBasedStateMachine):
    database = "sqlite"

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.clock = FakeClock()
        self.tmp: str | None = None
        if self.database == "sqlite":
            self.tmp = tempfile.mkdtemp(prefix="ledger-machine-")
            url = f"sqlite+aiosqlite:///{self.tmp}/ledger.db"
        else:
            _name, url = self.run(clone_postgres_database())  # dropped at session end
        self.limits = Limits(max_transfer=3_000, daily_limit=6_000)
        self.ledger: Ledger = self.run(
            Ledger.open(
                url, "USD", clock=self.clock, default_limits=self.limits, sqlite_synchronous="OFF"
            )
        )
        self.issuance = self.ledger.issuance_account_id
        self.users = [self.run(self.ledger.open_account(owner)) for owner in range(1, USERS + 1)]
        self.accounts = {self.issuance: ModelAccount(user=False)}
        self.accounts.update({account: ModelAccount() for account in self.users})
        self.transfers: dict[str, ModelTransfer] = {}
        self.requests: list[Request] = []
        self.resolutions: list[tuple[str, str, str]] = []  # (ref, "post" | "void", key)
        self.serial = 0

    def run(self, awaitable: Awaitable[T]) -> T:
        return self.loop.run_until_complete(awaitable)

    def teardown(self) -> None:
        try:
            self.run(self.ledger.close())
        finally:
            self.loop.close()
            if self.tmp is not None:
                shutil.rmtree(self.tmp, ignore_errors=True)

    # --- the model's arithmetic ------------------------------------------------------------

    def key(self, what: str) -> str:
        self.serial += 1
        return f"{what}-{self.serial}"

    @property
    def now(self) -> int:
        return to_micros(self.clock())

    def sent_today(self, account: int) -> int:
        model = self.accounts[account]
        return model.day_sent if model.day_number == self.now // DAY_USEC else 0

    def payment_refusals(self, debit: int, credit: int, amount: int) -> set[type[LedgerError]]:
        """Every reason the ledger may give for refusing this payment (any one will do)."""
        if debit == credit:
            return {SameAccount}
        if amount > self.limits.max_transfer:
            return {OverTransferMax}
        reasons: set[type[LedgerError]] = set()
        if self.accounts[debit].frozen or self.accounts[credit].frozen:
            reasons.add(AccountFrozen)
        if self.accounts[debit].available < amount:
            reasons.add(InsufficientFunds)
        if self.sent_today(debit) + amount > self.limits.daily_limit:
            reasons.add(DailyLimitExceeded)
        return reasons

    def move(self, transfer: ModelTransfer) -> None:
        debit, credit = self.accounts[transfer.debit], self.accounts[transfer.credit]
        if transfer.state == "posted":
            debit.debits_posted += transfer.amount
            credit.credits_posted += transfer.amount
        else:
            debit.debits_pending += transfer.amount
            credit.credits_pending += transfer.amount
        if transfer.kind == "payment":
            today = transfer.created_at // DAY_USEC
            debit.day_sent = (
                debit.day_sent + transfer.amount if debit.day_number == today else (transfer.amount)
            )
            debit.day_number = today

    def resolve(self, transfer: ModelTransfer, state: str) -> None:
        assert transfer.state == "pending"
        debit, credit = self.accounts[transfer.debit], self.accounts[transfer.credit]
        debit.debits_pending -= transfer.amount
        credit.credits_pending -= transfer.amount
        if state == "posted":
            debit.debits_posted += transfer.amount
            credit.credits_posted += transfer.amount
        elif transfer.kind == "payment" and debit.day_number == transfer.created_at // DAY_USEC:
            debit.day_sent = max(debit.day_sent - transfer.amount, 0)  # the hold no longer counts
        transfer.state = state

    def record(self, made: Transfer, kind: str, debit: int, credit: int, amount: int) -> None:
        assert not made.replayed and made.ref not in self.transfers
        assert (made.kind, made.debit_account_id, made.credit_account_id, made.amount) == (
            kind,
            debit,
            credit,
            amount,
        )
        expires = None if made.expires_at is None else to_micros(made.expires_at)
        transfer = ModelTransfer(
            made.ref, kind, debit, credit, amount, made.state, self.now, expires
        )
        self.transfers[made.ref] = transfer
        self.move(transfer)

    def expect_refusal(self, error: LedgerError, reasons: set[type[LedgerError]]) -> None:
        assert reasons, f"the model expected success, the ledger refused: {error!r}"
        assert type(error) in reasons, (error, reasons)

    def pick(self, index: int, states: tuple[str, ...] | None = None) -> ModelTransfer | None:
        found = [t for t in self.transfers.values() if states is None or t.state in states]
        return found[index % len(found)] if found else None

    # --- rules -----------------------------------------------------------------------------

    @initialize(amounts=st.lists(st.integers(5_000, 20_000), min_size=USERS, max_size=USERS))
    def open_with_credits(self, amounts: list[int]) -> None:
        for account, amount in zip(self.users, amounts, strict=True):
            self.credit(account, amount)

    def credit(self, account: int, amount: int) -> None:
        kwargs = {"debit": self.issuance, "credit": account, "amount": amount, "kind": "credit"}
        kwargs |= {"key": self.key("credit"), "actor": ADMIN}
        made = self.run(self.ledger.transfer(**kwargs))  # admin credits ignore freezes
        self.record(made, "credit", self.issuance, account, amount)
        self.requests.append(Request("transfer", kwargs, made.ref))

    @rule(user=st.integers(0, USERS - 1), amount=st.integers(1, 10_000))
    def admin_credit(self, user: int, amount: int) -> None:
        self.credit(self.users[user], amount)

    @rule(user=st.integers(0, USERS - 1), amount=st.integers(1, 10_000))
    def admin_debit(self, user: int, amount: int) -> None:
        account = self.users[user]
        kwargs = {"debit": account, "credit": self.issuance, "amount": amount, "kind": "debit"}
        kwargs |= {"key": self.key("debit"), "actor": ADMIN}
        try:
            made = self.run(self.ledger.transfer(**kwargs))
        except LedgerError as error:
            self.expect_refusal(
                error, {InsufficientFunds} if self.accounts[account].available < amount else set()
            )
            assert error.available == self.accounts[account].available  # type: ignore[attr-defined]
            return
        assert self.accounts[account].available >= amount
        self.record(made, "debit", account, self.issuance, amount)
        self.requests.append(Request("transfer", kwargs, made.ref))

    @rule(
        sender=st.integers(0, USERS - 1),
        recipient=RECIPIENT,
        amount=st.integers(1, 3_500),
        memo=st.sampled_from(["", "lunch", "rent"]),
    )
    def pay_now(self, sender: int, recipient: int | None, amount: int, memo: str) -> None:
        self.pay(sender, recipient, amount, None, memo)

    @rule(
        sender=st.integers(0, USERS - 1),
        recipient=RECIPIENT,
        amount=st.integers(1, 3_500),
        hold_minutes=st.integers(1, 60),
        memo=st.sampled_from(["", "lunch", "rent"]),
    )
    def hold(
        self, sender: int, recipient: int | None, amount: int, hold_minutes: int, memo: str
    ) -> None:
        self.pay(sender, recipient, amount, hold_minutes, memo)

    def pay(
        self, sender: int, recipient: int | None, amount: int, hold_minutes: int | None, memo: str
    ) -> None:
        """A payment: single-phase, or a hold (two-phase) when ``hold_minutes`` is given.
        ``recipient`` counts from the sender (None: the sender themself)."""
        debit = self.users[sender]
        credit = debit if recipient is None else self.users[(sender + recipient) % USERS]
        reasons = self.payment_refusals(debit, credit, amount)
        kwargs: dict[str, Any] = {"debit": debit, "credit": credit, "amount": amount}
        kwargs |= {"memo": memo, "key": self.key("pay")}
        call = "transfer" if hold_minutes is None else "create_pending"
        if hold_minutes is not None:
            kwargs["expires_in"] = timedelta(minutes=hold_minutes)
        try:
            made = self.run(getattr(self.ledger, call)(**kwargs))
        except LedgerError as error:
            event(f"{call} refused: {type(error).__name__}")
            self.expect_refusal(error, reasons)
            self.check_figures(error, debit, credit, reasons)
            return
        event(f"{call} went through")
        assert not reasons, f"the ledger accepted a payment the model refuses: {reasons}"
        self.record(made, "payment", debit, credit, amount)
        self.requests.append(Request(call, kwargs, made.ref))

    def check_figures(
        self, error: LedgerError, debit: int, credit: int, reasons: set[type[LedgerError]]
    ) -> None:
        """The refusal carries the right figures for the person to read."""
        if isinstance(error, InsufficientFunds):
            assert error.available == self.accounts[debit].available
        elif isinstance(error, OverTransferMax):
            assert error.maximum == self.limits.max_transfer
        elif isinstance(error, DailyLimitExceeded):
            remaining = max(self.limits.daily_limit - self.sent_today(debit), 0)
            assert (error.limit, error.remaining) == (self.limits.daily_limit, remaining)
        elif isinstance(error, AccountFrozen):
            frozen_side = self.accounts[debit if error.side == "sender" else credit].frozen
            assert frozen_side and error.account_id == (debit if error.side == "sender" else credit)

    @precondition(lambda self: any(t.state == "pending" for t in self.transfers.values()))
    @rule(index=st.integers(0, 10**6), press=st.sampled_from(["post", "void"]))
    def confirm_or_cancel(self, index: int, press: str) -> None:
        """Confirm or Cancel on an open hold, in time or (if the clock moved) late."""
        transfer = self.pick(index, ("pending",))
        assert transfer is not None
        self.press(transfer, press)

    @precondition(lambda self: self.transfers)
    @rule(index=st.integers(0, 10**6), press=st.sampled_from(["post", "void"]))
    def press_anything(self, index: int, press: str) -> None:
        """Confirm or Cancel on any transfer, also ones already resolved or never pending."""
        transfer = self.pick(index)
        assert transfer is not None
        self.press(transfer, press)

    def press(self, transfer: ModelTransfer, press: str) -> None:
        key = self.key(press)
        expected: type[LedgerError] | None = None
        if transfer.expires_at is None:
            expected = NotPending
        elif transfer.state != "pending":
            expected, state = AlreadyResolved, transfer.state
        elif self.now >= transfer.expires_at:
            expected, state = AlreadyResolved, "expired"
            self.resolve(transfer, "expired")  # the late press expires it on the way
        elif press == "post" and (
            self.accounts[transfer.debit].frozen or self.accounts[transfer.credit].frozen
        ):
            expected = AccountFrozen
        try:
            done = self.run(getattr(self.ledger, press)(transfer.ref, key=key, actor=ADMIN))
        except LedgerError as error:
            event(f"{press} refused: {type(error).__name__}")
            assert expected is not None and type(error) is expected, (error, expected)
            if isinstance(error, AlreadyResolved):
                assert (error.ref, error.state) == (transfer.ref, state)
            return
        event(f"{press} went through")
        assert expected is None, f"expected {expected}, got {done}"
        assert not done.replayed and done.ref == transfer.ref
        self.resolve(transfer, "posted" if press == "post" else "voided")
        assert done.state == transfer.state
        self.resolutions.append((transfer.ref, press, key))

    @precondition(lambda self: self.resolutions)
    @rule(index=st.integers(0, 10**6), same=st.booleans())
    def press_again(self, index: int, same: bool) -> None:
        """A resolution retried with its key replays; the other button under that key does not."""
        ref, press, key = self.resolutions[index % len(self.resolutions)]
        other = {"post": "void", "void": "post"}[press]
        state = self.transfers[ref].state
        if same:
            again = self.run(getattr(self.ledger, press)(ref, key=key))
            assert again.replayed and (again.ref, again.state) == (ref, state)
        else:
            with pytest.raises(AlreadyResolved) as refused:
                self.run(getattr(self.ledger, other)(ref, key=key))
            assert refused.value.state == state

    @rule(minutes=st.sampled_from([1, 4, 10, 45, 60 * 13]))
    def time_passes(self, minutes: int) -> None:
        """The clock moves and the expiry sweeper runs."""
        self.clock.advance(minutes=minutes)
        expired = self.run(self.ledger.expire_overdue())
        due = {
            t.ref
            for t in self.transfers.values()
            if t.state == "pending" and t.expires_at is not None and t.expires_at <= self.now
        }
        assert {t.ref for t in expired} == due
        event(f"expiry sweep: {'some' if due else 'none'} expired")
        assert all(t.state == "expired" for t in expired)
        for ref in due:
            self.resolve(self.transfers[ref], "expired")

    @rule(user=st.integers(0, USERS - 1), freeze=st.sampled_from([False, False, True]))
    def moderate(self, user: int, freeze: bool) -> None:
        account = self.users[user]
        model = self.accounts[account]
        if freeze:
            result = self.run(self.ledger.freeze(account, actor=ADMIN, reason="check"))
            holds = {
                t.ref
                for t in self.transfers.values()
                if t.state == "pending" and account in (t.debit, t.credit)
            }
            assert {t.ref for t in result.voided} == holds  # its holds are released
            event(f"freeze voided {'some' if holds else 'no'} holds")
            for ref in holds:
                self.resolve(self.transfers[ref], "voided")
        else:
            result = self.run(self.ledger.unfreeze(account, actor=ADMIN, reason="ok"))
            assert not result.voided
        assert result.changed == (model.frozen != freeze)
        model.frozen = freeze

    @precondition(lambda self: self.transfers)
    @rule(index=st.integers(0, 10**6), posted_only=st.booleans())
    def reverse(self, index: int, posted_only: bool) -> None:
        original = self.pick(index, ("posted",) if posted_only else None)
        if original is None:
            return
        creditor = self.accounts[original.credit]
        expected: type[LedgerError] | None = None
        if original.kind == "reversal" or original.state != "posted":
            expected = NotReversible
        elif original.reversed_by is not None:
            expected = AlreadyReversed
        elif creditor.user and creditor.available < original.amount:
            expected = InsufficientFunds
        kwargs = {"ref": original.ref, "key": self.key("reverse"), "reason": "mistake"}
        try:
            made = self.run(self.ledger.reverse(**kwargs, actor=ADMIN))
        except LedgerError as error:
            event(f"reverse refused: {type(error).__name__}")
            assert expected is not None and type(error) is expected, (error, expected)
            if isinstance(error, AlreadyReversed):
                assert error.reversal_ref == original.reversed_by
            if isinstance(error, InsufficientFunds):
                assert (error.available, error.amount) == (creditor.available, original.amount)
            return
        event("reverse went through")
        assert expected is None, f"expected {expected}, got {made}"
        assert made.reverses_id is not None
        self.record(made, "reversal", original.credit, original.debit, original.amount)
        original.reversed_by = made.ref
        self.requests.append(Request("reverse", kwargs, made.ref))

    @rule(
        max_transfer=st.one_of(st.none(), st.integers(500, 5_000)),
        daily_limit=st.one_of(st.none(), st.integers(2_000, 15_000)),
    )
    def change_limits(self, max_transfer: int | None, daily_limit: int | None) -> None:
        limits = self.run(
            self.ledger.set_limits(actor=ADMIN, max_transfer=max_transfer, daily_limit=daily_limit)
        )
        self.limits = Limits(
            max_transfer or self.limits.max_transfer, daily_limit or self.limits.daily_limit
        )
        assert limits == self.limits

    @precondition(lambda self: self.requests)
    @rule(index=st.integers(0, 10**6), change=st.sampled_from([None, "amount", "recipient"]))
    def replay(self, index: int, change: str | None) -> None:
        """An earlier request sent again under its key: the original comes back, or, with a
        different amount or recipient, a refusal naming the field. Nothing moves either way."""
        request = self.requests[index % len(self.requests)]
        kwargs = dict(request.kwargs)
        if change is not None and request.call == "reverse":
            change = None
        if change == "amount":
            kwargs["amount"] += 1
        elif change == "recipient":
            others = [a for a in self.users if a not in (kwargs["debit"], kwargs["credit"])]
            kwargs["credit"] = others[index % len(others)]
        call = getattr(self.ledger, request.call)
        if change is None:
            again = self.run(call(**kwargs))
            assert again.replayed and again.ref == request.ref
            assert again.state == self.transfers[request.ref].state
        else:
            with pytest.raises(IdempotencyConflict) as conflict:
                self.run(call(**kwargs))
            assert (conflict.value.key, conflict.value.field) == (kwargs["key"], change)

    # --- what must hold after every step ----------------------------------------------------

    @invariant()
    def books_match_the_model(self) -> None:
        accounts = self.run(self.ledger.accounts(list(self.accounts)))
        for account_id, model in self.accounts.items():
            actual = accounts[account_id]
            assert (
                actual.debits_posted,
                actual.credits_posted,
                actual.debits_pending,
                actual.credits_pending,
            ) == (
                model.debits_posted,
                model.credits_posted,
                model.debits_pending,
                model.credits_pending,
            ), account_id
            assert (actual.available, actual.on_hold) == (model.available, model.debits_pending)
            assert actual.frozen == model.frozen
            if model.user:
                assert (actual.day_number, actual.day_sent) == (model.day_number, model.day_sent)
                assert actual.available >= 0
        rows = self.run(self.ledger.db.read_one("SELECT ref, state FROM transfers", {}))
        assert dict(rows) == {ref: t.state for ref, t in self.transfers.items()}
        report = self.run(self.ledger.verify())
        assert report.ok, report.summary()


class SqliteLedgerMachine(LedgerMachine):
    database = "sqlite"


class PostgresLedgerMachine(LedgerMachine):
    database = "postgresql"


@pytest.mark.slow
def test_the_ledger_behaves_like_its_model(database: str, _cloned_databases: None) -> None:
    machine = SqliteLedgerMachine if database == "sqlite" else PostgresLedgerMachine
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=EXAMPLES[database],
            stateful_step_count=STEPS,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
