"""The chat harness: the real Application, offline, driven by the Update JSON Telegram would send.

    async def test_story(bot):
        alice, bob = bot.user("alice"), bot.user("bob")
        await bot.register(alice, bob, funds=5_000)           # /start each, then a top-up
        await bot.send(alice, "/send @bob 12.50 lunch")
        card = bot.last(alice)                                # the recorded sendMessage call
        await bot.press(alice, card, "Confirm")               # find the button by its label
        assert bot.answer().params["text"] == "Payment sent."
        assert await bot.balances(alice, bob) == [3_750, 1_250]

``bot.api`` is the RecordingRequest (every Bot API call), ``bot.tg`` the Update builder,
``bot.ledger`` and ``bot.clock`` the fixtures the application was built with. Any exception a
handler raises fails the test at the ``send``/``press`` that caused it, unless the test says it
expects it: ``with bot.expecting(DatabaseUnavailable): ...``. ``make_bot(**settings)`` builds a
harness with other settings (welcome credit, hold expiry, rate limit, admin ids).
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from telegram import Update
from telegram.ext import Application, ContextTypes

from bot import cards
from bot.app import build_application
from bot.fakeapi import BOT_ID, BOT_USER, Call, RecordingRequest, Telegram
from bot.settings import load_settings
from ledger import Account, Ledger, Transfer
from ledger.db import Database
from ledger.migrate import upgrade
from tests.conftest import FakeClock, create_postgres_database, drop_postgres_database

TOKEN = "123456:TEST-token"

# name -> (Telegram user id, username); carol has no username (reachable by text mention).
PEOPLE: dict[str, tuple[int, str | None]] = {
    "alice": (101, "alice"),
    "bob": (102, "bob"),
    "carol": (103, None),
    "dave": (104, "dave"),
    "erin": (105, "erin"),
}
User = dict[str, Any]


class ChatBot:
    """The application under test plus what a test needs to drive it and read what users see."""

    def __init__(self, app: Application, api: RecordingRequest, ledger: Ledger, clock: FakeClock):
        self.app, self.api, self.ledger, self.clock = app, api, ledger, clock
        self.tg = Telegram()
        self.errors: list[BaseException] = []
        self._expected: tuple[type[BaseException], ...] = ()
        self._credits = itertools.count(1)
        app.add_error_handler(self._record_error)

    async def _record_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert context.error is not None
        self.errors.append(context.error)

    # --- people and chats --------------------------------------------------------------

    def user(self, name: str, *, lang: str | None = "en", username: str | None = "") -> User:
        """A Telegram user: alice, bob, carol (no username), dave, erin, or any new name."""
        user_id, known_username = PEOPLE.get(name, (1_000 + sum(map(ord, name)), name))
        return self.tg.user(
            user_id,
            known_username if username == "" else username,
            name.capitalize(),
            language_code=lang,
        )

    @staticmethod
    def group(chat_id: int = -100_123, title: str = "Friends") -> dict[str, Any]:
        return Telegram.group(chat_id, title)

    @staticmethod
    def the_bot() -> User:
        return dict(BOT_USER)

    # --- driving the application -------------------------------------------------------

    async def deliver(self, update: dict[str, Any]) -> None:
        """Run one Update through the application; a handler's exception fails the test here."""
        seen = len(self.errors)
        await self.app.process_update(Update.de_json(copy.deepcopy(update), self.app.bot))
        await self.app.bot_data["outgoing"].drain()  # what the update queued for later
        for error in self.errors[seen:]:
            if not isinstance(error, self._expected):
                raise error

    async def send(
        self,
        user: User,
        text: str,
        *,
        chat: dict[str, Any] | None = None,
        reply_to: dict[str, Any] | None = None,
        entities: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """``user`` writes ``text`` (privately unless ``chat``); returns the Update sent."""
        update = self.tg.message(user, text, chat=chat, reply_to=reply_to, entities=entities)
        await self.deliver(update)
        return update

    def message(self, user: User, text: str, *, chat: dict[str, Any] | None = None) -> dict:
        """A message someone wrote that the bot did not see (privacy mode), to reply to."""
        return self.tg.message(user, text, chat=chat)["message"]

    async def press(
        self, user: User, card: Call | dict[str, Any], label: str, *, query_id: str | None = None
    ) -> dict[str, Any]:
        """``user`` presses the button labelled ``label`` on ``card``; returns the Update."""
        return await self.press_data(user, card, self.button(card, label), query_id=query_id)

    async def press_data(
        self,
        user: User,
        card: Call | dict[str, Any],
        data: str,
        *,
        query_id: str | None = None,
    ) -> dict[str, Any]:
        """A press carrying any callback data (forged presses included)."""
        update = self.tg.callback(user, data, card, query_id=query_id)
        await self.deliver(update)
        return update

    # --- inline mode -------------------------------------------------------------------

    async def inline(self, user: User, query: str) -> list[dict[str, Any]]:
        """``user`` types "@bot <query>" anywhere; returns the results the bot answered."""
        await self.deliver(self.tg.inline_query(user, query))
        return self.inline_results()

    def inline_answer(self) -> Call:
        answers = self.calls("answerInlineQuery")
        assert answers, "no inline query was answered"
        return answers[-1]

    def inline_results(self) -> list[dict[str, Any]]:
        results = self.inline_answer().params["results"]
        return json.loads(results) if isinstance(results, str) else list(results)

    async def choose(
        self, user: User, query: str, result: dict[str, Any], inline_message_id: str
    ) -> dict[str, Any]:
        """``user`` picks ``result``: Telegram posts it and reports it (chosen_inline_result)."""
        update = self.tg.chosen_inline_result(user, result["id"], query, inline_message_id)
        await self.deliver(update)
        return update

    async def press_inline(
        self,
        user: User,
        inline_message_id: str,
        data: str,
        *,
        query_id: str | None = None,
    ) -> dict[str, Any]:
        """A press on a message posted in inline mode (no ``message`` in the update)."""
        update = self.tg.inline_callback(user, data, inline_message_id, query_id=query_id)
        await self.deliver(update)
        return update

    def inline_message(self, inline_message_id: str) -> Call:
        """The latest edit of an inline-mode message."""
        edits = self.api.inline_edits(inline_message_id)
        assert edits, f"message {inline_message_id} was never edited; calls: {self.api.calls}"
        return edits[-1]

    @staticmethod
    def button(card: Call | dict[str, Any], label: str) -> str:
        """The callback data of the button labelled ``label`` (or starting with it)."""
        if isinstance(card, dict):
            card = Call("sendMessage", {"reply_markup": card.get("reply_markup")})
        for text, data in card.buttons:
            if text == label or text.startswith(label):
                return data
        raise AssertionError(f"no button {label!r} on the card; its buttons: {card.buttons}")

    @contextmanager
    def expecting(self, *errors: type[BaseException]) -> Iterator[list[BaseException]]:
        """Allow handlers to raise ``errors`` inside the block, and require that one did."""
        seen, previous = len(self.errors), self._expected
        self._expected = errors
        raised: list[BaseException] = []
        try:
            yield raised
        finally:
            self._expected = previous
        raised.extend(e for e in self.errors[seen:] if isinstance(e, errors))
        assert raised, f"expected a handler to raise one of {errors}; none did"

    # --- setting the scene -------------------------------------------------------------

    async def register(self, *users: User, funds: int = 0) -> None:
        """Each user sends /start privately; ``funds`` (minor units) are then credited."""
        for user in users:
            await self.send(user, "/start")
            if funds:
                await self.fund(user, funds)
        self.api.clear()

    async def request_held(self, alice: User | None = None) -> tuple[User, User, Call, Call]:
        """alice asks bob (50.00 USD) for 20.00 USD for dinner and bob presses Pay: the money
        is held. Returns alice, bob, the request message as first sent (its buttons still on
        some old screen) and the card it became."""
        alice, bob = alice or self.user("alice"), self.user("bob")
        await self.register(alice)
        await self.register(bob, funds=5_000)
        await self.send(alice, "/request @bob 20 dinner")
        request = self.last(bob)
        await self.press(bob, request, "Pay")
        return alice, bob, request, self.last(bob)

    async def fund(self, user: User, amount: int) -> Transfer:
        account = await self.ledger.open_account(user["id"])
        return await self.ledger.transfer(
            self.ledger.issuance_account_id,
            account,
            amount,
            kind="credit",
            key=f"test-credit:{next(self._credits)}",
        )

    async def freeze(self, user: User) -> None:
        account = await self.ledger.open_account(user["id"])
        await self.ledger.freeze(account, actor=1, reason="test")

    # --- reading the outcome -----------------------------------------------------------

    async def account(self, user: User) -> Account:
        return await self.ledger.account(await self.ledger.open_account(user["id"]))

    async def balances(self, *users: User) -> list[int]:
        """Each user's available money, in minor units."""
        return [(await self.account(user)).available for user in users]

    async def held(self, user: User) -> int:
        return (await self.account(user)).on_hold

    async def books(self) -> tuple[int, tuple[tuple[int, int, int], ...]]:
        """Everything money-related that a rejected input must leave unchanged: the number of
        transfers and every account's posted and pending counters. Also checks invariants."""
        report = await self.ledger.verify()
        assert report.ok, report.summary()
        # Credits are the row's plus its shards' (on PostgreSQL, see ledger migration 0003).
        rows = await self.ledger.db.read_one(
            "SELECT id, credits_posted - debits_posted + COALESCE((SELECT SUM(credits_posted) "
            "FROM account_credits WHERE account_id = accounts.id), 0), debits_pending "
            "FROM accounts ORDER BY id",
            {},
        )
        return report.transfers_checked, tuple((r[0], int(r[1]), r[2]) for r in rows)

    def to(self, where: User | dict[str, Any] | int) -> list[Call]:
        """Every message sent to or edited in a user's private chat or a group, in order."""
        chat_id = where if isinstance(where, int) else where["id"]
        return self.api.messages_to(chat_id)

    def last(self, where: User | dict[str, Any] | int) -> Call:
        messages = self.to(where)
        assert messages, f"nothing was sent to {where}; calls: {self.api.calls}"
        return messages[-1]

    def texts(self, where: User | dict[str, Any] | int) -> list[str]:
        return [call.text for call in self.to(where)]

    def answers(self) -> list[Call]:
        return self.api.answers()

    def answer(self) -> Call:
        """The last answerCallbackQuery."""
        answers = self.answers()
        assert answers, "no callback query was answered"
        return answers[-1]

    def calls(self, method: str) -> list[Call]:
        return self.api.sent(method)

    # --- time --------------------------------------------------------------------------

    async def sweep(self) -> list[Transfer]:
        """One pass of the sweeper, as the periodic job would run it."""
        return await cards.sweep(self.app)

    def expiry_timer_at(self) -> float | None:
        """When the one expiry timer is set to fire (job queue time), or None if it is not set."""
        jobs = self.app.job_queue.get_jobs_by_name(cards.EXPIRY_TIMER)
        assert len(jobs) <= 1, "the expiry timer is set twice"
        return jobs[0].job.trigger.run_date.timestamp() if jobs else None

    async def run_expiry_timer(self) -> None:
        """Fire the cards' expiry timer, as the job queue would when it is due."""
        jobs = self.app.job_queue.get_jobs_by_name(cards.EXPIRY_TIMER)
        assert jobs, "the expiry timer is not set"
        seen = len(self.errors)
        jobs[0].schedule_removal()  # a job set to run once is gone once it ran
        await jobs[0].run(self.app)
        for error in self.errors[seen:]:
            if not isinstance(error, self._expected):
                raise error


MakeBot = Callable[..., Awaitable[ChatBot]]

# For tests whose outcome cannot depend on the database engine (parsing, texts, menus, Bot API
# noise): they run on SQLite only. Everything that moves or refuses money runs on both.
SQLITE_ONLY = pytest.mark.parametrize("database", ["sqlite"], indirect=True)


# --- fast fresh databases ----------------------------------------------------------------
# Every bot test starts from an empty ledger, as in tests/conftest.py, without paying for a new
# database and its migrations each time (a second or more per PostgreSQL test on a busy
# machine): SQLite gets a copy of a file migrated once per session; PostgreSQL gets one
# database migrated once per session and emptied before each test (every row deleted and
# the id sequences restarted, with the append-only triggers bypassed for that clean-up).


async def _migrate(url: str) -> None:
    """Apply the migrations only: the ledger's own rows (issuance account, limits) are made
    by each test's Ledger.open, with that test's limits."""
    options = {"sqlite_synchronous": "NORMAL"} if url.startswith("sqlite") else {}
    db = Database.from_url(url, **options)
    try:
        await upgrade(db.engine)
    finally:
        await db.close()


def _run(work: Callable[[], Awaitable[Any]]) -> Any:
    """Run async set-up from a session fixture first requested inside a running event loop."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(work())).result()  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "ledger.db"
    _run(lambda: _migrate(f"sqlite+aiosqlite:///{path}"))
    return path


async def _no_commit_flush(url: str) -> None:
    """Commits need not wait for the disk here: durability is the crash tests' subject, and
    on a busy machine the flush dominates a chat test's time."""
    import asyncpg

    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        name = await conn.fetchval("SELECT current_database()")
        await conn.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def _postgres_url() -> Iterator[str]:
    name, url = _run(create_postgres_database)
    _run(lambda: _no_commit_flush(url))
    _run(lambda: _migrate(url))
    yield url
    _run(lambda: drop_postgres_database(name))


async def _empty_postgres(url: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        tables = await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename <> 'alembic_version'"
        )
        sequences = await conn.fetch(
            "SELECT sequence_name FROM information_schema.sequences "
            "WHERE sequence_schema = 'public'"
        )
        statements = [f"DELETE FROM {row[0]}" for row in tables]
        statements += [f"ALTER SEQUENCE {row[0]} RESTART" for row in sequences]
        async with conn.transaction():
            # A replica session fires no triggers: the append-only guards (and the foreign
            # keys, so the order does not matter) stand aside for this one clean-up.
            await conn.execute("SET LOCAL session_replication_role = replica")
            await conn.execute("; ".join(statements))
    finally:
        await conn.close()


@pytest.fixture
async def database_url(
    database: str, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[str]:
    """An empty database with the migrations applied (overrides tests/conftest.py's)."""
    if database == "sqlite":
        path = tmp_path / "ledger.db"
        shutil.copyfile(request.getfixturevalue("_sqlite_template"), path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    url = request.getfixturevalue("_postgres_url")
    await _empty_postgres(url)
    yield url


@pytest.fixture
async def make_bot(ledger: Ledger, clock: FakeClock) -> AsyncIterator[MakeBot]:
    """Build harnesses with setting overrides: ``await make_bot(welcome_credit="10")``."""
    made: list[ChatBot] = []

    async def make(**settings: Any) -> ChatBot:
        api = RecordingRequest()
        app = build_application(
            load_settings(_env_file=None, bot_token=TOKEN, **settings),
            ledger=ledger,
            request=api,
            clock=clock,
        )
        harness = ChatBot(app, api, ledger, clock)
        await app.initialize()
        api.clear()
        made.append(harness)
        return harness

    yield make
    for harness in made:
        await harness.app.shutdown()


MakeWorkers = Callable[..., Awaitable[list[ChatBot]]]


@pytest.fixture
async def make_workers(
    database_url: str, ledger: Ledger, clock: FakeClock, limits: Any
) -> AsyncIterator[MakeWorkers]:
    """Several workers on one database, as several webhook processes would be: each its own
    Application and its own Ledger (its own connections, nothing shared in memory), all on
    the test's clock. The first is built on the test's ``ledger``."""
    made: list[ChatBot] = []
    opened: list[Ledger] = []

    async def make(count: int, **settings: Any) -> list[ChatBot]:
        workers = []
        for n in range(count):
            worker_ledger = ledger
            if n:
                worker_ledger = await Ledger.open(
                    database_url,
                    "USD",
                    migrate=False,
                    clock=clock,
                    default_limits=limits,
                    sqlite_synchronous="NORMAL",
                )
                opened.append(worker_ledger)
            api = RecordingRequest()
            app = build_application(
                load_settings(_env_file=None, bot_token=TOKEN, **settings),
                ledger=worker_ledger,
                request=api,
                clock=clock,
            )
            harness = ChatBot(app, api, worker_ledger, clock)
            if workers:  # one Telegram: update and message ids never repeat across workers
                harness.tg = workers[0].tg
            await app.initialize()
            api.clear()
            made.append(harness)
            workers.append(harness)
        return workers

    yield make
    for harness in made:
        await harness.app.shutdown()
    for opened_ledger in opened:
        await opened_ledger.close()


@pytest.fixture
async def bot(make_bot: MakeBot) -> ChatBot:
    """The payment bot with default settings, on the test ledger (both databases)."""
    return await make_bot()


__all__ = ["BOT_ID", "PEOPLE", "ChatBot", "MakeBot"]
