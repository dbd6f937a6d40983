"""Three real ``python -m bot`` processes in webhook mode on one PostgreSQL database, the
offline Bot API, and updates spread round-robin, so consecutive updates of one person reach
different workers (issue 12: "N stateless workers").

The story: 30 people start the bot and an admin credits them; 40 payments are made with the
Confirm pressed on another worker than the /send, 20 of them at the same moment; one Confirm
is pressed on two workers at once; a freeze card made on one worker is confirmed on another;
one user's 25 /send over the three workers meet a limit of 20 a minute; the guided
conversation is answered on three workers; a user who asked for /help before /start, then
changed name, can still be paid; a group flooded with /help does not slow another user's
/balance. After all: the books balance, no hold is left, each recipient was told exactly once
per payment, and no worker logged a traceback.
"""

from __future__ import annotations

import asyncio
import http.client
import itertools
import json
import re
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from bot.fakeapi import BOT_USERNAME, Telegram
from ledger import Ledger
from tests.conftest import create_postgres_database, drop_postgres_database, require_postgres
from tests.e2e.conftest import Program, Runner, free_port
from tests.e2e.fakebotapi import ApiCall, FakeBot, FakeBotApi

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

SECRET = "e2e-three-workers-Secret_0123456789abcdef"
WORKERS = 3
ADMIN = Telegram.user(520_000, "oscar", "Oscar")
PEOPLE = [Telegram.user(520_001 + i, f"user{i:02d}", f"User{i:02d}") for i in range(30)]
CARL = Telegram.user(520_100, "carl", "Carl")
STRANGER = Telegram.user(520_200, "mallory", "Mallory")
GROUP = Telegram.group(-100_520_001, "Flood")
CREDIT = 100_00  # each person starts with 100.00 USD
RATE_LIMIT = 20


class Cluster:
    """The three workers, the fake Telegram that feeds them, and the books they share."""

    def __init__(self, bot: FakeBot, programs: list[Program], ports: list[int], url: str):
        self.bot, self.programs, self.ports, self.url = bot, programs, ports, url
        self.tg = Telegram()
        self._turn = itertools.count()

    # --- delivering updates ------------------------------------------------------------

    def post(self, update: dict[str, Any], worker: int | None = None) -> int:
        """POST ``update`` to a worker's webhook (the next one round-robin unless named)."""
        index = next(self._turn) % WORKERS if worker is None else worker % WORKERS
        connection = http.client.HTTPConnection("127.0.0.1", self.ports[index], timeout=10)
        try:
            body = json.dumps(update).encode()
            connection.request(
                "POST",
                "/tg-hook",
                body=body,
                headers={
                    "Content-Type": "application/json",
                    "Content-Length": str(len(body)),
                    "X-Telegram-Bot-Api-Secret-Token": SECRET,
                },
            )
            response = connection.getresponse()
            response.read()
            return response.status
        finally:
            connection.close()

    def post_at_once(self, deliveries: list[tuple[dict[str, Any], int]]) -> None:
        """Each (update, worker) POSTed at the same moment, one thread each."""
        with ThreadPoolExecutor(len(deliveries)) as pool:
            statuses = list(pool.map(lambda d: self.post(d[0], d[1]), deliveries))
        assert statuses == [200] * len(deliveries)

    def say(self, user: dict[str, Any], text: str, worker: int | None = None, **kw: Any) -> int:
        """``user`` sends ``text``; returns the number of calls before it, to wait after."""
        mark = len(self.bot.calls)
        assert self.post(self.tg.message(user, text, **kw), worker) == 200
        return mark

    def press(self, user: dict[str, Any], card: ApiCall, word: str, worker: int) -> int:
        mark = len(self.bot.calls)
        assert self.post(self.tg.callback(user, button(card, word), card), worker) == 200
        return mark

    # --- what people see ---------------------------------------------------------------

    def reply_to(self, chat_id: int, after: int, timeout: float = 20.0) -> ApiCall:
        """The first message sent to ``chat_id`` after call number ``after``."""
        return self.bot.wait_for(
            lambda: next(
                (
                    c
                    for c in self.bot.calls[after:]
                    if c.method == "sendMessage" and c.chat_id == chat_id
                ),
                None,
            ),
            f"a reply to {chat_id}",
            timeout,
        )

    def card(self, chat_id: int, after: int, amount: str | None = None) -> ApiCall:
        """The payment card (a message with a Confirm button) sent to ``chat_id``."""
        return self.bot.wait_for(
            lambda: next(
                (
                    c
                    for c in self.bot.calls[after:]
                    if c.method == "sendMessage"
                    and c.chat_id == chat_id
                    and has_button(c, "Confirm")
                    and (amount is None or shows(c.text, amount))
                ),
                None,
            ),
            f"a card for {amount} to {chat_id}",
        )

    def told(self, chat_id: int, amount: str) -> list[ApiCall]:
        """The "you received" notices of ``amount`` sent to ``chat_id``."""
        return [
            c
            for c in self.bot.calls
            if c.method == "sendMessage"
            and c.chat_id == chat_id
            and "💸" in c.text
            and shows(c.text, amount)
        ]

    def wait_told(self, chat_id: int, amount: str) -> None:
        self.bot.wait_for(  # generous: on a loaded machine a notice may wait for its lease
            lambda: self.told(chat_id, amount), f"{chat_id} told of {amount}", timeout=60.0
        )

    # --- the books ---------------------------------------------------------------------

    def books(self, query: str, *args: Any) -> Any:
        return asyncio.run(_read(self.url, query, *args))


