"""Issue 17, point 5: plain text in the private chat gets a short reply: the command it
looks like (with a button that makes the card), or help."""

from __future__ import annotations

import pytest

from tests.bot.conftest import SQLITE_ONLY, ChatBot

HELP_EN = (
    "To pay someone, send <code>/send @name 12.50 note</code>; to ask for money, "
    "<code>/request @name 12.50</code>. /help lists everything I can do."
)
HELP_FR = (
    "Pour payer quelqu'un, envoyez <code>/send @nom 12,50 note</code> ; pour demander de "
    "l'argent, <code>/request @nom 12,50</code>. /help liste tout ce que je sais faire."
)


async def scene(bot: ChatBot, lang: str = "en") -> tuple[dict, dict]:
    alice, bob = bot.user("alice", lang=lang), bot.user("bob")
    await bot.register(bob)
    await bot.register(alice, funds=5_000)
    return alice, bob


@SQLITE_ONLY
@pytest.mark.parametrize(("lang", "expected"), [("en", HELP_EN), ("fr", HELP_FR)])
async def test_hello_gets_help_not_silence(bot: ChatBot, lang: str, expected: str) -> None:
    alice, _ = await scene(bot, lang)
    await bot.send(alice, "hello")
    [reply] = bot.to(alice)
    assert reply.text == expected
    assert reply.buttons == []


@pytest.mark.parametrize(
    ("lang", "typed", "expected", "button"),
    [
        (
            "en",
            "send bob 5",
            "Did you mean <code>/send @bob 5</code>? Tap to prepare the payment; you'll "
            "confirm it on the next card.",
            "Send 5.00 USD to @bob",
        ),
        (
            "en",
            "pay @bob 5 lunch",
            "Did you mean <code>/send @bob 5 lunch</code>? Tap to prepare the payment; "
            "you'll confirm it on the next card.",
            "Send 5.00 USD to @bob",
        ),
        (
            "fr",
            "payer bob 5",
            "Vouliez-vous dire <code>/send @bob 5</code> ? Touchez pour préparer le paiement ; "
            "vous le confirmerez sur la carte suivante.",
            "Envoyer 5,00 USD à @bob",
        ),
    ],
)
async def test_a_payment_typed_without_the_slash_is_one_tap_from_its_card(
    bot: ChatBot, lang: str, typed: str, expected: str, button: str
) -> None:
    alice, bob = await scene(bot, lang)
    before = await bot.books()
    await bot.send(alice, typed)
    [reply] = bot.to(alice)
    assert reply.text == expected
    assert [label for label, _ in reply.buttons] == [button]
    assert await bot.books() == before  # a suggestion moves nothing

    await bot.press(alice, reply, button)
    card = bot.last(alice)
    assert card.text.startswith(
        "Send <b>5.00 USD</b> to @bob?" if lang == "en" else "Envoyer <b>5,00 USD</b> à @bob ?"
    )
    assert await bot.held(alice) == 500
    await bot.press(alice, card, "Confirm" if lang == "en" else "Confirmer")
    assert await bot.balances(alice, bob) == [4_500, 500]


@SQLITE_ONLY
async def test_request_typed_without_the_slash_is_named(bot: ChatBot) -> None:
    alice, _ = await scene(bot)
    await bot.send(alice, "request bob 20 dinner")
    assert bot.last(alice).text == (
        "Did you mean <code>/request @bob 20 dinner</code>? Send it with the slash."
    )


@SQLITE_ONLY
async def test_the_suggestions_button_goes_through_the_same_checks(bot: ChatBot) -> None:
    alice, _ = await scene(bot)
    await bot.send(alice, "send bob 60")  # alice has 50.00
    before = await bot.books()
    await bot.press(alice, bot.last(alice), "Send 60.00 USD to @bob")
    assert bot.answer().text.startswith("Not enough money: you have 50.00 USD available")
    assert await bot.books() == before
    await bot.press_data(alice, bot.last(alice), "t:s:bob:0")
    assert bot.answer().text == "This button is not valid."


@SQLITE_ONLY
async def test_plain_text_in_a_group_is_none_of_our_business(bot: ChatBot) -> None:
    alice, _ = await scene(bot)
    group = bot.group()
    await bot.send(alice, "send bob 5", chat=group)
    assert bot.to(group) == []


@SQLITE_ONLY
async def test_answers_in_the_guided_flow_are_not_taken_for_plain_text(bot: ChatBot) -> None:
    alice, _ = await scene(bot)
    await bot.send(alice, "/send")
    await bot.send(alice, "@bob")
    await bot.send(alice, "5")
    assert bot.last(alice).text.startswith("Add a note")
