"""PostgreSQL goes away in the middle of a payment, seen from the chat: the bot's ledger talks
to the database through a TCP proxy the test cuts (tests/hardening/tcp_proxy.py).

Between /send and Confirm, or during the Confirm itself, the user is told the payment was not
confirmed and nothing was charged (or, when the database did the work but its answer was
lost, that a second press is safe: it moves the money at most once); nobody sees a
traceback; the hold stays consistent; and once the database is back the same Application,
never restarted, takes a new /send and Confirm. The books are read around the proxy by a
second ledger (the witness).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.app import build_application
from bot.fakeapi import RecordingRequest
from bot.settings import load_settings
from ledger import Ledger
from ledger.errors import DatabaseUnavailable
from tests.bot.conftest import TOKEN, ChatBot
from tests.conftest import (
    FakeClock,
)
from tests.hardening.chat_checks import assert_clear
from tests.hardening.tcp_proxy import TcpProxy

NOT_CONFIRMED = (
    "Not confirmed yet: I can't reach the payment service. Press Confirm again in a moment; "
    "the payment will go through at most once."
)
# When the database is gone before the press can even be read, the global error handler
# answers the press (an alert) with this.
UNREACHABLE = (
    "I can't reach the payment service right now, so this did not go through. "
    "Nothing was charged; try again in a moment."
)
NOTHING_CHARGED = (
    "I can't reach the payment service right now, so nothing happened and nothing was charged. "
    "Try again in a moment."
)


@pytest.fixture
async def bot(proxied: Ledger, proxy: TcpProxy, clock: FakeClock) -> AsyncIterator[ChatBot]:
    """The payment bot whose ledger reaches PostgreSQL only through the proxy."""
    ledger = proxied
    api = RecordingRequest()
    app = build_application(
        load_settings(_env_file=None, bot_token=TOKEN),
        ledger=ledger,
        request=api,
        clock=clock,
    )
    harness = ChatBot(app, api, ledger, clock)
    await app.initialize()
    try:
        yield harness
    finally:
        proxy.restore()
        await app.shutdown()


async def scene(bot: ChatBot) -> tuple[dict[str, Any], dict[str, Any]]:
    alice, bob = bot.user("alice"), bot.user("bob")
    await bot.register(bob)
    await bot.register(alice, funds=5_000)
    return alice, bob


async def books(witness: Ledger, *users: dict[str, Any]) -> list[tuple[int, int]]:
    """(available, on hold) of each user, and ``verify()`` clean."""
    report = await witness.verify()
    assert report.ok, report.summary()
    figures = []
    for user in users:
        account = await witness.account(await witness.open_account(user["id"]))
        figures.append((account.available, account.on_hold))
    return figures


def no_traceback(bot: ChatBot) -> None:
    """Whatever was said, it was a clear catalogue message."""
    assert_clear(bot.api.calls)


async def works_again(bot: ChatBot, witness: Ledger, alice: dict, bob: dict) -> None:
    """The same Application, never restarted: a new /send and Confirm go through."""
    before = await books(witness, alice, bob)
    bot.api.clear()
    await bot.send(alice, "/send @bob 1 after the outage")
    await bot.press(alice, bot.last(alice), "Confirm")
    assert bot.answer().params["text"] == "Payment sent."
    (alice_before, held), (bob_before, _) = before
    assert await books(witness, alice, bob) == [(alice_before - 100, held), (bob_before + 100, 0)]


async def test_cut_between_send_and_confirm(bot: ChatBot, witness: Ledger, proxy: TcpProxy) -> None:
    alice, bob = await scene(bot)
    await bot.send(alice, "/send @bob 12.50 lunch")
    card = bot.last(alice)
    bot.api.clear()

    proxy.refuse()  # PostgreSQL is gone
    with bot.expecting(DatabaseUnavailable):  # reading the card fails: the error handler
        await bot.press(alice, card, "Confirm")
    assert bot.answer().params["text"] == UNREACHABLE
    assert bot.answer().params["show_alert"] is True
    await bot.send(alice, "/send @bob 1 coffee")  # a new payment meanwhile
    assert bot.last(alice).text == NOTHING_CHARGED
    with bot.expecting(DatabaseUnavailable):
        await bot.send(alice, "/balance")
    assert bot.last(alice).text == UNREACHABLE
    assert bot.to(bob) == []
    no_traceback(bot)
    # Nothing was charged: alice's 12.50 is still only held, bob has nothing.
    assert await books(witness, alice, bob) == [(3_750, 1_250), (0, 0)]

    proxy.restore()
    await bot.press(alice, card, "Confirm")  # the same card, pressed again
    assert bot.answer().params["text"] == "Payment sent."
    assert await books(witness, alice, bob) == [(3_750, 0), (1_250, 0)]
    await works_again(bot, witness, alice, bob)


async def test_cut_during_confirm_before_the_database_saw_it(
    bot: ChatBot, witness: Ledger, proxy: TcpProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The press is read (the card, the hold), then PostgreSQL goes away just as the post
    is sent."""
    alice, bob = await scene(bot)
    await bot.send(alice, "/send @bob 12.50 lunch")
    card = bot.last(alice)
    db = bot.ledger.db
    write = db.write_one

    async def gone_as_the_post_is_sent(sql: str, params: dict[str, Any]) -> Any:
        if sql.lstrip().startswith("UPDATE transfers SET state"):
            proxy.refuse()
        return await write(sql, params)

    monkeypatch.setattr(db, "write_one", gone_as_the_post_is_sent)
    bot.api.clear()
    await bot.press(alice, card, "Confirm")
    assert bot.answer().params["text"] == NOT_CONFIRMED
    assert bot.calls("editMessageText") == [] and bot.to(bob) == []
    no_traceback(bot)
    assert await books(witness, alice, bob) == [(3_750, 1_250), (0, 0)]

    monkeypatch.setattr(db, "write_one", write)
    proxy.restore()
    await bot.press(alice, card, "Confirm")
    assert bot.answer().params["text"] == "Payment sent."
    assert await books(witness, alice, bob) == [(3_750, 0), (1_250, 0)]
    assert len(bot.to(bob)) == 1
    await bot.press(alice, card, "Confirm")  # a stale press later: bob is not told again
    assert len(bot.to(bob)) == 1
    await works_again(bot, witness, alice, bob)


