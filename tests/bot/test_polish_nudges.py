"""Issue 17, point 10: safety nudges on the payer's card: the first payment to someone shows
their full name next to the handle with one warning line; the same amount to the same
person within two minutes says "you just sent this"."""

from __future__ import annotations

import pytest

from tests.bot.conftest import SQLITE_ONLY, ChatBot

FIRST = {
    "en": "⚠️ You've never paid @bob (Bob Martin): check it's them.",
    "fr": "⚠️ Vous n'avez encore jamais payé @bob (Bob Martin) : vérifiez que c'est bien "
    "cette personne.",
}
AGAIN = {
    "en": "⚠️ You just sent them this same amount: is this a second payment?",
    "fr": "⚠️ Vous venez de lui envoyer ce même montant : s'agit-il d'un second paiement ?",
}


async def scene(bot: ChatBot, lang: str) -> tuple[dict, dict]:
    alice = bot.user("alice", lang=lang)
    bob = bot.tg.user(102, "bob", "Bob", last_name="Martin")
    await bot.register(bob)
    await bot.register(alice, funds=10_000)
    return alice, bob


@pytest.mark.parametrize("lang", ["en", "fr"])
async def test_the_first_payment_to_bob_names_him_and_warns_once(bot: ChatBot, lang: str) -> None:
    alice, bob = await scene(bot, lang)
    confirm = "Confirm" if lang == "en" else "Confirmer"
    await bot.send(alice, "/send @bob 5 film")
    first = bot.last(alice)
    assert first.text.endswith("\n" + FIRST[lang])
    assert AGAIN[lang] not in first.text
    await bot.press(alice, first, confirm)

    bot.clock.advance(119)
    await bot.send(alice, "/send @bob 5 film")  # the same again, 1 min 59 s later
    second = bot.last(alice)
    assert second.text.endswith("\n" + AGAIN[lang])
    assert FIRST[lang] not in second.text
    await bot.press(alice, second, "Cancel" if lang == "en" else "Annuler")

    bot.clock.advance(2)
    await bot.send(alice, "/send @bob 5 film")  # over two minutes after the payment
    third = bot.last(alice)
    assert AGAIN[lang] not in third.text and FIRST[lang] not in third.text
    await bot.send(alice, "/send @bob 6 film")  # another amount: no warning
    assert "⚠️" not in bot.last(alice).text
    assert await bot.balances(alice, bob) == [10_000 - 500 - 500 - 600, 500]


@SQLITE_ONLY
async def test_a_double_tap_on_send_warns_on_the_second_card(bot: ChatBot) -> None:
    """Two cards for the same payment, both waiting: the second says so."""
    alice, _ = await scene(bot, "en")
    await bot.send(alice, "/send @bob 5")
    await bot.send(alice, "/send @bob 5")
    assert bot.last(alice).text.endswith(FIRST["en"] + "\n" + AGAIN["en"])


@SQLITE_ONLY
async def test_nudges_stay_out_of_a_group(bot: ChatBot) -> None:
    alice, _ = await scene(bot, "en")
    group = bot.group()
    await bot.send(alice, "/send @bob 5", chat=group)
    assert "⚠️" not in bot.last(group).text
