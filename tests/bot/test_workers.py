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

import pytest

from bot import admin_cards, send
from bot.fakeapi import Telegram
from tests.bot.conftest import ChatBot, MakeWorkers

SLOW_DOWN = "You're sending payment commands too fast. Wait a minute and try again."


def cards_in(workers: list[ChatBot], where: Any) -> list[Any]:
    """Confirmation cards (the guided flow's questions have buttons too: chips, Skip note)."""
    return [
        c
        for w in workers
        for c in w.to(where)
        if c.method == "sendMessage" and c.buttons and c.buttons[0][1].startswith("p:c:")
    ]


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)  # SQLite: one process
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


OSCAR = Telegram.user(900, "oscar", "Oscar")  # an admin


async def test_a_freeze_card_made_on_one_worker_is_confirmed_on_another_once(
    make_workers: MakeWorkers,
) -> None:
    one, two, three = await make_workers(3, admin_ids=[OSCAR["id"]])
    bob = one.user("bob")
    await one.register(bob, funds=1_000)
    await one.send(OSCAR, "/freeze @bob spam")
    card = one.last(OSCAR)
    data = one.button(card, "Confirm")

    # Confirm pressed at the same moment on the two other workers
    await asyncio.gather(
        two.deliver(two.tg.callback(OSCAR, data, card, query_id="q2")),
        three.deliver(three.tg.callback(OSCAR, data, card, query_id="q3")),
    )

    answers = sorted(c.params["text"] for w in (two, three) for c in w.answers())
    assert answers == ["Already done: this card acts only once; nothing more happened.", "Done."]
    assert (await one.account(bob)).frozen
    told = [t for w in (one, two, three) for t in w.texts(bob) if "frozen" in t]
    assert len(told) == 1
    freezes = [r for r in await one.ledger.audit_log(limit=20) if r.action == "freeze"]
    assert len(freezes) == 1


async def test_an_admin_card_expires_on_the_databases_time_whichever_worker_is_pressed(
    make_workers: MakeWorkers,
) -> None:
    one, two = await make_workers(2, admin_ids=[OSCAR["id"]])
    bob = one.user("bob")
    await one.register(bob, funds=1_000)
    await one.send(OSCAR, "/debit @bob 5 oops")
    card = one.last(OSCAR)
    one.clock.advance(seconds=301)

    await two.press(OSCAR, card, "Confirm")

    assert two.answer().params["text"].startswith("This card expired")
    assert await one.balances(bob) == [1_000]
    assert await admin_cards.sweep(one.app) == []  # already marked expired, edited once


async def test_the_guided_conversation_is_answered_on_three_workers(
    make_workers: MakeWorkers,
) -> None:
    one, two, three = await make_workers(3)
    alice, bob = one.user("alice"), one.user("bob")
    await one.register(bob)
    await one.register(alice, funds=5_000)

    await one.send(alice, "/send")
    await two.send(alice, "@bob")
    await three.send(alice, "12.50")
    await one.send(alice, "lunch")

    assert one.texts(alice)[0] == "Who do you want to pay? Send their @username (or /cancel)."
    assert two.texts(alice) == ["How much? For example 12.50 (or /cancel)."]
    assert three.texts(alice) == ["Add a note for the payment, or /skip (or /cancel)."]
    [card] = cards_in([one, two, three], alice)
    assert "12.50 USD" in card.text and "lunch" in card.text
    assert await one.held(alice) == 1_250


async def test_an_abandoned_conversation_ends_and_its_draft_is_dropped(
    make_workers: MakeWorkers,
) -> None:
    one, two = await make_workers(2)
    alice, bob = one.user("alice"), one.user("bob")
    await one.register(bob)
    await one.register(alice, funds=5_000)
    await one.send(alice, "/send @bob")
    one.clock.advance(minutes=11)

    await two.send(alice, "5")  # too late: no answer to anything, met as plain text

    assert [c.text.split(";")[0] for c in two.to(alice)] == [
        "To pay someone, send <code>/send @name 12.50 note</code>"
    ]
    await send.forget_job(two.app)  # type: ignore[arg-type]
    rows = await two.ledger.db.read_one("SELECT COUNT(*) FROM conversations", {})
    assert rows[0][0] == 0
    assert await one.held(alice) == 0


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)  # SQLite: one process
async def test_one_sweeper_at_a_time(make_workers: MakeWorkers) -> None:
    one, two = await make_workers(2)
    alice, bob = one.user("alice"), one.user("bob")
    await one.register(bob)
    await one.register(alice, funds=5_000)
    await one.send(alice, "/send @bob 5")
    one.clock.advance(seconds=301)

    async with one.ledger.db.exclusive("sweeper") as mine:  # worker one is sweeping
        assert mine
        assert await two.sweep() == []  # worker two skips its turn, at once
        assert await one.held(alice) == 500

    [expired] = await two.sweep()  # the lock is free: the next sweep is two's
    assert expired.amount == 500 and await one.held(alice) == 0
    assert await one.sweep() == []  # and nobody expires it (or edits its card) twice