async def test_confirm_whose_answer_is_lost_moves_the_money_once(
    bot: ChatBot, witness: Ledger, proxy: TcpProxy
) -> None:
    """The database posted the payment, then the connection died before the bot heard.
    The user is told to press again (never that something was charged twice), and the
    second press finds the payment already made."""
    alice, bob = await scene(bot)
    await bot.send(alice, "/send @bob 12.50 lunch")
    card = bot.last(alice)
    bot.api.clear()

    proxy.drop_reply(b"UPDATE 1")
    await bot.press(alice, card, "Confirm")
    assert bot.answer().params["text"] == NOT_CONFIRMED
    no_traceback(bot)
    assert await books(witness, alice, bob) == [(3_750, 0), (1_250, 0)]  # it did go through

    await bot.press(alice, card, "Confirm")
    assert bot.answer().params["text"] == (
        "Already confirmed: this payment went through once; nothing more was sent."
    )
    receipt = bot.last(alice)  # and the card, stale since the lost answer, is the receipt
    assert receipt.method == "editMessageText"
    assert [label for label, _ in receipt.buttons] == ["Send again", "Request back"]
    assert receipt.params["message_id"] == card.result["message_id"]
    assert receipt.text.startswith("✅ You paid <b>12.50 USD</b> to @bob — <i>lunch</i>")
    assert await books(witness, alice, bob) == [(3_750, 0), (1_250, 0)]
    told = bot.to(bob)  # bob hears of it now, once, since nobody could tell him before
    assert len(told) == 1 and "12.50 USD" in told[0].text and "lunch" in told[0].text
    await bot.press(alice, card, "Confirm")
    assert len(bot.to(bob)) == 1
    await works_again(bot, witness, alice, bob)


async def test_cancel_during_an_outage_and_the_hold_is_released_later(
    bot: ChatBot, witness: Ledger, proxy: TcpProxy
) -> None:
    alice, bob = await scene(bot)
    await bot.send(alice, "/send @bob 12.50 lunch")
    card = bot.last(alice)
    proxy.refuse()
    with bot.expecting(DatabaseUnavailable):
        await bot.press(alice, card, "Cancel")
    assert bot.answer().params["text"] == UNREACHABLE
    assert await books(witness, alice, bob) == [(3_750, 1_250), (0, 0)]
    proxy.restore()
    await bot.press(alice, card, "Cancel")
    assert bot.answer().params["text"] == "Cancelled; nothing was sent."
    assert await books(witness, alice, bob) == [(5_000, 0), (0, 0)]
    await works_again(bot, witness, alice, bob)


async def test_a_partition_mid_payment_times_out_and_the_bot_recovers(
    bot: ChatBot, witness: Ledger, proxy: TcpProxy
) -> None:
    """Packets vanish (no error ever comes back by itself): the press is answered once the
    ledger's timeout passes, never hangs, and the bot recovers when the network does."""
    alice, bob = await scene(bot)
    await bot.send(alice, "/send @bob 12.50 lunch")
    card = bot.last(alice)
    proxy.blackhole()
    with bot.expecting(DatabaseUnavailable):
        await asyncio.wait_for(bot.press(alice, card, "Confirm"), 30)
    assert bot.answer().params["text"] == UNREACHABLE
    assert await books(witness, alice, bob) == [(3_750, 1_250), (0, 0)]
    proxy.restore()
    await works_again(bot, witness, alice, bob)
    await bot.press(alice, card, "Confirm")
    assert await books(witness, alice, bob) == [(3_650, 0), (1_350, 0)]


async def test_a_send_whose_hold_answer_is_lost_leaves_nothing_behind_after_expiry(
    bot: ChatBot, witness: Ledger, proxy: TcpProxy
) -> None:
    """The database took the hold, the bot never heard: alice is told nothing went through
    and gets no card, so nobody can ever confirm that hold; the sweeper releases it when it
    expires, and nothing is charged."""
    alice, bob = await scene(bot)
    bot.api.clear()
    proxy.drop_reply(b"INSERT 0 1")
    await bot.send(alice, "/send @bob 12.50 lunch")
    assert bot.last(alice).text == NOTHING_CHARGED
    assert [c for c in bot.to(alice) if c.buttons] == []
    no_traceback(bot)
    assert await books(witness, alice, bob) == [(3_750, 1_250), (0, 0)]  # held, not charged

    bot.clock.advance(seconds=301)  # past the hold's expiry
    [released] = await bot.sweep()
    assert released.state == "expired"
    assert await books(witness, alice, bob) == [(5_000, 0), (0, 0)]
    await works_again(bot, witness, alice, bob)
