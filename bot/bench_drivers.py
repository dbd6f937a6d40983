"""What ``python -m bot.bench`` measures and drives: the payment bot on a fresh database, the
echo and floor bots it is compared with, the offline Bot API that counts their calls, and the
users who pay. ``bot.bench_workers`` drives webhook workers with the same pieces.
"""

from __future__ import annotations

import asyncio
import os
import random
import uuid
from collections import Counter, deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.app import build_application
from bot.buttons import CARD_CANCEL as CANCEL
from bot.buttons import CARD_CONFIRM as CONFIRM
from bot.fakeapi import RecordingRequest, Telegram
from bot.render import plain
from bot.settings import Settings, load_settings
from bot.texts import t
from ledger import Ledger, Limits

TOKEN = "123456:BENCH-token"
FIRST_USER_ID = 50_000_000
FUNDS = 10**8  # minor units per user: a payment is 1.00, nobody runs dry
AMOUNT = "1.00"
SETUP_CONCURRENCY = 8
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"
PAID = plain(t("en", "card.confirmed_answer"))


class BenchFailure(Exception):
    """An op that did not complete as a user would expect (no card, no "Payment sent.")."""


@dataclass
class CountingRequest(RecordingRequest):
    """The fake Bot API keeping no calls: it counts them per method, and keeps the last card
    (a sendMessage with buttons) per chat and the text of each press's answer until read."""

    record: bool = False
    counts: Counter[str] = field(default_factory=Counter)
    cards: dict[int, dict[str, Any]] = field(default_factory=dict)
    # Not ``answers``: that name is RecordingRequest's method listing the answer calls.
    answer_texts: dict[str, str] = field(default_factory=dict)

    def _result(self, method: str, params: dict[str, Any]) -> Any:
        result = super()._result(method, params)
        self.counts[method] += 1
        # A card has Confirm (a payee's notice has buttons too: Say thanks, Send back).
        if method == "sendMessage" and CONFIRM in str(params.get("reply_markup") or ""):
            self.cards[int(params["chat_id"])] = result
        elif method == "answerCallbackQuery":
            self.answer_texts[str(params["callback_query_id"])] = str(params.get("text", ""))
        return result


class Driver:
    """An Application fed Update JSON through ``process_update``; handler errors counted."""

    def __init__(self, app: Application, api: CountingRequest) -> None:
        self.app, self.api, self.tg = app, api, Telegram()
        self.errors: Counter[str] = Counter()
        self.paid = 0  # complete payments seen through, every check passed
        app.add_error_handler(self._count_error)

    async def _count_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        self.errors[type(context.error).__name__] += 1

    async def deliver(self, update: dict[str, Any]) -> None:
        seen = sum(self.errors.values())
        await self.app.process_update(Update.de_json(update, self.app.bot))
        if sum(self.errors.values()) != seen:
            raise BenchFailure("a handler failed")

    async def say(self, user: dict[str, Any], text: str) -> None:
        await self.deliver(self.tg.message(user, text))


def make_users(count: int) -> list[dict[str, Any]]:
    return [
        Telegram.user(FIRST_USER_ID + i, f"user{i}", f"User{i}", language_code="en")
        for i in range(count)
    ]


def bot_settings(database_url: str, sqlite_synchronous: str = "FULL") -> Settings:
    return load_settings(
        _env_file=None,
        bot_token=TOKEN,
        database_url=database_url,
        rate_limit_per_minute=10_000,
        sqlite_synchronous=sqlite_synchronous,
    )


@asynccontextmanager
async def running(app: Application) -> AsyncIterator[Application]:
    """Initialized and started (the job queue runs, as in production), then shut down."""
    await app.initialize()
    await app.start()
    try:
        yield app
    finally:
        await app.stop()
        await app.shutdown()


async def open_ledger(settings: Settings, sqlite_synchronous: str) -> Ledger:
    """The ledger as the program opens it (bot.app's post_init), durability given."""
    return await Ledger.open(
        settings.database_url,
        settings.currency,
        default_limits=Limits(settings.max_transfer_minor, settings.daily_limit_minor),
        sqlite_synchronous=sqlite_synchronous,
    )


async def register_all(settings: Settings, ledger: Ledger, users: list[dict[str, Any]]) -> None:
    """Each user sends /start to a bot of its own (setup); each is then funded."""
    api = CountingRequest()
    driver = Driver(build_application(settings, ledger=ledger, request=api), api)
    gate = asyncio.Semaphore(SETUP_CONCURRENCY)

    async def register(user: dict[str, Any]) -> None:
        async with gate:
            await driver.say(user, "/start")
            account = await ledger.open_account(user["id"])
            await ledger.transfer(
                ledger.issuance_account_id,
                account,
                FUNDS,
                kind="credit",
                key=f"bench-fund:{user['id']}",
            )

    async with running(driver.app):
        await asyncio.gather(*(register(user) for user in users))
    if driver.errors or api.counts["sendMessage"] < len(users):
        raise SystemExit(f"registration failed: {dict(driver.errors)}")


