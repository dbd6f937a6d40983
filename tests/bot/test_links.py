"""Payment links: alice makes a "pay me" link with /link (and its QR code); whoever opens it
gets the usual confirmation card; single-use links are paid once, reusable ones many times,
until they expire or alice revokes them."""

from __future__ import annotations

from bot.buttons import LINK_REVOKE
from bot.links import qr_png
from tests.bot.conftest import SQLITE_ONLY, ChatBot

PAY = "https://t.me/xmoney_test_bot?start=pay-"


async def made(bot: ChatBot, command: str = "/link 5 lunch") -> tuple[dict, str]:
    """alice has started the bot and makes a link; returns alice and the link's id."""
    alice = bot.user("alice")
    await bot.register(alice)
    await bot.send(alice, command)
    [photo] = bot.calls("sendPhoto")
    caption = photo.params["caption"]
    start = caption.index(PAY) + len(PAY)
    return alice, caption[start : start + 16]


async def test_alice_gets_a_link_and_its_qr_code(bot: ChatBot) -> None:
    alice, link = await made(bot)

    [photo] = bot.calls("sendPhoto")
    assert photo.chat_id == alice["id"]
    assert photo.params["caption"].startswith(
        f"🔗 Pay me 5.00 USD — <i>lunch</i>: {PAY}{link}\nSingle use, valid until "
    )
    [content] = [v for k, v in photo.params.items() if k.startswith("file:")]
    assert content == qr_png(PAY + link) and content[:8] == b"\x89PNG\r\n\x1a\n"
    assert photo.buttons == [("Revoke", LINK_REVOKE + link)]


async def test_bob_opens_the_link_and_pays_through_the_usual_card(bot: ChatBot) -> None:
    alice, link = await made(bot)
    bob = bot.user("bob")

    await bot.send(bob, f"/start pay-{link}")
    await bot.fund(bob, 2_000)
    await bot.send(bob, f"/start pay-{link}")  # (opened again, now with money)

    card = bot.last(bob)
    assert card.text.startswith("Send <b>5.00 USD</b> to @alice — <i>lunch</i>?")
    await bot.press(bob, card, "Confirm")
    assert await bot.balances(alice, bob) == [500, 1_500]

    erin = bot.user("erin")
    await bot.register(erin, funds=2_000)
    before = await bot.books()
    await bot.send(erin, f"/start pay-{link}")  # single use: done
    assert bot.last(erin).text == "This payment link was used already (it was for one payment)."
    assert await bot.books() == before


async def test_a_single_use_link_is_paid_by_one_person_at_a_time(bot: ChatBot) -> None:
    alice, link = await made(bot)
    bob, erin = bot.user("bob"), bot.user("erin")
    await bot.register(bob, erin, funds=2_000)

    await bot.send(bob, f"/start pay-{link}")
    bob_card = bot.last(bob)
    await bot.send(erin, f"/start pay-{link}")

    assert (
        bot.last(erin).text == "Someone is paying this link right now. Try again in a few minutes."
    )
    await bot.press(bob, bob_card, "Cancel")  # bob changes his mind: the link is free again
    await bot.send(erin, f"/start pay-{link}")
    await bot.press(erin, bot.last(erin), "Confirm")
    assert await bot.balances(alice, bob, erin) == [500, 2_000, 1_500]
    assert (await bot.ledger.verify()).ok


async def test_a_reusable_link_is_paid_many_times_until_alice_revokes_it(bot: ChatBot) -> None:
    alice, link = await made(bot, "/link reusable 2 coffee")
    bob, erin = bot.user("bob"), bot.user("erin")
    await bot.register(bob, erin, funds=2_000)
    for payer in (bob, erin, bob):
        await bot.send(payer, f"/start pay-{link}")
        await bot.press(payer, bot.last(payer), "Confirm")
    assert await bot.balances(alice, bob, erin) == [600, 1_600, 1_800]

    await bot.send(alice, "/links")
    listed = bot.last(alice)
    assert f"{PAY}{link}" in listed.text and "Reusable" in listed.text
    await bot.press(alice, listed, "Revoke 1")
    assert bot.answer().params["text"] == "Revoked: this link can no longer be paid."

    await bot.send(bob, f"/start pay-{link}")
    assert bot.last(bob).text == "This payment link was revoked by its owner."
    await bot.send(alice, "/links")
    assert bot.last(alice).text.startswith("You have no payment links")


async def test_only_alice_can_revoke_and_an_expired_link_cannot_be_paid(make_bot) -> None:  # type: ignore[no-untyped-def]
    bot = await make_bot(link_expiry_seconds=3_600)
    _alice, link = await made(bot)
    [photo] = bot.calls("sendPhoto")
    bob = bot.user("bob")
    await bot.register(bob, funds=2_000)

    await bot.press(bob, photo, "Revoke")
    assert bot.answer().params["text"] == "Only the link's owner can revoke it."

    bot.clock.advance(3_601)
    await bot.send(bob, f"/start pay-{link}")
    assert bot.last(bob).text == "This payment link has expired."
    assert await bot.balances(bob) == [2_000]


async def test_a_link_without_an_amount_asks_the_payer_how_much(bot: ChatBot) -> None:
    alice, link = await made(bot, "/link tips")
    assert (
        bot.calls("sendPhoto")[0].params["caption"].startswith("🔗 Pay me any amount — <i>tips</i>")
    )
    bob = bot.user("bob")
    await bot.register(bob, funds=2_000)

    await bot.send(bob, f"/start pay-{link}")
    question = bot.last(bob)
    assert question.text == (
        "How much do you want to pay @alice — <i>tips</i>? Reply with an amount, for example "
        f"12.50.\n(Link: {PAY}{link})"
    )
    await bot.send(bob, "lots", reply_to=question.result)
    assert bot.last(bob).text.startswith("That's not an amount I can read;")
    assert bot.last(bob).text.endswith("Reply to my question with the amount.")
    await bot.send(bob, "3.50", reply_to=question.result)

    card = bot.last(bob)
    assert card.text.startswith("Send <b>3.50 USD</b> to @alice — <i>tips</i>?")
    await bot.press(bob, card, "Confirm")
    assert await bot.balances(alice, bob) == [350, 1_650]


@SQLITE_ONLY
async def test_bad_links_change_nothing(bot: ChatBot) -> None:
    alice = bot.user("alice")
    await bot.register(alice)
    before = await bot.books()

    await bot.send(alice, "/link 5,5,5 lunch")
    assert "/link 5 lunch" in bot.last(alice).text
    await bot.send(bot.user("bob"), "/start pay-AAAAAAAAAAAAAAAA")
    assert bot.last(bot.user("bob")).text == "This payment link is not valid."
    assert bot.calls("sendPhoto") == []
    assert (await bot.books())[0] == before[0]


@SQLITE_ONLY
async def test_in_french(bot: ChatBot) -> None:
    alice = bot.user("alice", lang="fr")
    await bot.register(alice)
    await bot.send(alice, "/link réutilisable 5 café")
    caption = bot.calls("sendPhoto")[0].params["caption"]
    assert caption.startswith("🔗 Payez-moi 5,00") and "Réutilisable" in caption
