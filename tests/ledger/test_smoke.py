"""Alice is credited, pays Bob through a hold, and the books balance on both databases."""

from datetime import timedelta

import pytest

from ledger import Ledger
from ledger.errors import AlreadyResolved, AmountTooLarge, InsufficientFunds


async def test_credit_hold_post_and_verify(ledger: Ledger) -> None:
    alice, bob = await ledger.open_account(1), await ledger.open_account(2)
    await ledger.transfer(ledger.issuance_account_id, alice, 5_000, key="top-up", kind="credit")

    hold = await ledger.create_pending(
        alice, bob, 1_250, key="send-1", expires_in=timedelta(minutes=5), memo="lunch"
    )
    assert (await ledger.account(alice)).available == 3_750
    assert (await ledger.account(alice)).on_hold == 1_250

    posted = await ledger.post(hold.ref, key="press-1")
    assert posted.state == "posted"
    with pytest.raises(AlreadyResolved) as late:
        await ledger.post(hold.ref, key="press-2")
    assert late.value.state == "posted"

    accounts = await ledger.accounts([alice, bob])
    assert (accounts[alice].available, accounts[bob].available) == (3_750, 1_250)
    with pytest.raises(InsufficientFunds) as refused:
        await ledger.transfer(bob, alice, 1_251, key="too-much")
    assert refused.value.available == 1_250
    assert (await ledger.verify()).ok


async def test_a_retyped_lower_case_reference_finds_the_hold(ledger: Ledger) -> None:
    alice, bob = await ledger.open_account(1), await ledger.open_account(2)
    await ledger.transfer(ledger.issuance_account_id, alice, 500, key="top-up", kind="credit")
    hold = await ledger.create_pending(alice, bob, 100, key="h", expires_in=timedelta(minutes=1))
    voided = await ledger.void(f" {hold.ref.lower()} ")
    assert (voided.ref, voided.state) == (hold.ref, "voided")
    assert (await ledger.account(alice)).available == 500


async def test_an_amount_beyond_the_database_integer_is_a_typed_refusal(ledger: Ledger) -> None:
    alice = await ledger.open_account(1)
    with pytest.raises(AmountTooLarge):
        await ledger.transfer(ledger.issuance_account_id, alice, 2**63, key="huge", kind="credit")
    assert (await ledger.account(alice)).available == 0
    assert (await ledger.verify()).transfers_checked == 0
