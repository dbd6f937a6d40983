"""Money in and out with no Telegram: the payments service's top-ups (emulated card and
Telegram Payments), payouts settling and returning, refunds, on both databases."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ledger import Ledger
from ledger.errors import AccountFrozen, AlreadyReversed, InsufficientFunds, NotYours
from ledger.models import to_micros
from ledger.payments.cards_processor import CardRefused
from ledger.payments.funding import (
    CardDeclined,
    FundingClosed,
    FundingLimit,
    FundingLimits,
    FundingNotFound,
    Fundings,
    NoCard,
    RefundSpent,
)
from tests.conftest import FakeClock

ALICE, BOB = 101, 102
GOOD = "4242 4242 4242 4242"


@pytest.fixture
def fundings(ledger: Ledger) -> Fundings:
    return Fundings(
        ledger,
        settle_after=timedelta(seconds=10),
        default_limits=FundingLimits(topup_daily=50_000, payout_daily=20_000),
    )


async def balance(ledger: Ledger, user: int) -> tuple[int, int]:
    account = await ledger.account(await ledger.open_account(user))
    return account.available, account.on_hold


async def books_hold(ledger: Ledger, fundings: Fundings) -> None:
    """verify() holds, and issued + topped up - paid out - refunded = users' money."""
    report = await ledger.verify()
    assert report.ok, report.summary()
    flows = await fundings.flows()
    rows = await ledger.db.read_one(
        "SELECT COALESCE(SUM(amount), 0) FROM transfers WHERE state = 'posted' "
        "AND debit_account_id = :i",
        {"i": ledger.issuance_account_id},
    )
    issued = int(rows[0][0])
    users = await ledger.db.read_one("SELECT id FROM accounts WHERE kind = 'user'", {})
    total = 0
    for (account_id,) in users:
        account = await ledger.account(account_id)
        total += account.available + account.on_hold
    assert issued + flows["topped_up"] - flows["paid_out"] - flows["refunded"] == total
    books = await fundings.books()
    assert books.balanced and books.users == total and books.issued == issued


async def test_a_card_is_kept_as_last_four_and_a_token_never_the_number(
    ledger: Ledger, fundings: Fundings
) -> None:
    card = await fundings.link_card(ALICE, GOOD, "12/29")
    assert (card.last4, card.exp_month, card.exp_year) == ("4242", 12, 2029)
    rows = await ledger.db.read_one("SELECT * FROM payment_cards", {})
    assert "4242424242424242" not in repr(rows)
    assert (await fundings.card_of(ALICE)) == card
    linked = (await ledger.audit_log(admin_only=False))[0]
    assert (linked.action, linked.actor_id, linked.reason) == (
        "card.linked",
        ALICE,
        "Visa •••• 4242 12/2029",
    )
    again = await fundings.link_card(ALICE, "4000 0566 5566 5556", "01/30")  # replaces it
    assert (await fundings.card_of(ALICE)) == again


@pytest.mark.parametrize(
    ("number", "expiry", "reason"),
    [
        ("4242 4242 4242 4241", "12/29", "number_invalid"),  # Luhn fails
        ("4242", "12/29", "number_invalid"),
        ("4111 1111 1111 1111", "12/29", "not_test_card"),  # valid, but not a test card
        (GOOD, "13/29", "expiry_invalid"),
        (GOOD, "10/26", "expired"),  # the clock says November 2026
    ],
)
async def test_a_bad_card_is_refused_and_nothing_is_kept(
    ledger: Ledger, fundings: Fundings, number: str, expiry: str, reason: str
) -> None:
    with pytest.raises(CardRefused) as refused:
        await fundings.link_card(ALICE, number, expiry)
    assert refused.value.reason == reason
    assert await fundings.card_of(ALICE) is None
    assert await ledger.db.read_one("SELECT COUNT(*) FROM payment_cards", {}) == [(0,)]


