"""The shortest story: bob starts the bot, alice pays him and confirms."""

from tests.bot.conftest import ChatBot


async def test_alice_pays_bob_and_confirms(bot: ChatBot) -> None:
    alice, bob = bot.user("alice"), bot.user("bob")
    await bot.register(bob)
    await bot.register(alice, funds=5_000)

    await bot.send(alice, "/send @bob 12.50 lunch")
    card = bot.last(alice)
    assert card.text.startswith("Send <b>12.50 USD</b> to @bob — <i>lunch</i>?")
    assert [label for label, _ in card.buttons] == ["Confirm", "Cancel"]
    assert await bot.balances(alice, bob) == [3_750, 0]

    await bot.press(alice, card, "Confirm")
    assert bot.answer().params["text"] == "Payment sent."
    assert await bot.balances(alice, bob) == [3_750, 1_250]
    print(bot.texts(alice), bot.texts(bob))
