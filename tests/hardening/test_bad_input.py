"""Bad input at volume: Hypothesis writes what people might type after every command (random
unicode, huge numbers, -0, 0.001, 1e9, right-to-left marks, zero-width characters, notes of
4,000 characters, "@" alone, usernames nobody has, SQL and HTML/Markdown injection) and sends
it, from users in every situation, through the real Application.

For every example:
- no handler raises (the harness fails the example on any handler error);
- every message the bot sends or edits is a catalogue text, parses as Telegram HTML and fits
  in a message; every button answer fits in an alert (``chat_checks``);
- a note is stored exactly as typed and shown escaped;
- the ledger is unchanged, unless the bot said it acted, and then the change is exactly what
  it said: a payment card holds that payment's amount (the test presses Cancel and the hold
  is released), a request is one open request, an admin's credit moves that amount from the
  issuance account, a /limits or /unfreeze is undone by the test.

Examples: 7,000 user commands and 3,000 admin commands on SQLite (10,000), a quarter of that
on PostgreSQL (``fuzzing.POSTGRES_SHARE``). Derandomized: CI replays the same examples.
"""

from __future__ import annotations

import html
import operator
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot import admin_cards, cards
from bot import request as payment_request
from bot.fakeapi import BOT_USERNAME, Call
from tests.bot.conftest import ChatBot, MakeBot
from tests.hardening.chat_checks import Books, assert_clear, said, short, snapshot
from tests.hardening.fuzzing import LIMITS, Run, chat_bot, examples, fuzz

T = TypeVar("T")

USER_EXAMPLES, ADMIN_EXAMPLES = 7_000, 3_000  # on SQLite; PostgreSQL runs a share
OSCAR = 900  # the admin
STRANGERS = 60_000  # ids of people who write to the bot for the first time, one per example

USER_COMMANDS = ["start", "help", "balance", "send", "request", "history", "language", "cancel"]
ADMIN_COMMANDS = [
    "user",
    "tx",
    "freeze",
    "unfreeze",
    "credit",
    "debit",
    "reverse",
    "audit",
    "stats",
    "limits",
]
MENTION = "\ue000mention"  # replaced by a text mention of carol (who has no username)
REF = "\ue001ref"  # replaced by the reference of a real payment
MENTION_NAME = "Carol Smith"
ASKED = ("who", "amount", "note")  # the guided conversation's questions

USERNAMES = (
    "@bob",
    "@BOB",
    "@alice",
    "@carol",
    "@dave",
    "@erin",
    "@frank",
    "@francois",
    "@oscar",
    "@nobody_here",
    "@",
    "@@bob",
    "@xmoney_test_bot",
    "@" + "a" * 40,
    "@1bob",
    "@bob!",
    "@bob,",
    "@b",
    "bob",
    "＠bob",
    "@bоb",  # a Cyrillic o
    "@bob\u200b",
    "\u200f@bob",
    "101",
    "0",
    "-1",
    "99999999999999999999999",
)
AMOUNTS = (
    "12.50",
    "12,50",
    "0.01",
    "1",
    "5 USD",
    "-0",
    "0",
    "-5",
    "0.001",
    "1e9",
    "1E3",
    "9" * 40,
    "1_000",
    "1 000",
    "١٢",
    "１２",
    "½",
    "Ⅻ",
    "NaN",
    "inf",
    "-inf",
    "0x10",
    "12.",
    ".5",
    "1.000,50",
    "1,000.50",
    "$5",
    "5USD",
    "USD",
    "5 EUR",
    "€5",
    "12.505",
    "00012",
    "+5",
    "5-",
    "--5",
    "1e-2",
    "4294967296",
    "9223372036854775808",
    "\u202e5",
    "5\u200b",
    "10000.01",
    "500.01",
    "12.50.3",
    ",",
    ".",
    "max",
    "daily",
    "100 JPY",
    "JPY 100",
    "¥ 100",
    "100€",
    "5 try",
    "5 Usd",
    "US$5",
    "₽5",
    "1,000",
    "1.000",
    "424242 5",
    "20000",
)
NOTES = (
    "lunch",
    "<b>bold</b>",
    "</i></b>",
    "<a href='javascript:alert(1)'>x</a>",
    '<a href="tg://user?id=1">x',
    "&amp; &lt; & <",
    "&#0; &#x110000; &bogus;",
    "*bold* _it_ `code` [link](http://x) ~~s~~ ||spoiler||",
    "'; DROP TABLE transfers; --",
    '" OR 1=1 --',
    "Robert'); DROP TABLE users;--",
    "\u200f\u200e\u202e\u2066",
    "\u200b\u200c\u200d\ufeff",
    "{amount} {0} %s %(x)s {{",
    "\\",
    "\x00",
    "\r\n",
    "<tg-spoiler>",
    "🙂",
    "👨‍👩‍👧‍👦",
    "İǅ",
    "from-101",
    "from-99999999999999999999",
)
GOOD_AMOUNTS = ("12.50", "12,50", "0.01", "1", "5 USD", "3", "100")
SEPARATORS = (" ", " ", " ", " ", "  ", "\n", "\t", "\u00a0", "\u2003", "\u200b", "")
SUFFIXES = ("", "", "", "", "@" + BOT_USERNAME, "@XMONEY_TEST_BOT", "@other_bot", "@")

