"""/send with parts missing: a short guided conversation (who, how much, a note) that /cancel
ends."""

from __future__ import annotations

from tests.bot.conftest import ChatBot

ASK_WHO = "Who do you want to pay? Send their @username (or /cancel)."
ASK_AMOUNT = "How much? For example 12.50 (or /cancel)."
ASK_NOTE = "Add a note for the payment, or /skip (or /cancel)."


async def alice_and_bob(bot: ChatBot) -> tuple[dict, dict]:
    alice, bob = bot.user("alice"), bot.user("bob")
    await bot.register(bob)
    await bot.register(alice, funds=5_000)
    return alice, bob


async def test_alice_is_walked_through_who_how_much_and_a_note(bot: ChatBot) -> None:
    alice, bob = await alice_and_bob(bot)

    await bot.send(alice, "/send")
    assert bot.last(alice).text == ASK_WHO
    await bot.send(alice, "@bob")
    assert bot.last(alice).text == ASK_AMOUNT
    await bot.send(alice, "12,50")
    assert bot.last(alice).text == ASK_NOTE
    assert await bot.held(alice) == 0  # nothing is held while the conversation runs
    await bot.send(alice, "birthday present")

    card = bot.last(alice)
    assert card.text.startswith("Send <b>12.50 USD</b> to @bob — <i>birthday present</i>?")
    await bot.press(alice, card, "Confirm")
    assert await bot.balances(alice, bob) == [3_750, 1_250]


async def test_a_known_recipient_skips_to_the_amount_and_skip_leaves_no_note(
    bot: ChatBot,
) -> None:
    alice, _ = await alice_and_bob(bot)
    await bot.send(alice, "/send @bob")
    assert bot.last(alice).text == ASK_AMOUNT
    await bot.send(alice, "4")
    await bot.send(alice, "/skip")
    assert bot.last(alice).text.startswith("Send <b>4.00 USD</b> to @bob?\n")


async def test_an_amount_without_a_recipient_asks_who(bot: ChatBot) -> None:
    alice, _ = await alice_and_bob(bot)
    await bot.send(alice, "/send 3")
    assert bot.last(alice).text == ASK_WHO
    await bot.send(alice, "bob")  # the @ is optional here
    assert bot.last(alice).text == ASK_NOTE
    await bot.send(alice, "/skip")
    assert bot.last(alice).text.startswith("Send <b>3.00 USD</b> to @bob?")


async def test_a_note_given_with_the_command_is_not_asked_again(bot: ChatBot) -> None:
    alice, _ = await alice_and_bob(bot)
    await bot.send(alice, "/send 6 movie night")
    assert bot.last(alice).text == ASK_WHO
    await bot.send(alice, "@bob")
    assert bot.last(alice).text.startswith("Send <b>6.00 USD</b> to @bob — <i>movie night</i>?")


async def test_wrong_answers_are_explained_and_asked_again(bot: ChatBot) -> None:
    alice, _ = await alice_and_bob(bot)
    await bot.send(alice, "/send")
    await bot.send(alice, "@nobody_at_all")
    assert bot.last(alice).text.startswith("I don't know @nobody_at_all yet.")
    assert bot.last(alice).text.endswith("\n\nTry again, or /cancel.")
    await bot.send(alice, "@alice")
    assert bot.last(alice).text.startswith("You can't send money to yourself.")
    await bot.send(alice, "@bob")
    await bot.send(alice, "lots")
    assert bot.last(alice).text.startswith("That's not an amount I can read;")
    await bot.send(alice, "80")  # alice has 50.00: she is told at once, not after the note
    assert bot.last(alice).text.startswith(
        "Not enough money: you have 50.00 USD available and this needs 80.00 USD."
    )
    await bot.send(alice, "8")
    await bot.send(alice, "y" * 201)
    assert bot.last(alice).text.startswith("The note can be at most 200 characters.")
    await bot.send(alice, "dinner")
    assert bot.last(alice).text.startswith("Send <b>8.00 USD</b> to @bob — <i>dinner</i>?")


async def test_an_answer_in_another_currency_is_refused_and_asked_again(bot: ChatBot) -> None:
    alice, _ = await alice_and_bob(bot)
    await bot.send(alice, "/send @bob")
    for answer, given in (("₽100", "RUB"), ("100 JPY", "JPY"), ("CHF 5", "CHF")):
        await bot.send(alice, answer)
        assert bot.last(alice).text == (
            f"Amounts here are in USD, not {given}. Write the amount in USD.\n\n"
            "Try again, or /cancel."
        ), answer
    await bot.send(alice, "1,000")
    assert bot.last(alice).text.startswith("A dot or comma followed by three digits")
    await bot.send(alice, "5 Usd")  # was "in USD, not USD"
    assert bot.last(alice).text == ASK_NOTE
    await bot.send(alice, "/skip")
    assert bot.last(alice).text.startswith("Send <b>5.00 USD</b> to @bob?")


async def test_cancel_ends_the_conversation_and_nothing_is_held(bot: ChatBot) -> None:
    alice, _ = await alice_and_bob(bot)
    before = await bot.books()
    await bot.send(alice, "/send @bob")
    await bot.send(alice, "/cancel")
    assert bot.last(alice).text == "Cancelled. Nothing was sent."

    await bot.send(alice, "12")  # no longer an answer to anything: plain text, met by help
    assert bot.last(alice).text.startswith("To pay someone, send <code>/send @name")
    await bot.send(alice, "/cancel")
    assert bot.last(alice).text == "There's nothing to cancel."
    assert await bot.books() == before


async def test_a_full_send_restarts_a_conversation_in_progress(bot: ChatBot) -> None:
    alice, _ = await alice_and_bob(bot)
    await bot.send(alice, "/send")
    await bot.send(alice, "/send @bob 2 taxi")
    assert bot.last(alice).text.startswith("Send <b>2.00 USD</b> to @bob — <i>taxi</i>?")
    await bot.send(alice, "@bob")  # the earlier question is closed: plain text, met by help
    assert bot.last(alice).text.startswith("To pay someone, send <code>/send @name")
    assert await bot.held(alice) == 200


async def test_other_commands_still_work_mid_conversation(bot: ChatBot) -> None:
    alice, _ = await alice_and_bob(bot)
    await bot.send(alice, "/send @bob")
    await bot.send(alice, "/balance")
    assert bot.last(alice).text.startswith("Available: <b>50.00 USD</b>")
    await bot.send(alice, "5")
    assert bot.last(alice).text == ASK_NOTE


async def test_in_a_group_the_questions_are_forced_replies_to_the_sender(bot: ChatBot) -> None:
    alice, _ = await alice_and_bob(bot)
    group = bot.group()
    await bot.send(alice, "/send", chat=group)
    question = bot.last(group)
    assert question.text == ASK_WHO
    assert question.params["reply_markup"] == {"force_reply": True, "selective": True}

    await bot.send(alice, "@bob", chat=group)
    await bot.send(bot.user("bob"), "500", chat=group)  # bob answering is not alice answering
    assert bot.last(group).text == ASK_AMOUNT
    await bot.send(alice, "5", chat=group)
    await bot.send(alice, "/skip", chat=group)
    assert bot.last(group).text.startswith("@alice pays @bob <b>5.00 USD</b>\n")
