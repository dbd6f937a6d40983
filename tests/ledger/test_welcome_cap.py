"""Welcome credits are capped per day across all users, by the database (revision 0005): the
trigger counts each welcome transfer in ``welcome_days`` and refuses the one over the cap, so
several ledgers (bot processes) on one database share the count, and racing ones cannot pass
it."""

from __future__ import annotations

import asyncio

import pytest

from ledger import Ledger
from ledger.errors import WelcomeCapReached
from ledger.types import Limits
from tests.conftest import FakeClock
from tests.ledger.test_database_enforces import _RAW_INSERT, raw_params, refused, snapshot


@pytest.fixture
def database_url(fresh_database_url: str) -> str:
    return fresh_database_url


async def welcome(ledger: Ledger, owner: int, amount: int = 500) -> int:
    account = await ledger.open_account(owner)
    await ledger.transfer(
        ledger.issuance_account_id, account, amount, kind="welcome", key=f"welcome:{owner}"
    )
    return account


async def test_the_days_welcome_credits_stop_at_the_cap_and_start_again_the_next_day(
    ledger: Ledger, clock: FakeClock
) -> None:
    assert await ledger.welcome_daily_cap() == 100  # the schema's default
    await ledger.set_welcome_daily_cap(2)
    await welcome(ledger, 1)
    await welcome(ledger, 2)
    carol = await ledger.open_account(3)
    before = await snapshot(ledger)

    with pytest.raises(WelcomeCapReached) as full:
        await ledger.transfer(
            ledger.issuance_account_id, carol, 500, kind="welcome", key="welcome:3"
        )
    assert full.value.cap == 2
    assert await snapshot(ledger) == before  # no transfer, no count, no audit row
    assert await ledger.welcomes_today() == 2
    # A replay of a granted welcome is no new credit and counts nothing.
    replay = await ledger.transfer(
        ledger.issuance_account_id,
        await ledger.open_account(1),
        500,
        kind="welcome",
        key="welcome:1",
    )
    assert replay.replayed and await ledger.welcomes_today() == 2
    # An admin credit is no welcome credit: never counted, never capped.
    await ledger.transfer(ledger.issuance_account_id, carol, 700, kind="credit", key="admin-1")

    # Raw SQL is held to the cap as well.
    raw = raw_params(ledger, ledger.issuance_account_id, carol, 500, "raw-welcome")
    raw["kind"] = "welcome"
    await refused(ledger, _RAW_INSERT, raw, "welcome_cap")

    # The ledger's next UTC day: the count starts again.
    clock.advance(days=1)
    assert await ledger.welcomes_today() == 0
    await ledger.transfer(ledger.issuance_account_id, carol, 500, kind="welcome", key="welcome:3")
    assert (await ledger.account(carol)).available == 1_200
    assert await ledger.welcomes_today() == 1
    assert (await ledger.verify()).ok


async def test_a_cap_of_zero_gives_no_welcome_credit(ledger: Ledger) -> None:
    await ledger.set_welcome_daily_cap(0)
    with pytest.raises(WelcomeCapReached):
        await welcome(ledger, 1)
    assert (await ledger.account(await ledger.open_account(1))).available == 0
    with pytest.raises(ValueError):
        await ledger.set_welcome_daily_cap(-1)
    assert await ledger.welcome_daily_cap() == 0


async def test_two_processes_racing_never_pass_the_cap(
    ledger: Ledger, database_url: str, clock: FakeClock, limits: Limits
) -> None:
    """Two ledgers on one database, as two bot processes would be, grant 30 welcome
    credits at the same moment against a cap of 7: exactly 7 are credited."""
    await ledger.set_welcome_daily_cap(7)
    other = await Ledger.open(database_url, "USD", clock=clock, default_limits=limits)
    try:

        async def try_welcome(process: Ledger, owner: int) -> bool:
            try:
                await welcome(process, owner)
            except WelcomeCapReached:
                return False
            return True

        granted = await asyncio.gather(
            *(try_welcome(ledger if owner % 2 else other, owner) for owner in range(1, 31))
        )
    finally:
        await other.close()

    assert sum(granted) == 7
    assert await ledger.welcomes_today() == 7
    rows = await ledger.db.read_one(
        "SELECT COUNT(*), SUM(amount) FROM transfers WHERE kind = 'welcome'", {}
    )
    assert tuple(rows[0]) == (7, 7 * 500)
    accounts = await ledger.accounts([await ledger.open_account(o) for o in range(1, 31)])
    assert sorted(a.available for a in accounts.values()) == [0] * 23 + [500] * 7
    assert (await ledger.verify()).ok