@asynccontextmanager
async def payment_bot(
    url: str, users: list[dict[str, Any]], sqlite_synchronous: str = "FULL"
) -> AsyncIterator[Driver]:
    """The payment bot on a fresh ledger at ``url``, every user registered with /start and
    funded. On SQLite the setup runs with synchronous=OFF (four commits per user, each a
    disk flush otherwise); the bot measured is then started afresh, as after a restart, with
    the durability under test, and its caches warmed with everyone, as a long-running bot's
    would be."""
    settings = bot_settings(url, sqlite_synchronous)
    is_sqlite = settings.database_url.startswith("sqlite")
    ledger = await open_ledger(settings, "OFF" if is_sqlite else sqlite_synchronous)
    try:
        await register_all(settings, ledger, users)
        if is_sqlite:
            await ledger.close()
            ledger = await open_ledger(settings, sqlite_synchronous)
        for user in users:
            await ledger.directory.get(user["id"])
            await ledger.account_of(user["id"])
        api = CountingRequest()
        app = build_application(settings, ledger=ledger, request=api)
        driver = Driver(app, api)
        async with running(app):
            yield driver
    finally:
        await ledger.close()


def payment_op(driver: Driver, users: list[dict[str, Any]]) -> Callable[[random.Random], Any]:
    """One complete payment: /send from an idle user to another, then Confirm on the card."""
    idle = deque(users)  # a sender has one payment in flight at a time: its card is its own

    async def pay(rng: random.Random) -> None:
        sender = idle.popleft()
        try:
            recipient = sender
            while recipient is sender:
                recipient = users[rng.randrange(len(users))]
            await driver.say(sender, f"/send @{recipient['username']} {AMOUNT}")
            card = driver.api.cards.pop(sender["id"], None)
            if card is None:
                raise BenchFailure("no confirmation card")
            press = driver.tg.callback(sender, confirm_data(card), card)
            await driver.deliver(press)
            if driver.api.answer_texts.pop(press["callback_query"]["id"], None) != PAID:
                raise BenchFailure("Confirm was not answered with the payment sent")
            driver.paid += 1
        finally:
            idle.append(sender)

    return pay


def confirm_data(card: dict[str, Any]) -> str:
    """The callback data of the Confirm button of ``card`` (the sendMessage's answer)."""
    return next(
        button["callback_data"]
        for row in card["reply_markup"]["inline_keyboard"]
        for button in row
        if button.get("callback_data", "").startswith(CONFIRM)
    )


@asynccontextmanager
async def echo_bot() -> AsyncIterator[Driver]:
    """The framework's floor: one MessageHandler that replies with the message's text."""

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Replies with the text it got."""
        assert update.effective_message is not None and update.effective_message.text
        await update.effective_message.reply_text(update.effective_message.text)

    api = CountingRequest()
    app = ApplicationBuilder().token(TOKEN).request(api).get_updates_request(api).build()
    app.add_handler(MessageHandler(filters.TEXT, echo))
    async with running(app):
        yield Driver(app, api)


@asynccontextmanager
async def floor_bot() -> AsyncIterator[Driver]:
    """PTB's floor for a payment: the same two updates and four Bot API calls as the payment
    bot (the card, the press's answer, the receipt edit, the recipient's message), with no
    ledger and no checks. What remains between it and ``bot`` is the bot's own work."""

    async def card(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Replies with a card of two buttons."""
        assert update.effective_message is not None
        buttons = [
            InlineKeyboardButton("Confirm", callback_data=CONFIRM + "FLOOR00000"),
            InlineKeyboardButton("Cancel", callback_data=CANCEL + "FLOOR00000"),
        ]
        await update.effective_message.reply_text(
            "Send 1.00 USD to @someone?", reply_markup=InlineKeyboardMarkup([buttons])
        )

    async def press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Answers the press, edits the card into a receipt, tells someone."""
        query = update.callback_query
        assert query is not None and query.message is not None
        await query.answer(PAID)
        await context.bot.edit_message_text(
            "You sent 1.00 USD to @someone.",
            chat_id=query.message.chat.id,
            message_id=query.message.message_id,
        )
        await context.bot.send_message(query.from_user.id, "You received 1.00 USD.")

    api = CountingRequest()
    app = ApplicationBuilder().token(TOKEN).request(api).get_updates_request(api).build()
    app.add_handler(MessageHandler(filters.TEXT, card))
    app.add_handler(CallbackQueryHandler(press))
    async with running(app):
        yield Driver(app, api)


def echo_op(driver: Driver, users: list[dict[str, Any]]) -> Callable[[random.Random], Any]:
    """One update of the same shape as a /send: a private text message with a command."""

    async def echo(rng: random.Random) -> None:
        sender, recipient = rng.sample(users, 2)
        before = driver.api.counts["sendMessage"]
        await driver.say(sender, f"/send @{recipient['username']} {AMOUNT}")
        if driver.api.counts["sendMessage"] == before:
            raise BenchFailure("no echo")

    return echo


@dataclass
class Database:
    """Where each phase gets a fresh, empty database: a file in a temporary directory, or a
    scratch database created on the PostgreSQL server and dropped afterwards."""

    name: str  # sqlite | postgresql
    folder: str = ""
    admin_url: str = ""

    @asynccontextmanager
    async def fresh(self) -> AsyncIterator[str]:
        if self.name == "sqlite":
            yield f"sqlite+aiosqlite:///{os.path.join(self.folder, uuid.uuid4().hex[:8])}.db"
            return
        import asyncpg

        scratch = f"bot_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        admin = await asyncpg.connect(self.admin_url)
        try:
            await admin.execute(f'CREATE DATABASE "{scratch}"')
        finally:
            await admin.close()
        try:
            yield f"{self.admin_url.rsplit('/', 1)[0]}/{scratch}".replace(
                "postgresql://", "postgresql+asyncpg://", 1
            )
        finally:
            admin = await asyncpg.connect(self.admin_url)
            try:
                await admin.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
            finally:
                await admin.close()


# --- the command -------------------------------------------------------------------------
