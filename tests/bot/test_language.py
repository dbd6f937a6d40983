"""Languages: French from Telegram's language_code, /language to change it, and a catalogue
where every text exists in English and French with the same placeholders."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

import ledger.errors
from bot.texts import CATALOGUE, LANGUAGES, language_of, t
from tests.bot.conftest import SQLITE_ONLY, ChatBot

BOT_DIR = Path(__file__).resolve().parents[2] / "bot"


async def test_a_french_speaker_is_answered_in_french_with_french_amounts(bot: ChatBot) -> None:
    amelie = bot.tg.user(110, "amelie", "Amélie", language_code="fr")
    bob = bot.user("bob")
    await bot.register(bob)
    await bot.register(amelie, funds=123_456)

    await bot.send(amelie, "/send @bob 12,50 déjeuner")
    card = bot.last(amelie)
    assert card.text == (
        "Envoyer <b>12,50 USD</b> à @bob — <i>déjeuner</i> ?\n"
        "L'argent est réservé jusqu'à votre confirmation (expire dans 5 min).\n"
        "⚠️ Vous n'avez encore jamais payé @bob (Bob) : vérifiez que c'est bien cette personne."
    )
    assert [label for label, _ in card.buttons] == ["Confirmer", "Annuler"]

    await bot.press(amelie, card, "Confirmer")
    assert bot.answer().params["text"] == "Paiement envoyé."
    assert bot.last(amelie).text.endswith("Votre solde : <b>1\u00a0222,06 USD</b>")
    # bob reads English: the notification is in his language, amounts his way
    assert bot.last(bob).text.startswith("💸 @amelie sent you <b>12.50 USD</b>")

    await bot.send(amelie, "/send @bob 10000")
    assert bot.last(amelie).text.startswith(
        "Pas assez d'argent : vous avez 1\u00a0222,06 USD disponible et il faut 10\u00a0000,00 USD."
    )


@SQLITE_ONLY
async def test_language_command_switches_and_sticks(bot: ChatBot) -> None:
    alice, bob = bot.user("alice"), bot.user("bob")
    await bot.register(bob)
    await bot.register(alice, funds=5_000)

    await bot.send(alice, "/language")
    choices = bot.last(alice)
    assert choices.text == "Which language should I use?"
    assert choices.buttons == [("English", "l:en"), ("Français", "l:fr")]
    await bot.press(alice, choices, "Français")
    assert bot.last(alice).text == "Langue choisie : Français."

    await bot.send(alice, "/balance")
    assert bot.last(alice).text == "Disponible : <b>50,00 USD</b>\nRéservé : 0,00 USD"
    person = await bot.ledger.directory.get(alice["id"])
    assert person is not None and person.language == "fr"

    await bot.send(alice, "/send @bob 2")
    await bot.press(alice, bot.last(alice), "Confirmer")
    assert bot.last(bob).text.startswith("💸 @alice sent you")  # bob is still English

    await bot.send(alice, "/language en")
    assert bot.last(alice).text == "Language set: English."
    await bot.send(alice, "/help")
    assert bot.last(alice).text.startswith("<b>X Money</b>: pay people")


async def test_a_french_recipient_is_notified_in_french(bot: ChatBot) -> None:
    alice, bob = bot.user("alice"), bot.user("bob", lang="fr-CA")
    await bot.register(bob)
    await bot.register(alice, funds=500_000)
    await bot.send(alice, "/send @bob 1234.5 loyer")
    card = bot.last(alice)
    await bot.press(alice, card, "Confirm")
    ref = bot.button(card, "Confirm")[4:]
    assert bot.last(bob).text == (
        "💸 @alice vous a envoyé <b>1\u00a0234,50 USD</b> — <i>loyer</i>\n"
        f"Référence : <code>{ref}</code>\n\n"
        "Votre solde : <b>1\u00a0234,50 USD</b>"
    )
    assert [label for label, _ in bot.last(bob).buttons] == ["Dire merci", "Rendre"]


def test_language_codes_map_to_catalogue_languages() -> None:
    assert [language_of(c) for c in ("fr", "fr-CA", "FR_be", "en-US", "de", None, "")] == [
        "fr",
        "fr",
        "fr",
        "en",
        "en",
        "en",
        "en",
    ]


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("key", sorted(CATALOGUE))
def test_every_text_exists_in_every_language_with_the_same_placeholders(key: str) -> None:
    entry = CATALOGUE[key]
    assert set(entry) == set(LANGUAGES), f"{key} has {sorted(entry)}"
    assert _placeholders(entry["en"]) == _placeholders(entry["fr"]), key
    assert all(text.strip() for text in entry.values()), key


def test_every_ledger_refusal_has_a_text() -> None:
    codes = {
        cls.code
        for cls in vars(ledger.errors).values()
        if isinstance(cls, type) and issubclass(cls, ledger.errors.LedgerError)
    }
    prefixes = {
        key.removeprefix("refusal.").split(".")[0]
        for key in CATALOGUE
        if key.startswith("refusal.")
    }
    assert codes <= prefixes, codes - prefixes


def test_every_text_the_code_names_exists() -> None:
    """Keys written literally in bot/ (t(lang, "x.y"), Refusal("x.y"), menu keys) exist."""
    pattern = re.compile(r"""["']((?:[a-z_]+\.)+[a-z_]+)["']""")
    known_prefixes = {key.split(".")[0] for key in CATALOGUE}
    missing = set()
    for path in BOT_DIR.rglob("*.py"):
        if "texts" in path.parts:
            continue
        for key in pattern.findall(path.read_text()):
            if key.split(".")[0] in known_prefixes and key not in CATALOGUE:
                missing.add(f"{path.name}: {key}")
    assert not missing


def test_values_are_escaped_but_markup_passes() -> None:
    from bot.texts import Html

    assert t("en", "people.bad_username", text="<b>&") == (
        "“&lt;b&gt;&amp;” is not a username. Write it like @alice."
    )
    assert t("en", "card.your_balance", available=Html("<i>x</i>")) == (
        "Your balance: <b><i>x</i></b>"
    )


async def test_a_reply_that_shows_bob_without_his_language_keeps_his_french(
    bot: ChatBot,
) -> None:
    alice, bob = bot.user("alice"), bot.user("bob", lang="fr")
    await bot.register(bob)
    await bot.register(alice, funds=5_000)
    group = bot.group()
    # Telegram's copy of bob inside a replied-to message need not carry his language_code.
    bobs_message = bot.message(bot.user("bob", lang=None), "merci pour hier", chat=group)

    await bot.send(alice, "/send 5 merci", chat=group, reply_to=bobs_message)
    await bot.press(alice, bot.last(group), "Confirm")

    assert bot.last(bob).text.startswith("💸 @alice vous a envoyé <b>5,00 USD</b>")