long_text = st.builds(
    operator.mul,
    st.sampled_from(["n", "&", "<b>", "🙂", "\u200b", "é", " x", "\u202e"]),
    st.integers(190, 4_000),
)
numbers = st.one_of(
    st.integers(-(10**30), 10**30).map(str),
    st.builds(
        "{}{}{}".format,
        st.integers(-(10**12), 10**12),
        st.sampled_from(".,"),
        st.integers(0, 10**6),
    ),
    st.floats().map(str),
)
word = st.one_of(
    st.sampled_from(USERNAMES),
    st.sampled_from(AMOUNTS),
    st.sampled_from(NOTES),
    st.text(max_size=20),
    numbers,
    long_text,
    st.sampled_from([MENTION, REF]),
)
# Well-formed commands with one part (or more) wrong are what reaches the deepest checks;
# roughly half the recipients and a third of the amounts are good ones.
recipient = st.one_of(st.sampled_from(["@bob", "@francois", MENTION]), st.sampled_from(USERNAMES))
amount = st.one_of(st.sampled_from(GOOD_AMOUNTS), st.sampled_from(AMOUNTS), numbers)
note = st.one_of(st.just(""), st.sampled_from(NOTES), st.text(max_size=30), long_text)
reference = st.one_of(
    st.just(REF), st.sampled_from(["REF0000000", "ref", "A" * 17]), st.text(max_size=12)
)
payment = st.one_of(st.tuples(recipient, amount, note), st.tuples(amount, recipient, note))
acted_on = st.tuples(recipient, amount, note)  # /credit @bob 10 top-up
# Well-formed commands, per command: /send @bob 12.50 lunch, /limits max 500, /reverse REF why.
TIDY = {
    "send": payment,
    "request": payment,
    "credit": acted_on,
    "debit": acted_on,
    "freeze": st.tuples(recipient, note),
    "unfreeze": st.tuples(recipient, note),
    "user": st.tuples(recipient),
    "limits": st.tuples(st.sampled_from(["max", "daily", "MAX", "weekly"]), amount, note),
    "reverse": st.tuples(reference, note),
    "tx": st.tuples(reference),
    "audit": st.tuples(st.sampled_from(["5", "0", "-1", "999", "abc", ""])),
    "stats": st.tuples(note),
}
tidy_words = st.one_of(*TIDY.values())
words = st.one_of(
    tidy_words,
    st.tuples(amount, note),  # a reply in a group, or the guided conversation
    st.lists(word, max_size=5).map(tuple),
)


@dataclass(frozen=True)
class Case:
    """One message: who writes it, where, and its text in parts."""

    sender: str
    command: str
    suffix: str
    words: tuple[str, ...]
    separators: tuple[str, ...]
    in_group: bool
    reply_to: str | None
    answers: tuple[str, ...] = ()  # what the sender answers the guided conversation

    def text(self, ref: str) -> str:
        text = f"/{self.command}{self.suffix}"
        for separator, part in zip(self.separators, self.words, strict=True):
            text += separator + part.replace(REF, ref)
        return _fit(text)


def _fit(text: str) -> str:
    """At most 4,096 UTF-16 code units, as Telegram delivers; trailing whitespace trimmed."""
    units = 0
    for index, character in enumerate(text):
        units += 2 if ord(character) > 0xFFFF else 1
        if units > 4_096:
            text = text[:index]
            break
    return text.rstrip() or "/"


