"""Issue 17, point 7 (dates and times): every time shown is written as the reader's language
writes it (CLDR, by Babel), in their time zone (/timezone, UTC by default)."""

from __future__ import annotations

import pytest

from tests.bot.conftest import SQLITE_ONLY, ChatBot

NNBSP = "\u202f"  # CLDR English puts a narrow no-break space before AM/PM


@pytest.mark.parametrize(
    ("lang", "told", "paid_on", "history"),
    [
        (
            "en",
            f"Time zone set: Europe/Paris. It is now Nov 22, 2026, 1:00{NNBSP}PM Europe/Paris.",
            f"Paid on Nov 22, 2026, 1:00{NNBSP}PM Europe/Paris",
            f" · Nov 22, 2026, 1:00{NNBSP}PM Europe/Paris",
        ),
        (
            "fr",
            "Fuseau horaire choisi : Europe/Paris. Il est 22 nov. 2026, 13:00 Europe/Paris.",
            "Payé le 22 nov. 2026, 13:00 Europe/Paris",
            " · 22 nov. 2026, 13:00 Europe/Paris",
        ),
    ],
)
async def test_alice_in_paris_sees_paris_time(
    bot: ChatBot, lang: str, told: str, paid_on: str, history: str
) -> None:
    alice, bob = bot.user("alice", lang=lang), bot.user("bob")
    await bot.register(bob)
    await bot.register(alice, funds=1_000)
    await bot.send(alice, "/timezone europe/paris")
    assert bot.last(alice).text == told

    await bot.send(alice, "/send @bob 5")
    await bot.press(alice, bot.last(alice), "Confirm" if lang == "en" else "Confirmer")
    assert paid_on in bot.last(alice).text.split("\n")
    await bot.send(alice, "/history")
    assert bot.last(alice).text.split("\n\n")[1].endswith(history)
    await bot.send(bob, "/history")  # bob never set one: UTC
    assert bot.last(bob).text.split("\n\n")[1].endswith(f" · Nov 22, 2026, 12:00{NNBSP}PM UTC")


@SQLITE_ONLY
async def test_timezone_alone_says_which_is_set(bot: ChatBot) -> None:
    alice = bot.user("alice")
    await bot.register(alice)
    await bot.send(alice, "/timezone")
    assert bot.last(alice).text == (
        "Times are shown in UTC. Change it with <code>/timezone Europe/Paris</code> "
        "(any IANA name, or UTC)."
    )
    await bot.send(alice, "/timezone America/New_York")
    await bot.send(alice, "/timezone")
    assert bot.last(alice).text.startswith("Times are shown in America/New_York.")


@SQLITE_ONLY
@pytest.mark.parametrize("wanted", ["Mars/Olympus", "../../etc/passwd", "CET5", "x" * 300])
async def test_an_unknown_time_zone_is_refused_and_nothing_changes(
    bot: ChatBot, wanted: str
) -> None:
    alice = bot.user("alice")
    await bot.register(alice)
    await bot.send(alice, f"/timezone {wanted}")
    assert bot.last(alice).text.startswith(f"I don't know the time zone “{wanted[:40]}”.")
    assert (await bot.ledger.directory.get(alice["id"])).time_zone is None
