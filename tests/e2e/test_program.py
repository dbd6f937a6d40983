"""The real program, ``python -m bot``, started as a subprocess: how it refuses to start, how
it serves people by polling and behind a webhook, and how it stops. Telegram is the fake
Bot API of ``fakebotapi``; every run's output is checked for the token (see conftest)."""

from __future__ import annotations

import asyncio
import http.client
import json
import signal
from typing import Any

import pytest

from bot.fakeapi import Telegram
from bot.healthcheck import check_webhook
from bot.settings import load_settings
from ledger import Ledger
from tests.conftest import create_postgres_database, drop_postgres_database, require_postgres
from tests.e2e.conftest import Runner, free_port
from tests.e2e.fakebotapi import ApiCall, FakeBot, FakeBotApi

ALICE = Telegram.user(510_001, "alice", "Alice")
BOB = Telegram.user(510_002, "bob", "Bob")
CAROL = Telegram.user(510_003, "carol", "Carol")
MALLORY = Telegram.user(510_666, "mallory", "Mallory")
SECRET = "e2e-Webhook_secret-42-far-too-long-to-guess"
A_TOKEN = "123456789:AAE2eTestTokenThatNoServerKnows_x"


def only_line(output: str) -> str:
    lines = output.strip().splitlines()
    assert len(lines) == 1, f"expected one line, got:\n{output}"
    assert lines[0].startswith("xmoney-bot: "), lines[0]
    return lines[0]


# --- refusing to start --------------------------------------------------------------------


def test_without_a_token_it_exits_with_one_line_naming_the_setting(runner: Runner) -> None:
    program = runner.run({})

    assert program.process.returncode == 2
    assert "BOT_TOKEN" in only_line(program.output)


@pytest.mark.parametrize(
    ("database_url", "code", "says"),
    [
        ("mysql://x", 2, "setting DATABASE_URL must start with"),
        ("postgresql+asyncpg://postgres:hunter2@127.0.0.1:1/x", 1, "cannot use DATABASE_URL"),
        ("sqlite+aiosqlite:///no/such/folder/x.db", 1, "cannot use DATABASE_URL"),
    ],
    ids=["malformed", "unreachable", "unopenable"],
)
def test_a_bad_database_url_stops_it_with_one_line(
    runner: Runner, database_url: str, code: int, says: str
) -> None:
    program = runner.run({"BOT_TOKEN": A_TOKEN, "DATABASE_URL": database_url})

    assert program.process.returncode == code
    line = only_line(program.output)
    assert says in line
    assert "hunter2" not in line


def test_a_token_telegram_rejects_stops_it_with_one_line(
    runner: Runner, bot_env: dict[str, str], fake_api: FakeBotApi
) -> None:
    program = runner.run(bot_env | {"BOT_TOKEN": A_TOKEN, "LOG_LEVEL": "WARNING"})

    assert program.process.returncode == 1
    assert only_line(program.output) == (
        "xmoney-bot: Telegram rejected BOT_TOKEN (check it with @BotFather)"
    )
    assert A_TOKEN in fake_api.unknown_tokens  # it really asked, with that token


def test_an_unreachable_bot_api_stops_it_with_one_line(
    runner: Runner, bot_env: dict[str, str]
) -> None:
    closed = f"http://127.0.0.1:{free_port()}/bot"
    program = runner.run(bot_env | {"TELEGRAM_BASE_URL": closed, "LOG_LEVEL": "WARNING"})

    assert program.process.returncode == 1
    assert "cannot reach the Bot API at TELEGRAM_BASE_URL" in only_line(program.output)


@pytest.mark.parametrize(
    ("setting", "value", "says"),
    [
        ("WEBHOOK_SECRET", "Zz9", "32-256 characters"),  # Telegram would take it
        ("ADMIN_IDS", "[123.9]", "123.9 is not a numeric Telegram user id"),
        ("ADMIN_IDS", "[true]", "True is not a numeric Telegram user id"),
        ("ADMIN_IDS", "١٢٣", "is not a numeric Telegram user id"),
        ("ADMIN_IDS", "-1001234567890", "user ids are positive"),
    ],
    ids=["guessable-secret", "fraction", "boolean", "arabic-indic-digits", "group-id"],
)
def test_a_weak_setting_stops_it_with_one_line(
    runner: Runner, bot_env: dict[str, str], setting: str, value: str, says: str
) -> None:
    webhook = {"MODE": "webhook", "WEBHOOK_URL": "https://bot.example.org/hook"}
    program = runner.run(bot_env | webhook | {"WEBHOOK_SECRET": SECRET, setting: value})

    assert program.process.returncode == 2
    line = only_line(program.output)
    assert f"setting {setting}" in line and says in line


