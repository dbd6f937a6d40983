"""/history: the latest transfers, newest first, paged with buttons, always privately."""

from __future__ import annotations

import pytest

from tests.bot.conftest import ChatBot, MakeBot


@pytest.fixture
async def bot(make_bot: MakeBot) -> ChatBot:
    """Twelve payments (24 payment actions) in one minute are over the default rate limit."""
    return await make_bot(rate_limit_per_minute=100)


async def paid_twelve_times(bot: ChatBot) -> tuple[dict, dict]:
    """bob got 100.00 USD; alice then paid bob 1.00, 2.00, ... 12.00 USD, each confirmed."""
    alice, bob = bot.user("alice"), bot.user("bob")
    await bot.register(bob)
    await bot.register(alice, funds=10_000)
    for amount in range(1, 13):
        await bot.send(alice, f"/send @bob {amount} round {amount}")
        await bot.press(alice, bot.last(alice), "Confirm")
    bot.api.clear()
    return alice, bob


async def test_alice_pages_through_her_history(bot: ChatBot) -> None:
    """Ten to a page (issue 17)."""
    alice, _ = await paid_twelve_times(bot)

    await bot.send(alice, "/history")
    first = bot.last(alice)
    lines = first.text.split("\n\n")
    assert lines[0] == "<b>Your transfers 1–10</b>"
    assert lines[1].startswith("↗️ <b>−12.00 USD</b> to @bob — <i>round 12</i>\n<code>")
    assert lines[1].endswith(" · Nov 22, 2026, 12:00\u202fPM UTC")
    assert [line.split("</b>")[0] for line in lines[1:]] == [
        f"↗️ <b>−{n}.00 USD" for n in range(12, 2, -1)
    ]
    assert first.buttons == [("Older »", "h:10")]

    await bot.press(alice, first, "Older »")
    second = bot.last(alice)
    assert second.method == "editMessageText"
    assert second.params["message_id"] == first.result["message_id"]
    assert second.text.startswith("<b>Your transfers 11–13</b>\n\n↗️ <b>−2.00 USD</b>")
    assert second.text.split("\n\n")[-1].startswith("↘️ <b>+100.00 USD</b> from X Money · top-up")
    assert second.buttons == [("« Newer", "h:0")]

    await bot.press(alice, second, "« Newer")
    assert bot.last(alice).text.startswith("<b>Your transfers 1–10</b>")
    assert all(a.params.get("text") is None for a in bot.answers())


async def test_history_shows_incoming_payments_states_and_kinds(make_bot) -> None:
    bot = await make_bot(welcome_credit="5")
    alice, bob = bot.user("alice"), bot.user("bob")
    await bot.register(alice, bob)
    await bot.send(alice, "/send @bob 1 held")
    await bot.send(alice, "/send @bob 2 <cancelled>")
    await bot.press(alice, bot.last(alice), "Cancel")
    await bot.send(alice, "/send @bob 3 paid")
    await bot.press(alice, bot.last(alice), "Confirm")

    await bot.send(alice, "/history")
    lines = bot.last(alice).text.split("\n\n")[1:]
    heads = [line.split("\n")[0] for line in lines]
    assert heads == [
        "↗️ <b>−3.00 USD</b> to @bob — <i>paid</i>",
        "✖️ 2.00 USD to @bob — <i>&lt;cancelled&gt;</i> · cancelled: nothing was sent",
        "↗️ <b>−1.00 USD</b> to @bob — <i>held</i> · reserved",
        "↘️ <b>+5.00 USD</b> from X Money · welcome credit",
    ]
    await bot.send(bob, "/history")
    assert (
        bot.last(bob)
        .text.split("\n\n")[1]
        .startswith("↘️ <b>+3.00 USD</b> from @alice — <i>paid</i>")
    )


async def test_history_asked_in_a_group_is_answered_privately(bot: ChatBot) -> None:
    alice, _ = await paid_twelve_times(bot)
    group = bot.group()
    await bot.send(alice, "/history", chat=group)
    assert bot.to(group) == []
    assert bot.last(alice).text.startswith("<b>Your transfers 1–10</b>")


async def test_an_empty_history_and_a_page_beyond_the_end(bot: ChatBot) -> None:
    alice = bot.user("alice")
    await bot.register(alice)
    await bot.send(alice, "/history")
    assert bot.last(alice).text == "No transfers yet."
    assert bot.last(alice).buttons == []

    await bot.press_data(alice, bot.last(alice), "h:500")
    assert bot.last(alice).text == "No older transfers."


async def test_a_page_button_pressed_outside_the_owners_chat_does_nothing(bot: ChatBot) -> None:
    alice, bob = await paid_twelve_times(bot)
    await bot.send(alice, "/history")
    page = bot.last(alice)
    group = bot.group()
    await bot.send(alice, "/send @bob 1", chat=group)
    card = bot.last(group)
    bot.api.clear()

    await bot.press_data(alice, card, "h:0")  # a forged press that would show alice's history
    await bot.press_data(bob, page, "h:5")  # bob pressing a copy of alice's message

    assert [a.params["text"] for a in bot.answers()] == ["This button is not valid."] * 2
    assert bot.calls("editMessageText") == []
