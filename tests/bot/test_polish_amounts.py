"""Issue 17, point 1: the one-line /send and /request read what the guided conversation reads
(the longest amount, thousands grouped as each language writes them, a currency next to it),
and a refusal names the real problem (a missing @)."""

from __future__ import annotations

import pytest

from tests.bot.conftest import SQLITE_ONLY, ChatBot


async def scene(bot: ChatBot, lang: str = "en") -> tuple[dict, dict]:
    """alice (2,000.00 USD, reading ``lang``) and bob have started the bot."""
    alice, bob = bot.user("alice", lang=lang), bot.user("bob")
    await bot.register(bob)
    await bot.register(alice, funds=200_000)
    return alice, bob


@pytest.mark.parametrize(
    ("lang", "command", "card"),
    [
        # was a card for 1.00 USD with the note "000 x"
        ("en", "/send @bob 1 000 x", "Send <b>1\u00a0000.00 USD</b> to @bob — <i>x</i>?"),
        # was refused with "use either a dot or a comma"
        ("en", "/send @bob 1,000.50", "Send <b>1\u00a0000.50 USD</b> to @bob?"),
        ("en", "/send 1 000 USD @bob rent", "Send <b>1\u00a0000.00 USD</b> to @bob — <i>rent</i>?"),
        (
            "fr",
            "/send @bob 1 000,50 loyer",
            "Envoyer <b>1\u00a0000,50 USD</b> à @bob — <i>loyer</i> ?",
        ),
        ("fr", "/send @bob 1.000,50", "Envoyer <b>1\u00a0000,50 USD</b> à @bob ?"),
        (
            "fr",
            "/send @bob 1\u202f000 loyer",
            "Envoyer <b>1\u00a0000,00 USD</b> à @bob — <i>loyer</i> ?",
        ),
    ],
)
async def test_one_line_amounts_read_like_the_guided_flow(
    bot: ChatBot, lang: str, command: str, card: str
) -> None:
    alice, bob = await scene(bot, lang)
    await bot.send(alice, command)
    assert bot.last(alice).text.startswith(card), bot.last(alice).text
    amount = 100_050 if ",50" in command or ".50" in command else 100_000
    assert await bot.held(alice) == amount
    assert bot.to(bob) == []


@SQLITE_ONLY
async def test_the_guided_flow_reads_the_same_amounts(bot: ChatBot) -> None:
    alice, _ = await scene(bot)
    await bot.send(alice, "/send @bob")
    await bot.send(alice, "1,000.50")
    await bot.send(alice, "/skip")
    assert bot.last(alice).text.startswith("Send <b>1\u00a0000.50 USD</b> to @bob?")
    assert await bot.held(alice) == 100_050


@pytest.mark.parametrize(
    ("lang", "command", "expected"),
    [
        (
            "en",
            "/send bob 5",
            "Usernames start with @: did you mean <code>/send @bob 5</code>?",
        ),
        (
            "fr",
            "/send bob 5 café",
            "Les noms d'utilisateur commencent par @ : vouliez-vous dire "
            "<code>/send @bob 5</code> ?",
        ),
        (
            "en",
            "/request bob 1 000",
            "Usernames start with @: did you mean <code>/request @bob 1 000</code>?",
        ),
    ],
)
async def test_a_missing_at_is_named_and_nothing_is_held(
    bot: ChatBot, lang: str, command: str, expected: str
) -> None:
    alice, bob = await scene(bot, lang)
    before = await bot.books()
    await bot.send(alice, command)
    [reply] = bot.to(alice)
    assert reply.text == expected
    assert await bot.books() == before
    assert bot.to(bob) == []


@SQLITE_ONLY
@pytest.mark.parametrize(
    ("command", "expected"),
    [
        # truly ambiguous still: a thousand, or one with three decimals?
        ("/send @bob 1,000", "A dot or comma followed by three digits (like 1,000)"),
        # "1,5" groups no thousands, so which mark is the decimal one is a guess
        ("/send @bob 1,5.30", "Use either a dot or a comma for the decimals, not both"),
    ],
)
async def test_only_the_truly_ambiguous_is_refused(
    bot: ChatBot, command: str, expected: str
) -> None:
    alice, _ = await scene(bot)
    before = await bot.books()
    await bot.send(alice, command)
    assert bot.last(alice).text.startswith(expected)
    assert await bot.books() == before
