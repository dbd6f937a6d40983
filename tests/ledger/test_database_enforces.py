"""The database itself keeps the ledger's invariants, not only the Python in front of it.

Each test first goes around the ledger's API with raw SQL (through ``ledger.db``) and shows the
write is refused and nothing moved; then it checks the API gives the typed error for the same
mistake. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

from ledger import Ledger
from ledger.errors import (
    AccountFrozen,
    AlreadyResolved,
    AlreadyReversed,
    DailyLimitExceeded,
    InsufficientFunds,
    NotReversible,
    OverTransferMax,
)
from ledger.models import to_micros
from tests.conftest import FakeClock

ISSUANCE_ACTOR = 900  # the admin who credits and debits in these stories


@pytest.fixture
def database_url(fresh_database_url: str) -> str:
    """A migrated database of the test's own, cloned (see tests/ledger/conftest.py)."""
    return fresh_database_url


_RAW_INSERT = """
INSERT INTO transfers (ref, idempotency_key, kind, debit_account_id, credit_account_id, amount,
                       currency, state, memo, actor_id, created_at, expires_at, reverses_id)
VALUES (:ref, :key, :kind, :debit, :credit, :amount, 'USD', :state, '', NULL, :now, :expires,
        :reverses)
RETURNING id"""


async def raw_insert(
    ledger: Ledger,
    debit: int,
    credit: int,
    amount: int,
    *,
    key: str,
    kind: str = "payment",
    state: str = "posted",
    expires_in: timedelta | None = None,
    reverses: int | None = None,
) -> list[Any]:
    now = ledger.clock()
    return await ledger.db.write_one(
        _RAW_INSERT,
        {
            "ref": key.upper()[:16],
            "key": key,
            "kind": kind,
            "debit": debit,
            "credit": credit,
            "amount": amount,
            "state": state,
            "now": to_micros(now),
            "expires": None if expires_in is None else to_micros(now + expires_in),
            "reverses": reverses,
        },
    )


async def refused(ledger: Ledger, sql: str, params: dict[str, Any], reason: str) -> None:
    """Run raw SQL; the database must refuse it, naming ``reason``, and change nothing."""
    before = await snapshot(ledger)
    with pytest.raises(Exception) as raised:  # a driver error: sqlite3 or asyncpg
        await ledger.db.write_one(sql, params)
    assert reason in str(raised.value)
    assert await snapshot(ledger) == before


async def snapshot(ledger: Ledger) -> tuple[Any, ...]:
    """Everything a refused write must leave as it was: the account rows and, on PostgreSQL
    where credits go there instead, every credit shard (migration 0003)."""
    accounts = await ledger.db.read_one(
        "SELECT id, status, debits_posted, credits_posted, debits_pending, credits_pending, "
        "day_sent FROM accounts ORDER BY id",
        {},
    )
    shards = await ledger.db.read_one(
        "SELECT account_id, shard, credits_posted, credits_pending FROM account_credits "
        "ORDER BY account_id, shard",
        {},
    )
    transfers = await ledger.db.read_one(
        "SELECT id, state, amount, memo, resolved_at FROM transfers ORDER BY id", {}
    )
    audit = await ledger.db.read_one("SELECT COUNT(*), MAX(id) FROM audit_log", {})
    return (
        tuple(map(tuple, accounts)),
        tuple(map(tuple, shards)),
        tuple(map(tuple, transfers)),
        tuple(audit[0]),
    )


async def people(ledger: Ledger, funds: int = 10_000) -> tuple[int, int, int]:
    """Alice (funded), Bob and Carol (empty)."""
    alice, bob, carol = [await ledger.open_account(owner) for owner in (1, 2, 3)]
    await ledger.transfer(ledger.issuance_account_id, alice, funds, key="fund-alice", kind="credit")
    return alice, bob, carol


# --- overdraft, immutability, one resolution ---------------------------------------------


async def test_an_insert_that_would_overdraw_is_refused_by_the_database(ledger: Ledger) -> None:
    alice, bob, _ = await people(ledger, funds=1_000)
    await refused(
        ledger, _RAW_INSERT, raw_params(ledger, alice, bob, 1_001, "raw-over"), "no_overdraft"
    )
    pending = raw_params(ledger, alice, bob, 1_001, "raw-over-hold", state="pending")
    await refused(ledger, _RAW_INSERT, pending, "no_overdraft")
    # Exactly the whole balance is fine; one more minor unit after it is not.
    assert await raw_insert(ledger, alice, bob, 1_000, key="raw-all")
    await refused(ledger, _RAW_INSERT, raw_params(ledger, alice, bob, 1, "raw-1"), "no_overdraft")
    with pytest.raises(InsufficientFunds) as api:
        await ledger.transfer(alice, bob, 1, key="api-1")
    assert (api.value.available, api.value.amount) == (0, 1)
    assert (await ledger.verify()).ok


