"""Issue 17, points 2 and 3: cards speak to their reader (in a private chat to the payer, in
a group who pays whom), receipts carry the time, the reference and buttons, and "your
balance" never hides money reserved by an open card."""

from __future__ import annotations

import pytest

from tests.bot.conftest import SQLITE_ONLY, ChatBot


async def scene(bot: ChatBot, lang: str = "en") -> tuple[dict, dict]:
    """alice (50.00 USD, reading ``lang``) and bob (10.00 USD) have started the bot."""
    alice, bob = bot.user("alice", lang=lang), bot.user("bob")
    await bot.register(bob, funds=1_000)
    await bot.register(alice, funds=5_000)
    return alice, bob


def labels(call) -> list[str]:
    return [label for label, _ in call.buttons]


def ref_on(card) -> str:
    return ChatBot.button(card, "Confirm" if "Confirm" in labels(card) else "Confirmer")[4:]


# --- point 2: the card talks to you ------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "pending", "cancelled"),
    [
        (
            "en",
            "Send <b>8.00 USD</b> to @bob — <i>film</i>?\n"
            "The money is reserved until you confirm (expires in 5 min).\n"
            "⚠️ You've never paid @bob (Bob): check it's them.",
            "Cancelled: you didn't send <b>8.00 USD</b> to @bob — <i>film</i>; "
            "the reserved money is back in your balance.",
        ),
        (
            "fr",
            "Envoyer <b>8,00 USD</b> à @bob — <i>film</i> ?\n"
            "L'argent est réservé jusqu'à votre confirmation (expire dans 5 min).\n"
            "⚠️ Vous n'avez encore jamais payé @bob (Bob) : vérifiez que c'est bien cette "
            "personne.",
            "Annulé : vous n'avez pas envoyé <b>8,00 USD</b> à @bob — <i>film</i> ; "
            "l'argent réservé est de retour sur votre solde.",
        ),
    ],
)
async def test_in_private_alices_card_speaks_to_her(
    bot: ChatBot, lang: str, pending: str, cancelled: str
) -> None:
    alice, bob = await scene(bot, lang)
    await bot.send(alice, "/send @bob 8 film")
    card = bot.last(alice)
    assert card.text == pending
    assert "@alice" not in card.text

    await bot.press(alice, card, "Cancel" if lang == "en" else "Annuler")
    assert bot.last(alice).text == cancelled
    assert await bot.balances(alice, bob) == [5_000, 1_000]


@pytest.mark.parametrize(
    ("lang", "pending", "paid"),
    [
        (
            "en",
            "@alice pays @bob <b>8.00 USD</b> — <i>film</i>\n"
            "The money is reserved until @alice confirms (expires in 5 min).",
            "✅ @alice paid @bob <b>8.00 USD</b> — <i>film</i>\n"
            "Paid on Nov 22, 2026, 12:00\u202fPM UTC\nReference: <code>{ref}</code>",
        ),
        (
            "fr",
            "@alice paie <b>8,00 USD</b> à @bob — <i>film</i>\n"
            "L'argent est réservé jusqu'à la confirmation de @alice (expire dans 5 min).",
            "✅ @alice a payé <b>8,00 USD</b> à @bob — <i>film</i>\n"
            "Payé le 22 nov. 2026, 12:00 UTC\nRéférence : <code>{ref}</code>",
        ),
    ],
)
async def test_in_a_group_the_card_says_who_pays_whom(
    bot: ChatBot, lang: str, pending: str, paid: str
) -> None:
    alice, bob = await scene(bot, lang)
    group = bot.group()
    await bot.send(alice, "/send @bob 8 film", chat=group)
    card = bot.last(group)
    assert card.text == pending

    await bot.press(alice, card, "Confirm" if lang == "en" else "Confirmer")
    receipt = bot.last(group)
    assert receipt.text == paid.format(ref=ref_on(card))
    assert receipt.buttons == []
    assert await bot.balances(alice, bob) == [4_200, 1_800]


@SQLITE_ONLY
async def test_an_expired_group_card_names_who_did_not_confirm(bot: ChatBot) -> None:
    alice, _ = await scene(bot)
    group = bot.group()
    await bot.send(alice, "/send @bob 8 film", chat=group)
    bot.clock.advance(301)
    await bot.sweep()
    assert bot.last(group).text == (
        "Expired: @alice didn't confirm <b>8.00 USD</b> to @bob — <i>film</i> in time; "
        "nothing was sent."
    )
    assert await bot.held(alice) == 0


# --- point 3: richer receipts ------------------------------------------------------------


