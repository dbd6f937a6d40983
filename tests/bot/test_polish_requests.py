"""Issue 17, point 4: requests last until paid, declined, withdrawn or their own expiry;
/requests lists them with buttons; a reminder goes at most once a day; a request to a
frozen account is refused without saying why."""

from __future__ import annotations

import pytest

from bot import requests_view
from tests.bot.conftest import SQLITE_ONLY, ChatBot


async def asked(bot: ChatBot, lang: str = "en") -> tuple[dict, dict]:
    """alice (reading ``lang``) asks bob (50.00 USD) for 20.00 for dinner."""
    alice, bob = bot.user("alice", lang=lang), bot.user("bob")
    await bot.register(alice)
    await bot.register(bob, funds=5_000)
    await bot.send(alice, "/request @bob 20 dinner")
    return alice, bob


def labels(call) -> list[str]:
    return [label for label, _ in call.buttons]


async def test_requests_lists_what_alice_asked_and_what_bob_is_asked(bot: ChatBot) -> None:
    alice, bob = await asked(bot)
    await bot.send(alice, "/requests")
    mine = bot.last(alice)
    assert mine.text == (
        "<b>Open requests</b>\n"
        "• You asked @bob for <b>20.00 USD</b> — <i>dinner</i> "
        "(open until Nov 29, 2026, 12:00\u202fPM UTC)"
    )
    assert labels(mine) == ["Remind @bob", "Withdraw 20.00 USD"]

    await bot.send(bob, "/requests")
    theirs = bot.last(bob)
    assert theirs.text == (
        "<b>Open requests</b>\n"
        "• @alice asks you for <b>20.00 USD</b> — <i>dinner</i> "
        "(open until Nov 29, 2026, 12:00\u202fPM UTC)"
    )
    assert labels(theirs) == ["Pay 20.00 USD", "Decline"]
    await bot.press(bob, theirs, "Pay")
    await bot.press(bob, bot.last(bob), "Confirm")
    assert await bot.balances(alice, bob) == [2_000, 3_000]

    await bot.send(alice, "/requests")
    assert bot.last(alice).text == (
        "You have no open requests. Ask someone with <code>/request @name 20</code>."
    )


@SQLITE_ONLY
async def test_requests_in_french(bot: ChatBot) -> None:
    alice, _ = await asked(bot, "fr")
    await bot.send(alice, "/requests")
    mine = bot.last(alice)
    assert mine.text == (
        "<b>Demandes en cours</b>\n"
        "• Vous avez demandé <b>20,00 USD</b> à @bob — <i>dinner</i> "
        "(ouverte jusqu'au 29 nov. 2026, 12:00 UTC)"
    )
    assert labels(mine) == ["Relancer @bob", "Retirer 20,00 USD"]


async def test_alice_reminds_bob_at_most_once_a_day(bot: ChatBot) -> None:
    alice, bob = await asked(bot)
    await bot.send(alice, "/requests")
    listing = bot.last(alice)

    await bot.press(alice, listing, "Remind @bob")
    assert bot.answer().text == "Reminder sent to @bob."
    reminder = bot.last(bob)
    assert reminder.text == "🔔 Reminder: @alice asks you for <b>20.00 USD</b> — <i>dinner</i>."
    assert labels(reminder) == ["Pay 20.00 USD", "Decline"]
    told = len(bot.to(bob))

    bot.clock.advance(hours=23)
    await bot.press(alice, listing, "Remind @bob")
    assert bot.answer().text == "You reminded them less than a day ago: one reminder a day at most."
    assert len(bot.to(bob)) == told

    bot.clock.advance(hours=1)
    await bot.press(alice, listing, "Remind @bob")
    assert bot.answer().text == "Reminder sent to @bob."
    assert len(bot.to(bob)) == told + 1


async def test_alice_withdraws_and_bobs_open_card_is_released(bot: ChatBot) -> None:
    alice, bob = await asked(bot)
    await bot.press(bob, bot.last(bob), "Pay")  # bob's card holds 20.00
    card = bot.last(bob)
    assert await bot.held(bob) == 2_000
    await bot.send(alice, "/requests")

    await bot.press(alice, bot.last(alice), "Withdraw")
    assert bot.answer().text == "Request withdrawn."
    assert await bot.held(bob) == 0
    assert bot.last(alice).text == (  # the list, redrawn
        "You have no open requests. Ask someone with <code>/request @name 20</code>."
    )
    assert bot.last(bob).text == (
        "@alice withdrew their request for <b>20.00 USD</b> — <i>dinner</i>: nothing to pay."
    )
    await bot.press(bob, card, "Confirm")  # the old card, still on bob's screen
    assert await bot.balances(alice, bob) == [0, 5_000]
    assert await bot.held(bob) == 0