@st.composite
def cases(draw: st.DrawFn, senders: list[str], commands: list[str], tidy: bool = False) -> Case:
    """A message; ``tidy`` ones are well-formed commands in a private chat with some part
    wrong (or none: then the bot acts), the others anything at all."""
    if tidy:
        command = draw(st.sampled_from(commands))
        parts = tuple(part for part in draw(TIDY[command]) if part)
        sender = draw(st.sampled_from(senders))
        return Case(sender, command, "", parts, (" ",) * len(parts), False, None)
    parts = tuple(part for part in draw(words) if part)
    # The choices that need no shrinking of their own come from one draw (Hypothesis draws
    # are the cost of an example here); it shrinks towards the first of each list.
    shape = draw(st.integers(0, 2**62))

    def pick(options: Sequence[T]) -> T:
        nonlocal shape
        shape, index = divmod(shape, len(options))
        return options[index]

    sender, command = pick(senders), pick(commands)
    suffix = pick(SUFFIXES)
    separators = tuple(pick(SEPARATORS) for _ in parts)
    in_group = pick([False, False, False, True])
    reply_to = pick([None, None, "bob", "carol", "bot"]) if in_group else None
    return Case(sender, command, suffix, parts, separators, in_group, reply_to)


@st.composite
def conversations(draw: st.DrawFn) -> Case:
    """/send with parts missing, then answers to the questions it asks."""
    start = draw(st.one_of(st.tuples(), st.tuples(recipient), st.tuples(amount)))
    answers = draw(st.lists(st.one_of(recipient, amount, note, word), min_size=1, max_size=3))
    sender = draw(st.sampled_from(["alice", "francois", "frank"]))
    return Case(sender, "send", "", start, (" ",) * len(start), False, None, tuple(answers))


# --- the scene -----------------------------------------------------------------------------

_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{1,32})?(?![A-Za-z0-9_])")


