"""Issue 17, point 9: /statement [YYYY-MM] sends the month's transfers as a CSV document that
opens cleanly in a spreadsheet in English and in French."""

from __future__ import annotations

import csv
import io

import pytest

from tests.bot.conftest import SQLITE_ONLY, ChatBot


async def a_month_of_alice(bot: ChatBot, lang: str) -> tuple[dict, dict, list[str]]:
    """November: 100.00 topped up, 12.50 paid to bob for "=lunch", 2.00 cancelled; then on
    2 December 1.00 more. The references, in order."""
    alice, bob = bot.user("alice", lang=lang), bot.user("bob")
    confirm, cancel = ("Confirm", "Cancel") if lang == "en" else ("Confirmer", "Annuler")
    await bot.register(bob)
    await bot.register(alice)
    topup = await bot.fund(alice, 10_000)
    refs = [topup.ref]
    for command, button in (("/send @bob 12.50 =lunch", confirm), ("/send @bob 2 café", cancel)):
        await bot.send(alice, command)
        card = bot.last(alice)
        refs.append(bot.button(card, confirm)[4:])
        await bot.press(alice, card, button)
    bot.clock.advance(days=10)
    await bot.send(alice, "/send @bob 1 december")
    await bot.press(alice, bot.last(alice), confirm)
    bot.api.clear()
    return alice, bob, refs


def the_document(bot: ChatBot, user: dict) -> tuple[dict, str, bytes]:
    [sent] = bot.calls("sendDocument")
    assert int(sent.params["chat_id"]) == user["id"]
    [(filename, content, _mime)] = sent.files.values()
    return sent.params, filename, content


@pytest.mark.parametrize(
    ("lang", "filename", "caption", "delimiter", "rows"),
    [
        (
            "en",
            "statement-2026-11.csv",
            "Your statement for 2026-11: 3 transfer(s), amounts in USD.",
            ",",
            [
                ["Date (UTC)", "Reference", "With", "Amount", "Note", "State"],
                ["2026-11-22 12:00", "{0}", "X Money", "100.00", "", "paid"],
                ["2026-11-22 12:00", "{1}", "@bob", "-12.50", "'=lunch", "paid"],
                ["2026-11-22 12:00", "{2}", "@bob", "0.00", "café", "cancelled"],
            ],
        ),
        (
            "fr",
            "releve-2026-11.csv",
            "Votre relevé de 2026-11 : 3 transfert(s), montants en USD.",
            ";",
            [
                ["Date (UTC)", "Référence", "Avec", "Montant", "Note", "État"],
                ["2026-11-22 12:00", "{0}", "X Money", "100,00", "", "payé"],
                ["2026-11-22 12:00", "{1}", "@bob", "-12,50", "'=lunch", "payé"],
                ["2026-11-22 12:00", "{2}", "@bob", "0,00", "café", "annulé"],
            ],
        ),
    ],
)
async def test_alices_november_statement_opens_in_a_spreadsheet(
    bot: ChatBot, lang: str, filename: str, caption: str, delimiter: str, rows: list[list[str]]
) -> None:
    alice, _, refs = await a_month_of_alice(bot, lang)
    before = await bot.books()

    await bot.send(alice, "/statement 2026-11")

    params, name, content = the_document(bot, alice)
    assert name == filename
    assert params["caption"] == caption
    assert content.startswith(b"\xef\xbb\xbf")  # UTF-8 with its mark: accents survive
    text = content.decode("utf-8-sig")
    assert "\r\n" in text
    read = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    assert read == [[cell.format(*refs) for cell in row] for row in rows]
    assert await bot.books() == before


@SQLITE_ONLY
async def test_statement_without_a_month_is_this_months(bot: ChatBot) -> None:
    alice, _, _ = await a_month_of_alice(bot, "en")
    await bot.send(alice, "/statement")
    _, name, content = the_document(bot, alice)
    assert name == "statement-2026-12.csv"
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert [row[3:] for row in rows[1:]] == [["-1.00", "december", "paid"]]


@SQLITE_ONLY
@pytest.mark.parametrize("month", ["2026-13", "november", "26-11", "2026-11-01"])
async def test_a_month_that_is_no_month_is_refused(bot: ChatBot, month: str) -> None:
    alice, _, _ = await a_month_of_alice(bot, "en")
    await bot.send(alice, f"/statement {month}")
    assert bot.calls("sendDocument") == []
    assert bot.last(alice).text == (
        f"“{month}” is not a month. Write it like <code>/statement 2026-11</code>, or just "
        "/statement for this month."
    )


@SQLITE_ONLY
async def test_a_statement_asked_in_a_group_goes_privately(bot: ChatBot) -> None:
    alice, _, _ = await a_month_of_alice(bot, "en")
    group = bot.group()
    await bot.send(alice, "/statement 2026-11", chat=group)
    the_document(bot, alice)  # to alice's private chat
    assert bot.texts(group) == ["I've sent you your statement in a private message."]
