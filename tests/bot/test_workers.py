"""Several workers on one database, as several webhook processes behind a load balancer: any
update may reach any of them, and each keeps nothing a later update depends on in its own
memory (rate limits, admin cards, conversations, the directory, group throttles).

Each worker here is its own Application with its own Ledger (own connections) on the same
database and the test's clock; on PostgreSQL that is exactly what separate processes share.
"""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

from tests.bot.conftest import ChatBot, MakeWorkers

SLOW_DOWN = "You're sending payment commands too fast. Wait a minute and try again."


def cards_in(workers: list[ChatBot], where: Any) -> list[Any]:
    return [c for w in workers for c in w.to(where) if c.method == "sendMessage" and c.buttons]


async def test_25_sends_over_three_workers_make_at_most_20_holds(
    make_workers: MakeWorkers,
) -> None:
    workers = await make_workers(3, rate_limit_per_minute=20)
    first = workers[0]
    alice, bob = first.user("alice"), first.user("bob")
    await first.register(bob)
    await first.register(alice, funds=10_000)

    turns = itertools.cycle(workers)
    await asyncio.gather(*(next(turns).send(alice, f"/send @bob 1 n{n}") for n in range(25)))

    assert len(cards_in(workers, alice)) == 20
    assert await first.held(alice) == 2_000
    assert (await first.ledger.verify()).pending_transfers == 20
    slowed = [t for w in workers for t in w.texts(alice) if t == SLOW_DOWN]
    assert len(slowed) == 1  # five refusals at one moment, told once across the workers