async def _read(url: str, query: str, *args: Any) -> Any:
    ledger = await Ledger.open(url, "USD")
    try:
        if query == "verify":
            return await ledger.verify()
        if query == "balance":
            account = await ledger.account_of(args[0])
            return None if account is None else (await ledger.account(account)).available
        if query == "account":
            account = await ledger.account_of(args[0])
            assert account is not None
            return await ledger.account(account)
        if query == "sql":
            async with ledger.db.reading() as conn:
                from sqlalchemy import text

                return [tuple(row) for row in (await conn.execute(text(args[0]))).all()]
        raise ValueError(query)
    finally:
        await ledger.close()


def button(call: ApiCall, word: str) -> str:
    for label, data in call.buttons:
        if word.lower() in label.lower():
            return data
    raise AssertionError(f"no {word!r} button on {call.text!r}: {call.buttons}")


def has_button(call: ApiCall, word: str) -> bool:
    return any(word.lower() in label.lower() for label, _ in call.buttons)


def shows(text: str, amount: str) -> bool:
    """Whether ``text`` shows exactly ``amount`` (1.01 is not 11.01)."""
    return re.search(r"(?<![\d.,])" + re.escape(amount) + r"(?![\d])", text) is not None


def amount_of(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def wait_healthy(port: int, program: Program, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        program.assert_alive()
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        finally:
            connection.close()
        time.sleep(0.1)
    raise AssertionError(f"worker on {port} never became healthy:\n{program.output[-4000:]}")


@pytest.fixture
def cluster(
    fake_api: FakeBotApi, bot: FakeBot, runner: Runner, tmp_path: Path
) -> Iterator[Cluster]:
    require_postgres()
    name, url = asyncio.run(create_postgres_database())
    ports = [free_port() for _ in range(WORKERS)]
    try:
        # Started together on the empty database: each must come up (migrations once).
        programs = [
            runner.start(
                {
                    "BOT_TOKEN": bot.token,
                    "DATABASE_URL": url,
                    "TELEGRAM_BASE_URL": fake_api.base_url,
                    "MODE": "webhook",
                    "WEBHOOK_URL": f"http://127.0.0.1:{port}/tg-hook",
                    "WEBHOOK_SECRET": SECRET,
                    "LISTEN": "127.0.0.1",
                    "PORT": str(port),
                    "ADMIN_IDS": str(ADMIN["id"]),
                    "RATE_LIMIT_PER_MINUTE": str(RATE_LIMIT),
                    "LOG_LEVEL": "INFO",
                    # A message turned away goes out again once its lease ends; look often.
                    "SWEEP_INTERVAL_SECONDS": "5",
                }
            )
            for port in ports
        ]
        for port, program in zip(ports, programs, strict=True):
            wait_healthy(port, program)
        yield Cluster(bot, programs, ports, url)
        for program in programs:
            program.stop()
            assert "Traceback" not in program.output, program.output[-6000:]
    finally:
        runner.close()
        asyncio.run(drop_postgres_database(name))


def test_three_workers_serve_one_set_of_books(cluster: Cluster) -> None:
    c = cluster
    payments: list[tuple[dict[str, Any], dict[str, Any], str]] = []  # payer, payee, amount

    # /start for 30 people and the admin, round-robin.
    for person in [ADMIN, *PEOPLE]:
        c.reply_to(person["id"], c.say(person, "/start"))

    # The admin credits everyone (each /credit on the next worker).
    for person in PEOPLE:
        c.reply_to(ADMIN["id"], c.say(ADMIN, f"/credit @{person['username']} 100 float"))
    for person in PEOPLE:
        assert c.books("balance", person["id"]) == CREDIT

    # 20 payments one after another: /send on one worker, Confirm on the next.
    for i in range(20):
        payer, payee, amount = PEOPLE[i], PEOPLE[(i + 1) % 30], amount_of(101 + i)
        mark = c.say(payer, f"/send @{payee['username']} {amount} p{i}", worker=i)
        card = c.card(payer["id"], mark, amount)
        c.press(payer, card, "Confirm", worker=i + 1)
        c.wait_told(payee["id"], amount)
        payments.append((payer, payee, amount))

    # 20 more at the same moment: every /send at once, then every Confirm at once, each
    # Confirm on another worker than its /send.
    batch = [(PEOPLE[(i + 7) % 30], PEOPLE[(i + 8) % 30], amount_of(201 + i)) for i in range(20)]
    mark = len(c.bot.calls)
    c.post_at_once(
        [
            (c.tg.message(payer, f"/send @{payee['username']} {amount} q"), i)
            for i, (payer, payee, amount) in enumerate(batch)
        ]
    )
    cards = [c.card(payer["id"], mark, amount) for payer, _, amount in batch]
    c.post_at_once(
        [
            (c.tg.callback(payer, button(card, "Confirm"), card), i + 1)
            for i, ((payer, _, _), card) in enumerate(zip(batch, cards, strict=True))
        ]
    )
    for _, payee, amount in batch:
        c.wait_told(payee["id"], amount)
    payments += batch

    # One Confirm pressed on two workers at once (two presses), and its update redelivered
    # to the third: the money moves once and the payee is told once.
    payer, payee, amount = PEOPLE[3], PEOPLE[4], amount_of(777)
    card = c.card(payer["id"], c.say(payer, f"/send @{payee['username']} {amount} twice"), amount)
    press = c.tg.callback(payer, button(card, "Confirm"), card)
    other = c.tg.callback(payer, button(card, "Confirm"), card)
    c.post_at_once([(press, 0), (other, 1), (press, 2)])
    c.wait_told(payee["id"], amount)
    payments.append((payer, payee, amount))

    # A freeze card made on one worker, confirmed on another: it freezes, never "expired".
    frozen = PEOPLE[29]
    mark = c.say(ADMIN, f"/freeze @{frozen['username']} e2e", worker=0)
    freeze_card = c.bot.wait_for(
        lambda: next(
            (
                x
                for x in c.bot.calls[mark:]
                if x.chat_id == ADMIN["id"] and has_button(x, "Confirm")
            ),
            None,
        ),
        "the freeze card",
    )
    mark = c.press(ADMIN, freeze_card, "Confirm", worker=1)
    answered = c.bot.wait_for(
        lambda: next(
            (x for x in c.bot.calls[mark:] if x.method == "answerCallbackQuery"),
            None,
        ),
        "the freeze card's press answered",
    )
    assert "expired" not in answered.text.lower(), answered.text
    assert c.books("account", frozen["id"]).frozen

    # One user's 25 /send spread over the three workers, under a limit of 20 a minute.
    flooder, target = PEOPLE[5], PEOPLE[6]
    mark = len(c.bot.calls)
    for i in range(25):
        c.say(flooder, f"/send @{target['username']} 0.01 flood{i}", worker=i)
    # Past the limit they hear "slow down" (once per 10 s, not once per /send).
    c.bot.wait_for(
        lambda: [x for x in c.bot.calls[mark:] if x.chat_id == flooder["id"] and "fast" in x.text],
        "the flooder told to slow down",
    )
    time.sleep(1.5)  # any straggling card would show by now
    flood_cards = [
        x
        for x in c.bot.calls[mark:]
        if x.method == "sendMessage" and x.chat_id == flooder["id"] and has_button(x, "Cancel")
    ]
    holds = c.books(
        "sql",
        "SELECT count(*) FROM transfers WHERE state = 'pending' AND memo LIKE 'flood%'",
    )[0][0]
    assert 1 <= holds <= RATE_LIMIT and holds == len(flood_cards)
    for i, flood_card in enumerate(flood_cards):
        c.press(flooder, flood_card, "Cancel", worker=i)

    # The guided conversation, each answer on another worker.
    payer, payee, amount = PEOPLE[7], PEOPLE[8], amount_of(222)
    c.reply_to(payer["id"], c.say(payer, "/send", worker=0))
    c.reply_to(payer["id"], c.say(payer, f"@{payee['username']}", worker=1))
    c.reply_to(payer["id"], c.say(payer, amount, worker=2))
    card = c.card(payer["id"], c.say(payer, "/skip", worker=0), amount)
    c.press(payer, card, "Confirm", worker=1)
    c.wait_told(payee["id"], amount)
    payments.append((payer, payee, amount))

    # carl asks for /help before /start (worker 0 sees him unregistered), starts on worker 1,
    # changes his name and is seen again by worker 0: he can still be paid.
    c.reply_to(CARL["id"], c.say(CARL, "/help", worker=0))
    c.reply_to(CARL["id"], c.say(CARL, "/start", worker=1))
    renamed = dict(CARL, first_name="Carl-Renamed")
    c.reply_to(CARL["id"], c.say(renamed, "/balance", worker=0))
    payer, amount = PEOPLE[9], amount_of(333)
    card = c.card(payer["id"], c.say(payer, f"/send @carl {amount} hi", worker=0), amount)
    c.press(payer, card, "Confirm", worker=2)
    c.wait_told(CARL["id"], amount)
    payments.append((payer, CARL, amount))

    # A group flooded with /help on worker 0 does not delay another user's /balance there.
    flood = [(c.tg.message(STRANGER, f"/help@{BOT_USERNAME}", chat=GROUP), 0) for _ in range(30)]
    mark = len(c.bot.calls)
    with ThreadPoolExecutor(1) as pool:
        flooding = pool.submit(c.post_at_once, flood)
        time.sleep(0.05)
        asked = time.monotonic()
        c.reply_to(PEOPLE[11]["id"], c.say(PEOPLE[11], "/balance", worker=0), timeout=5)
        answered_in = time.monotonic() - asked
        flooding.result()
    assert answered_in < 1.0, f"/balance answered after {answered_in:.2f} s"
    time.sleep(1.0)
    to_group = [x for x in c.bot.calls[mark:] if x.chat_id == GROUP["id"]]
    assert len(to_group) <= 1, f"the group got {len(to_group)} answers to 30 /help"

    # After all: the books balance, no hold is left, each payee told exactly once.
    time.sleep(1.0)
    assert c.books("verify").ok
    pending = c.books("sql", "SELECT count(*) FROM transfers WHERE state = 'pending'")[0][0]
    assert pending == 0
    for _, payee, amount in payments:
        assert len(c.told(payee["id"], amount)) == 1, (payee["username"], amount)
    sent = {payer["id"]: 0 for payer in PEOPLE}
    received = {payee["id"]: 0 for payee in [*PEOPLE, CARL]}
    for payer, payee, amount in payments:
        cents = int(amount.replace(".", ""))
        sent[payer["id"]] += cents
        received[payee["id"]] += cents
    for person in PEOPLE:
        expected = CREDIT - sent[person["id"]] + received[person["id"]]
        assert c.books("balance", person["id"]) == expected, person["username"]
    assert c.books("balance", CARL["id"]) == received[CARL["id"]]
