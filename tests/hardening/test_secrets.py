"""Secrets: the bot token is in no log line, and the webhook takes updates only with its secret.

The program's own output (its logging setup redacts the token) is checked by tests/e2e. Here
the bot runs in-process, over the real HTTP stack (PTB's httpx request layer talking to the
fake Bot API of tests/e2e), with every logger at DEBUG and no redaction at all: whatever a
library or a handler logs across a whole payment flow, failures included, must already be
free of the token.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from telegram import Update
from telegram.ext import Application
from tornado.netutil import bind_sockets

from bot.app import build_application
from bot.fakeapi import Telegram
from bot.settings import load_settings
from bot.webhook import SECRET_HEADER, make_server
from ledger import Ledger
from tests.bot.conftest import SQLITE_ONLY
from tests.conftest import FakeClock
from tests.e2e.fakebotapi import ApiCall, FakeBot, FakeBotApi

OSCAR = Telegram.user(900, "oscar", "Oscar")
WEBHOOK_SECRET = "webhook-secret-Zq8-long-enough-to-be-unguessable"


def forms(secret: str) -> list[str]:
    """The secret as it could appear: raw, URL-encoded, and its part after the colon."""
    return sorted({secret, quote(secret, safe=""), quote(secret), secret.split(":", 1)[-1]})


def leaks(records: list[logging.LogRecord], secret: str) -> list[str]:
    """Every record that shows ``secret`` in its message, exception or stack."""
    render = logging.Formatter()
    found = []
    for record in records:
        text = record.getMessage()
        if record.exc_info:
            text += render.formatException(record.exc_info)
        text += record.exc_text or ""
        text += record.stack_info or ""
        if any(form in text for form in forms(secret)):
            found.append(f"{record.name}: {text[:300]}")
    return found


@pytest.fixture
def fake_api() -> Iterator[FakeBotApi]:
    api = FakeBotApi().start()
    yield api
    api.close()


class Chat:
    """The real Application over real HTTP, driven by Update JSON."""

    def __init__(self, app: Application, fake: FakeBot) -> None:
        self.app, self.fake, self.tg = app, fake, Telegram()

    async def deliver(self, update: dict[str, Any]) -> None:
        await self.app.process_update(Update.de_json(update, self.app.bot))

    async def send(self, user: dict[str, Any], text: str) -> None:
        await self.deliver(self.tg.message(user, text))

    def last(self, user: dict[str, Any]) -> ApiCall:
        return self.fake.messages_to(user["id"])[-1]

    async def press(self, user: dict[str, Any], card: ApiCall, label: str) -> None:
        [data] = [d for text, d in card.buttons if text.startswith(label)]
        await self.deliver(self.tg.callback(user, data, card.result))


@pytest.fixture
async def chat(
    fake_api: FakeBotApi,
    ledger: Ledger,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> AsyncIterator[Chat]:
    """Logging at DEBUG from before the Application is built (PTB logs its API URL when it
    creates the bot) to after it shut down."""
    caplog.set_level(logging.DEBUG)
    fake = fake_api.new_bot()
    settings = load_settings(
        _env_file=None,
        bot_token=fake.token,
        telegram_base_url=fake_api.base_url,
        admin_ids=[OSCAR["id"]],
        mode="webhook",
        webhook_url="https://bot.example/hook",
        webhook_secret=WEBHOOK_SECRET,
    )
    app = build_application(settings, ledger=ledger, clock=clock)
    await app.initialize()
    try:
        yield Chat(app, fake)
    finally:
        await app.shutdown()


@SQLITE_ONLY
async def test_no_log_line_of_a_whole_payment_flow_shows_the_token(
    chat: Chat, caplog: pytest.LogCaptureFixture
) -> None:
    tg, token = chat.tg, chat.fake.token
    alice, bob = tg.user(101, "alice", "Alice"), tg.user(102, "bob", "Bob")
    for user in (alice, bob, OSCAR):
        await chat.send(user, "/start")
    await chat.send(OSCAR, "/credit @alice 50 top-up")
    await chat.send(alice, "/send @bob 12.50 lunch")
    await chat.press(alice, chat.last(alice), "Confirm")
    await chat.send(bob, "/request @alice 5 taxi")
    await chat.press(alice, chat.last(alice), "Pay")
    await chat.press(alice, chat.last(alice), "Confirm")
    await chat.send(alice, "/send @nobody 1")
    await chat.send(alice, "/history")
    await chat.send(bob, "/balance")
    await chat.send(OSCAR, "/freeze @bob spam")
    await chat.press(OSCAR, chat.last(OSCAR), "Confirm")
    await chat.deliver(tg.callback(bob, "p:c:FORGED0000", chat.last(bob).result))
    ledger: Ledger = chat.app.bot_data["ledger"]
    balances = [await ledger.account(await ledger.open_account(u["id"])) for u in (alice, bob)]
    assert [b.available for b in balances] == [5_000 - 1_250 - 500, 1_250 + 500]
    assert balances[1].frozen
    # Failures are logged with their tracebacks: here Telegram goes away, so the reply fails
    # and so does the error handler's attempt to say something went wrong.
    chat.fake.api.close()
    await chat.send(alice, "/help")
    assert any(record.exc_info for record in caplog.records)
    assert len(caplog.records) > 50  # DEBUG really was captured, from every layer
    names = {record.name.split(".")[0] for record in caplog.records}
    assert {"telegram", "bot"} <= names
    # The set-up phase built the Application: its records count too.
    assert leaks(caplog.get_records("setup") + caplog.records, token) == []


# --- the webhook ---------------------------------------------------------------------------


@SQLITE_ONLY
async def test_the_webhook_takes_updates_only_with_the_right_secret(
    chat: Chat, caplog: pytest.LogCaptureFixture
) -> None:
    server = make_server(chat.app, chat.app.bot_data["settings"])
    [socket] = bind_sockets(0, "127.0.0.1")
    server.add_sockets([socket])
    url = f"http://127.0.0.1:{socket.getsockname()[1]}/hook"
    update = chat.tg.message(Telegram.user(101, "alice", "Alice"), "/help")
    try:
        async with httpx.AsyncClient() as client:
            for headers in ({}, {SECRET_HEADER: "wrong"}, {SECRET_HEADER: WEBHOOK_SECRET + "x"}):
                refused = await client.post(url, json=update, headers=headers)
                assert refused.status_code == 403, headers
            assert chat.app.update_queue.qsize() == 0  # nothing of them was taken

            garbage = await client.post(url, content=b"{", headers={SECRET_HEADER: WEBHOOK_SECRET})
            assert garbage.status_code == 400
            taken = await client.post(
                url, content=json.dumps(update), headers={SECRET_HEADER: WEBHOOK_SECRET}
            )
            assert taken.status_code == 200
    finally:
        server.stop()
        await server.close_all_connections()
    queued = chat.app.update_queue.get_nowait()
    assert queued.update_id == update["update_id"] and queued.message.text == "/help"
    assert chat.app.update_queue.qsize() == 0
    assert leaks(caplog.records, WEBHOOK_SECRET) == []
