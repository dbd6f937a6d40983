"""Red envelopes: alice posts /envelope 10 5 in a group; each person opens one share, she
can't; the shares were fixed and committed to (hash on the envelope) when it was made, and
the seed appears when it is over, so anyone can check the draw."""

from __future__ import annotations

import asyncio
import hashlib

from bot.buttons import ENVELOPE_OPEN
from ledger.payments.envelopes import commitment, draw
from tests.bot.conftest import SQLITE_ONLY, ChatBot


async def posted(bot: ChatBot, command: str = "/envelope 10 5 party") -> tuple[dict, list[dict]]:
    """alice (50.00 USD), bob, erin, dave and carol have started the bot; alice posts an
    envelope in the group. Returns alice and the others."""
    alice = bot.user("alice")
    others = [bot.user(name) for name in ("bob", "erin", "dave", "carol", "frank", "gina")]
    await bot.register(alice, funds=5_000)
    await bot.register(*others)
    await bot.send(alice, command, chat=bot.group())
    return alice, others


async def test_five_people_open_one_share_each_and_the_draw_checks_out(bot: ChatBot) -> None:
    alice, others = await posted(bot)
    group = bot.group()
    envelope = bot.last(group)
    assert envelope.text.startswith(
        "🧧 @alice's red envelope: <b>10.00 USD</b> in 5 shares (random) — <i>party</i>\n"
        "Opened 0/5\nDraw committed to: <code>"
    )
    committed = envelope.text.split("<code>")[1].split("</code>")[0]
    assert await bot.held(alice) == 1_000

    for person in others[:5]:
        await bot.press(person, envelope, "Open")
    await bot.press(others[5], envelope, "Open")  # gina: too late

    assert bot.answer().params["text"] == "This envelope is empty."
    got = await bot.balances(*others[:5])
    assert sum(got) == 1_000 and all(share >= 1 for share in got)
    assert await bot.balances(alice) == [4_000] and await bot.held(alice) == 0
    final = bot.last(group).text
    seed = final.split("Seed: <code>")[1].split("</code>")[0]
    # Anyone can check: the hash matches and the seed gives the shares in opening order.
    assert commitment(seed, 1_000, 5, "random") == committed
    assert hashlib.sha256(f"{seed}:1000:5:random".encode()).hexdigest() == committed
    assert draw(seed, 1_000, 5, "random") == got
    assert (await bot.ledger.verify()).ok


async def test_each_person_opens_once_and_alice_not_at_all(bot: ChatBot) -> None:
    alice, others = await posted(bot, "/envelope 9 3 equal")
    envelope = bot.last(bot.group())
    bob = others[0]

    await bot.press(alice, envelope, "Open")
    assert bot.answer().params["text"] == "You can't open your own envelope."
    await bot.press(bob, envelope, "Open")
    assert bot.answer().params["text"] == "🧧 You got 3.00 USD!"
    await bot.press(bob, envelope, "Open")
    assert bot.answer().params["text"] == "You opened this envelope already: you got 3.00 USD."

    assert await bot.balances(alice, bob) == [4_100, 300]
    assert bot.last(bob).text.startswith("🧧 You got <b>3.00 USD</b> from @alice's red envelope")
    assert not any("envelope" in text for text in bot.texts(alice))  # the envelope shows it


async def test_people_opening_at_the_same_moment_get_one_share_each(bot: ChatBot) -> None:
    _alice, others = await posted(bot, "/envelope 10 3")
    envelope = bot.last(bot.group())

    await asyncio.gather(*(bot.press(p, envelope, "Open") for p in [*others[:4], others[0]]))

    got = await bot.balances(*others[:4])
    assert sum(got) == 1_000 and sorted(g > 0 for g in got) == [False, True, True, True]
    assert (await bot.ledger.verify()).ok