# --- polling ------------------------------------------------------------------------------


async def fund(url: str, owner_id: int, amount: int) -> None:
    """An admin-style credit from the issuance account, before the bot starts."""
    ledger = await Ledger.open(url, "USD")
    try:
        account = await ledger.open_account(owner_id)
        await ledger.transfer(
            ledger.issuance_account_id, account, amount, key="e2e-funding", kind="credit"
        )
    finally:
        await ledger.close()


async def balances(url: str, *owner_ids: int) -> tuple[list[int], bool]:
    ledger = await Ledger.open(url, "USD")
    try:
        available = []
        for owner_id in owner_ids:
            account_id = await ledger.account_of(owner_id)
            assert account_id is not None, f"{owner_id} has no account"
            available.append((await ledger.account(account_id)).available)
        return available, (await ledger.verify()).ok
    finally:
        await ledger.close()


def labelled(call: ApiCall, word: str) -> str | None:
    """The callback data of the button of ``call`` whose label contains ``word``."""
    for label, data in call.buttons:
        if word.lower() in label.lower():
            return data
    return None


def test_polling_serves_start_send_and_confirm(
    runner: Runner, bot: FakeBot, bot_env: dict[str, str]
) -> None:
    url = bot_env["DATABASE_URL"]
    asyncio.run(fund(url, ALICE["id"], 100_00))
    program = runner.start(bot_env)
    telegram = Telegram()

    bot.push(telegram.message(ALICE, "/start"))
    bot.wait_for_call("sendMessage", ALICE["id"])
    bot.push(telegram.message(BOB, "/start"))
    bot.wait_for_call("sendMessage", BOB["id"])

    before_send = len(bot.calls)
    bot.push(telegram.message(ALICE, "/send @bob 12.50 lunch"))
    card = bot.wait_for(
        lambda: next(
            (
                c
                for c in bot.calls[before_send:]
                if c.chat_id == ALICE["id"] and labelled(c, "Confirm")
            ),
            None,
        ),
        "a card with a Confirm button for alice",
    )
    assert "12.50" in card.text and "bob" in card.text

    before_press = len(bot.calls)
    bot.push(telegram.callback(ALICE, labelled(card, "Confirm") or "", card))
    card_id = card.result["message_id"]
    receipt = bot.wait_for(
        lambda: next(
            (
                c
                for c in bot.calls[before_press:]
                if c.method == "editMessageText"
                and c.chat_id == ALICE["id"]
                and int(c.params.get("message_id", 0)) == card_id
            ),
            None,
        ),
        "the card turned into a receipt",
    )
    notice = bot.wait_for(
        lambda: next(
            (
                c
                for c in bot.calls[before_press:]
                if c.method == "sendMessage" and c.chat_id == BOB["id"] and "12.50" in c.text
            ),
            None,
        ),
        "bob told he was paid",
    )
    bot.wait_for_call("answerCallbackQuery", after=before_press)

    assert "12.50" in receipt.text
    assert labelled(receipt, "Confirm") is None
    assert "lunch" in notice.text
    assert program.stop(signal.SIGTERM) == 0
    assert asyncio.run(balances(url, ALICE["id"], BOB["id"])) == ([87_50, 12_50], True)
    output = program.output
    assert "getUpdates" in output  # DEBUG logging was on and captured...
    assert "<redacted>" in output  # ...and PTB's own line with the API URL was redacted


def test_sigint_stops_polling_cleanly(
    runner: Runner, bot: FakeBot, bot_env: dict[str, str]
) -> None:
    program = runner.start(bot_env)
    bot.wait_for_call("getUpdates")

    assert program.stop(signal.SIGINT) == 0
    assert "INFO bot: stopped" in program.output


# --- webhook ------------------------------------------------------------------------------


def webhook_env(bot_env: dict[str, str], port: int) -> dict[str, str]:
    return bot_env | {
        "MODE": "webhook",
        "WEBHOOK_URL": f"http://127.0.0.1:{port}/tg-hook",
        "WEBHOOK_SECRET": SECRET,
        "LISTEN": "127.0.0.1",
        "PORT": str(port),
    }


