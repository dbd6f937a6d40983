"""/request: alice asks bob for money; bob pays (through the same confirmation card) or
declines; alice hears the outcome."""

from __future__ import annotations

import asyncio

from tests.bot.conftest import ChatBot


async def asked(bot: ChatBot, bob_funds: int = 5_000) -> tuple[dict, dict]:
    """alice asks bob, who has ``bob_funds``, for 20.00 USD for dinner."""
    alice, bob = bot.user("alice"), bot.user("bob")
    await bot.register(alice)
    await bot.register(bob, funds=bob_funds)
    await bot.send(alice, "/request @bob 20 dinner")
    return alice, bob


async def test_bob_receives_the_request_privately_and_alice_is_told_it_went(
    bot: ChatBot,
) -> None:
    alice, bob = await asked(bot)

    request = bot.last(bob)
    assert request.text == "💌 @alice asks you for <b>20.00 USD</b> — <i>dinner</i>."
    assert [label for label, _ in request.buttons] == ["Pay 20.00 USD", "Decline"]
    assert [data[:4] for _, data in request.buttons] == ["r:p:", "r:d:"]
    assert bot.last(alice).text == (
        "Request sent to @bob for <b>20.00 USD</b> — <i>dinner</i>. I'll tell you when they answer."
    )
    assert await bot.balances(alice, bob) == [0, 5_000]  # asking moves nothing


async def test_a_request_in_another_currency_is_refused_not_turned_into_dollars(
    bot: ChatBot,
) -> None:
    """ "/request @bob 100 JPY" asked bob for 100.00 USD with the note "JPY": an easy trick."""
    alice, bob = bot.user("alice"), bot.user("bob")
    await bot.register(alice)
    await bot.register(bob, funds=50_000)
    for command in ("/request @bob 100 JPY", "/request @bob ¥ 100 sushi", "/request 100€ @bob"):
        await bot.send(alice, command)
        given = "EUR" if "€" in command else "JPY"
        assert bot.last(alice).text == (
            f"Amounts here are in USD, not {given}. Write the amount in USD."
        ), command
    assert bot.to(bob) == []
    await bot.send(alice, "/request @bob 100 usd sushi")  # the bot's own currency is fine
    assert bot.last(bob).text == "💌 @alice asks you for <b>100.00 USD</b> — <i>sushi</i>."


async def test_bob_pays_through_the_same_card_and_alice_hears_it(bot: ChatBot) -> None:
    alice, bob = await asked(bot)
    request = bot.last(bob)

    await bot.press(bob, request, "Pay")

    card = bot.last(bob)
    assert card.method == "editMessageText"
    assert card.params["message_id"] == request.result["message_id"]
    assert card.text.startswith("Send <b>20.00 USD</b> to @alice — <i>dinner</i>?")
    assert await bot.held(bob) == 2_000

    await bot.press(bob, card, "Confirm")

    assert await bot.balances(alice, bob) == [2_000, 3_000]
    assert bot.last(bob).text.startswith("✅ You paid <b>20.00 USD</b> to @alice — <i>dinner</i>")
    assert bot.texts(alice)[-1] == (
        "✅ @bob paid your request: <b>20.00 USD</b> — <i>dinner</i>\n\n"
        "Your balance: <b>20.00 USD</b>"
    )
    assert len(bot.to(alice)) == 2  # "sent", then "paid": no separate "you received"


async def test_bob_declines_and_alice_is_told(bot: ChatBot) -> None:
    alice, bob = await asked(bot)
    request = bot.last(bob)
    before = await bot.books()

    await bot.press(bob, request, "Decline")

    assert bot.answer().params["text"] == "Declined."
    assert (
        bot.last(bob).text == "You declined @alice's request for <b>20.00 USD</b> — <i>dinner</i>."
    )
    assert (
        bot.last(alice).text == "@bob declined your request for <b>20.00 USD</b> — <i>dinner</i>."
    )
    assert await bot.books() == before

    await bot.press(bob, request, "Pay")  # the old buttons
    assert bot.answer().params["text"] == "This request was declined."
    assert await bot.books() == before


async def test_pressing_pay_twice_holds_the_money_once(bot: ChatBot) -> None:
    _, bob = await asked(bot)
    request = bot.last(bob)

    await asyncio.gather(bot.press(bob, request, "Pay"), bot.press(bob, request, "Pay"))
    await bot.press(bob, request, "Pay")

    assert await bot.held(bob) == 2_000
    assert (await bot.ledger.verify()).pending_transfers == 1


async def test_only_bob_can_answer_and_only_on_his_private_message(bot: ChatBot) -> None:
    alice, bob = await asked(bot)
    request = bot.last(bob)
    data = bot.button(request, "Pay")
    before = await bot.books()

    await bot.press_data(alice, request, data)
    assert bot.answer().params["text"] == "Only the person asked can answer this request."

    group = bot.group()
    group_message = {
        **bot.message(alice, "hi", chat=group),
        "reply_markup": request.result.get("reply_markup"),
    }
    await bot.press_data(bob, group_message, data)  # bob's client forges a press in the group
    assert bot.answer().params["text"] == "This button is not valid."
    assert bot.calls("editMessageText") == []
    assert await bot.books() == before