@SQLITE_ONLY
async def test_only_alice_can_remind_or_withdraw_her_request(bot: ChatBot) -> None:
    alice, bob = await asked(bot)
    await bot.send(alice, "/requests")
    listing = bot.last(alice)
    await bot.press(bob, listing, "Withdraw")
    assert bot.answer().text == "This button is not valid."
    await bot.press(bob, listing, "Remind @bob")
    assert bot.answer().text == "This button is not valid."
    await bot.send(bob, "/requests")
    assert "@alice asks you" in bot.last(bob).text  # still open


async def test_a_request_lapses_at_its_own_expiry_and_alice_is_told_once(bot: ChatBot) -> None:
    alice, bob = await asked(bot)
    request = bot.last(bob)
    bot.clock.advance(days=7, seconds=-1)
    assert await requests_view.lapse(bot.app) == []

    bot.clock.advance(seconds=1)
    [lapsed] = await requests_view.lapse(bot.app)
    assert lapsed.state == "cancelled"
    assert bot.last(alice).text == (
        "Your request to @bob for <b>20.00 USD</b> — <i>dinner</i> lapsed without an answer. "
        "Send a new /request if you still need it."
    )
    assert await requests_view.lapse(bot.app) == []
    await bot.press(bob, request, "Pay")
    assert bot.answer().text == "This request is no longer open."
    assert await bot.held(bob) == 0


@SQLITE_ONLY
async def test_request_expiry_is_a_setting(make_bot) -> None:
    bot = await make_bot(request_expiry_seconds="3600")
    _, bob = await asked(bot)
    request = bot.last(bob)
    bot.clock.advance(seconds=3600)
    await bot.press(bob, request, "Pay")  # due, not yet swept: refused all the same
    assert bot.answer().text == "This request is no longer open."
    assert len(await requests_view.lapse(bot.app)) == 1


@pytest.mark.parametrize("lang", ["en", "fr"])
async def test_a_request_to_a_frozen_account_is_refused_without_saying_why(
    bot: ChatBot, lang: str
) -> None:
    alice, bob = bot.user("alice", lang=lang), bot.user("bob")
    await bot.register(alice, bob)
    await bot.freeze(bob)
    before = await bot.books()

    await bot.send(alice, "/request @bob 20 dinner")

    assert (
        bot.last(alice).text
        == {
            "en": "I can't pass a request to them right now. Nothing was requested.",
            "fr": "Je ne peux pas leur transmettre de demande pour le moment. "
            "Rien n'a été demandé.",
        }[lang]
    )
    assert "frozen" not in bot.last(alice).text and "gel" not in bot.last(alice).text
    assert bot.to(bob) == []
    assert await bot.books() == before
    await bot.send(alice, "/requests")
    assert bot.last(alice).text.startswith(("You have no open requests", "Vous n'avez aucune"))


@pytest.mark.parametrize(
    ("lang", "question", "sent"),
    [
        (
            "en",
            "How much do you want to ask @bob for? For example 12.50 (or /cancel).",
            "Request sent to @bob for <b>20.00 USD</b>. I'll tell you when they answer.",
        ),
        (
            "fr",
            "Combien voulez-vous demander à @bob ? Par exemple 12,50 (ou /cancel).",
            "Demande envoyée à @bob : <b>20,00 USD</b>. Je vous préviendrai de sa réponse.",
        ),
    ],
)
async def test_request_without_an_amount_asks_for_it(
    bot: ChatBot, lang: str, question: str, sent: str
) -> None:
    alice, bob = bot.user("alice", lang=lang), bot.user("bob")
    await bot.register(alice, bob)
    await bot.send(alice, "/request @bob")
    assert bot.last(alice).text == question
    assert bot.to(bob) == []

    await bot.send(alice, "vingt")
    assert bot.to(bob) == []  # refused, asked again
    await bot.send(alice, "20")
    assert bot.last(alice).text == sent
    assert bot.last(bob).text == "💌 @alice asks you for <b>20.00 USD</b>."


@SQLITE_ONLY
async def test_a_request_waiting_for_its_amount_can_be_cancelled(bot: ChatBot) -> None:
    alice, bob = bot.user("alice"), bot.user("bob")
    await bot.register(alice, bob)
    await bot.send(alice, "/request @bob")
    await bot.send(alice, "/cancel")
    assert bot.last(alice).text == "Cancelled. Nothing was requested."
    await bot.send(alice, "20")  # no longer an answer
    assert bot.to(bob) == []
    await bot.send(alice, "/requests")
    assert bot.last(alice).text.startswith("You have no open requests")
