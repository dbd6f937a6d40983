"""A reversal names the transfer it reverses by id; that transfer is found again by its id."""

from datetime import timedelta

import pytest

from ledger import Ledger
from ledger.errors import TransferNotFound


async def test_a_reversed_transfer_is_found_from_its_reversal(ledger: Ledger) -> None:
    alice, bob = await ledger.open_account(1), await ledger.open_account(2)
    await ledger.transfer(ledger.issuance_account_id, alice, 5_000, key="top-up", kind="credit")
    paid = await ledger.transfer(alice, bob, 1_250, key="lunch", memo="lunch", actor=1)
    reversal = await ledger.reverse(paid.ref, key="undo", actor=99, reason="fraud")

    assert reversal.reverses_id == paid.id
    original = await ledger.transfer_by_id(reversal.reverses_id)
    assert (original.ref, original.amount, original.debit_owner, original.credit_owner) == (
        paid.ref,
        1_250,
        1,
        2,
    )
    with pytest.raises(TransferNotFound):
        await ledger.transfer_by_id(paid.id + 1_000)


async def test_a_transfer_is_found_by_its_idempotency_key(ledger: Ledger) -> None:
    alice, bob = await ledger.open_account(1), await ledger.open_account(2)
    await ledger.transfer(ledger.issuance_account_id, alice, 5_000, key="top-up", kind="credit")
    held = await ledger.create_pending(
        alice, bob, 700, key="request:R1", expires_in=timedelta(minutes=5), actor=1
    )

    found = await ledger.transfer_by_key("request:R1")
    assert found is not None
    assert (found.ref, found.state, found.debit_owner, found.credit_owner) == (
        held.ref,
        "pending",
        1,
        2,
    )
    assert await ledger.transfer_by_key("request:R2") is None
