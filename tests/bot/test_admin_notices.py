"""What an operator's credit, debit or reversal tells the people it concerns: outbox rows the
database writes in the statement that moves the money (migration 0012), delivered by the
bot once, whichever worker acts, however often Telegram delivers the command or the press,
and even when the process that moved the money stopped before telling anyone."""

from __future__ import annotations

import asyncio

from bot.fakeapi import Telegram
from bot.outbox import deliver_stale
from ledger.outbox import LEASE
from ledger.payments import Payments
from tests.bot.conftest import ChatBot, MakeBot, MakeWorkers

OSCAR = Telegram.user(900, "oscar", "Oscar")  # an admin
CREDITED = (
    "💰 The X Money team credited <b>10.00 USD</b> to your account. Reason: top-up\n"
    "Your balance: <b>60.00 USD</b>"
)


async def outbox(bot: ChatBot) -> list[tuple[str, int, bool]]:
    """(kind, recipient, sent) of every outbox row an operator's movement wrote."""
    rows = await bot.ledger.db.read_one(
        "SELECT kind, recipient_id, sent_at IS NOT NULL FROM outbox "
        "WHERE event_key LIKE 'admin:%' ORDER BY id",
        {},
    )
    return [(r[0], r[1], bool(r[2])) for r in rows]


def told(workers: list[ChatBot], user: dict, start: str) -> list[str]:
    return [t for w in workers for t in w.texts(user) if t.startswith(start)]


async def test_a_credit_whose_process_stopped_before_telling_is_told_once_later(
    make_bot: MakeBot,
) -> None:
    """The process credited bob and stopped before telling him (the row is in the database,
    claimed by that process). Telegram redelivers the /credit: nothing moves again, and bob
    is not told yet, since its first delivery might still be sending. Once the claim is
    stale, the outbox job tells him, once."""
    bot = await make_bot(admin_ids=[OSCAR["id"]])
    bob = bot.user("bob")
    await bot.register(OSCAR)
    await bot.register(bob, funds=5_000)
    update = bot.tg.message(OSCAR, "/credit @bob 10 top-up")
    command = update["message"]
    key = f"admin:credit:{command['chat']['id']}:{command['message_id']}"
    await Payments(bot.ledger).credit(OSCAR["id"], bob["id"], 1_000, "top-up", key=key)

    await bot.deliver(update)  # redelivered
    assert await bot.balances(bob) == [6_000]
    assert bot.texts(bob) == []
    assert await outbox(bot) == [("credited", bob["id"], False)]

    bot.clock.advance(LEASE.total_seconds() + 1)
    assert await deliver_stale(bot.app) == 1
    assert await deliver_stale(bot.app) == 0
    await bot.deliver(update)  # and again: still once
    assert bot.texts(bob) == [CREDITED]
    assert await outbox(bot) == [("credited", bob["id"], True)]
    assert await bot.balances(bob) == [6_000]


async def test_a_credit_delivered_to_two_workers_at_once_tells_bob_once(
    make_workers: MakeWorkers,
) -> None:
    one, two = await make_workers(2, admin_ids=[OSCAR["id"]])
    bob = one.user("bob")
    await one.register(OSCAR)
    await one.register(bob, funds=5_000)
    update = one.tg.message(OSCAR, "/credit @bob 10 top-up")

    await asyncio.gather(one.deliver(update), two.deliver(update))
    # and once more, later, past the lease: nothing is left to tell
    one.clock.advance(LEASE.total_seconds() + 1)
    await two.deliver(update)
    assert await deliver_stale(one.app) == 0

    assert told([one, two], bob, "💰") == [CREDITED]
    assert await outbox(one) == [("credited", bob["id"], True)]
    assert await one.balances(bob) == [6_000]
    answered = told([one, two], OSCAR, "✅")
    assert len(answered) == 1  # the admin is answered by the worker that credited


async def test_a_debit_card_confirmed_on_two_workers_tells_bob_once(
    make_workers: MakeWorkers,
) -> None:
    one, two, three = await make_workers(3, admin_ids=[OSCAR["id"]])
    bob = one.user("bob")
    await one.register(OSCAR)
    await one.register(bob, funds=5_000)
    await one.send(OSCAR, "/debit @bob 4 chargeback")
    card = one.last(OSCAR)
    data = one.button(card, "Confirm")

    await asyncio.gather(
        two.deliver(two.tg.callback(OSCAR, data, card, query_id="q2")),
        three.deliver(three.tg.callback(OSCAR, data, card, query_id="q3")),
    )
    await three.deliver(three.tg.callback(OSCAR, data, card, query_id="q2"))  # redelivered

    assert told([one, two, three], bob, "The X Money team debited") == [
        "The X Money team debited <b>4.00 USD</b> from your account. Reason: chargeback\n"
        "Your balance: <b>46.00 USD</b>"
    ]
    assert await outbox(one) == [("debited", bob["id"], True)]
    assert await one.balances(bob) == [4_600]


async def test_a_reversal_tells_both_parties_once_by_the_outbox(make_bot: MakeBot) -> None:
    bot = await make_bot(admin_ids=[OSCAR["id"]])
    alice, bob = bot.user("alice"), bot.user("bob")
    await bot.register(OSCAR, bob)
    await bot.register(alice, funds=5_000)
    await bot.send(alice, "/send @bob 12.50 bike")
    ref = bot.button(bot.last(alice), "Confirm").removeprefix("p:c:")
    await bot.press(alice, bot.last(alice), "Confirm")
    await bot.send(OSCAR, f"/reverse {ref} account takeover")
    card = bot.last(OSCAR)
    press = await bot.press(OSCAR, card, "Confirm")
    await bot.deliver(press)  # redelivered: nothing more

    assert told([bot], alice, "↩️") == [
        f"↩️ The X Money team undid transfer <code>{ref}</code>: <b>12.50 USD</b> you sent "
        "came back to you. Reason: account takeover\nYour balance: <b>50.00 USD</b>"
    ]
    assert told([bot], bob, "↩️") == [
        f"↩️ The X Money team undid transfer <code>{ref}</code>: <b>12.50 USD</b> you "
        "received went back to the sender. Reason: account takeover\n"
        "Your balance: <b>0.00 USD</b>"
    ]
    assert await outbox(bot) == [
        ("reversed_taken", bob["id"], True),
        ("reversed_back", alice["id"], True),
    ]
    assert await bot.balances(alice, bob) == [5_000, 0]


async def test_a_refused_debit_writes_no_notice_and_tells_nobody(make_bot: MakeBot) -> None:
    """bob spends between the debit's card and its Confirm: the debit is refused at Confirm,
    and nothing is written for anyone to be told."""
    bot = await make_bot(admin_ids=[OSCAR["id"]])
    alice, bob = bot.user("alice"), bot.user("bob")
    await bot.register(OSCAR, alice)
    await bot.register(bob, funds=500)
    await bot.send(OSCAR, "/debit @bob 4 chargeback")
    card = bot.last(OSCAR)
    await bot.send(bob, "/send @alice 2 tea")
    await bot.press(bob, bot.last(bob), "Confirm")
    books = await bot.books()
    seen = len(bot.texts(bob))

    await bot.press(OSCAR, card, "Confirm")

    assert bot.answer().params["text"].startswith("@bob has only 3.00 USD available")
    assert await outbox(bot) == []
    assert len(bot.texts(bob)) == seen
    assert await bot.books() == books
