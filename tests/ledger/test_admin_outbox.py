"""An operator's credit, debit and reversal write the notices they owe as outbox rows in the
statement that moves the money (migration 0012), on SQLite and PostgreSQL: the service's
outcome carries them; a replay of the same key carries none while the first delivery's claim
is fresh; a movement no operator made (no actor) or one refused owes nobody anything."""

from __future__ import annotations

import pytest

from ledger import Ledger
from ledger.errors import InsufficientFunds
from ledger.outbox import LEASE
from ledger.payments import Payments
from tests.conftest import FakeClock

ALICE, BOB, ADMIN = 101, 102, 900


async def rows(ledger: Ledger) -> list[tuple[str, int, str, bool]]:
    found = await ledger.db.read_one(
        "SELECT event_key, recipient_id, kind, sent_at IS NOT NULL FROM outbox ORDER BY id", {}
    )
    return [(r[0], r[1], r[2], bool(r[3])) for r in found]


async def test_a_credit_owes_its_person_one_notice_written_with_it(ledger: Ledger) -> None:
    payments = Payments(ledger)
    moved = await payments.credit(ADMIN, ALICE, 5_000, "float", key="admin:1")

    key = f"admin:{moved.transfer.id}:credited"
    assert [(m.event_key, m.recipient_id, m.kind) for m in moved.messages] == [
        (key, ALICE, "credited")
    ]
    assert moved.messages[0].transfer_id == moved.transfer.id
    assert await rows(ledger) == [(key, ALICE, "credited", False)]

    again = await payments.credit(ADMIN, ALICE, 5_000, "float", key="admin:1")
    assert again.transfer.replayed and again.messages == []  # its first delivery runs
    await payments.delivered(moved.messages)
    assert await rows(ledger) == [(key, ALICE, "credited", True)]
    assert (await ledger.account(await ledger.open_account(ALICE))).available == 5_000


async def test_a_replay_takes_over_a_notice_abandoned_past_the_lease(
    ledger: Ledger, clock: FakeClock
) -> None:
    payments = Payments(ledger)
    await payments.credit(ADMIN, ALICE, 5_000, "float", key="admin:1")  # then a crash
    clock.advance(LEASE.total_seconds() + 1)

    again = await payments.credit(ADMIN, ALICE, 5_000, "float", key="admin:1")
    assert [m.kind for m in again.messages] == ["credited"]
    third = await payments.credit(ADMIN, ALICE, 5_000, "float", key="admin:1")
    assert third.messages == []  # claimed now by the replay: nobody else takes it meanwhile
    assert (await ledger.account(await ledger.open_account(ALICE))).available == 5_000


async def test_a_debit_and_a_reversal_tell_the_people_concerned(ledger: Ledger) -> None:
    payments = Payments(ledger)
    await payments.delivered((await payments.credit(ADMIN, ALICE, 5_000, "", key="f")).messages)
    paid = await ledger.transfer(
        await ledger.open_account(ALICE), await ledger.open_account(BOB), 1_000, key="pay"
    )
    debit = await payments.debit(ADMIN, ALICE, 500, "fee", key="admin:2")
    reversal = await payments.reverse(ADMIN, paid.ref, "takeover", key="admin:3")

    assert [(m.recipient_id, m.kind) for m in debit.messages] == [(ALICE, "debited")]
    assert [(m.recipient_id, m.kind) for m in reversal.messages] == [
        (BOB, "reversed_taken"),
        (ALICE, "reversed_back"),
    ]
    assert {m.transfer_id for m in reversal.messages} == {reversal.transfer.id}


async def test_a_refused_or_unattributed_movement_owes_nobody(ledger: Ledger) -> None:
    payments = Payments(ledger)
    with pytest.raises(InsufficientFunds):
        await payments.debit(ADMIN, ALICE, 500, "fee", key="admin:1")
    await ledger.transfer(  # the ledger's own funding, no operator: no notice
        ledger.issuance_account_id, await ledger.open_account(BOB), 100, key="t", kind="credit"
    )
    assert await rows(ledger) == []