async def test_alice_tops_up_by_card_and_confirm_twice_credits_once(
    ledger: Ledger, fundings: Fundings
) -> None:
    with pytest.raises(NoCard):
        await fundings.propose_topup(ALICE, 5_000)
    await fundings.link_card(ALICE, GOOD, "12/29")
    proposed = await fundings.propose_topup(ALICE, 5_000)
    assert await balance(ledger, ALICE) == (0, 0)  # nothing charged before Confirm
    with pytest.raises(NotYours):
        await fundings.confirm_topup(proposed.token, BOB)
    first = await fundings.confirm_topup(proposed.token, ALICE)
    again = await fundings.confirm_topup(proposed.token, ALICE)
    assert (first.already, again.already) == (False, True)
    assert first.transfer.id == again.transfer.id and first.transfer.kind == "topup"
    assert [m.kind for m in first.messages] == ["topup_credited"] and again.messages == []
    assert await balance(ledger, ALICE) == (5_000, 0)
    await books_hold(ledger, fundings)


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("4000 0000 0000 9995", "insufficient_funds"),
        ("4000 0000 0000 0069", "expired_card"),
        ("4000 0000 0000 0002", "card_declined"),
    ],
)
async def test_a_declining_card_credits_nothing(
    ledger: Ledger, fundings: Fundings, number: str, reason: str
) -> None:
    await fundings.link_card(ALICE, number, "12/29")
    proposed = await fundings.propose_topup(ALICE, 5_000)
    with pytest.raises(CardDeclined) as declined:
        await fundings.confirm_topup(proposed.token, ALICE)
    assert declined.value.reason == reason
    with pytest.raises(FundingClosed):
        await fundings.confirm_topup(proposed.token, ALICE)
    assert await balance(ledger, ALICE) == (0, 0)
    assert (await ledger.verify()).transfers_checked == 0


async def test_the_daily_top_up_limit_is_kept_in_the_database(
    ledger: Ledger, fundings: Fundings, clock: FakeClock
) -> None:
    await fundings.link_card(ALICE, GOOD, "12/29")
    done = await fundings.propose_topup(ALICE, 40_000)
    await fundings.confirm_topup(done.token, ALICE)
    with pytest.raises(FundingLimit) as over:
        await fundings.propose_topup(ALICE, 20_000)
    assert (over.value.limit, over.value.remaining) == (50_000, 10_000)
    await fundings.set_limits(1, topup_daily=100_000)
    # Another service over the same database (another worker) reads the new limit.
    other = Fundings(ledger, default_limits=FundingLimits(1, 1))
    assert (await other.limits()).topup_daily == 100_000
    await other.propose_topup(ALICE, 20_000)
    clock.advance(days=1)
    await fundings.set_limits(1, topup_daily=50_000)
    await fundings.propose_topup(ALICE, 50_000)  # a new day


async def test_a_frozen_account_cannot_top_up(ledger: Ledger, fundings: Fundings) -> None:
    await fundings.link_card(ALICE, GOOD, "12/29")
    proposed = await fundings.propose_topup(ALICE, 1_000)
    await ledger.freeze(await ledger.open_account(ALICE), actor=1, reason="test")
    with pytest.raises(AccountFrozen):
        await fundings.confirm_topup(proposed.token, ALICE)
    with pytest.raises(AccountFrozen):
        await fundings.propose_topup(ALICE, 1_000)
    assert await balance(ledger, ALICE) == (0, 0)


# --- Telegram Payments ----------------------------------------------------------------


async def test_telegram_payment_checks_and_credits_once_per_charge(
    ledger: Ledger, fundings: Fundings
) -> None:
    invoice = await fundings.propose_invoice(ALICE, 2_500)
    await fundings.pre_checkout(invoice.token, ALICE, "USD", 2_500)  # yes
    with pytest.raises(NotYours):
        await fundings.pre_checkout(invoice.token, BOB, "USD", 2_500)
    with pytest.raises(FundingNotFound):
        await fundings.pre_checkout("made-up", ALICE, "USD", 2_500)
    with pytest.raises(FundingNotFound):
        await fundings.pre_checkout(invoice.token, ALICE, "USD", 2_499)
    paid = await fundings.telegram_paid(invoice.token, ALICE, "USD", 2_500, "ch_1", "pr_1")
    again = await fundings.telegram_paid(invoice.token, ALICE, "USD", 2_500, "ch_1", "pr_1")
    assert (paid.already, again.already) == (False, True)
    assert await balance(ledger, ALICE) == (2_500, 0)
    with pytest.raises(FundingClosed):  # the payload was paid
        await fundings.pre_checkout(invoice.token, ALICE, "USD", 2_500)
    await books_hold(ledger, fundings)


