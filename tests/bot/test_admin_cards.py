"""Presses on admin confirmation cards: only the admin who asked can act, and a card acts once,
whatever is pressed, replayed, raced, forged, or left to expire.
"""

from __future__ import annotations

import asyncio

import pytest

from bot import admin_cards
from bot.fakeapi import Telegram
from ledger.errors import DatabaseUnavailable
from tests.bot.conftest import ChatBot, MakeBot

OSCAR = Telegram.user(900, "oscar", "Oscar")  # an admin
NADIA = Telegram.user(901, "nadia", "Nadia")  # another admin


@pytest.fixture
async def ops(make_bot: MakeBot) -> ChatBot:
    """The bot with oscar and nadia as admins; alice and bob have 50.00 USD each."""
    bot = await make_bot(admin_ids=[OSCAR["id"], NADIA["id"]])
    await bot.register(bot.user("alice"), bot.user("bob"), funds=5_000)
    return bot


async def debits_of(bot: ChatBot) -> int:
    rows = await bot.ledger.db.read_one("SELECT COUNT(*) FROM transfers WHERE kind = 'debit'", {})
    return int(rows[0][0])


def notices_to(bot: ChatBot, user: dict, start: str) -> list[str]:
    return [text for text in bot.texts(user) if text.startswith(start)]


async def test_nadia_cannot_confirm_oscars_card_and_nothing_changes(ops: ChatBot) -> None:
    bob = ops.user("bob")
    await ops.send(OSCAR, "/debit @bob 10 chargeback")
    card = ops.last(OSCAR)
    books = await ops.books()

    for label in ("Confirm", "Cancel"):
        await ops.press(NADIA, card, label)
        assert ops.answer().params["text"] == (
            "Only the admin who asked can press these buttons. Nothing was done."
        )
        assert ops.answer().params["show_alert"] is True

    assert await ops.books() == books
    assert ops.to(bob) == []
    assert ops.last(OSCAR) is card  # the card was not touched
    await ops.press(OSCAR, card, "Confirm")
    assert await ops.balances(bob) == [4_000]


async def test_tampered_callback_data_names_no_card_and_changes_nothing(ops: ChatBot) -> None:
    bob = ops.user("bob")
    await ops.send(OSCAR, "/freeze @bob spam")
    card = ops.last(OSCAR)
    card_id = ops.button(card, "Confirm").removeprefix("a:c:")

    for data in (
        "a:c:" + card_id[:-1] + ("A" if card_id[-1] != "A" else "B"),  # one character off
        "a:c:" + card_id[:-1],  # truncated
        "a:c:" + card_id + "X",  # extended
        "a:z:" + card_id,  # an action that does not exist
        "a:c:../../" + card_id,
        "a:",
    ):
        await ops.press_data(OSCAR, card, data)
        assert ops.answer().params["text"] == (
            "This card expired or is no longer valid; nothing was done. Run the command again."
        ), data
    assert not (await ops.account(bob)).frozen
    assert ops.to(bob) == []


async def test_oscar_presses_confirm_twice_and_the_debit_happens_once(ops: ChatBot) -> None:
    bob = ops.user("bob")
    await ops.send(OSCAR, "/debit @bob 10 chargeback")
    card = ops.last(OSCAR)
    press = await ops.press(OSCAR, card, "Confirm")

    await ops.press(OSCAR, card, "Confirm")  # a second press
    assert ops.answer().params["text"] == (
        "Already done: this card acts only once; nothing more happened."
    )
    await ops.deliver(press)  # Telegram delivers the first press again
    assert ops.answer().params["text"] == (
        "Already done: this card acts only once; nothing more happened."
    )
    await ops.press(OSCAR, card, "Cancel")  # too late to cancel
    assert ops.answer().params["text"].startswith("Already done")

    assert await ops.balances(bob) == [4_000]
    assert await debits_of(ops) == 1
    assert len(notices_to(ops, bob, "The X Money team debited")) == 1
    debit_rows = [r for r in await ops.ledger.audit_log(limit=20) if r.action == "debit.posted"]
    assert len(debit_rows) == 1


async def test_two_presses_at_the_same_moment_debit_once(ops: ChatBot) -> None:
    bob = ops.user("bob")
    await ops.send(OSCAR, "/debit @bob 10 chargeback")
    card = ops.last(OSCAR)
    data = ops.button(card, "Confirm")

    await asyncio.gather(
        *(ops.deliver(ops.tg.callback(OSCAR, data, card, query_id=f"q{i}")) for i in range(5))
    )

    answers = sorted(call.params["text"] for call in ops.answers())
    assert answers == ["Already done: this card acts only once; nothing more happened."] * 4 + [
        "Done."
    ]
    assert await ops.balances(bob) == [4_000]
    assert await debits_of(ops) == 1
    assert len(notices_to(ops, bob, "The X Money team debited")) == 1