async def test_alices_receipt_shows_when_and_what_is_still_reserved(bot: ChatBot) -> None:
    """alice has a second card open for 20.00: her receipt says so, instead of a balance
    that looks 20.00 short."""
    alice, bob = await scene(bot)
    await bot.send(alice, "/send @bob 20 rent")  # left open
    await bot.send(alice, "/send @bob 5 film")
    card = bot.last(alice)
    bot.clock.advance(60)
    await bot.press(alice, card, "Confirm")

    ref = ref_on(card)
    receipt = bot.last(alice)
    assert receipt.text == (
        "✅ You paid <b>5.00 USD</b> to @bob — <i>film</i>\n"
        "Paid on Nov 22, 2026, 12:01\u202fPM UTC\n"
        f"Reference: <code>{ref}</code>\n\n"
        "Your balance: <b>25.00 USD</b> available, 20.00 USD reserved for payments waiting "
        "for confirmation"
    )
    assert labels(receipt) == ["Send again", "Request back"]
    assert bot.last(bob).text == (
        "💸 @alice sent you <b>5.00 USD</b> — <i>film</i>\n"
        f"Reference: <code>{ref}</code>\n\nYour balance: <b>15.00 USD</b>"
    )
    assert labels(bot.last(bob)) == ["Say thanks", "Send back"]
    assert await bot.balances(alice, bob) == [2_500, 1_500]
    assert await bot.held(alice) == 2_000


@SQLITE_ONLY
async def test_a_french_recipient_gets_the_reference_and_french_buttons(bot: ChatBot) -> None:
    alice, bob = bot.user("alice"), bot.user("bob", lang="fr")
    await bot.register(bob)
    await bot.register(alice, funds=5_000)
    await bot.send(alice, "/send @bob 5")
    card = bot.last(alice)
    await bot.press(alice, card, "Confirm")
    assert bot.last(bob).text == (
        f"💸 @alice vous a envoyé <b>5,00 USD</b>\nRéférence : <code>{ref_on(card)}</code>\n\n"
        "Votre solde : <b>5,00 USD</b>"
    )
    assert labels(bot.last(bob)) == ["Dire merci", "Rendre"]


async def test_send_again_shows_a_new_card_and_pays_only_once_confirmed(bot: ChatBot) -> None:
    alice, bob = await scene(bot)
    await bot.send(alice, "/send @bob 5 film")
    await bot.press(alice, bot.last(alice), "Confirm")
    receipt = bot.last(alice)

    await bot.press(alice, receipt, "Send again")
    card = bot.last(alice)
    assert card.method == "sendMessage"
    assert card.text == (  # a repeat within two minutes: said, once bob is known
        "Send <b>5.00 USD</b> to @bob — <i>film</i>?\n"
        "The money is reserved until you confirm (expires in 5 min).\n"
        "⚠️ You just sent them this same amount: is this a second payment?"
    )
    assert await bot.balances(alice, bob) == [4_000, 1_500]  # held, not sent
    assert await bot.held(alice) == 500
    await bot.press(alice, card, "Confirm")
    assert await bot.balances(alice, bob) == [4_000, 2_000]


async def test_bob_sends_back_and_says_thanks_once(bot: ChatBot) -> None:
    alice, bob = await scene(bot)
    await bot.send(alice, "/send @bob 5 film")
    await bot.press(alice, bot.last(alice), "Confirm")
    notice = bot.last(bob)

    await bot.press(bob, notice, "Say thanks")
    assert bot.answer().text == "Thanks sent to @alice."
    assert (
        bot.last(alice).text
        == "🙏 @bob says thanks for your payment of <b>5.00 USD</b> — <i>film</i>."
    )
    assert labels(bot.last(bob)) == ["Send back"]  # the notice, edited
    told = len(bot.to(alice))
    await bot.press(bob, notice, "Say thanks")  # the old buttons, pressed again
    assert bot.answer().text == "You've thanked them for this payment already."
    assert len(bot.to(alice)) == told

    await bot.press(bob, notice, "Send back")
    card = bot.last(bob)
    assert card.text.startswith("Send <b>5.00 USD</b> to @alice — <i>film</i>?")
    await bot.press(bob, card, "Confirm")
    assert await bot.balances(alice, bob) == [5_000, 1_000]


async def test_request_back_asks_bob_privately(bot: ChatBot) -> None:
    alice, bob = await scene(bot)
    await bot.send(alice, "/send @bob 5 film")
    await bot.press(alice, bot.last(alice), "Confirm")
    before = await bot.books()

    await bot.press(alice, bot.last(alice), "Request back")
    assert bot.last(alice).text == (
        "Request sent to @bob for <b>5.00 USD</b> — <i>film</i>. I'll tell you when they answer."
    )
    asked = bot.last(bob)
    assert asked.text == "💌 @alice asks you for <b>5.00 USD</b> — <i>film</i>."
    assert labels(asked) == ["Pay 5.00 USD", "Decline"]
    assert await bot.books() == before  # asking moves nothing


@SQLITE_ONLY
async def test_only_the_person_a_receipt_is_for_can_use_its_buttons(bot: ChatBot) -> None:
    alice, bob = await scene(bot)
    await bot.send(alice, "/send @bob 5 film")
    await bot.press(alice, bot.last(alice), "Confirm")
    receipt, notice = bot.last(alice), bot.last(bob)
    before = await bot.books()

    await bot.press(bob, receipt, "Send again")
    assert bot.answer().text == "This button is for the person this receipt was sent to."
    await bot.press(alice, notice, "Send back")
    assert bot.answer().text == "This button is for the person this receipt was sent to."
    await bot.press_data(alice, receipt, "c:a:NOTAREF")
    assert bot.answer().text == "This button is not valid."
    assert await bot.books() == before