@dataclass
class Scene:
    """The people of every example, set up once per database:

    alice (500.00 USD) and francois (100.00, reads French) have started the bot, frank too
    but his account is frozen, bob and carol (no username) have started it with nothing,
    dave has only been seen, oscar is the admin; alice has paid bob 1.00 (``paid_ref``).
    """

    bot: ChatBot
    paid_ref: str = ""
    examples: int = 0
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    outcomes: Counter[str] = field(default_factory=Counter)  # what the examples led to
    books: Books | None = None  # as the last example left them

    async def set_up(self) -> None:
        bot = self.bot
        self.users = {
            "alice": bot.user("alice"),
            "bob": bot.user("bob"),
            "carol": bot.user("carol"),
            "dave": bot.user("dave"),
            "francois": bot.tg.user(110, "francois", "François", language_code="fr"),
            "frank": bot.tg.user(111, "frank", "Frank"),
            "oscar": bot.tg.user(OSCAR, "oscar", "Oscar"),
        }
        u = self.users
        await bot.register(u["bob"], u["carol"], u["oscar"])
        await bot.register(u["alice"], funds=50_000)
        await bot.register(u["francois"], funds=10_000)
        await bot.register(u["frank"], funds=5_000)
        await bot.freeze(u["frank"])
        await bot.send(u["dave"], "/help")
        await bot.send(u["alice"], "/send @bob 1 setup")
        await bot.press(u["alice"], bot.last(u["alice"]), "Confirm")
        self.books = await snapshot(bot.ledger)
        self.paid_ref = (
            (await bot.ledger.history(await bot.ledger.open_account(101))).items[0].transfer.ref
        )
        bot.api.clear()

    def sender(self, name: str) -> dict[str, Any]:
        if name == "stranger":
            return self.bot.tg.user(STRANGERS + self.examples, f"stranger{self.examples}")
        return self.users[name]

    def update(self, case: Case, sender: dict[str, Any]) -> tuple[dict[str, Any], str]:
        chat = self.bot.group() if case.in_group else None
        reply = None
        if case.reply_to == "bot":
            reply = {**self.bot.message(sender, "hi", chat=chat), "from": self.bot.the_bot()}
        elif case.reply_to is not None:
            reply = self.bot.message(self.users[case.reply_to], "hi", chat=chat)
        return self.message(sender, case.text(self.paid_ref), chat, reply)

    def message(
        self,
        sender: dict[str, Any],
        text: str,
        chat: dict[str, Any] | None = None,
        reply: dict[str, Any] | None = None,
    ) -> tuple[dict[str, Any], str]:
        """The update Telegram delivers for ``text``, with the entities Telegram would mark."""
        entities = []
        if MENTION in text:
            text = text.replace(MENTION, MENTION_NAME, 1).replace(MENTION, "")
            entities.append(self.bot.tg.mention(text, MENTION_NAME, self.users["carol"]))
        update = self.bot.tg.message(sender, text, chat=chat, reply_to=reply, entities=entities)
        # Telegram marks "/name" or "/name@bot" as a command, however the text goes on.
        message = update["message"]
        found = [e for e in message.get("entities", []) if e["type"] != "bot_command"]
        command = _COMMAND.match(text)
        if command:
            length = len(command.group(0).encode("utf-16-le")) // 2
            found.insert(0, {"type": "bot_command", "offset": 0, "length": length})
        message.pop("entities", None)
        if found:
            message["entities"] = found
        return update, text

    # --- one example ---------------------------------------------------------------------

    async def play(self, case: Case) -> None:
        bot = self.bot
        self.examples += 1
        bot.clock.advance(1)
        sender = self.sender(case.sender)
        update, text = self.update(case, sender)
        chat_id = update["message"]["chat"]["id"]
        before = self.books
        assert before is not None
        bot.api.clear()
        await bot.deliver(update)
        calls = list(bot.api.calls)
        where = f"{case.sender} wrote {short(text)}" + (" in a group" if case.in_group else "")
        assert_clear(calls, where)
        for answer in case.answers:  # the guided conversation, answered
            if not any(said(calls[-1:], f"send.ask_{part}") for part in ASKED):
                break
            self.outcomes["answered a question"] += 1
            answered, typed = self.message(sender, _fit(answer.replace(REF, self.paid_ref)))
            bot.api.clear()
            await bot.deliver(answered)
            calls += bot.api.calls
            where += f", then {short(typed)}"
            text += "\n" + typed
            assert_clear(bot.api.calls, where)
        command = _COMMAND.match(text)
        name, _, to_bot = command.group(0)[1:].partition("@") if command else ("", "", "")
        for_me = command is not None and to_bot.lower() in ("", BOT_USERNAME)
        if for_me and not case.in_group:
            assert bot.to(chat_id), f"{where}: no answer"
        if for_me and name.lower() in ADMIN_COMMANDS:
            self.check_admin_visibility(sender, calls, chat_id, bool(to_bot), where)
        await self.settle(case, sender, text, calls, before, where)
        if any(said(calls[-1:], f"send.ask_{part}") for part in ASKED):
            await bot.deliver(
                bot.tg.message(sender, "/cancel", chat=bot.group() if case.in_group else None)
            )
        if self.examples % 500 == 0:
            report = await bot.ledger.verify()
            assert report.ok, report.summary()

    def check_admin_visibility(
        self, sender: dict[str, Any], calls: list[Call], chat_id: int, named: bool, where: str
    ) -> None:
        """Admin commands are invisible to others; admins are answered privately."""
        messages = [c for c in calls if c.method == "sendMessage"]
        in_group = chat_id < 0
        if sender["id"] != OSCAR:
            # Exactly what an unknown command gets (in a group: only /cmd@this_bot is answered).
            assert all(said([c], "common.unknown_command") for c in messages), where
            if not in_group:
                assert len(messages) == 1, where
            else:  # /cmd@this_bot only, and a group hears it once a minute at most
                assert len(messages) <= (1 if named else 0), where
        elif in_group:
            assert self.bot.to(chat_id) == [], f"{where}: the group heard an admin's answer"

    async def settle(
        self,
        case: Case,
        sender: dict[str, Any],
        text: str,
        calls: list[Call],
        before: Books,
        where: str,
    ) -> None:
        """Check that the books changed only as the bot said, and undo what it did."""
        bot, ledger = self.bot, self.bot.ledger
        after = await snapshot(ledger)
        transfers = before.transfers

        payment_cards = _with_button(calls, cards.CONFIRM)
        assert len(payment_cards) <= 1, where
        if payment_cards:
            [card] = payment_cards
            ref = _data(card, cards.CONFIRM)
            held = await ledger.get_transfer(ref)
            assert held.state == "pending" and held.debit_owner == sender["id"], where
            assert after.pending == before.pending + 1, where
            # Stored as typed (the ledger drops NUL characters, which PostgreSQL cannot hold).
            typed = text.replace("\x00", "")
            assert held.memo in typed, f"{where}: the note was stored as {short(held.memo)}"
            assert html.escape(held.memo) in card.text, f"{where}: the note is not shown escaped"
            bot.api.clear()
            await bot.deliver(bot.tg.callback(sender, cards.CANCEL + ref, card))
            assert_clear(bot.api.calls, f"{where}, then Cancel")
            assert (await ledger.get_transfer(ref)).state == "voided", where
            transfers += 1

        for card in _with_button(calls, admin_cards.PREFIX + "x:"):
            bot.api.clear()
            await bot.deliver(
                bot.tg.callback(sender, _data(card, admin_cards.PREFIX + "x:", keep=True), card)
            )
            assert_clear(bot.api.calls, f"{where}, then Cancel")

        requests = len(_with_button(calls, payment_request.PAY))
        assert requests <= 1, where

        if said(calls, "admin.limits.set"):
            await ledger.set_limits(
                actor=OSCAR, max_transfer=LIMITS.max_transfer, daily_limit=LIMITS.daily_limit
            )
        if said(calls, "admin.done.unfreeze"):
            await bot.freeze(self.users["frank"])

        admin_card_shown = _with_button(calls, admin_cards.PREFIX)
        undone = payment_cards or admin_card_shown or said(calls, "admin.limits.set")
        if undone or said(calls, "admin.done.unfreeze"):
            after = await snapshot(ledger)
        self.books = after
        accounts_before, accounts_after = before.accounts_with_money(), after.accounts_with_money()
        if said(calls, "admin.done.credit"):
            changed = {
                k: (accounts_before.get(k), v)
                for k, v in accounts_after.items()
                if accounts_before.get(k) != v
            }
            assert len(changed) == 2 and ledger.issuance_account_id in changed, where
            issued = changed.pop(ledger.issuance_account_id)
            [(old, new)] = changed.values()
            amount = issued[1][1] - issued[0][1]  # the issuance account's posted debits
            assert amount > 0 and new[2] - (old[2] if old else 0) == amount, where
            transfers += 1
        else:
            assert accounts_after == accounts_before, f"{where}: the books changed"
        assert after.transfers == transfers, f"{where}: {after.transfers - transfers} transfers"
        assert after.pending == before.pending, f"{where}: a hold was left"
        assert after.requests == before.requests + requests, f"{where}: requests"
        assert after.counts[5:] == before.counts[5:], f"{where}: the limits changed"
        acted = (
            payment_cards
            or requests
            or said(calls, "admin.done.credit")
            or said(calls, "admin.limits.set")
            or said(calls, "admin.done.unfreeze")
        )
        self.outcomes.update(
            {
                "payment card": len(payment_cards),
                "request": requests,
                "admin card": len(admin_card_shown),
                "credit": len(said(calls, "admin.done.credit")),
                "limits set": len(said(calls, "admin.limits.set")),
                "no reply": not calls,
                "rejected": not acted,
            }
        )
        if not acted:  # a rejected input (or one that only reads): not even an audit row
            assert after.counts == before.counts, f"{where}: {before.counts} -> {after.counts}"


