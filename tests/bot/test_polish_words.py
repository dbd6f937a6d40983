"""Issue 17, point 8: words people understand: no jargon in what users read, a support
contact that is named (SUPPORT_CONTACT), French as a native speaker writes it."""

from __future__ import annotations

import re

import pytest

from bot.texts import CATALOGUE, LANGUAGES
from tests.bot.conftest import SQLITE_ONLY, ChatBot

JARGON = re.compile(
    r"ledger|operator|registre|opérateur|contre-pass|on hold|held money|money held|"
    r"me démarrer",
    re.IGNORECASE,
)
# Texts only admins read (their commands' refusals), where the accounting words are right.
FOR_ADMINS = {"refusal.already_reversed", "refusal.not_reversible"}


def user_facing(key: str) -> bool:
    if key in FOR_ADMINS:
        return False
    return not key.startswith(("admin.", "menu.admin")) or key.startswith("admin.notice.")


@pytest.mark.parametrize("key", sorted(k for k in CATALOGUE if user_facing(k)))
def test_no_jargon_in_what_users_read(key: str) -> None:
    for language in LANGUAGES:
        text = CATALOGUE[key][language]
        assert not JARGON.search(text), f"{key} ({language}): {text}"


@SQLITE_ONLY
@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", "Your account is frozen, so you can't send money. Contact @xmoney_help."),
        (
            "fr",
            "Votre compte est gelé, vous ne pouvez donc pas envoyer d'argent. "
            "Contactez @xmoney_help.",
        ),
    ],
)
async def test_a_frozen_sender_is_told_whom_to_contact(make_bot, lang: str, expected: str) -> None:
    bot = await make_bot(support_contact="@xmoney_help")
    alice, bob = bot.user("alice", lang=lang), bot.user("bob")
    await bot.register(bob)
    await bot.register(alice, funds=1_000)
    await bot.freeze(alice)
    before = await bot.books()
    await bot.send(alice, "/send @bob 5")
    assert bot.last(alice).text == expected
    assert await bot.books() == before


@SQLITE_ONLY
async def test_without_a_contact_the_team_is_named(bot: ChatBot) -> None:
    alice = bot.user("alice", lang="fr")
    await bot.register(alice)
    await bot.freeze(alice)
    await bot.send(alice, "/balance")
    assert bot.last(alice).text.endswith("Contactez l'équipe qui gère ce bot.")


@SQLITE_ONLY
async def test_an_unknown_person_is_asked_to_open_x_money_in_french(bot: ChatBot) -> None:
    alice = bot.user("alice", lang="fr")
    await bot.register(alice, funds=1_000)
    await bot.send(alice, "/send @zoe 5")
    assert bot.last(alice).text.startswith(
        "Je ne connais pas encore @zoe. Demandez-lui d'ouvrir X Money avec ce lien"
    )
