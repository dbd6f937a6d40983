"""Admin safety: an admin never acts on a transfer or an account of their own, a forwarded
command never runs (as whoever forwarded it), and an invitation link cannot be forged to
make the bot ping someone.
"""

from __future__ import annotations

import string
from datetime import timedelta
from typing import Any

import pytest

from bot import admin_cards
from bot.admin_actions import AdminCard
from bot.fakeapi import Telegram
from bot.invites import payload_for
from tests.bot.conftest import TOKEN, ChatBot, MakeBot

OSCAR = Telegram.user(900, "oscar", "Oscar")  # an admin
NADIA = Telegram.user(901, "nadia", "Nadia", language_code="fr")  # another admin
OWN = "You paid or were paid by transfer {ref}, so you can't act on it; ask another admin."
YOURSELF = "You can't do this to your own account; ask another admin."
FORWARDED = "I don't run forwarded commands. To do this yourself, type the command."


@pytest.fixture
async def ops(make_bot: MakeBot) -> ChatBot:
    """oscar and nadia are admins with 100.00 USD each; alice and bob have 50.00 USD each."""
    bot = await make_bot(admin_ids=[OSCAR["id"], NADIA["id"]])
    await bot.register(bot.user("alice"), bot.user("bob"), funds=5_000)
    await bot.register(OSCAR, NADIA, funds=10_000)
    return bot


async def pay(bot: ChatBot, sender: dict[str, Any], text: str) -> str:
    """``sender`` pays with /send and confirms; returns the transfer's reference."""
    await bot.send(sender, text)
    await bot.press(sender, bot.last(sender), "Confirm")
    return bot.last(sender).text.split("<code>")[1].split("</code>")[0]


# --- an admin is never a party to their own action ---------------------------------------


async def test_an_admin_cannot_reverse_a_payment_they_made_or_received(ops: ChatBot) -> None:
    bob = ops.user("bob")
    paid = await pay(ops, OSCAR, "/send @bob 40 bike")
    received = await pay(ops, bob, "/send @oscar 10 thanks")
    before = await ops.books()

    for ref in (paid, received):
        await ops.send(OSCAR, f"/reverse {ref} changed my mind")
        assert ops.last(OSCAR).text.startswith(OWN.format(ref=ref))
        assert ops.last(OSCAR).buttons == []  # no card to confirm
    assert await ops.books() == before
    assert await ops.balances(OSCAR, bob) == [7_000, 8_000]

    # Another admin can.
    await ops.send(NADIA, f"/reverse {paid} fraude signalée")
    await ops.press(NADIA, ops.last(NADIA), "Confirmer")
    assert await ops.balances(OSCAR, bob) == [11_000, 4_000]


async def test_a_card_made_before_is_checked_again_at_confirm(ops: ChatBot) -> None:
    """A card already open (made before the command refused such actions, or by any other
    path) is refused at Confirm: a reversal's parties are read again from the ledger, not
    from the card."""
    bob = ops.user("bob")
    paid = await pay(ops, OSCAR, "/send @bob 40 bike")
    before = await ops.books()
    screen = ops.message(ops.the_bot(), "a card", chat=None)
    for card, expected in (
        (AdminCard(OSCAR["id"], "reverse", "mine", bob["id"], OSCAR["id"], 4_000, paid), OWN),
        (AdminCard(OSCAR["id"], "reverse", "the card lies", 104, 105, 4_000, paid), OWN),
        (AdminCard(OSCAR["id"], "debit", "to myself", OSCAR["id"], amount=1_000), YOURSELF),
        (AdminCard(OSCAR["id"], "freeze", "myself", OSCAR["id"]), YOURSELF),
    ):
        card.created_at, card.chat_id, card.message_id = ops.clock(), OSCAR["id"], 1
        await ops.ledger.shared.add_card(
            admin_cards._stored(card, card.created_at + timedelta(minutes=5))
        )
        await ops.press_data(OSCAR, screen, f"a:c:{card.id}")
        refusal = expected.format(ref=paid)
        assert ops.answer().params["text"].startswith(refusal.replace("<code>", ""))
        kept = await admin_cards.card_of(ops.ledger, card.id)
        assert kept is not None
        assert (kept.state, kept.outcome.startswith(refusal)) == ("failed", True)
        assert ops.last(OSCAR).text.startswith("❌ Not done:")
    assert await ops.books() == before
    assert not (await ops.account(OSCAR)).frozen