def _with_button(calls: list[Call], prefix: str) -> list[Call]:
    return [
        c
        for c in calls
        if c.method == "sendMessage" and any(d.startswith(prefix) for _, d in c.buttons)
    ]


def _data(card: Call, prefix: str, *, keep: bool = False) -> str:
    [data] = [d for _, d in card.buttons if d.startswith(prefix)]
    return data if keep else data[len(prefix) :]


# --- the tests -----------------------------------------------------------------------------


def every_fragment(sender: str, commands: list[str]) -> list[Case]:
    """Each listed username, amount and note, once in each command, in an otherwise good
    command: played first on every database, whatever share of the volume it runs."""
    found = []
    for command in commands:
        for who in USERNAMES:
            found.append(Case(sender, command, "", (who, "1", "x"), (" ",) * 3, False, None))
        for how_much in AMOUNTS:
            found.append(
                Case(sender, command, "", ("@bob", how_much, "x"), (" ",) * 3, False, None)
            )
        for note in NOTES:
            found.append(Case(sender, command, "", ("@bob", "1", note), (" ",) * 3, False, None))
    return found


def every_limit() -> list[Case]:
    """Each listed amount and note in an otherwise good /limits."""
    limits = [("max", how_much, "x") for how_much in AMOUNTS]
    limits += [("daily", "5000", note) for note in NOTES]
    return [Case("oscar", "limits", "", words, (" ",) * 3, False, None) for words in limits]