def raw_params(
    ledger: Ledger, debit: int, credit: int, amount: int, key: str, *, state: str = "posted"
) -> dict[str, Any]:
    now = ledger.clock()
    return {
        "ref": key.upper()[:16],
        "key": key,
        "kind": "payment",
        "debit": debit,
        "credit": credit,
        "amount": amount,
        "state": state,
        "now": to_micros(now),
        "expires": to_micros(now + timedelta(minutes=5)) if state == "pending" else None,
        "reverses": None,
    }


async def test_a_written_transfer_cannot_be_edited(ledger: Ledger) -> None:
    alice, bob, carol = await people(ledger)
    paid = await ledger.transfer(alice, bob, 500, key="pay", memo="lunch")
    held = await ledger.create_pending(alice, bob, 300, key="hold", expires_in=timedelta(minutes=5))
    update = "UPDATE transfers SET {change} WHERE ref = :ref"
    for change in ("amount = 1", "memo = 'dinner'", f"credit_account_id = {carol}"):
        await refused(ledger, update.format(change=change), {"ref": paid.ref}, "already_resolved")
    # A pending transfer may change only by resolving, and then only its resolution fields.
    for change in ("amount = 1", "memo = 'dinner'", f"credit_account_id = {carol}"):
        await refused(ledger, update.format(change=change), {"ref": held.ref}, "immutable")
    await refused(ledger, update.format(change="resolved_by = 7"), {"ref": held.ref}, "bad_state")
    now = to_micros(ledger.clock())
    sneaky = f"state = 'posted', resolved_at = {now}, amount = 1"
    await refused(ledger, update.format(change=sneaky), {"ref": held.ref}, "immutable")
    assert (await ledger.get_transfer(held.ref)).amount == 300
    assert (await ledger.verify()).ok


async def test_a_pending_transfer_resolves_once_even_in_raw_sql(ledger: Ledger) -> None:
    alice, bob, _ = await people(ledger)
    held = await ledger.create_pending(alice, bob, 700, key="hold", expires_in=timedelta(minutes=5))
    resolve = "UPDATE transfers SET state = :state, resolved_at = :now WHERE ref = :ref"
    now = to_micros(ledger.clock())
    assert await ledger.db.write_one(
        resolve + " RETURNING id", {"state": "posted", "now": now, "ref": held.ref}
    )
    for state in ("voided", "posted", "expired", "pending"):
        await refused(
            ledger, resolve, {"state": state, "now": now, "ref": held.ref}, "already_resolved"
        )
    accounts = await ledger.accounts([alice, bob])
    assert (accounts[alice].available, accounts[alice].on_hold) == (9_300, 0)
    assert (accounts[bob].available, accounts[bob].credits_pending) == (700, 0)
    with pytest.raises(AlreadyResolved) as api:
        await ledger.void(held.ref, key="void-late")
    assert api.value.state == "posted"
    assert (await ledger.verify()).ok


async def test_posting_at_or_after_expiry_is_refused(ledger: Ledger, clock: FakeClock) -> None:
    alice, bob, _ = await people(ledger)
    held = await ledger.create_pending(alice, bob, 700, key="hold", expires_in=timedelta(minutes=5))
    resolve = "UPDATE transfers SET state = :state, resolved_at = :at WHERE ref = :ref"
    expires = to_micros(held.expires_at)  # type: ignore[arg-type]
    # Expiring early is refused as well: the hold is the sender's promise until expires_at.
    await refused(
        ledger, resolve, {"state": "expired", "at": expires - 1, "ref": held.ref}, "not_expired"
    )
    for late in (expires, expires + 1, expires + 86_400_000_000):
        await refused(
            ledger, resolve, {"state": "posted", "at": late, "ref": held.ref}, "hold_expired"
        )
    clock.advance(minutes=5)
    with pytest.raises(AlreadyResolved) as api:
        await ledger.post(held.ref, key="too-late")
    assert api.value.state == "expired"
    accounts = await ledger.accounts([alice, bob])
    assert (accounts[alice].available, accounts[alice].on_hold, accounts[bob].available) == (
        10_000,
        0,
        0,
    )
    assert (await ledger.verify()).ok