async def test_credit_debit_freeze_and_unfreeze_of_oneself_are_refused(ops: ChatBot) -> None:
    before = await ops.books()
    for command in (
        "/credit @oscar 77 bonus",
        "/debit @oscar 1 fee",
        "/freeze @oscar test",
        "/unfreeze @oscar test",
        "/credit 900 77 bonus",
    ):
        await ops.send(OSCAR, command)
        assert ops.last(OSCAR).text == YOURSELF, command
    await ops.send(OSCAR, "/credit 77 bonus", reply_to=ops.message(OSCAR, "hi", chat=ops.group()))
    assert ops.last(OSCAR).text == YOURSELF
    assert await ops.books() == before


# --- forwarded commands never run --------------------------------------------------------


def forwarded(bot: ChatBot, forwarder: dict, author: dict, text: str, chat: dict | None = None):
    """The update Telegram sends when ``forwarder`` forwards ``author``'s message ``text``."""
    update = bot.tg.message(forwarder, text, chat=chat)
    update["message"]["forward_origin"] = {"type": "user", "date": 1, "sender_user": author}
    update["message"]["forward_date"] = 1
    return update


async def test_an_admin_forwarding_a_credit_command_credits_nothing(ops: ChatBot) -> None:
    bob = ops.user("bob")
    before = await ops.books()
    await ops.deliver(forwarded(ops, OSCAR, bob, "/credit @bob 77 as agreed"))
    assert ops.texts(OSCAR) == [FORWARDED]
    assert ops.to(bob) == []
    assert await ops.books() == before
    assert await ops.balances(bob) == [5_000]

    # Every command, user or admin, privately or in a group (silently there).
    group = ops.group()
    for text in ("/send @alice 5", "/freeze @alice x", "/start", "/balance", "/reverse X1 y"):
        ops.api.clear()
        await ops.deliver(forwarded(ops, OSCAR, bob, text))
        await ops.deliver(forwarded(ops, bob, OSCAR, text))
        await ops.deliver(forwarded(ops, OSCAR, bob, text, chat=group))
        assert ops.texts(OSCAR) == [FORWARDED], text
        assert ops.texts(bob) == [FORWARDED], text
        assert ops.to(group) == [], text
    assert await ops.books() == before
    rows = await ops.ledger.db.read_one("SELECT state FROM admin_cards", {})
    assert not any(state == "open" for (state,) in rows)


async def test_a_forwarded_message_that_is_no_command_is_left_alone(ops: ChatBot) -> None:
    """The guard is for commands: typing the command oneself still works."""
    bob = ops.user("bob")
    await ops.deliver(forwarded(ops, OSCAR, bob, "thanks for lunch"))
    assert ops.to(OSCAR) == []
    await ops.send(OSCAR, "/credit @bob 77 as agreed")
    assert ops.last(OSCAR).text.startswith("✅ Credited <b>77.00 USD</b> to @bob")
    assert await ops.balances(bob) == [12_700]


# --- invitation links --------------------------------------------------------------------


async def test_a_forged_start_link_pings_nobody(bot: ChatBot) -> None:
    alice = bot.user("alice")
    await bot.register(alice)
    signed = payload_for(TOKEN, 101)
    assert len(signed) <= 64 and set(signed) <= set(string.ascii_letters + string.digits + "_-")
    other_token = payload_for("654321:another-bot", 101)
    tampered = signed[:-1] + ("A" if signed[-1] != "A" else "B")
    someone_elses = "from-102-" + signed.removeprefix("from-101-")
    for name, payload in (
        ("zed", "from-101"),  # the old unsigned form
        ("yan", tampered),
        ("xia", other_token),
        ("wes", someone_elses),
        ("ulla", signed + "x"),
    ):
        newcomer = bot.user(name)
        await bot.send(newcomer, f"/start {payload}")
        assert bot.last(newcomer).text.startswith(f"Welcome to X Money, {name.capitalize()}!")
        assert (await bot.ledger.directory.get(newcomer["id"])).registered
        assert bot.to(alice) == [], payload

    dave = bot.user("dave")
    await bot.send(dave, f"/start {signed}")  # the link the bot gave alice
    assert bot.last(alice).text == "@dave has started X Money: you can pay them now with /send."
