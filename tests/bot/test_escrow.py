"""Paying someone new: /send @dave 5 when dave never started the bot offers to send it as a
cheque held in escrow; alice passes on the claim link (or shares it inline), dave claims it
on /start, and an unclaimed one comes back to alice at expiry."""

from __future__ import annotations

import json

from bot.buttons import CHEQUE_ESCROW
from tests.bot.conftest import SQLITE_ONLY, ChatBot

LINK = "https://t.me/xmoney_test_bot?start=claim-"


def markup(call) -> dict:  # type: ignore[no-untyped-def]
    found = call.params.get("reply_markup") or {}
    return json.loads(found) if isinstance(found, str) else found


async def offered(bot: ChatBot) -> tuple[dict, str]:
    """alice (50.00 USD) sends 5 to @dave, who never started the bot, and presses [Send as a
    cheque]. Returns alice and the cheque's id."""
    alice = bot.user("alice")
    await bot.register(alice, funds=5_000)
    before = await bot.books()
    await bot.send(alice, "/send @dave 5 lunch")
    offer = bot.last(alice)
    assert offer.text.startswith("I don't know @dave yet.")  # and the invitation link
    assert "\n\nOr send <b>5.00 USD</b> — <i>lunch</i> to @dave as a cheque now" in offer.text
    assert await bot.books() == before  # offering holds nothing
    data = bot.button(offer, "Send as a cheque")
    assert data.startswith(CHEQUE_ESCROW)
    await bot.press(alice, offer, "Send as a cheque")
    return alice, data[len(CHEQUE_ESCROW) :]


async def test_alice_pays_dave_who_never_started_and_dave_claims_on_start(bot: ChatBot) -> None:
    alice, cheque = await offered(bot)

    assert await bot.held(alice) == 500
    held = bot.last(alice)
    assert held.method == "editMessageText"
    assert f"{LINK}{cheque}" in held.text
    share = markup(held)["inline_keyboard"][0][0]
    assert share["text"] == "Share the cheque"
    assert share["switch_inline_query_chosen_chat"]["query"] == f"claim-{cheque}"

    dave = bot.user("dave")
    await bot.send(dave, f"/start claim-{cheque}")

    assert await bot.balances(alice, dave) == [4_500, 500]
    assert await bot.held(alice) == 0
    assert bot.last(dave).text.startswith("💸 You received <b>5.00 USD</b> from @alice")
    assert bot.last(alice).text.startswith("✅ @dave accepted your cheque: <b>5.00 USD</b>")
    assert (await bot.ledger.verify()).ok


async def test_someone_else_with_the_link_gets_nothing(bot: ChatBot) -> None:
    erin = bot.user("erin")
    await bot.register(erin)  # her account exists: only the claim is under test
    _alice, cheque = await offered(bot)
    before = await bot.books()

    await bot.send(erin, f"/start claim-{cheque}")

    assert bot.last(erin).text == "This cheque is not for you."
    assert await bot.books() == before


async def test_unclaimed_it_comes_back_to_alice_who_is_told(make_bot) -> None:  # type: ignore[no-untyped-def]
    bot = await make_bot(cheque_expiry_seconds=600)
    alice, cheque = await offered(bot)
    bot.api.clear()

    bot.clock.advance(601)
    await bot.sweep()

    assert await bot.held(alice) == 0 and await bot.balances(alice) == [5_000]
    assert bot.texts(alice) == [
        "Your cheque of <b>5.00 USD</b> — <i>lunch</i> was not accepted in time; "
        "the money is yours again."
    ]
    dave = bot.user("dave")
    await bot.send(dave, f"/start claim-{cheque}")
    assert bot.last(dave).text == "This cheque has ended."
    assert await bot.balances(dave) == [0]


async def test_alice_cancels_the_escrow_before_dave_claims(bot: ChatBot) -> None:
    alice, cheque = await offered(bot)

    await bot.press(alice, bot.last(alice), "Cancel")

    assert await bot.held(alice) == 0
    assert bot.last(alice).text.startswith("Cancelled: @alice's cheque of <b>5.00 USD</b>")
    await bot.send(bot.user("dave"), f"/start claim-{cheque}")
    assert await bot.balances(bot.user("dave")) == [0]


async def test_a_redelivered_send_and_a_double_press_hold_once(bot: ChatBot) -> None:
    alice = bot.user("alice")
    await bot.register(alice, funds=5_000)
    update = bot.tg.message(alice, "/send @dave 5")
    await bot.deliver(update)
    await bot.deliver(update)
    first, second = bot.to(alice)[-2:]
    assert bot.button(first, "Send") == bot.button(second, "Send")

    await bot.press(alice, first, "Send as a cheque")
    await bot.press(alice, second, "Send as a cheque")

    assert await bot.held(alice) == 500
    assert (await bot.ledger.verify()).ok


@SQLITE_ONLY
async def test_alice_shares_the_claim_link_inline_and_nobody_else_can(bot: ChatBot) -> None:
    alice, cheque = await offered(bot)
    bob = bot.user("bob")
    await bot.register(bob)

    [result] = await bot.inline(alice, f"claim-{cheque}")
    assert result["input_message_content"]["message_text"].startswith(
        "💸 @alice sent you <b>5.00 USD</b> — <i>lunch</i>. Claim it here:"
    )
    assert result["reply_markup"]["inline_keyboard"][0][0]["url"] == f"{LINK}{cheque}"

    assert await bot.inline(bob, f"claim-{cheque}") == []


@SQLITE_ONLY
async def test_in_a_group_the_refusal_stands_and_nothing_is_offered(bot: ChatBot) -> None:
    alice = bot.user("alice")
    await bot.register(alice, funds=5_000)
    group = bot.group()

    await bot.send(alice, "/send@xmoney_test_bot @dave 5", chat=group)

    assert not any("cheque" in text for text in bot.texts(alice) + bot.texts(group))
    assert await bot.held(alice) == 0


@SQLITE_ONLY
async def test_in_french(bot: ChatBot) -> None:
    alice = bot.user("alice", lang="fr")
    await bot.register(alice, funds=5_000)

    await bot.send(alice, "/send @dave 5")

    offer = bot.last(alice)
    assert "Ou envoyez <b>5,00" in offer.text
    await bot.press(alice, offer, "Envoyer en chèque")
    assert bot.last(alice).text.startswith("💸 <b>5,00")


@SQLITE_ONLY
async def test_a_short_expiry_is_said_in_minutes(make_bot) -> None:  # type: ignore[no-untyped-def]
    bot = await make_bot(cheque_expiry_seconds=5_400)  # 90 min
    alice = bot.user("alice")
    await bot.register(alice, funds=5_000)

    await bot.send(alice, "/send @dave 5")

    assert "the money is held for 90 min," in bot.last(alice).text
    bot2 = await make_bot(cheque_expiry_seconds=600)
    await bot2.send(alice, "/send @dave 5")
    assert "the money is held for 10 min," in bot2.last(alice).text