async def test_transfers_and_audit_rows_are_never_deleted_or_rewritten(ledger: Ledger) -> None:
    alice, bob, _ = await people(ledger)
    paid = await ledger.transfer(alice, bob, 500, key="pay")
    await refused(
        ledger, "DELETE FROM transfers WHERE ref = :ref", {"ref": paid.ref}, "append_only"
    )
    await refused(ledger, "DELETE FROM transfers", {}, "append_only")
    await refused(ledger, "UPDATE audit_log SET reason = 'nothing happened'", {}, "append_only")
    await refused(ledger, "UPDATE audit_log SET amount = 1 WHERE amount = 500", {}, "append_only")
    await refused(ledger, "DELETE FROM audit_log", {}, "append_only")
    if not ledger.db.is_sqlite:
        await refused(ledger, "TRUNCATE transfers CASCADE", {}, "append_only")
        await refused(ledger, "TRUNCATE audit_log", {}, "append_only")


# --- frozen accounts -----------------------------------------------------------------------


async def test_a_frozen_account_neither_sends_nor_receives(ledger: Ledger) -> None:
    alice, bob, carol = await people(ledger)
    await ledger.transfer(alice, bob, 2_000, key="pay-bob")
    hold_to_bob = await ledger.create_pending(
        alice, bob, 300, key="hold-to", expires_in=timedelta(minutes=5)
    )
    hold_from_bob = await ledger.create_pending(
        bob, carol, 400, key="hold-from", expires_in=timedelta(minutes=5)
    )
    frozen = await ledger.freeze(bob, actor=ISSUANCE_ACTOR, reason="fraud report")
    assert frozen.changed
    assert {t.ref for t in frozen.voided} == {hold_to_bob.ref, hold_from_bob.ref}
    assert {t.state for t in frozen.voided} == {"voided"}

    for debit, credit in ((alice, bob), (bob, carol)):
        for state in ("posted", "pending"):
            params = raw_params(
                ledger, debit, credit, 100, f"raw-{debit}-{credit}-{state}", state=state
            )
            await refused(ledger, _RAW_INSERT, params, "frozen")
    with pytest.raises(AccountFrozen) as to_bob:
        await ledger.transfer(alice, bob, 100, key="api-to-bob")
    assert (to_bob.value.side, to_bob.value.account_id) == ("recipient", bob)
    with pytest.raises(AccountFrozen) as from_bob:
        await ledger.create_pending(
            bob, carol, 100, key="api-from", expires_in=timedelta(minutes=1)
        )
    assert (from_bob.value.side, from_bob.value.account_id) == ("sender", bob)

    accounts = await ledger.accounts([alice, bob, carol])
    assert accounts[bob].frozen and (accounts[bob].available, accounts[bob].on_hold) == (2_000, 0)
    assert accounts[alice].available == 8_000 and accounts[carol].available == 0

    assert (await ledger.unfreeze(bob, actor=ISSUANCE_ACTOR, reason="cleared")).changed
    assert (await ledger.transfer(bob, carol, 100, key="after")).state == "posted"
    assert (await ledger.verify()).ok


async def test_a_hold_cannot_be_posted_once_a_side_is_frozen_but_can_be_voided(
    ledger: Ledger,
) -> None:
    alice, bob, _ = await people(ledger)
    held = await ledger.create_pending(alice, bob, 300, key="hold", expires_in=timedelta(minutes=5))
    # Freeze bob behind the API's back: the trigger, not freeze(), must stop the post.
    await ledger.db.write_one("UPDATE accounts SET status = 'frozen' WHERE id = :id", {"id": bob})
    now = to_micros(ledger.clock())
    post = "UPDATE transfers SET state = 'posted', resolved_at = :now WHERE ref = :ref"
    await refused(ledger, post, {"now": now, "ref": held.ref}, "frozen")
    with pytest.raises(AccountFrozen) as api:
        await ledger.post(held.ref, key="press")
    assert api.value.side == "recipient"
    voided = await ledger.void(held.ref, key="cancel")
    assert voided.state == "voided"
    assert (await ledger.account(alice)).available == 10_000
    assert (await ledger.verify()).ok


# --- the audit log -------------------------------------------------------------------------