def play_all(
    run: Run[Any], scene: Scene, fixed: list[Case], strategy: st.SearchStrategy[Case], count: int
) -> None:
    for case in fixed:
        run(scene.play(case))

    @fuzz(count)
    @given(case=strategy)
    def example(case: Case) -> None:
        run(scene.play(case))

    example()
    report = run(scene.bot.ledger.verify())
    assert report.ok, report.summary()
    assert scene.examples >= count + len(fixed)


@pytest.mark.slow
def test_every_user_command_with_bad_input(database: str, tmp_path: Path) -> None:
    with chat_bot(database, tmp_path, admin_ids=[OSCAR], rate_limit_per_minute=10_000) as (
        run,
        bot,
    ):
        scene = Scene(bot)
        run(scene.set_up())
        senders = ["alice", "alice", "alice", "francois", "frank", "carol", "stranger", "dave"]
        commands = USER_COMMANDS + ["send"] * 6 + ["request"] * 2 + ["credit", "frobnicate", "skip"]
        play_all(
            run,
            scene,
            every_fragment("alice", ["send", "request"]),
            st.one_of(
                cases(senders, commands),
                cases(["alice", "francois"], ["send", "send", "request"], tidy=True),
                conversations(),
            ),
            examples(database, USER_EXAMPLES),
        )
        final = run(snapshot(bot.ledger))
        assert final.pending == 0
        # The volume reached the paths that act, not only the refusals.
        share = max(2, examples(database, USER_EXAMPLES) // 500)
        for outcome in ("payment card", "request", "answered a question", "rejected"):
            assert scene.outcomes[outcome] >= share, scene.outcomes


@pytest.mark.slow
def test_every_admin_command_with_bad_input(database: str, tmp_path: Path) -> None:
    with chat_bot(database, tmp_path, admin_ids=[OSCAR], rate_limit_per_minute=10_000) as (
        run,
        bot,
    ):
        scene = Scene(bot)
        run(scene.set_up())
        play_all(
            run,
            scene,
            every_fragment("oscar", ["credit", "debit", "freeze"]) + every_limit(),
            st.one_of(
                cases(["oscar", "oscar", "oscar", "alice"], ADMIN_COMMANDS),
                cases(["oscar"], [c for c in ADMIN_COMMANDS if c != "audit"], tidy=True),
            ),
            examples(database, ADMIN_EXAMPLES),
        )
        final = run(snapshot(bot.ledger))
        assert final.pending == 0 and final.counts[5:] == (LIMITS.max_transfer, LIMITS.daily_limit)
        share = max(2, examples(database, ADMIN_EXAMPLES) // 500)
        for outcome in ("admin card", "credit", "limits set", "rejected"):
            assert scene.outcomes[outcome] >= share, scene.outcomes


# --- what the volume found, pinned -------------------------------------------------------


async def test_a_start_link_naming_an_impossible_inviter_is_ignored(bot: ChatBot) -> None:
    """A 20-digit inviter id went to the database and failed there (no integer that large):
    the newcomer was greeted, then told something went wrong."""
    zed = bot.user("zed")
    await bot.send(zed, "/start from-99999999999999999999")
    [greeting] = bot.to(zed)
    assert greeting.text.startswith("Welcome to X Money, Zed!")
    assert (await bot.ledger.directory.get(zed["id"])).registered


async def test_an_admin_naming_an_impossible_id_is_told_nobody_has_it(make_bot: MakeBot) -> None:
    bot = await make_bot(admin_ids=[OSCAR])
    oscar = bot.tg.user(OSCAR, "oscar", "Oscar")
    await bot.register(oscar)
    for command in ("/user 99999999999999999999999", "/credit 99999999999999999999 5 gift"):
        await bot.send(oscar, command)
        assert bot.last(oscar).text.startswith("Nobody with the id "), command


async def test_a_long_word_that_is_no_username_is_quoted_short(bot: ChatBot) -> None:
    """Repeating a 4,000-character word made a refusal longer than Telegram allows, so the
    user got "something went wrong" instead of the refusal."""
    alice = bot.user("alice")
    await bot.register(alice, funds=1_000)
    await bot.send(alice, "/send 5 @" + "é" * 4_000)
    [reply] = bot.to(alice)
    assert reply.text == f"“@{'é' * 38}…” is not a username. Write it like @alice."