async def test_what_is_left_at_expiry_goes_back_to_alice(make_bot) -> None:  # type: ignore[no-untyped-def]
    bot = await make_bot(cheque_expiry_seconds=600)
    alice, others = await posted(bot, "/envelope 10 4 equal")
    envelope = bot.last(bot.group())
    await bot.press(others[0], envelope, "Open")
    bot.api.clear()

    bot.clock.advance(601)
    await bot.sweep()

    assert await bot.balances(alice, others[0]) == [4_750, 250]
    assert await bot.held(alice) == 0
    assert bot.texts(alice) == [
        "Your red envelope is over: <b>7.50 USD</b> nobody opened is yours again."
    ]
    final = bot.last(bot.group()).text
    assert "Over: <b>7.50 USD</b> went back to @alice. Seed: <code>" in final
    await bot.press(others[1], envelope, "Open")
    assert await bot.balances(others[1]) == [0]


async def test_a_freeze_releases_alices_envelope(bot: ChatBot) -> None:
    alice, others = await posted(bot)
    envelope = bot.last(bot.group())

    await bot.freeze(alice)
    await bot.press(others[0], envelope, "Open")

    assert await bot.held(alice) == 0 and await bot.balances(others[0]) == [0]
    assert (await bot.ledger.verify()).ok


async def test_a_redelivered_command_posts_one_envelope(bot: ChatBot) -> None:
    alice = bot.user("alice")
    await bot.register(alice, funds=5_000)
    update = bot.tg.message(alice, "/envelope 10 5", chat=bot.group())

    await bot.deliver(update)
    await bot.deliver(update)

    assert len(bot.to(bot.group())) == 1
    assert await bot.held(alice) == 1_000


@SQLITE_ONLY
async def test_bad_envelopes_change_nothing(bot: ChatBot) -> None:
    alice = bot.user("alice")
    await bot.register(alice, funds=5_000)
    before = await bot.books()
    for command, says in [
        ("/envelope 10", "Write it like /envelope 10 5"),
        ("/envelope 0.03 5", "at least one cent each"),
        ("/envelope 10 500", "1 to 100 shares"),
        ("/envelope lots 5", "not an amount"),
        ("/envelope 100 5", "Not enough money"),
    ]:
        await bot.send(alice, command, chat=bot.group())
        texts = bot.texts(bot.group()) + bot.texts(alice)
        assert any(says in text for text in texts), (command, texts)
        bot.api.clear()
    await bot.send(alice, "/envelope 10 5")  # privately
    assert bot.last(alice).text.startswith("Red envelopes are for groups")
    assert await bot.books() == before


@SQLITE_ONLY
async def test_in_french(bot: ChatBot) -> None:
    alice = bot.user("alice", lang="fr")
    bob = bot.user("bob", lang="fr")
    await bot.register(alice, funds=5_000)
    await bot.register(bob)
    await bot.send(alice, "/envelope 10 2 égales fête", chat=bot.group())
    envelope = bot.last(bot.group())
    assert envelope.text.startswith("🧧 Enveloppe rouge de @alice : <b>10,00")
    assert bot.button(envelope, "Ouvrir").startswith(ENVELOPE_OPEN)
    await bot.press(bob, envelope, "Ouvrir")
    assert bot.answer().params["text"].startswith("🧧 Vous avez reçu 5,00")


async def test_an_admin_freeze_redraws_alices_envelope_as_over(make_bot) -> None:  # type: ignore[no-untyped-def]
    oscar = {"id": 900, "is_bot": False, "first_name": "Oscar", "username": "oscar"}
    bot = await make_bot(admin_ids=[900])
    await bot.register(oscar)
    alice, others = await posted(bot, "/envelope 10 2 equal")
    await bot.press(others[0], bot.last(bot.group()), "Open")

    await bot.send(oscar, "/freeze @alice spam")
    await bot.press(oscar, bot.last(oscar), "Confirm")

    assert await bot.held(alice) == 0
    final = bot.last(bot.group())
    assert "Over: <b>5.00 USD</b> went back to @alice. Seed: <code>" in final.text
    assert final.buttons == []


async def test_someone_who_never_started_the_bot_is_sent_to_start_it(bot: ChatBot) -> None:
    alice, _others = await posted(bot, "/envelope 10 2")
    stranger = bot.user("zoe")
    before = await bot.books()

    await bot.press(stranger, bot.last(bot.group()), "Open")

    assert bot.answer().params["url"] == "https://t.me/xmoney_test_bot"
    assert bot.answer().params["text"] == "Start the bot first to open envelopes."
    assert await bot.books() == before and await bot.held(alice) == 1_000
