"""The ledger side of ``python -m ledger.bench``: a ledger on a fresh database, funded through
the public API, and the three workloads as operations for ``ledger.bench_run``.

Setup (not measured): ``Ledger.open`` applies the migrations; ``accounts`` user accounts are
opened and each is funded with a ``kind="credit"`` transfer from the issuance account; one
more account is the merchant of the hot workload. On SQLite the setup runs with
``synchronous=OFF`` and the ledger is then reopened with the durability under test.
"""

from __future__ import annotations

import asyncio
import itertools
import random
from dataclasses import dataclass
from datetime import timedelta
from typing import TypedDict

from ledger.core import Ledger
from ledger.types import Limits

FUNDS = 10**9  # minor units per account: transfers of 1..100 never run an account dry
MERCHANT_OWNER = 0
SETUP_CONCURRENCY = 16
# Generous limits: the benchmark measures moving money, not refusing it.
BENCH_LIMITS = Limits(max_transfer=10**6, daily_limit=10**15)


class _PoolOptions(TypedDict, total=False):
    pool_size: int  # absent: Ledger.open's own default


@dataclass
class LedgerSetup:
    ledger: Ledger
    accounts: list[int]
    merchant: int


async def open_funded(
    url: str, accounts: int, *, sqlite_synchronous: str, pool_size: int | None
) -> LedgerSetup:
    """A ledger with ``accounts`` funded user accounts and an empty merchant account."""
    is_sqlite = url.startswith("sqlite")
    options: _PoolOptions = {}
    if pool_size is not None:
        options["pool_size"] = pool_size
    setup_sync = "OFF" if is_sqlite else sqlite_synchronous
    ledger = await Ledger.open(
        url, "USD", default_limits=BENCH_LIMITS, sqlite_synchronous=setup_sync, **options
    )
    try:
        merchant = await ledger.open_account(MERCHANT_OWNER)
        gate = asyncio.Semaphore(SETUP_CONCURRENCY)

        async def fund(owner: int) -> int:
            async with gate:
                account = await ledger.open_account(owner)
                await ledger.transfer(
                    ledger.issuance_account_id, account, FUNDS, key=f"fund-{owner}", kind="credit"
                )
                return account

        ids = await asyncio.gather(*(fund(owner) for owner in range(1, accounts + 1)))
    except BaseException:
        await ledger.close()
        raise
    if is_sqlite:
        await ledger.close()
        ledger = await Ledger.open(
            url, "USD", default_limits=BENCH_LIMITS, sqlite_synchronous=sqlite_synchronous
        )
        for owner in range(accounts + 1):  # warm the owner cache as the bot's would be
            await ledger.account_of(owner)
    return LedgerSetup(ledger, list(ids), merchant)


_keys = itertools.count()


def _key(prefix: str) -> str:
    return f"{prefix}-{next(_keys)}"


def _amount(rng: random.Random) -> int:
    return rng.randint(1, 100)


def operations(setup: LedgerSetup) -> dict[str, object]:
    """workload name -> operation (one op = one transfer; a payment is create_pending + post)."""
    ledger, accounts, merchant = setup.ledger, setup.accounts, setup.merchant
    hold = timedelta(hours=1)

    async def single(rng: random.Random) -> None:
        debit, credit = rng.sample(accounts, 2)
        await ledger.transfer(debit, credit, _amount(rng), key=_key("s"))

    async def payment(rng: random.Random) -> None:
        debit, credit = rng.sample(accounts, 2)
        key = _key("p")
        pending = await ledger.create_pending(debit, credit, _amount(rng), key=key, expires_in=hold)
        await ledger.post(pending.ref, key=key)

    async def hot(rng: random.Random) -> None:
        await ledger.transfer(rng.choice(accounts), merchant, _amount(rng), key=_key("h"))

    return {"single": single, "payment": payment, "hot": hot}