async def test_pay_without_enough_money_is_refused_and_the_request_stays_open(
    bot: ChatBot,
) -> None:
    alice, bob = await asked(bot, bob_funds=1_000)
    request = bot.last(bob)

    await bot.press(bob, request, "Pay")
    assert bot.answer().params["show_alert"] is True
    assert (
        bot.answer()
        .params["text"]
        .startswith("Not enough money: you have 10.00 USD available and this needs 20.00 USD.")
    )
    assert await bot.held(bob) == 0

    await bot.fund(bob, 1_000)
    await bot.press(bob, request, "Pay")
    await bot.press(bob, bot.last(bob), "Confirm")
    assert await bot.balances(alice, bob) == [2_000, 0]


async def test_cancel_on_the_card_backs_out_of_paying_and_the_request_stays_open(
    bot: ChatBot,
) -> None:
    """Cancel on a request's card is not a decline (issue 17): bob backs out of paying, the
    request stays open with [Pay] and [Decline], alice hears nothing, and bob pays later."""
    alice, bob = await asked(bot)
    await bot.press(bob, bot.last(bob), "Pay")
    told = len(bot.to(alice))
    await bot.press(bob, bot.last(bob), "Cancel")

    assert await bot.held(bob) == 0
    card = bot.last(bob)
    assert card.text == (
        "Cancelled: you didn't send <b>20.00 USD</b> to @alice — <i>dinner</i>; the reserved "
        "money is back in your balance.\n\n"
        "@alice's request is still open: pay it or decline it when you like."
    )
    assert [label for label, _ in card.buttons] == ["Pay 20.00 USD", "Decline"]
    assert len(bot.to(alice)) == told

    await bot.press(bob, card, "Pay")
    await bot.press(bob, bot.last(bob), "Confirm")
    assert await bot.balances(alice, bob) == [2_000, 3_000]
    assert bot.last(alice).text.startswith(
        "✅ @bob paid your request: <b>20.00 USD</b> — <i>dinner</i>"
    )


async def test_an_unconfirmed_request_card_expires_but_the_request_stays_open(
    bot: ChatBot,
) -> None:
    alice, bob = await asked(bot)
    await bot.press(bob, bot.last(bob), "Pay")
    told = len(bot.to(alice))
    bot.clock.advance(301)

    await bot.sweep()

    assert await bot.held(bob) == 0
    card = bot.last(bob)
    assert card.text.startswith("Expired: you didn't confirm <b>20.00 USD</b> to @alice")
    assert card.text.endswith("@alice's request is still open: pay it or decline it when you like.")
    assert len(bot.to(alice)) == told  # nothing to tell: the request is open
    await bot.press(bob, card, "Decline")
    assert (
        bot.last(alice).text == "@bob declined your request for <b>20.00 USD</b> — <i>dinner</i>."
    )
    assert await bot.balances(alice, bob) == [0, 5_000]


async def test_a_stale_decline_after_pay_means_nothing_is_paid(bot: ChatBot) -> None:
    alice, bob = await asked(bot)
    request = bot.last(bob)
    await bot.press(bob, request, "Pay")
    card = bot.last(bob)
    await bot.press(bob, request, "Decline")  # an old copy of the message, still on a screen

    await bot.press(bob, card, "Confirm")

    assert bot.answer().params["text"].startswith("This request was declined already")
    assert await bot.balances(alice, bob) == [0, 5_000]
    assert await bot.held(bob) == 0


async def test_requests_to_people_the_bot_cannot_reach(bot: ChatBot) -> None:
    alice, bob = bot.user("alice"), bot.user("bob")
    await bot.register(alice, bob)
    await bot.send(bot.user("dave"), "/help")

    await bot.send(alice, "/request @dave 5")
    assert bot.last(alice).text.startswith("@dave hasn't started X Money yet")

    bot.api.blocked_chats.add(bob["id"])
    await bot.send(alice, "/request @bob 5")
    assert bot.last(alice).text == (
        "I couldn't deliver your request: @bob has blocked me or closed our chat. "
        "Nothing was requested."
    )

    await bot.send(alice, "/request 20")  # nobody named, no reply
    assert bot.last(alice).text.startswith("Say who and how much:")
    await bot.send(alice, "/request @alice 5")
    assert bot.last(alice).text.startswith("You can't send money to yourself.")


async def test_a_request_by_reply_in_a_group_goes_to_bob_privately(bot: ChatBot) -> None:
    alice, bob = bot.user("alice"), bot.user("bob")
    await bot.register(alice, bob)
    group = bot.group()
    bobs = bot.message(bob, "I owe you for the tickets", chat=group)

    await bot.send(alice, "/request 15 tickets", chat=group, reply_to=bobs)

    assert bot.last(bob).text == "💌 @alice asks you for <b>15.00 USD</b> — <i>tickets</i>."
    assert bot.last(group).text.startswith(
        "Request sent to @bob for <b>15.00 USD</b> — <i>tickets</i>."
    )


async def test_a_redelivered_request_update_asks_once(bot: ChatBot) -> None:
    alice, bob = bot.user("alice"), bot.user("bob")
    await bot.register(alice, bob)
    update = await bot.send(alice, "/request @bob 5")
    await bot.deliver(update)
    assert len(bot.to(bob)) == 1
    assert len(bot.to(alice)) == 1