async def test_two_presses_at_the_same_moment_freeze_once(ops: ChatBot) -> None:
    bob = ops.user("bob")
    await ops.send(OSCAR, "/freeze @bob spam")
    card = ops.last(OSCAR)
    data = ops.button(card, "Confirm")

    await asyncio.gather(
        *(ops.deliver(ops.tg.callback(OSCAR, data, card, query_id=f"q{i}")) for i in range(3))
    )

    assert (await ops.account(bob)).frozen
    assert len(notices_to(ops, bob, "🔒 Your account was frozen")) == 1
    freezes = [r for r in await ops.ledger.audit_log(limit=20) if r.action == "freeze"]
    assert len(freezes) == 1


async def test_if_the_card_forgot_it_acted_the_ledger_key_still_debits_once(
    ops: ChatBot,
) -> None:
    """The card's own state is the first guard; the idempotency key ``admin:<card id>`` is the
    second: even a card that acts again moves no more money and tells nobody twice."""
    bob = ops.user("bob")
    await ops.send(OSCAR, "/debit @bob 10 chargeback")
    card = ops.last(OSCAR)
    await ops.press(OSCAR, card, "Confirm")
    await ops.ledger.db.write_one("UPDATE admin_cards SET state = 'open'", {})

    await ops.press(OSCAR, card, "Confirm")

    assert await ops.balances(bob) == [4_000]
    assert await debits_of(ops) == 1
    assert len(notices_to(ops, bob, "The X Money team debited")) == 1
    assert ops.last(OSCAR).text.startswith("✅ Done: debit <b>10.00 USD</b> from @bob")


async def test_oscar_cancels_and_a_later_confirm_does_nothing(ops: ChatBot) -> None:
    bob = ops.user("bob")
    await ops.send(OSCAR, "/freeze @bob spam")
    card = ops.last(OSCAR)

    await ops.press(OSCAR, card, "Cancel")
    assert ops.answer().params["text"] == "Cancelled; nothing was done."
    assert ops.last(OSCAR).text == (
        "Cancelled: freeze @bob's account — <i>spam</i>\nNothing was done."
    )
    assert ops.last(OSCAR).buttons == []

    await ops.press(OSCAR, card, "Confirm")
    assert ops.answer().params["text"] == "This card was cancelled; nothing was done."
    assert not (await ops.account(bob)).frozen
    assert ops.to(bob) == []
    assert [r for r in await ops.ledger.audit_log(limit=20) if r.action == "freeze"] == []


async def test_a_card_left_too_long_expires_and_acts_no_more(ops: ChatBot) -> None:
    bob = ops.user("bob")
    await ops.send(OSCAR, "/debit @bob 10 chargeback")
    card = ops.last(OSCAR)
    ops.clock.advance(seconds=301)

    await ops.press(OSCAR, card, "Confirm")

    assert ops.answer().params["text"] == (
        "This card expired; nothing was done. Run the command again."
    )
    assert ops.last(OSCAR).text == (
        "Expired: debit <b>10.00 USD</b> from @bob — <i>chargeback</i>\n"
        "Nothing was done; run the command again if needed."
    )
    assert await ops.balances(bob) == [5_000]
    await ops.press(OSCAR, card, "Confirm")
    assert ops.answer().params["text"].startswith("This card expired")
    assert await ops.balances(bob) == [5_000]


async def test_the_sweeper_marks_unanswered_cards_expired_and_forgets_them(
    ops: ChatBot,
) -> None:
    bob = ops.user("bob")
    await ops.send(OSCAR, "/freeze @bob spam")
    card = ops.last(OSCAR)
    ops.clock.advance(seconds=299)
    assert await admin_cards.sweep(ops.app) == []

    ops.clock.advance(seconds=2)
    expired = await admin_cards.sweep(ops.app)

    assert [c.action for c in expired] == ["freeze"]
    edited = ops.last(OSCAR)
    assert edited.method == "editMessageText"
    assert edited.params["message_id"] == card.result["message_id"]
    assert edited.text.startswith("Expired: freeze @bob's account")
    assert await admin_cards.sweep(ops.app) == []  # edited once, by one sweep
    await ops.press(OSCAR, card, "Confirm")
    assert ops.answer().params["text"].startswith("This card expired or is no longer valid")
    assert not (await ops.account(bob)).frozen