async def test_every_admin_action_is_on_the_record(ledger: Ledger) -> None:
    alice, bob, _ = await people(ledger)
    paid = await ledger.transfer(alice, bob, 1_000, key="pay", memo="rent")
    await ledger.transfer(
        ledger.issuance_account_id,
        bob,
        250,
        key="credit",
        kind="credit",
        memo="goodwill",
        actor=ISSUANCE_ACTOR,
    )
    await ledger.transfer(
        bob, ledger.issuance_account_id, 50, key="debit", kind="debit", memo="fee", actor=901
    )
    reversal = await ledger.reverse(paid.ref, key="undo", actor=902, reason="sent by mistake")
    await ledger.freeze(bob, actor=903, reason="chargeback")
    await ledger.unfreeze(bob, actor=904, reason="resolved")
    await ledger.set_limits(actor=905, reason="holiday", max_transfer=5_000, daily_limit=20_000)

    records = await ledger.audit_log(limit=6)
    assert [(r.action, r.actor_id, r.admin) for r in records] == [
        ("limits", 905, True),
        ("unfreeze", 904, True),
        ("freeze", 903, True),
        ("reversal.posted", 902, True),
        ("debit.posted", 901, True),
        ("credit.posted", ISSUANCE_ACTOR, True),
    ]
    by_action = {r.action: r for r in records}
    assert "holiday" in by_action["limits"].reason and "5000" in by_action["limits"].reason
    assert (by_action["unfreeze"].owner_id, by_action["unfreeze"].reason) == (2, "resolved")
    assert (by_action["freeze"].owner_id, by_action["freeze"].reason) == (2, "chargeback")
    assert by_action["reversal.posted"].transfer_ref == reversal.ref
    assert (by_action["reversal.posted"].amount, by_action["reversal.posted"].owner_id) == (
        1_000,
        2,
    )
    assert (by_action["debit.posted"].amount, by_action["debit.posted"].reason) == (50, "fee")
    assert (by_action["credit.posted"].amount, by_action["credit.posted"].owner_id) == (250, 2)

    # Money movements that are not admin actions are on the record too, just not in the admin view.
    everything = await ledger.audit_log(limit=50, admin_only=False)
    assert ("payment.posted", paid.ref) in {(r.action, r.transfer_ref) for r in everything}
    # A freeze that changes nothing is not an action.
    assert not (await ledger.unfreeze(bob, actor=906)).changed
    assert (await ledger.audit_log(limit=1))[0].action == "limits"


async def test_the_audit_row_is_written_in_the_same_transaction(ledger: Ledger) -> None:
    """If the audit row cannot be written, the action does not happen either."""
    alice, bob, _ = await people(ledger)
    paid = await ledger.transfer(alice, bob, 1_000, key="pay")
    held = await ledger.create_pending(alice, bob, 100, key="hold", expires_in=timedelta(minutes=5))
    await block_audit(ledger)
    before = await snapshot(ledger)
    issuance = ledger.issuance_account_id
    attempts = [
        lambda: ledger.transfer(issuance, bob, 250, key="credit", kind="credit", actor=1),
        lambda: ledger.transfer(bob, issuance, 50, key="debit", kind="debit", actor=1),
        lambda: ledger.transfer(alice, bob, 10, key="payment"),
        lambda: ledger.reverse(paid.ref, key="undo", actor=1),
        lambda: ledger.post(held.ref, key="post"),
        lambda: ledger.void(held.ref, key="void"),
        lambda: ledger.freeze(bob, actor=1, reason="x"),
        lambda: ledger.set_limits(actor=1, max_transfer=1),
    ]
    for attempt in attempts:
        with pytest.raises(Exception, match="audit blocked"):
            await attempt()
        assert await snapshot(ledger) == before
    assert (await ledger.limits(fresh=True)).max_transfer != 1
    assert (await ledger.get_transfer(held.ref)).state == "pending"


async def block_audit(ledger: Ledger) -> None:
    """Make every audit insert fail, with a trigger of the test's own."""
    if ledger.db.is_sqlite:
        statements = [
            "CREATE TRIGGER test_block_audit BEFORE INSERT ON audit_log "
            "BEGIN SELECT RAISE(ABORT, 'audit blocked'); END"
        ]
    else:
        statements = [
            "CREATE FUNCTION test_block_audit() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'audit blocked'; END $$",
            "CREATE TRIGGER test_block_audit BEFORE INSERT ON audit_log "
            "FOR EACH ROW EXECUTE FUNCTION test_block_audit()",
        ]

    async def create(conn: AsyncConnection) -> None:
        for statement in statements:
            await conn.exec_driver_sql(statement)

    await ledger.db.transaction(create)


# --- limits --------------------------------------------------------------------------------


