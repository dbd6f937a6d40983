"""Forged and foreign button presses: callback data is never trusted.

Hypothesis presses buttons as anyone could with a modified client: random data, real data
tampered with, references of other people's cards and requests, admin cards pressed by
non-admins and by the other admin, on cards and on messages that are not cards. Every press
that is not the entitled person's own button is answered exactly once, tells nothing but a
catalogue refusal, edits and sends nothing, and changes nothing: not the books, not a held
payment, not a request, not an admin card.

The stories below pin the cases one by one.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from bot.fakeapi import Call, Telegram
from tests.bot.conftest import ChatBot, MakeBot
from tests.hardening.chat_checks import Books, assert_clear, snapshot
from tests.hardening.fuzzing import chat_bot, examples, fuzz

OSCAR = Telegram.user(900, "oscar", "Oscar")  # an admin
OLGA = Telegram.user(901, "olga", "Olga")  # another admin
PRESSES = 2_000  # on SQLite; PostgreSQL runs a share
PREFIXES = ("p:c:", "p:x:", "r:p:", "r:d:", "a:c:", "a:x:", "h:", "l:", "p:", "a:", "P:C:", "")
_HISTORY, _LANGUAGE = re.compile(r"h:(0|[1-9][0-9]{0,5})"), re.compile(r"l:(en|fr)")


@dataclass
class Board:
    """Everything there is to press, set up once: alice's and bob's held payments, a payment
    alice confirmed, bob's request to alice, oscar's freeze card, and messages that are no
    cards (alice's /help, a message in a group)."""

    bot: ChatBot
    people: dict[str, dict[str, Any]] = field(default_factory=dict)
    messages: dict[str, dict[str, Any]] = field(default_factory=dict)
    genuine: dict[str, int] = field(default_factory=dict)  # live button data -> who may press
    refs: list[str] = field(default_factory=list)
    books: Books | None = None
    presses: int = 0
    answers: Counter[str] = field(default_factory=Counter)  # what the presses were told

    async def set_up(self) -> None:
        bot = self.bot
        alice, bob, carol, erin = (bot.user(n) for n in ("alice", "bob", "carol", "erin"))
        self.people = {"alice": alice, "bob": bob, "carol": carol, "erin": erin}
        self.people |= {"oscar": OSCAR, "olga": OLGA}
        await bot.register(carol, OSCAR, OLGA)
        await bot.register(alice, funds=10_000)
        await bot.register(bob, funds=5_000)

        await bot.send(alice, "/send @bob 1 paid")
        await bot.press(alice, bot.last(alice), "Confirm")
        self.messages["posted card"] = bot.last(alice).result
        await bot.send(alice, "/send @bob 5 held")
        self.card("alice's card", bot.last(alice), alice)
        await bot.send(bob, "/send @alice 3 held")
        self.card("bob's card", bot.last(bob), bob)
        await bot.send(bob, "/request @alice 2 dinner")
        self.card("bob's request", bot.last(alice), alice)
        await bot.send(OSCAR, "/freeze @bob spam")
        self.card("oscar's card", bot.last(OSCAR), OSCAR)
        await bot.send(alice, "/help")
        self.messages["alice's /help"] = bot.last(alice).result
        self.messages["a group message"] = bot.message(carol, "hello", chat=bot.group())
        self.refs = [data.split(":")[-1] for data in self.genuine]
        page = await bot.ledger.history(await bot.ledger.open_account(alice["id"]))
        [paid] = [i.transfer for i in page.items if i.transfer.memo == "paid"]
        self.refs.append(paid.ref)
        self.books = await snapshot(bot.ledger)
        bot.api.clear()

    def card(self, name: str, call: Call, owner: dict[str, Any]) -> None:
        self.messages[name] = call.result
        for _, data in call.buttons:
            self.genuine[data] = owner["id"]

    def is_genuine(self, presser: dict[str, Any], data: str, message: dict[str, Any]) -> bool:
        """The entitled person's own button (from wherever they press it: the message is never
        trusted), or a history page or language choice in their own chat."""
        if self.genuine.get(data) == presser["id"]:
            return True
        own_chat = message["chat"]["id"] == presser["id"]
        return own_chat and bool(_HISTORY.fullmatch(data) or _LANGUAGE.fullmatch(data))

    async def admin_cards(self) -> list[str]:
        rows = await self.bot.ledger.db.read_one("SELECT state FROM admin_cards ORDER BY id", {})
        return [row[0] for row in rows]

    async def press(self, presser: str, data: str, message: str) -> None:
        bot, who, where = self.bot, self.people[presser], self.messages[message]
        self.presses += 1
        before, cards_before = self.books, await self.admin_cards()
        bot.api.clear()
        query_id = f"forged-{self.presses}"
        await bot.deliver(bot.tg.callback(who, data, where, query_id=query_id))
        context = f"{presser} pressed {data!r} on {message}"
        # Answered, once, and nothing else: no message, and no edit but a redraw of the paid
        # card's receipt (its sender pressing it again; only its balance line can move).
        posted = self.messages["posted card"]
        redrawn = [
            c
            for c in bot.api.calls
            if c.method == "editMessageText"
            and (c.chat_id, c.params["message_id"]) == (posted["chat"]["id"], posted["message_id"])
            and c.text.split("\n\n")[0] == posted["text"].split("\n\n")[0]
            and who["id"] == posted["chat"]["id"]
        ]
        [answer] = [c for c in bot.api.calls if c not in redrawn]
        assert answer.method == "answerCallbackQuery", context
        assert answer.params["callback_query_id"] == query_id, context
        assert_clear([answer], context)
        self.answers[answer.params.get("text", "")] += 1
        # The books (held payments and open requests included) and the admin cards as they were.
        assert await snapshot(bot.ledger) == before, context
        assert await self.admin_cards() == cards_before, context


def utf8_at_most(limit: int) -> Any:
    def cut(text: str) -> str:
        while len(text.encode()) > limit:
            text = text[:-1]
        return text

    return cut


def presses(board: Board) -> st.SearchStrategy[tuple[str, str, str]]:
    real = st.sampled_from([*sorted(board.genuine), f"p:c:{board.refs[-1]}"])
    ref = st.sampled_from(board.refs)
    tampered_ref = st.one_of(
        ref.map(str.lower),
        ref.map(lambda r: r[:-1]),
        ref.map(lambda r: r + "0"),
        st.builds(
            lambda r, i, c: r[:i] + c + r[i + 1 :],
            ref,
            st.integers(0, 15),
            st.sampled_from("0A_-Z"),
        ),
    )
    suffix = st.one_of(ref, tampered_ref, st.text(max_size=20), st.integers().map(str))
    prefixed = st.builds(str.__add__, st.sampled_from(PREFIXES), suffix)
    data = st.one_of(
        real,
        real,
        prefixed,
        prefixed,
        st.text(min_size=1, max_size=64),
        st.binary(min_size=1, max_size=64).map(lambda b: b.decode("latin-1")),
    ).map(utf8_at_most(64))
    return st.tuples(
        st.sampled_from(sorted(board.people)),
        data.filter(bool),
        st.sampled_from(sorted(board.messages)),
    )


def test_forged_and_foreign_presses_change_nothing(database: str, tmp_path: Path) -> None:
    settings = {
        "admin_ids": [OSCAR["id"], OLGA["id"]],
        "rate_limit_per_minute": 10_000,
        "hold_expiry_seconds": 86_400,
    }
    with chat_bot(database, tmp_path, **settings) as (run, bot):
        board = Board(bot)
        run(board.set_up())
        count = examples(database, PRESSES)

        @fuzz(count)
        @given(press=presses(board))
        def example(press: tuple[str, str, str]) -> None:
            presser, data, message = press
            assume(not board.is_genuine(board.people[presser], data, board.messages[message]))
            run(board.press(presser, data, message))

        example()
        assert board.presses >= count * 9 // 10
        # Every kind of refusal came up, each many times: the presses reached every handler.
        for refusal in (
            "Only the person paying can press these buttons.",
            "This button is not valid.",
            "This button no longer works.",
            "Only the person asked can answer this request.",
            "Only the admin who asked can press these buttons. Nothing was done.",
            "This card expired or is no longer valid; nothing was done. Run the command again.",
            "Already confirmed: this payment went through once; nothing more was sent.",
        ):
            assert board.answers[refusal] >= max(1, count // 400), (refusal, board.answers)
        report = run(bot.ledger.verify())
        assert report.ok, report.summary()


# --- the stories -----------------------------------------------------------------------------


@pytest.fixture
async def ops(make_bot: MakeBot) -> ChatBot:
    """oscar and olga are admins; alice has 50.00 USD, bob 20.00."""
    bot = await make_bot(admin_ids=[OSCAR["id"], OLGA["id"]])
    await bot.register(bot.user("carol"), OSCAR, OLGA)
    await bot.register(bot.user("alice"), funds=5_000)
    await bot.register(bot.user("bob"), funds=2_000)
    return bot


async def test_a_non_admin_pressing_an_admin_card_hears_what_any_dead_button_gets(
    ops: ChatBot,
) -> None:
    alice, bob = ops.user("alice"), ops.user("bob")
    await ops.send(OSCAR, "/freeze @bob spam")
    card = ops.last(OSCAR)
    books = await ops.books()

    for presser in (alice, bob):  # bob would love to cancel his own freeze
        for label in ("Confirm", "Cancel"):
            ops.api.clear()
            await ops.press(presser, card, label)
            assert [c.method for c in ops.api.calls] == ["answerCallbackQuery"]
            assert ops.answer().params["text"] == "This button no longer works."
    ops.api.clear()
    await ops.press_data(alice, card, "nothing-like-a-button")
    assert ops.answer().params["text"] == "This button no longer works."  # the same words

    assert await ops.books() == books
    assert not (await ops.account(bob)).frozen
    await ops.press(OSCAR, card, "Confirm")  # the card still works for oscar
    assert (await ops.account(bob)).frozen


async def test_the_other_admin_cannot_press_oscars_card(ops: ChatBot) -> None:
    await ops.send(OSCAR, "/debit @bob 5 chargeback")
    card = ops.last(OSCAR)
    books = await ops.books()
    await ops.press(OLGA, card, "Confirm")
    assert ops.answer().params["text"] == (
        "Only the admin who asked can press these buttons. Nothing was done."
    )
    assert await ops.books() == books


async def test_an_admin_has_no_power_over_someone_elses_payment_card(ops: ChatBot) -> None:
    alice = ops.user("alice")
    await ops.send(alice, "/send @bob 5 lunch")
    card = ops.last(alice)
    books = await ops.books()
    for label in ("Confirm", "Cancel"):
        await ops.press(OSCAR, card, label)
        assert ops.answer().params["text"] == "Only the person paying can press these buttons."
    assert await ops.books() == books


async def test_only_the_payer_can_answer_a_request_even_with_its_reference(ops: ChatBot) -> None:
    alice, bob, carol = ops.user("alice"), ops.user("bob"), ops.user("carol")
    await ops.send(bob, "/request @alice 2 dinner")
    asked = ops.last(alice)
    books = await ops.books()
    for presser in (bob, carol, OSCAR):
        for label in ("Pay", "Decline"):
            await ops.press(presser, asked, label)
            assert ops.answer().params["text"] == "Only the person asked can answer this request."
    assert await ops.books() == books
    [request] = await open_requests(ops)
    assert request == "open"


async def test_forged_data_on_a_message_that_is_no_card_changes_nothing(ops: ChatBot) -> None:
    alice, bob = ops.user("alice"), ops.user("bob")
    await ops.send(bob, "/send @alice 3 held")
    bobs_ref = ops.button(ops.last(bob), "Confirm").removeprefix("p:c:")
    await ops.send(alice, "/help")
    help_message = ops.last(alice)
    books = await ops.books()

    for data in (f"p:c:{bobs_ref}", f"p:x:{bobs_ref}", "a:c:" + "A" * 16, "r:p:NOREQUEST0", "p:c:"):
        ops.api.clear()
        await ops.press_data(alice, help_message, data)
        assert [c.method for c in ops.api.calls] == ["answerCallbackQuery"], data
    assert await ops.books() == books
    assert (await ops.ledger.get_transfer(bobs_ref)).state == "pending"


async def test_a_senders_own_confirm_from_another_message_pays_once_on_the_real_card(
    ops: ChatBot,
) -> None:
    """The message a press comes from is never trusted: alice's own Confirm, pressed through
    another of her messages, is still her Confirm; the payment moves once and the card the
    ledger remembers (not the pressed message) becomes the receipt."""
    alice, bob = ops.user("alice"), ops.user("bob")
    await ops.send(alice, "/send @bob 5 lunch")
    card = ops.last(alice)
    data = ops.button(card, "Confirm")
    await ops.send(alice, "/help")
    elsewhere = ops.last(alice)

    await ops.press_data(alice, elsewhere, data)
    await ops.press_data(alice, elsewhere, data)

    assert await ops.balances(alice, bob) == [4_500, 2_500]
    receipts = ops.calls("editMessageText")  # the receipt, drawn again by the second press
    assert receipts and {r.params["message_id"] for r in receipts} == {card.result["message_id"]}
    assert receipts[-1].text.startswith("✅ You paid <b>5.00 USD</b> to @bob")
    assert ops.answer().params["text"].startswith("Already confirmed")
    assert len(ops.to(bob)) == 1


async def open_requests(bot: ChatBot) -> list[str]:
    rows = await bot.ledger.db.read_one("SELECT state FROM payment_requests", {})
    return [row[0] for row in rows]