async def test_a_charge_recorded_before_a_crash_is_credited_by_the_sweep(
    ledger: Ledger, fundings: Fundings
) -> None:
    invoice = await fundings.propose_invoice(ALICE, 2_500)
    # The process stopped after recording the charge, before the credit.
    await ledger.db.write_one(
        "UPDATE fundings SET state = 'charging', charge_id = 'ch_9' WHERE token = :t",
        {"t": invoice.token},
    )
    done = await fundings.credit_recorded_charges()
    assert [d.transfer.amount for d in done] == [2_500]
    assert await fundings.credit_recorded_charges() == []
    assert await balance(ledger, ALICE) == (2_500, 0)


async def test_a_card_charge_a_crash_interrupted_is_credited_by_the_sweep_once(
    ledger: Ledger, fundings: Fundings, clock: FakeClock
) -> None:
    await fundings.link_card(ALICE, GOOD, "12/29")
    proposed = await fundings.propose_topup(ALICE, 3_000)
    # Confirm began the charge, and the process stopped before the credit.
    await ledger.db.write_one(
        "UPDATE fundings SET state = 'charging', resolved_at = :now WHERE token = :t",
        {"t": proposed.token, "now": to_micros(clock())},
    )
    assert await fundings.credit_recorded_charges() == []  # maybe still running: not yet
    clock.advance(seconds=31)
    done = await fundings.credit_recorded_charges()
    assert [(d.transfer.amount, [m.kind for m in d.messages]) for d in done] == [
        (3_000, ["topup_credited"])
    ]
    assert await fundings.credit_recorded_charges() == []
    assert (await fundings.confirm_topup(proposed.token, ALICE)).already
    assert await balance(ledger, ALICE) == (3_000, 0)


async def test_a_movement_a_crash_left_unrecorded_stands_when_confirm_is_pressed_again(
    ledger: Ledger, fundings: Fundings, clock: FakeClock
) -> None:
    """The process stopped between the money and the row that says so: the next press, even
    after the card's expiry and at the daily limit, answers with what was done."""
    await fundings.set_limits(1, topup_daily=5_000)
    await funded(ledger, ALICE, 10_000)
    await fundings.link_card(ALICE, GOOD, "12/29")
    topup = await fundings.propose_topup(ALICE, 5_000)
    payout = await fundings.propose_payout(ALICE, 2_000)
    await ledger.transfer(
        await fundings.settlement_account_id(),
        await ledger.open_account(ALICE),
        5_000,
        key=f"topup:{topup.token}",
        kind="topup",
    )
    await ledger.create_pending(
        await ledger.open_account(ALICE),
        await fundings.settlement_account_id(),
        2_000,
        key=f"payout:{payout.token}",
        kind="payout",
        expires_in=timedelta(days=7),
    )
    clock.advance(minutes=10)
    assert (await fundings.confirm_topup(topup.token, ALICE)).already
    assert (await fundings.confirm_payout(payout.token, ALICE)).already
    assert (await fundings.get(topup.token)).state == "paid"
    assert (await fundings.get(payout.token)).state == "held"
    assert await balance(ledger, ALICE) == (13_000, 2_000)


# --- payouts ---------------------------------------------------------------------------


async def funded(ledger: Ledger, user: int, amount: int) -> None:
    await ledger.transfer(
        ledger.issuance_account_id,
        await ledger.open_account(user),
        amount,
        key=f"fund:{user}:{amount}",
        kind="credit",
    )