async def test_the_per_transfer_maximum_holds_for_payments(ledger: Ledger) -> None:
    alice, bob, _ = await people(ledger, funds=100_000)
    await ledger.set_limits(actor=ISSUANCE_ACTOR, max_transfer=5_000)
    assert (await ledger.transfer(alice, bob, 5_000, key="at-max")).state == "posted"
    with pytest.raises(OverTransferMax) as over:
        await ledger.transfer(alice, bob, 5_001, key="over")
    assert over.value.maximum == 5_000
    with pytest.raises(OverTransferMax):
        await ledger.create_pending(alice, bob, 5_001, key="over-hold", expires_in=timedelta(1))
    await refused(ledger, _RAW_INSERT, raw_params(ledger, alice, bob, 5_001, "raw"), "over_max")
    # An admin credit is not a payment: the maximum is for what people send each other.
    credit = await ledger.transfer(
        ledger.issuance_account_id, bob, 50_000, key="big-credit", kind="credit"
    )
    assert credit.state == "posted"
    assert (await ledger.verify()).ok


async def test_the_daily_limit_holds_and_is_released_by_void_and_expiry(
    ledger: Ledger, clock: FakeClock
) -> None:
    alice, bob, _ = await people(ledger, funds=100_000)
    await ledger.set_limits(actor=ISSUANCE_ACTOR, max_transfer=5_000, daily_limit=10_000)
    await ledger.transfer(alice, bob, 4_000, key="a")
    held = await ledger.create_pending(alice, bob, 5_000, key="b", expires_in=timedelta(minutes=5))
    assert await ledger.sent_today(alice) == 9_000
    with pytest.raises(DailyLimitExceeded) as over:
        await ledger.transfer(alice, bob, 1_001, key="c")
    assert (over.value.limit, over.value.remaining) == (10_000, 1_000)
    await refused(ledger, _RAW_INSERT, raw_params(ledger, alice, bob, 1_001, "raw"), "daily_limit")

    await ledger.void(held.ref, key="void-b")  # the hold no longer counts
    assert await ledger.sent_today(alice) == 4_000
    held = await ledger.create_pending(alice, bob, 5_000, key="d", expires_in=timedelta(minutes=5))
    clock.advance(minutes=5)
    assert [t.ref for t in await ledger.expire_overdue()] == [held.ref]
    assert await ledger.sent_today(alice) == 4_000  # the expired hold no longer counts

    posted = await ledger.create_pending(alice, bob, 5_000, key="e", expires_in=timedelta(1))
    await ledger.post(posted.ref, key="post-e")
    assert await ledger.sent_today(alice) == 9_000  # a posted hold still counts
    with pytest.raises(DailyLimitExceeded):
        await ledger.transfer(alice, bob, 1_001, key="f")
    clock.advance(days=1)  # a new day, a new allowance
    assert await ledger.sent_today(alice) == 0
    assert (await ledger.transfer(alice, bob, 5_000, key="g")).state == "posted"
    assert (await ledger.verify()).ok


async def test_the_daily_limit_holds_under_twenty_concurrent_sends(ledger: Ledger) -> None:
    alice, bob, _ = await people(ledger, funds=100_000)
    await ledger.set_limits(actor=ISSUANCE_ACTOR, max_transfer=5_000, daily_limit=7_000)

    async def send(i: int) -> str:
        try:
            if i % 2:
                await ledger.transfer(alice, bob, 1_000, key=f"send-{i}")
            else:
                await ledger.create_pending(
                    alice, bob, 1_000, key=f"send-{i}", expires_in=timedelta(minutes=5)
                )
        except DailyLimitExceeded:
            return "refused"
        return "sent"

    outcomes = await asyncio.gather(*(send(i) for i in range(20)))
    assert outcomes.count("sent") == 7 and outcomes.count("refused") == 13
    assert await ledger.sent_today(alice) == 7_000
    assert 100_000 - (await ledger.account(alice)).available == 7_000
    assert (await ledger.verify()).ok


# --- reversal ------------------------------------------------------------------------------