def request(
    port: int,
    path: str,
    body: bytes | None = None,
    secret: str | None = None,
    length: int | None = None,
) -> tuple[int, bytes]:
    """One HTTP request to the bot's server; (status, body)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        headers: dict[str, Any] = {"Content-Type": "application/json"}
        if secret is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret
        if body is None:
            connection.request("GET", path, headers=headers)
        else:
            headers["Content-Length"] = str(length if length is not None else len(body))
            connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def as_body(update: dict[str, Any]) -> bytes:
    return json.dumps(update).encode()


def test_webhook_takes_updates_only_with_the_right_secret(
    runner: Runner, bot: FakeBot, bot_env: dict[str, str]
) -> None:
    port = free_port()
    env = webhook_env(bot_env, port)
    program = runner.start(env)
    set_webhook = bot.wait_for_call("setWebhook")  # called once the server listens
    assert set_webhook.params["url"] == env["WEBHOOK_URL"]
    assert set_webhook.params["secret_token"] == SECRET
    assert "callback_query" in json.loads(set_webhook.params["allowed_updates"])
    telegram = Telegram()
    forged = as_body(telegram.message(MALLORY, "/start"))

    assert request(port, "/tg-hook", forged)[0] == 403
    assert request(port, "/tg-hook", forged, secret="wrong")[0] == 403
    assert request(port, "/tg-hook", forged, secret=SECRET.upper())[0] == 403
    assert request(port, "/tg-hook", b"not json", secret=SECRET)[0] == 400
    assert request(port, "/tg-hook", b"[1, 2]", secret=SECRET)[0] == 400
    assert request(port, "/tg-hook", b'{"no": "update_id"}', secret=SECRET)[0] == 400
    deep = b'{"update_id": 1, "message": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    assert request(port, "/tg-hook", deep, secret=SECRET)[0] == 400  # not a crash's 500
    too_large = request(port, "/tg-hook", b"{}", secret=SECRET, length=2 * 1024 * 1024)
    assert too_large[0] == 400
    assert request(port, "/tg-hook")[0] == 405  # GET on the hook

    # The reply waits on the Bot API; the webhook must answer before it: no work in-request.
    gate = bot.hold("sendMessage")
    status, body = request(port, "/tg-hook", as_body(telegram.message(CAROL, "/start")), SECRET)
    assert (status, body) == (200, b"")
    bot.wait_for(lambda: "sendMessage" in bot.waiting, "the reply to carol, held")
    assert bot.sent("sendMessage", CAROL["id"]) == []
    gate.set()
    bot.wait_for_call("sendMessage", CAROL["id"])

    assert request(port, "/healthz") == (200, b"ok")
    program.assert_alive()
    settings = load_settings(_env_file=None, **{k.lower(): v for k, v in env.items()})
    assert check_webhook(settings) is None  # the Docker HEALTHCHECK's verdict

    assert program.stop(signal.SIGTERM) == 0
    # Stopping drains the update queue: had a forged update been queued, it was answered now.
    assert bot.sent(chat_id=MALLORY["id"]) == []
    assert "stop signal received" in program.output
    assert "unreachable" in (check_webhook(settings) or "")


@pytest.mark.postgres
def test_healthz_answers_503_once_the_database_is_gone(
    runner: Runner, bot: FakeBot, bot_env: dict[str, str]
) -> None:
    require_postgres()
    name, url = asyncio.run(create_postgres_database())
    try:
        port = free_port()
        program = runner.start(webhook_env(bot_env, port) | {"DATABASE_URL": url})
        bot.wait_for_call("setWebhook")
        assert request(port, "/healthz") == (200, b"ok")

        asyncio.run(drop_postgres_database(name))

        assert request(port, "/healthz") == (503, b"database unavailable")
        assert program.stop(signal.SIGINT) == 0
    finally:
        asyncio.run(drop_postgres_database(name))


def test_polling_healthcheck_reads_the_database(runner: Runner, bot_env: dict[str, str]) -> None:
    missing = runner.run(bot_env, module="bot.healthcheck")
    assert missing.process.returncode == 1
    assert "no database file" in missing.output

    asyncio.run(fund(bot_env["DATABASE_URL"], ALICE["id"], 1))  # creates it
    present = runner.run(bot_env, module="bot.healthcheck")
    assert present.process.returncode == 0, present.output