async def test_a_payout_is_held_then_settles_once(
    ledger: Ledger, fundings: Fundings, clock: FakeClock
) -> None:
    await funded(ledger, ALICE, 10_000)
    await fundings.link_card(ALICE, GOOD, "12/29")
    proposed = await fundings.propose_payout(ALICE, 2_000)
    assert await balance(ledger, ALICE) == (10_000, 0)
    held = await fundings.confirm_payout(proposed.token, ALICE)
    assert (await fundings.confirm_payout(proposed.token, ALICE)).already
    assert await balance(ledger, ALICE) == (8_000, 2_000)
    assert (await fundings.settle_due()).transfers == []  # not yet
    clock.advance(seconds=10)
    settled = await fundings.settle_due()
    assert [(t.id, t.state) for t in settled.transfers] == [(held.transfer.id, "posted")]
    assert [m.kind for m in settled.messages] == ["payout_settled"]
    assert (await fundings.settle_due()).transfers == []
    assert await balance(ledger, ALICE) == (8_000, 0)
    await books_hold(ledger, fundings)


async def test_a_payout_to_a_card_that_cannot_receive_is_returned(
    ledger: Ledger, fundings: Fundings, clock: FakeClock
) -> None:
    await funded(ledger, ALICE, 10_000)
    await fundings.link_card(ALICE, "4000 0000 0000 0077", "12/29")
    held = await fundings.confirm_payout((await fundings.propose_payout(ALICE, 3_000)).token, ALICE)
    clock.advance(seconds=11)
    returned = await fundings.settle_due()
    assert [(t.id, t.state) for t in returned.transfers] == [(held.transfer.id, "voided")]
    assert [m.kind for m in returned.messages] == ["payout_returned"]
    assert await balance(ledger, ALICE) == (10_000, 0)
    await books_hold(ledger, fundings)


async def test_a_freeze_does_not_recall_a_payout_in_flight(
    ledger: Ledger, fundings: Fundings, clock: FakeClock
) -> None:
    """Once Confirm handed it to the processor, a payout settles even if the account is
    frozen meanwhile (the freeze releases payment holds only)."""
    await funded(ledger, ALICE, 10_000)
    await fundings.link_card(ALICE, GOOD, "12/29")
    await fundings.confirm_payout((await fundings.propose_payout(ALICE, 2_000)).token, ALICE)
    frozen = await ledger.freeze(await ledger.open_account(ALICE), actor=1, reason="test")
    assert frozen.voided == []
    clock.advance(seconds=10)
    assert [t.state for t in (await fundings.settle_due()).transfers] == ["posted"]
    assert await balance(ledger, ALICE) == (8_000, 0)


async def test_a_payout_the_processor_never_answers_is_returned_by_the_hold_sweeper(
    ledger: Ledger, fundings: Fundings, clock: FakeClock
) -> None:
    await funded(ledger, ALICE, 10_000)
    await fundings.link_card(ALICE, GOOD, "12/29")
    await fundings.confirm_payout((await fundings.propose_payout(ALICE, 2_000)).token, ALICE)
    clock.advance(days=7)
    expired = await ledger.expire_overdue()
    assert [t.kind for t in expired] == ["payout"]
    rows = await ledger.outbox.written(transfer_ids=[expired[0].id])
    assert [m.kind for m in rows] == ["payout_returned"]
    assert (await fundings.settle_due()).transfers == []
    assert await balance(ledger, ALICE) == (10_000, 0)


async def test_payout_refusals_change_nothing(ledger: Ledger, fundings: Fundings) -> None:
    await funded(ledger, ALICE, 30_000)
    with pytest.raises(NoCard):
        await fundings.propose_payout(ALICE, 1_000)
    await fundings.link_card(ALICE, GOOD, "12/29")
    await fundings.link_card(BOB, GOOD, "12/29")
    with pytest.raises(InsufficientFunds):  # bob has nothing
        await fundings.propose_payout(BOB, 1_000)
    with pytest.raises(FundingLimit):
        await fundings.propose_payout(ALICE, 20_001)
    proposed = await fundings.propose_payout(ALICE, 1_000)
    await ledger.freeze(await ledger.open_account(ALICE), actor=1, reason="test")
    with pytest.raises(AccountFrozen):
        await fundings.confirm_payout(proposed.token, ALICE)
    assert await balance(ledger, ALICE) == (30_000, 0)