async def test_a_transfer_is_reversed_at_most_once(ledger: Ledger) -> None:
    alice, bob, _ = await people(ledger)
    paid = await ledger.transfer(alice, bob, 1_000, key="pay")

    async def reverse(i: int) -> str:
        try:
            return (await ledger.reverse(paid.ref, key=f"undo-{i}", actor=ISSUANCE_ACTOR)).ref
        except AlreadyReversed as error:
            return f"already:{error.reversal_ref}"

    outcomes = await asyncio.gather(*(reverse(i) for i in range(10)))
    winners = [o for o in outcomes if not o.startswith("already:")]
    assert len(winners) == 1
    assert set(outcomes) - set(winners) == {f"already:{winners[0]}"}
    replay = await ledger.reverse(paid.ref, key=f"undo-{outcomes.index(winners[0])}")
    assert replay.replayed and replay.ref == winners[0]
    accounts = await ledger.accounts([alice, bob])
    assert (accounts[alice].available, accounts[bob].available) == (10_000, 0)

    reversal = await ledger.get_transfer(winners[0])
    assert reversal.reverses_id == paid.id
    assert (await ledger.reversal_of(paid.id)) == reversal
    # The database refuses a second reversal written by hand, and a reversal of a reversal.
    second = await ledger.transfer(alice, bob, 1, key="pay-2")
    await raw_insert(ledger, bob, alice, 1, key="raw-undo-2", kind="reversal", reverses=second.id)
    dup = {**raw_params(ledger, bob, alice, 1, "raw-undo-3"), "kind": "reversal"}
    await refused(ledger, _RAW_INSERT, {**dup, "reverses": second.id}, "reverses_id")
    mirror = {**raw_params(ledger, alice, bob, 1_000, "raw-undo-4"), "kind": "reversal"}
    await refused(ledger, _RAW_INSERT, {**mirror, "reverses": reversal.id}, "not_reversible")
    with pytest.raises(NotReversible):
        await ledger.reverse(reversal.ref, key="undo-the-undo")
    assert (await ledger.verify()).ok


async def test_reversal_is_refused_when_the_recipient_spent_the_money(ledger: Ledger) -> None:
    alice, bob, carol = await people(ledger)
    paid = await ledger.transfer(alice, bob, 1_000, key="pay")
    await ledger.transfer(bob, carol, 900, key="spend")
    before = await snapshot(ledger)
    with pytest.raises(InsufficientFunds) as refused_reversal:
        await ledger.reverse(paid.ref, key="undo", actor=ISSUANCE_ACTOR)
    assert (refused_reversal.value.available, refused_reversal.value.amount) == (100, 1_000)
    assert await snapshot(ledger) == before
    assert await ledger.reversal_of(paid.id) is None
    # Once the money is back, the same request goes through, once.
    await ledger.transfer(carol, bob, 900, key="give-back")
    assert (await ledger.reverse(paid.ref, key="undo", actor=ISSUANCE_ACTOR)).state == "posted"
    held = await ledger.create_pending(alice, bob, 10, key="hold", expires_in=timedelta(1))
    with pytest.raises(NotReversible):
        await ledger.reverse(held.ref, key="undo-hold")
    assert (await ledger.verify()).ok


# --- history -------------------------------------------------------------------------------


async def test_history_pages_through_an_accounts_transfers(ledger: Ledger) -> None:
    alice, bob, carol = await people(ledger)
    await ledger.transfer(alice, bob, 100, key="lunch", memo="lunch")
    await ledger.transfer(bob, alice, 50, key="change", memo="change")
    tickets = await ledger.create_pending(
        alice, carol, 200, key="tickets", expires_in=timedelta(minutes=5), memo="tickets"
    )
    await ledger.void(tickets.ref, key="void")
    await ledger.create_pending(
        alice, carol, 300, key="gift", expires_in=timedelta(minutes=5), memo="gift"
    )

    def rows(page: Any) -> list[tuple[Any, ...]]:
        return [
            (
                i.direction,
                i.counterparty_owner,
                i.transfer.amount,
                i.transfer.memo,
                i.transfer.state,
            )
            for i in page.items
        ]

    first = await ledger.history(alice, limit=2)
    assert rows(first) == [("out", 3, 300, "gift", "pending"), ("out", 3, 200, "tickets", "voided")]
    assert first.has_more and first.offset == 0
    second = await ledger.history(alice, limit=2, offset=2)
    assert rows(second) == [("in", 2, 50, "change", "posted"), ("out", 2, 100, "lunch", "posted")]
    assert second.has_more
    last = await ledger.history(alice, limit=2, offset=4)
    assert rows(last) == [("in", None, 10_000, "", "posted")]  # the credit, from the system
    assert not last.has_more
    assert last.items[0].counterparty_account_id == ledger.issuance_account_id
    bobs = await ledger.history(bob, limit=10)
    assert rows(bobs) == [("out", 1, 50, "change", "posted"), ("in", 1, 100, "lunch", "posted")]
    assert not bobs.has_more
