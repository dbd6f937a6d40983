"""Issue 17, point 6: the guided /send offers buttons to tap instead of typing: the last
five people paid or paid by, amount chips (the last amount sent to that person first), and
[Skip note]."""

from __future__ import annotations

import pytest

from tests.bot.conftest import SQLITE_ONLY, ChatBot


def labels(call) -> list[str]:
    return [label for label, _ in call.buttons]


async def paid_before(bot: ChatBot, lang: str = "en") -> tuple[dict, dict, dict]:
    """alice (reading ``lang``) paid bob 7.50, then carol (no username) 3.00."""
    alice, bob, carol = bot.user("alice", lang=lang), bot.user("bob"), bot.user("carol")
    await bot.register(bob, carol)
    await bot.register(alice, funds=10_000)
    confirm = "Confirm" if lang == "en" else "Confirmer"
    await bot.send(alice, "/send @bob 7.50")
    await bot.press(alice, bot.last(alice), confirm)
    carol_says = bot.message(carol, "hi", chat=bot.group())
    await bot.send(alice, "/send 3", chat=bot.group(), reply_to=carol_says)
    await bot.press(alice, bot.last(bot.group()), confirm)
    bot.api.clear()
    return alice, bob, carol


@pytest.mark.parametrize(
    ("lang", "chips", "skip", "card"),
    [
        ("en", ["7.50", "5.00", "10.00", "20.00"], "Skip note", "Send <b>7.50 USD</b> to @bob?"),
        (
            "fr",
            ["7,50", "5,00", "10,00", "20,00"],
            "Pas de note",
            "Envoyer <b>7,50 USD</b> à @bob ?",
        ),
    ],
)
async def test_alice_pays_bob_again_by_tapping_only(
    bot: ChatBot, lang: str, chips: list[str], skip: str, card: str
) -> None:
    alice, bob, _ = await paid_before(bot, lang)
    await bot.send(alice, "/send")
    who = bot.last(alice)
    assert labels(who) == ["Carol", "@bob"]  # newest first

    await bot.press(alice, who, "@bob")
    how_much = bot.last(alice)
    assert how_much.text.startswith("How much?" if lang == "en" else "Combien ?")
    assert labels(how_much) == chips

    await bot.press(alice, how_much, chips[0])
    note = bot.last(alice)
    assert labels(note) == [skip]
    await bot.press(alice, note, skip)
    shown = bot.last(alice)
    assert shown.text.startswith(card)
    assert await bot.held(alice) == 750
    await bot.press(alice, shown, "Confirm" if lang == "en" else "Confirmer")
    assert await bot.balances(alice, bob) == [8_200, 1_500]


@SQLITE_ONLY
async def test_someone_new_gets_standard_chips_and_no_people(bot: ChatBot) -> None:
    alice, bob = bot.user("alice"), bot.user("bob")
    await bot.register(bob)
    await bot.register(alice, funds=10_000)
    await bot.send(alice, "/send")
    assert bot.last(alice).buttons == []  # nobody paid yet: nothing to offer
    await bot.send(alice, "@bob")
    assert labels(bot.last(alice)) == ["5.00", "10.00", "20.00", "50.00"]


@SQLITE_ONLY
async def test_a_chip_above_the_balance_is_refused_and_asked_again(bot: ChatBot) -> None:
    alice, bob = bot.user("alice"), bot.user("bob")
    await bot.register(bob)
    await bot.register(alice, funds=1_500)
    await bot.send(alice, "/send @bob")
    before = await bot.books()
    await bot.press(alice, bot.last(alice), "20.00")
    assert bot.answer().text.startswith("Not enough money: you have 15.00 USD available")
    assert await bot.books() == before
    await bot.press(alice, bot.last(alice), "10.00")
    assert labels(bot.last(alice)) == ["Skip note"]


@SQLITE_ONLY
async def test_the_guided_flow_offers_at_most_five_people(bot: ChatBot) -> None:
    alice = bot.user("alice")
    names = ["bob", "dave", "erin", "frank", "grace", "heidi"]
    people = [bot.user(name) for name in names]
    await bot.register(*people)
    await bot.register(alice, funds=10_000)
    for name in names:
        await bot.send(alice, f"/send @{name} 1")
        await bot.press(alice, bot.last(alice), "Confirm")
    await bot.send(alice, "/send")
    assert labels(bot.last(alice)) == ["@heidi", "@grace", "@frank", "@erin", "@dave"]


@SQLITE_ONLY
async def test_a_tapped_button_after_the_conversation_ended_does_nothing(bot: ChatBot) -> None:
    alice, _, _ = await paid_before(bot)
    await bot.send(alice, "/send")
    who = bot.last(alice)
    await bot.send(alice, "/cancel")
    before = await bot.books()
    await bot.press(alice, who, "@bob")
    assert bot.answer().text == "This button no longer works."
    assert await bot.books() == before