async def test_a_payout_survives_a_restart_between_settlement_and_notice(
    ledger: Ledger, fundings: Fundings, clock: FakeClock
) -> None:
    """The process stops right after the settlement: the outbox row is there, claimed by
    nobody alive; the next process delivers it, once; the payout is settled once."""
    await funded(ledger, ALICE, 10_000)
    await fundings.link_card(ALICE, GOOD, "12/29")
    await fundings.confirm_payout((await fundings.propose_payout(ALICE, 2_000)).token, ALICE)
    clock.advance(seconds=10)
    settled = await fundings.settle_due()  # ... and the process dies before delivering
    assert len(settled.messages) == 1
    restarted = Fundings(ledger, settle_after=timedelta(seconds=10))
    assert (await restarted.settle_due()).transfers == []
    clock.advance(seconds=31)  # the dead process's claim is stale
    stale = await ledger.outbox.claim()
    assert [m.kind for m in stale] == ["payout_settled"]
    await ledger.outbox.mark_sent([m.id for m in stale])
    clock.advance(seconds=31)
    assert await ledger.outbox.claim() == []
    assert await balance(ledger, ALICE) == (8_000, 0)


# --- refunds -----------------------------------------------------------------------------


async def test_a_top_up_is_refunded_once_and_not_when_spent(
    ledger: Ledger, fundings: Fundings
) -> None:
    await fundings.link_card(ALICE, GOOD, "12/29")
    first = await fundings.confirm_topup((await fundings.propose_topup(ALICE, 5_000)).token, ALICE)
    refund = await fundings.refund(1, first.transfer.ref, "customer asked", key="refund:1")
    assert [m.kind for m in refund.messages] == ["reversed_taken"]  # revision 0012's notice
    assert await balance(ledger, ALICE) == (0, 0)
    with pytest.raises(AlreadyReversed):
        await fundings.refund(1, first.transfer.ref, "again", key="refund:2")
    second = await fundings.confirm_topup((await fundings.propose_topup(ALICE, 4_000)).token, ALICE)
    await ledger.transfer(
        await ledger.open_account(ALICE), await ledger.open_account(BOB), 3_000, key="spent"
    )
    with pytest.raises(RefundSpent) as spent:
        await fundings.refund(1, second.transfer.ref, "too late", key="refund:3")
    assert (spent.value.available, spent.value.amount) == (1_000, 4_000)
    assert await balance(ledger, ALICE) == (1_000, 0)
    await books_hold(ledger, fundings)
    totals = await fundings.day_totals()
    assert (totals.topups, totals.topped_up, totals.refunds, totals.refunded) == (
        2,
        9_000,
        1,
        5_000,
    )


async def test_presses_and_sweeps_at_the_same_moment_move_money_once(
    ledger: Ledger, fundings: Fundings, clock: FakeClock
) -> None:
    """Two workers: Confirm pressed twice at once, and two processors' sweeps at once."""
    import asyncio

    other = Fundings(ledger, settle_after=timedelta(seconds=10))
    await funded(ledger, BOB, 10_000)
    await fundings.link_card(ALICE, GOOD, "12/29")
    await fundings.link_card(BOB, GOOD, "12/29")
    topup = await fundings.propose_topup(ALICE, 4_000)
    both = await asyncio.gather(
        fundings.confirm_topup(topup.token, ALICE), other.confirm_topup(topup.token, ALICE)
    )
    assert sorted(d.already for d in both) == [False, True]
    payouts = [await fundings.propose_payout(BOB, 1_000 + n) for n in range(5)]
    await asyncio.gather(*(fundings.confirm_payout(p.token, BOB) for p in payouts))
    await asyncio.gather(*(other.confirm_payout(p.token, BOB) for p in payouts))
    clock.advance(seconds=10)
    first, second = await asyncio.gather(fundings.settle_due(), other.settle_due())
    told = [m.kind for m in first.messages + second.messages]
    assert told == ["payout_settled"] * 5
    assert await balance(ledger, ALICE) == (4_000, 0)
    assert await balance(ledger, BOB) == (10_000 - 5 * 1_000 - 10, 0)
    await books_hold(ledger, fundings)
