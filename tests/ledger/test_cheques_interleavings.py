"""Any interleaving of accept, cancel, expiry, double presses, redelivered reports and presses
on a never-reported cheque, some of them at the same moment: a cheque's money moves at most
once, to one person; the books balance; no hold is left once it expired. The same for red
envelopes: opens by several people (twice, at once, by the sender), expiry and a freeze.
Hypothesis draws the steps; each step's actions run concurrently (asyncio.gather) on one
ledger, SQLite and PostgreSQL, with no Telegram."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger import Ledger, Limits
from ledger.errors import LedgerError
from ledger.payments import Payments
from ledger.payments.cheques import Cheques, new_cheque_id
from ledger.payments.envelopes import Envelopes
from tests.conftest import FakeClock

AMOUNT, FUNDS = 300, 1_000
EXPIRY = timedelta(hours=1)
ACTION = st.sampled_from(
    [
        ("accept", "bob"),
        ("accept", "erin"),
        ("accept", "alice"),  # the sender: never paid
        ("cancel", "alice"),
        ("cancel", "bob"),  # not the sender: refused
        ("expire", ""),
        ("redeliver", "alice"),  # the chosen-result report again
        ("unheld", "bob"),  # a press that found no hold (a report that never came)
    ]
)
STEPS = st.lists(st.lists(ACTION, min_size=1, max_size=3), min_size=1, max_size=8)
_people = itertools.count(10_000, 10)


@pytest.fixture
def world(
    database_url: str, clock: FakeClock
) -> Iterator[tuple[asyncio.AbstractEventLoop, Cheques]]:
    """One ledger on its own event loop, for every example of the test (each example has
    its own people and cheque)."""
    loop = asyncio.new_event_loop()
    ledger = loop.run_until_complete(
        Ledger.open(
            database_url,
            "USD",
            clock=clock,
            default_limits=Limits(max_transfer=1_000_000, daily_limit=10_000_000),
            sqlite_synchronous="NORMAL",
        )
    )
    try:
        yield loop, Cheques(Payments(ledger), expiry=EXPIRY)
    finally:
        loop.run_until_complete(ledger.close())
        loop.close()


async def _play(
    cheques: Cheques, clock: FakeClock, steps: list[list[tuple[str, str]]], reported: bool
) -> None:
    ledger = cheques.ledger
    base = next(_people)
    ids = {"alice": base, "bob": base + 1, "erin": base + 2}
    await ledger.transfer(
        ledger.issuance_account_id,
        await ledger.open_account(ids["alice"]),
        FUNDS,
        kind="credit",
        key=f"fund:{base}",
    )
    cheque_id = new_cheque_id()
    if reported:
        await cheques.write(cheque_id, ids["alice"], AMOUNT, "lunch")

    async def act(action: str, who: str) -> Any:
        user = ids.get(who, 0)
        try:
            if action == "accept":
                return await cheques.accept(cheque_id, user, who)
            if action == "cancel":
                return await cheques.cancel(cheque_id, user)
            if action == "redeliver":
                return await cheques.write(cheque_id, user, AMOUNT, "lunch")
            if action == "unheld":
                current = await cheques.get(cheque_id)
                if current is None or current.hold_id is None:
                    return await cheques.close_unheld(cheque_id)
                return None
            clock.advance(EXPIRY.total_seconds() + 1)
            return await cheques.payments.expire_overdue()
        except LedgerError:
            return None

    async def balances() -> list[int]:
        accounts = [await ledger.open_account(ids[n]) for n in ("alice", "bob", "erin")]
        found = await ledger.accounts(accounts)
        return [found[a].available for a in accounts]

    expired = False
    for step in steps:
        before = await cheques.get(cheque_id)
        held = before is not None and before.hold_id is not None
        await asyncio.gather(*(act(action, who) for action, who in step))
        # Its hold existed when an expiry ran: it is over for good (a hold made by a report
        # arriving during that sweep is a new one, with its own expiry).
        expired = expired or (held and any(action == "expire" for action, _ in step))
        alice, bob, erin = await balances()
        alice_account = await ledger.account(await ledger.open_account(ids["alice"]))
        cheque = await cheques.get(cheque_id)
        assert alice + alice_account.on_hold + bob + erin == FUNDS  # the books balance
        assert (bob, erin) in {(0, 0), (AMOUNT, 0), (0, AMOUNT)}  # at most once, to one person
        if cheque is not None and cheque.state == "paid":
            assert alice == FUNDS - AMOUNT and alice_account.on_hold == 0
            assert {bob, erin} == {0, AMOUNT}
        else:
            assert bob == erin == 0
        if expired:
            assert alice_account.on_hold == 0  # no hold is left after expiry
        payouts = await ledger.db.read_one(
            "SELECT COUNT(*) FROM transfers WHERE idempotency_key = :k",
            {"k": f"cheque:{cheque_id}:payout"},
        )
        assert payouts[0][0] <= 1
    clock.advance(EXPIRY.total_seconds() + 1)
    await cheques.payments.expire_overdue()
    alice_account = await ledger.account(await ledger.open_account(ids["alice"]))
    assert alice_account.on_hold == 0
    cheque = await cheques.get(cheque_id)
    assert cheque is None or cheque.state != "open"
    report = await ledger.verify()
    assert report.ok, report.summary()


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=STEPS, reported=st.booleans())
def test_any_interleaving_moves_a_cheques_money_at_most_once(
    world: tuple[asyncio.AbstractEventLoop, Cheques], clock: FakeClock, steps: list, reported: bool
) -> None:
    loop, cheques = world
    loop.run_until_complete(_play(cheques, clock, steps, reported))


ENVELOPE_ACTION = st.sampled_from(
    [("open", n) for n in ("bob", "erin", "dave", "bob", "alice")]  # alice is its sender
    + [("expire", ""), ("freeze", "alice")]
)
ENVELOPE_STEPS = st.lists(st.lists(ENVELOPE_ACTION, min_size=1, max_size=4), min_size=1, max_size=6)


async def _open_envelope(
    cheques: Cheques, clock: FakeClock, steps: list[list[tuple[str, str]]], mode: str
) -> None:
    ledger = cheques.ledger
    envelopes = Envelopes(cheques)
    base = next(_people)
    names = ("alice", "bob", "erin", "dave")
    ids = {name: base + i for i, name in enumerate(names)}
    await ledger.transfer(
        ledger.issuance_account_id,
        await ledger.open_account(ids["alice"]),
        FUNDS,
        kind="credit",
        key=f"fund:{base}",
    )
    envelope = await envelopes.create(ids["alice"], 700, 3, mode, "party", key=f"e:{base}")

    async def act(action: str, who: str) -> None:
        try:
            if action == "open":
                await envelopes.open(envelope.id, ids[who])
            elif action == "freeze":
                await ledger.freeze(await ledger.open_account(ids[who]), actor=1)
            else:
                clock.advance(EXPIRY.total_seconds() + 1)
                await cheques.payments.expire_overdue()
        except LedgerError:
            pass

    for step in steps:
        await asyncio.gather(*(act(action, who) for action, who in step))
        accounts = [await ledger.open_account(ids[n]) for n in names]
        found = await ledger.accounts(accounts)
        alice, *openers = (found[a] for a in accounts)
        current = await envelopes.get(envelope.id)
        assert current is not None
        paid = {s.acceptor_id: s.amount for s in current.shares if s.state == "paid"}
        # Each person at most one share, never the sender; each share paid at most once.
        assert len(paid) == len(current.opened) and ids["alice"] not in paid
        assert [o.available for o in openers] == [paid.get(ids[n], 0) for n in names[1:]]
        assert alice.available + alice.on_hold + sum(o.available for o in openers) == FUNDS
        assert alice.on_hold == sum(s.amount for s in current.shares if s.state == "open")
    clock.advance(EXPIRY.total_seconds() + 1)
    await cheques.payments.expire_overdue()
    alice_account = await ledger.account(await ledger.open_account(ids["alice"]))
    assert alice_account.on_hold == 0  # nothing left held after expiry
    report = await ledger.verify()
    assert report.ok, report.summary()


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=ENVELOPE_STEPS, mode=st.sampled_from(["random", "equal"]))
def test_any_interleaving_opens_each_envelope_share_at_most_once(
    world: tuple[asyncio.AbstractEventLoop, Cheques], clock: FakeClock, steps: list, mode: str
) -> None:
    loop, cheques = world
    loop.run_until_complete(_open_envelope(cheques, clock, steps, mode))
