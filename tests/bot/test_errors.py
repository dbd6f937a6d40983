"""When things go wrong: the global error handler logs the update and tells the user the truth
about their money; Bot API noise is handled quietly."""

from __future__ import annotations

import logging

import pytest
from telegram import Update
from telegram.error import BadRequest, Forbidden, RetryAfter
from telegram.ext import CallbackContext

from bot import cards
from bot.errors import on_error
from ledger.errors import DatabaseUnavailable
from tests.bot.conftest import SQLITE_ONLY, TOKEN, ChatBot

FAILED = (
    "Sorry, something went wrong on my side. Nothing was charged; please try again in a moment."
)


async def broken(*args: object, **kwargs: object) -> None:
    raise RuntimeError("boom")


async def test_a_bug_in_a_handler_is_logged_and_the_user_told_nothing_was_charged(
    bot: ChatBot, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    alice = bot.user("alice")
    await bot.register(alice, funds=1_000)
    before = await bot.books()
    monkeypatch.setattr(bot.ledger, "account", broken)

    with caplog.at_level(logging.ERROR), bot.expecting(RuntimeError):
        update = await bot.send(alice, "/balance")

    assert bot.last(alice).text == FAILED
    assert f"update {update['update_id']} failed" in caplog.text
    assert "RuntimeError: boom" in caplog.text
    assert await bot.books() == before


async def test_an_unreachable_ledger_is_named_and_nothing_is_charged(
    bot: ChatBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = bot.user("alice")
    await bot.register(alice, funds=1_000)

    async def unreachable(*args: object, **kwargs: object) -> None:
        raise DatabaseUnavailable()

    monkeypatch.setattr(bot.ledger, "account", unreachable)
    with bot.expecting(DatabaseUnavailable):
        await bot.send(alice, "/balance")
    assert bot.last(alice).text == (
        "I can't reach the payment service right now, so this did not go through. "
        "Nothing was charged; try again in a moment."
    )


async def test_a_failure_after_the_money_moved_never_claims_nothing_was_charged(
    bot: ChatBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice, bob = bot.user("alice"), bot.user("bob")
    await bot.register(bob)
    await bot.register(alice, funds=1_000)
    await bot.send(alice, "/send @bob 4")
    card = bot.last(alice)
    monkeypatch.setattr(cards, "card_text", broken)  # the receipt fails, after the post

    with bot.expecting(RuntimeError):
        await bot.press(alice, card, "Confirm")

    assert bot.answer().params == {
        "callback_query_id": "1",
        "text": "Your payment went through, but something failed afterwards. "
        "Check /history before trying again.",
        "show_alert": True,
    }
    assert await bot.balances(alice, bob) == [600, 400]


async def test_if_the_alert_cannot_be_shown_the_failure_is_said_in_the_chat(
    bot: ChatBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = bot.user("alice")
    await bot.register(alice)
    await bot.send(alice, "/language")
    monkeypatch.setattr(bot.ledger.directory, "set_language", broken)
    bot.api.fail_next["answerCallbackQuery"] = (400, "Bad Request: query id is invalid")

    with bot.expecting(RuntimeError):
        await bot.press(alice, bot.last(alice), "Français")

    assert bot.last(alice).text == FAILED


@SQLITE_ONLY
@pytest.mark.parametrize(
    ("error", "level"),
    [
        (BadRequest("Message is not modified: specified new message content"), logging.INFO),
        (BadRequest("Query is too old and response timeout expired"), logging.INFO),
        (RetryAfter(7), logging.WARNING),
        (Forbidden("Forbidden: bot was blocked by the user"), logging.WARNING),
    ],
)
async def test_bot_api_noise_is_logged_and_nobody_is_messaged(
    bot: ChatBot, caplog: pytest.LogCaptureFixture, error: Exception, level: int
) -> None:
    alice = bot.user("alice")
    update = Update.de_json(bot.tg.message(alice, "/balance"), bot.app.bot)
    context = CallbackContext.from_error(update, error, bot.app)

    with caplog.at_level(logging.DEBUG, logger="bot.errors"):
        await on_error(update, context)

    assert bot.api.calls == []
    [record] = [r for r in caplog.records if r.name == "bot.errors"]
    assert record.levelno == level
    assert f"update {update.update_id}" in record.getMessage()


async def test_no_log_line_of_a_payment_contains_the_token(
    bot: ChatBot, caplog: pytest.LogCaptureFixture
) -> None:
    alice, bob = bot.user("alice"), bot.user("bob")
    with caplog.at_level(logging.INFO):
        await bot.register(bob)
        await bot.register(alice, funds=1_000)
        await bot.send(alice, "/send @bob 4")
        await bot.press(alice, bot.last(alice), "Confirm")
        bot.api.blocked_chats.add(bob["id"])
        await bot.send(alice, "/send @bob 1")
        await bot.press(alice, bot.last(alice), "Confirm")
    assert caplog.records  # something was logged (the blocked recipient)
    secret = TOKEN.split(":")[1]
    assert all(secret not in record.getMessage() for record in caplog.records)