async def test_after_a_restart_a_card_still_waiting_can_be_confirmed(
    ops: ChatBot, make_bot: MakeBot
) -> None:
    bob = ops.user("bob")
    await ops.send(OSCAR, "/debit @bob 10 chargeback")
    card = ops.last(OSCAR)

    restarted = await make_bot(admin_ids=[OSCAR["id"], NADIA["id"]])  # same database
    await restarted.press(OSCAR, card, "Confirm")

    assert restarted.answer().params["text"] == "Done."
    assert await restarted.balances(bob) == [4_000]
    assert restarted.last(OSCAR).text.startswith("✅ Done: debit <b>10.00 USD</b> from @bob")


async def test_the_button_carries_only_an_opaque_id_the_action_is_kept_by_the_bot(
    ops: ChatBot,
) -> None:
    bob = ops.user("bob")
    await ops.send(OSCAR, "/debit @bob 10 chargeback")
    await ops.send(OSCAR, "/debit @bob 10 chargeback")
    first, second = (c for c in ops.to(OSCAR) if c.buttons)
    for card in (first, second):
        (confirm, cancel) = (data for _, data in card.buttons)
        assert len(confirm.encode()) <= 64 and len(cancel.encode()) <= 64
        card_id = confirm.removeprefix("a:c:")
        assert cancel == "a:x:" + card_id
        action = await admin_cards.card_of(ops.ledger, card_id)
        assert action is not None
        assert (action.admin_id, action.action, action.target_id, action.amount) == (
            OSCAR["id"],
            "debit",
            bob["id"],
            1_000,
        )
        assert action.reason == "chargeback"
    assert first.buttons != second.buttons  # each card has its own random id


async def test_a_confirm_answered_too_late_still_tells_the_person_concerned(
    ops: ChatBot,
) -> None:
    bob = ops.user("bob")
    await ops.send(OSCAR, "/debit @bob 10 chargeback")
    card = ops.last(OSCAR)
    ops.api.fail_next["answerCallbackQuery"] = (400, "Bad Request: query is too old")

    await ops.press(OSCAR, card, "Confirm")

    assert await ops.balances(bob) == [4_000]
    assert ops.last(OSCAR).text.startswith("✅ Done: debit <b>10.00 USD</b> from @bob")
    assert len(notices_to(ops, bob, "The X Money team debited")) == 1


async def test_when_the_ledger_is_unreachable_the_card_stays_open_and_acts_once_later(
    ops: ChatBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    bob = ops.user("bob")
    await ops.send(OSCAR, "/debit @bob 10 chargeback")
    card = ops.last(OSCAR)
    real_transfer = ops.ledger.transfer

    async def outage(*args: object, **kwargs: object) -> object:
        raise DatabaseUnavailable()

    monkeypatch.setattr(ops.ledger, "transfer", outage)
    await ops.press(OSCAR, card, "Confirm")
    assert ops.answer().params["text"] == (
        "Not done yet: I can't reach the ledger. Press Confirm again in a moment; "
        "it will act at most once."
    )
    assert ops.last(OSCAR) is card  # still waiting, buttons and all
    assert await ops.balances(bob) == [5_000]

    monkeypatch.setattr(ops.ledger, "transfer", real_transfer)
    await ops.press(OSCAR, card, "Confirm")
    assert ops.answer().params["text"] == "Done."
    assert await ops.balances(bob) == [4_000]
    assert await debits_of(ops) == 1


async def test_a_debit_written_before_the_ledger_goes_away_is_reported_done_once(
    ops: ChatBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The debit is written, then the ledger can't be read for the receipt: the admin hears
    it is done (never "not done yet"), and pressing again does not debit twice."""
    bob = ops.user("bob")
    await ops.send(OSCAR, "/debit @bob 10 chargeback")
    card = ops.last(OSCAR)

    async def outage(*args: object, **kwargs: object) -> object:
        raise DatabaseUnavailable()

    monkeypatch.setattr(ops.ledger, "account", outage)
    await ops.press(OSCAR, card, "Confirm")
    assert ops.answer().params["text"] == "Done."
    assert "nobody was told yet" in ops.last(OSCAR).text
    monkeypatch.undo()
    await ops.press(OSCAR, card, "Confirm")
    assert await ops.balances(bob) == [4_000]
    assert await debits_of(ops) == 1
