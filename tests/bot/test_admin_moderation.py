"""Stories of admins acting on accounts: freeze, unfreeze, credit, debit, reverse. Each checks
what the admin sees, what the person concerned is told, the ledger's state and the audit row.
"""

from __future__ import annotations

import logging

import pytest

from bot.fakeapi import Telegram
from ledger import AuditRecord
from tests.bot.conftest import ChatBot, MakeBot

OSCAR = Telegram.user(900, "oscar", "Oscar")  # an admin
NADIA = Telegram.user(901, "nadia", "Nadia", language_code="fr")  # another admin, in French


@pytest.fixture
async def ops(make_bot: MakeBot) -> ChatBot:
    """The bot with oscar and nadia as admins; alice and bob have 50.00 USD each."""
    bot = await make_bot(admin_ids=[OSCAR["id"], NADIA["id"]])
    await bot.register(bot.user("alice"), bot.user("bob"), funds=5_000)
    return bot


async def latest_audit(bot: ChatBot) -> AuditRecord:
    return (await bot.ledger.audit_log(limit=1))[0]


async def pay(bot: ChatBot, sender: dict, text: str) -> str:
    """``sender`` pays with /send and confirms; returns the transfer's reference."""
    await bot.send(sender, text)
    card = bot.last(sender)
    await bot.press(sender, card, "Confirm")
    return bot.last(sender).text.split("<code>")[1].split("</code>")[0]


# --- freeze and unfreeze -----------------------------------------------------------------


async def test_oscar_freezes_bob_whose_pending_payment_is_released_and_bob_is_told_why(
    ops: ChatBot,
) -> None:
    alice, bob = ops.user("alice"), ops.user("bob")
    await ops.send(bob, "/send @alice 20 for the bike")
    bobs_card = ops.last(bob)
    assert await ops.held(bob) == 2_000

    await ops.send(OSCAR, "/freeze @bob selling stolen bikes")
    card = ops.last(OSCAR)
    assert card.text == (
        "⚠️ Please confirm: freeze @bob's account — <i>selling stolen bikes</i>\n"
        "Only you can press; this card expires in 5 min."
    )
    assert [label for label, _ in card.buttons] == ["Confirm", "Cancel"]
    assert all(len(data.encode()) <= 64 for _, data in card.buttons)
    assert not (await ops.account(bob)).frozen  # nothing happens before Confirm

    await ops.press(OSCAR, card, "Confirm")

    assert ops.answer().params["text"] == "Done."
    assert ops.last(OSCAR).text == (
        "✅ Done: freeze @bob's account — <i>selling stolen bikes</i>\n"
        "Open holds released: 1. They were told, with the reason."
    )
    assert ops.last(OSCAR).buttons == []
    account = await ops.account(bob)
    assert account.frozen and account.on_hold == 0 and account.available == 5_000
    texts = ops.texts(bob)
    assert texts[-1] == (
        "🔒 Your account was frozen by the X Money team. Reason: selling stolen bikes\n"
        "You can't send or receive money for now. Questions? Ask the team that runs this bot.\n"
        "Your payments waiting for confirmation were released (1); nothing was sent."
    )
    released = [c for c in ops.to(bob) if c.method == "editMessageText"]
    assert released[-1].params["message_id"] == bobs_card.result["message_id"]
    assert released[-1].text.startswith("Cancelled: you didn't send <b>20.00 USD</b> to @alice")

    record = await latest_audit(ops)
    assert (record.action, record.actor_id, record.owner_id, record.reason) == (
        "freeze",
        OSCAR["id"],
        bob["id"],
        "selling stolen bikes",
    )

    # Frozen means frozen, both ways.
    await ops.press(bob, bobs_card, "Confirm")
    assert ops.answer().params["text"] == "This payment was cancelled; nothing was sent."
    await ops.send(bob, "/send @alice 1 please")
    assert ops.last(bob).text.startswith("Your account is frozen")
    await ops.send(alice, "/send @bob 1 hi")
    assert ops.last(alice).text == "This payment can't be made right now. Nothing was sent."
    assert await ops.balances(alice, bob) == [5_000, 5_000]


async def test_a_freeze_card_that_cannot_be_edited_does_not_keep_the_others_stale(
    ops: ChatBot, caplog: pytest.LogCaptureFixture
) -> None:
    """Two holds released by one freeze; the edit of one card fails (Telegram down for a
    moment): the other card is still updated, and the failure is logged."""
    bob = ops.user("bob")
    await ops.send(bob, "/send @alice 20 bike")
    first = ops.last(bob)
    await ops.send(bob, "/send @alice 5 lamp")
    second = ops.last(bob)
    await ops.send(OSCAR, "/freeze @bob fraud")
    ops.api.fail_next["editMessageText"] = (500, "Internal Server Error: restart")

    with caplog.at_level(logging.ERROR, logger="bot.admin_notices"):
        await ops.press(OSCAR, ops.last(OSCAR), "Confirm")

    edits = {  # the edits Telegram answered: done
        c.params["message_id"]: c.text
        for c in ops.to(bob)
        if c.method == "editMessageText" and c.result is not None
    }
    cards = [first.result["message_id"], second.result["message_id"]]
    edited = [edits[card] for card in cards if card in edits]
    assert len(edited) == 1  # the other is the one whose edit failed, whichever came first
    assert edited[0].startswith("Cancelled: you didn't send <b>")
    assert "its card was not updated" in caplog.text
    account = await ops.account(bob)
    assert account.frozen and account.on_hold == 0
    assert ops.texts(bob)[-1].endswith(
        "Your payments waiting for confirmation were released (2); nothing was sent."
    )


async def test_freezing_needs_a_reason_and_an_account_that_is_not_frozen_yet(
    ops: ChatBot,
) -> None:
    bob = ops.user("bob")
    await ops.send(OSCAR, "/freeze @bob")
    assert ops.last(OSCAR).text == (
        "Give a reason: it goes on the record and to the person concerned. Write it like "
        "<code>/freeze @name reason</code> (or reply to their message with "
        "<code>/freeze reason</code>)."
    )
    await ops.send(OSCAR, "/freeze")
    assert ops.last(OSCAR).text.startswith("Write it like <code>/freeze @name reason</code>")
    await ops.send(OSCAR, "/freeze @mallory testing")
    assert ops.last(OSCAR).text == (
        "Nobody called @mallory has used the bot. Check the spelling, or use their numeric id."
    )
    await ops.send(OSCAR, "/freeze @xmoney_test_bot nope")
    assert ops.last(OSCAR).text.startswith("Nobody called @xmoney_test_bot")
    await ops.send(OSCAR, "/freeze 424242 testing")
    assert ops.last(OSCAR).text == "Nobody with the id 424242 has used the bot or has an account."
    for myself in ("/freeze @oscar testing", "/freeze 900 testing"):
        await ops.send(OSCAR, myself)
        assert ops.last(OSCAR).text == "You can't do this to your own account; ask another admin."
    assert [c for c in ops.api.calls if c.buttons] == []  # no card was ever shown
    assert not (await ops.account(bob)).frozen

    await ops.freeze(bob)
    await ops.send(OSCAR, "/freeze @bob again")
    assert ops.last(OSCAR).text == "@bob's account is frozen already. Nothing changed."


async def test_nadia_unfreezes_bob_at_once_and_bob_is_told_in_his_language(
    ops: ChatBot,
) -> None:
    bob = ops.user("bob")
    await ops.send(NADIA, "/unfreeze @bob")
    assert ops.last(NADIA).text == "Le compte de @bob n'est pas gelé. Rien n'a changé."
    await ops.freeze(bob)

    await ops.send(NADIA, "/unfreeze 102 appeal accepted")

    assert ops.last(NADIA).text == (
        "✅ Le compte de @bob est de nouveau actif ; la personne a été prévenue."
    )
    assert ops.last(bob).text == (
        "🔓 Your account is active again — <i>appeal accepted</i>. You can send and receive money."
    )
    assert not (await ops.account(bob)).frozen
    record = await latest_audit(ops)
    assert (record.action, record.actor_id, record.owner_id, record.reason) == (
        "unfreeze",
        NADIA["id"],
        bob["id"],
        "appeal accepted",
    )


# --- credit and debit --------------------------------------------------------------------


async def test_oscar_credits_alice_who_is_told_with_her_new_balance(ops: ChatBot) -> None:
    alice = ops.user("alice")
    update = await ops.send(OSCAR, "/credit @alice 25 goodwill after the outage")

    receipt = ops.last(OSCAR).text
    assert receipt.startswith("✅ Credited <b>25.00 USD</b> to @alice.\nReference: <code>")
    assert receipt.endswith("Their balance now: <b>75.00 USD</b>.")
    assert ops.last(alice).text == (
        "💰 The X Money team credited <b>25.00 USD</b> to your account. "
        "Reason: goodwill after the outage\nYour balance: <b>75.00 USD</b>"
    )
    assert await ops.balances(alice) == [7_500]
    record = await latest_audit(ops)
    assert (record.action, record.actor_id, record.owner_id, record.amount, record.reason) == (
        "credit.posted",
        OSCAR["id"],
        alice["id"],
        2_500,
        "goodwill after the outage",
    )

    # Telegram delivers the same update again: credited once, told once.
    told = len(ops.to(alice))
    await ops.deliver(update)
    assert await ops.balances(alice) == [7_500]
    assert len(ops.to(alice)) == told


async def test_a_credit_to_a_french_speaker_is_written_the_french_way(ops: ChatBot) -> None:
    zoe = ops.user("zoe", lang="fr")
    await ops.register(zoe)
    await ops.send(OSCAR, "/credit @zoe 12,50 EUR prize")
    assert ops.last(OSCAR).text == "Amounts here are in USD, not EUR. Write the amount in USD."
    await ops.send(OSCAR, "/credit @zoe 12,50 USD prix du concours")
    assert ops.last(zoe).text == (
        "💰 L'équipe X Money a crédité <b>12,50 USD</b> sur votre compte. "
        "Motif : prix du concours\nVotre solde : <b>12,50 USD</b>"
    )


async def test_credit_refusals_each_say_what_to_fix_and_move_nothing(ops: ChatBot) -> None:
    books = await ops.books()
    for command, answer in (
        ("/credit", "Write it like <code>/credit @name 10.00 reason</code>."),
        ("/credit @alice", "Write it like <code>/credit @name 10.00 reason</code>."),
        ("/credit @alice 10", "Give a reason: it goes on the record"),
        ("/credit @alice 12.3456 oops", "Amounts have at most 2 decimal places here"),
        ("/credit @alice 1,000 oops", "A dot or comma followed by three digits"),
        ("/credit @alice JPY 5 oops", "Amounts here are in USD, not JPY."),
        ("/credit @alice 5 € oops", "Amounts here are in USD, not EUR."),
        ("/credit @alice -5 oops", "The amount can't be negative."),
        ("/credit @alice 0 oops", "The amount must be more than zero."),
        ("/credit @alice lots oops", "That's not an amount I can read"),
        ("/credit @alice 5 EUR oops", "Amounts here are in USD, not EUR."),
        ("/credit alice 10 oops", "Write it like <code>/credit @name 10.00 reason</code>."),
        ("/credit @alice 10 " + "x" * 201, "The note can be at most 200 characters."),
        # Past the ledger's cap on one amount (10^15 minor units), up to the old BIGINT limit.
        *(
            (
                f"/credit @alice {amount} oops",
                "That amount is too large; the most I can "
                "handle is 10\u00a0000\u00a0000\u00a0000\u00a0000.00 USD.",
            )
            for amount in ("10000000000000.01", "92233720368547758.07")
        ),
    ):
        await ops.send(OSCAR, command)
        assert ops.last(OSCAR).text.startswith(answer), command
    assert await ops.books() == books
    assert ops.to(ops.user("alice")) == []


async def test_an_id_typed_in_a_reply_is_refused_or_shown_on_a_card_never_credited(
    ops: ChatBot,
) -> None:
    """In a reply the number is the amount: "/credit 424242 5 refund", meant as bob's id and
    5, credited bob 424,242.00 at once. Two numbers in a row are now refused, and a credit
    above the per-transfer maximum (10,000.00 here) waits for Confirm like a debit."""
    bob = ops.user("bob")
    group = ops.group()
    bobs_message = ops.message(bob, "where is my refund?", chat=group)
    books = await ops.books()

    await ops.send(OSCAR, "/credit 424242 5 refund", chat=group, reply_to=bobs_message)
    assert ops.last(OSCAR).text == (
        "“424242 5” is two numbers in a row; I read only one amount and nothing was done. In "
        "a reply the person is the author of the message and the first number is the amount. "
        "Start the reason with a word. Write it like <code>/credit @name 10.00 reason</code>."
    )
    assert await ops.books() == books

    await ops.send(OSCAR, "/credit 424242 refund", chat=group, reply_to=bobs_message)
    card = ops.last(OSCAR)
    assert card.text == (
        "⚠️ Please confirm: credit <b>424\u00a0242.00 USD</b> to @bob, more than the maximum "
        "of one payment — <i>refund</i>\nOnly you can press; this card expires in 5 min."
    )
    assert [label for label, _ in card.buttons] == ["Confirm", "Cancel"]
    assert await ops.books() == books  # nothing before Confirm
    await ops.press(OSCAR, card, "Cancel")
    assert ops.last(OSCAR).text.startswith("Cancelled: credit <b>424\u00a0242.00 USD</b> to @bob")
    assert await ops.books() == books
    assert ops.to(bob) == [] and ops.to(group) == []


async def test_a_large_credit_is_made_once_confirmed_and_once_only(ops: ChatBot) -> None:
    bob = ops.user("bob")
    update = await ops.send(OSCAR, "/credit @bob 20000 insurance payout")
    card = ops.last(OSCAR)
    assert card.text.startswith(
        "⚠️ Please confirm: credit <b>20\u00a0000.00 USD</b> to @bob, more than the maximum"
    )
    assert await ops.balances(bob) == [5_000]

    await ops.press(OSCAR, card, "Confirm")

    assert await ops.balances(bob) == [2_005_000]
    done = ops.last(OSCAR).text
    assert done.startswith("✅ Done: credit <b>20\u00a0000.00 USD</b> to @bob")
    assert done.endswith("Their balance now: <b>20\u00a0050.00 USD</b>.")
    assert ops.last(bob).text == (
        "💰 The X Money team credited <b>20\u00a0000.00 USD</b> to your account. "
        "Reason: insurance payout\nYour balance: <b>20\u00a0050.00 USD</b>"
    )
    record = await latest_audit(ops)
    assert (record.action, record.actor_id, record.owner_id, record.amount) == (
        "credit.posted",
        OSCAR["id"],
        bob["id"],
        2_000_000,
    )

    # The same /credit delivered again shows a second card; confirming it credits nothing more.
    told = len(ops.to(bob))
    await ops.deliver(update)
    await ops.press(OSCAR, ops.last(OSCAR), "Confirm")
    assert await ops.balances(bob) == [2_005_000]
    assert len(ops.to(bob)) == told


async def test_two_numbers_after_the_person_are_refused_in_debit_too(ops: ChatBot) -> None:
    books = await ops.books()
    await ops.send(OSCAR, "/debit @bob 20 5 chargeback")
    assert ops.last(OSCAR).text.startswith("“20 5” is two numbers in a row;")
    assert ops.last(OSCAR).text.endswith("Write it like <code>/debit @name 5.00 reason</code>.")
    assert ops.last(OSCAR).buttons == []
    await ops.send(OSCAR, "/credit @bob 10 #4411 refund")  # a reason may start with "#4411"
    assert ops.last(OSCAR).text.startswith("✅ Credited <b>10.00 USD</b> to @bob.")
    assert (await ops.books())[0] == books[0] + 1


async def test_oscar_debits_bob_after_confirming_and_never_below_zero(ops: ChatBot) -> None:
    bob = ops.user("bob")
    await ops.send(OSCAR, "/debit @bob 80 chargeback")
    assert ops.last(OSCAR).text == (
        "@bob has only 50.00 USD available, so 80.00 USD can't be debited (an account never "
        "goes below zero). Debit at most 50.00 USD."
    )
    assert ops.last(OSCAR).buttons == []

    await ops.send(OSCAR, "/debit @bob 20 chargeback #4411")
    card = ops.last(OSCAR)
    assert card.text.startswith(
        "⚠️ Please confirm: debit <b>20.00 USD</b> from @bob — <i>chargeback #4411</i>"
    )
    assert await ops.balances(bob) == [5_000]
    await ops.press(OSCAR, card, "Confirm")

    assert await ops.balances(bob) == [3_000]
    assert ops.last(OSCAR).text.startswith("✅ Done: debit <b>20.00 USD</b> from @bob")
    assert ops.last(OSCAR).text.endswith("Their balance now: <b>30.00 USD</b>.")
    assert ops.last(bob).text == (
        "The X Money team debited <b>20.00 USD</b> from your account. Reason: chargeback #4411\n"
        "Your balance: <b>30.00 USD</b>"
    )
    record = await latest_audit(ops)
    assert (record.action, record.actor_id, record.owner_id, record.amount, record.reason) == (
        "debit.posted",
        OSCAR["id"],
        bob["id"],
        2_000,
        "chargeback #4411",
    )


async def test_bob_spends_before_the_debit_is_confirmed_and_the_ledger_refuses(
    ops: ChatBot,
) -> None:
    alice, bob = ops.user("alice"), ops.user("bob")
    await ops.send(OSCAR, "/debit @bob 40 chargeback")
    card = ops.last(OSCAR)
    await pay(ops, bob, "/send @alice 20 rent")
    books = await ops.books()

    await ops.press(OSCAR, card, "Confirm")

    refusal = (
        "@bob has only 30.00 USD available, so 40.00 USD can't be debited (an account never "
        "goes below zero). Debit at most 30.00 USD."
    )
    assert ops.answer().params["text"] == refusal
    assert ops.answer().params["show_alert"] is True
    assert ops.last(OSCAR).text.startswith("❌ Not done: debit <b>40.00 USD</b> from @bob")
    assert ops.last(OSCAR).text.endswith(refusal)
    assert await ops.books() == books
    assert await ops.balances(alice, bob) == [7_000, 3_000]
    assert not ops.last(bob).text.startswith("The X Money team debited")


# --- reverse -----------------------------------------------------------------------------


async def test_oscar_reverses_alices_payment_to_bob_and_both_are_told(ops: ChatBot) -> None:
    alice, bob = ops.user("alice"), ops.user("bob")
    ref = await pay(ops, alice, "/send @bob 12.50 phished")

    await ops.send(OSCAR, f"/reverse {ref.lower()} account takeover")
    card = ops.last(OSCAR)
    assert card.text.startswith(
        f"⚠️ Please confirm: reverse transfer <code>{ref}</code>: @bob gives "
        "<b>12.50 USD</b> back to @alice — <i>account takeover</i>"
    )
    await ops.press(OSCAR, card, "Confirm")

    assert await ops.balances(alice, bob) == [5_000, 5_000]
    done = ops.last(OSCAR).text
    reversal_ref = done.split("Reversal: <code>")[1].split("</code>")[0]
    assert done.endswith("Both parties were told.")
    assert ops.last(alice).text == (
        f"↩️ The X Money team undid transfer <code>{ref}</code>: <b>12.50 USD</b> you sent "
        "came back to you. Reason: account takeover\nYour balance: <b>50.00 USD</b>"
    )
    assert ops.last(bob).text == (
        f"↩️ The X Money team undid transfer <code>{ref}</code>: <b>12.50 USD</b> you "
        "received went back to the sender. Reason: account takeover\n"
        "Your balance: <b>50.00 USD</b>"
    )
    record = await latest_audit(ops)
    assert (record.action, record.actor_id, record.owner_id, record.transfer_ref) == (
        "reversal.posted",
        OSCAR["id"],
        bob["id"],
        reversal_ref,
    )
    assert (record.amount, record.reason) == (1_250, "account takeover")

    # Once reversed, always named.
    await ops.send(OSCAR, f"/reverse {ref} again")
    assert ops.last(OSCAR).text == (f"Transfer {ref} was reversed already, by {reversal_ref}.")
    await ops.send(OSCAR, f"/reverse {reversal_ref} undo the undo")
    assert ops.last(OSCAR).text == (
        f"Transfer {reversal_ref} is itself a reversal and can't be reversed. Nothing changed."
    )


async def test_a_reversal_is_refused_when_the_recipient_spent_the_money(ops: ChatBot) -> None:
    alice, bob, dave = ops.user("alice"), ops.user("bob"), ops.user("dave")
    await ops.register(dave)
    ref = await pay(ops, alice, "/send @bob 12.50 lunch")
    await pay(ops, bob, "/send @dave 55 everything")
    books = await ops.books()

    await ops.send(OSCAR, f"/reverse {ref} disputed")

    assert ops.last(OSCAR).text == (
        "Can't reverse: the recipient @bob has only 7.50 USD available and the reversal needs "
        "12.50 USD. Nothing changed."
    )
    assert ops.last(OSCAR).buttons == []
    assert await ops.books() == books


async def test_reverse_refusals_name_the_problem(ops: ChatBot) -> None:
    alice = ops.user("alice")
    await ops.send(alice, "/send @bob 5 pending")
    pending = ops.last(alice).buttons[0][1].removeprefix("p:c:")
    for command, answer in (
        ("/reverse", "Write it like <code>/reverse REFERENCE reason</code>"),
        ("/reverse ZZZZ9999", "Give a reason: it goes on the record"),
        ("/reverse ZZZZ9999 typo", "There is no transfer with reference ZZZZ9999."),
        ("/reverse <b>x</b> typo", "Write it like <code>/reverse REFERENCE reason</code>"),
        (f"/reverse {pending} not yet", f"Transfer {pending} is on hold, not completed"),
    ):
        await ops.send(OSCAR, command)
        assert ops.last(OSCAR).text.startswith(answer), command


async def test_two_cards_for_one_reversal_reverse_it_once(ops: ChatBot) -> None:
    alice, bob = ops.user("alice"), ops.user("bob")
    ref = await pay(ops, alice, "/send @bob 10 scam")
    await ops.send(OSCAR, f"/reverse {ref} scam report")
    oscars = ops.last(OSCAR)
    await ops.send(NADIA, f"/reverse {ref} signalement")
    nadias = ops.last(NADIA)

    await ops.press(OSCAR, oscars, "Confirm")
    await ops.press(NADIA, nadias, "Confirmer")

    reversal_ref = ops.last(OSCAR).text.split("Reversal: <code>")[1].split("</code>")[0]
    assert ops.answer().params["text"] == (
        f"Le transfert {ref} a déjà été contre-passé, par {reversal_ref}."
    )
    assert ops.last(NADIA).text.startswith("❌ Pas fait : contre-passer le transfert")
    assert await ops.balances(alice, bob) == [5_000, 5_000]
    reversals = await ops.ledger.db.read_one(
        "SELECT COUNT(*) FROM transfers WHERE kind = 'reversal'", {}
    )
    assert reversals[0][0] == 1


# --- people who blocked the bot ----------------------------------------------------------


async def test_a_user_who_blocked_the_bot_is_still_credited_and_frozen(
    ops: ChatBot, caplog: pytest.LogCaptureFixture
) -> None:
    bob = ops.user("bob")
    ops.api.blocked_chats.add(bob["id"])

    await ops.send(OSCAR, "/credit @bob 5 refund")
    assert ops.last(OSCAR).text.startswith("✅ Credited <b>5.00 USD</b> to @bob.")
    assert await ops.balances(bob) == [5_500]
    await ops.send(OSCAR, "/freeze @bob chargebacks")
    await ops.press(OSCAR, ops.last(OSCAR), "Confirm")
    assert (await ops.account(bob)).frozen
    assert ops.last(OSCAR).text.startswith("✅ Done: freeze @bob's account")

    assert "admin credit stands; user 102 was not told" in caplog.text
    assert "admin freeze stands; user 102 was not told" in caplog.text


async def test_carol_without_a_username_is_credited_through_a_text_mention(ops: ChatBot) -> None:
    carol = ops.user("carol")
    await ops.register(carol)
    command = "/credit Carol 3 welcome back"
    await ops.send(OSCAR, command, entities=[ops.tg.mention(command, "Carol", carol)])
    assert ops.last(OSCAR).text.startswith(
        f'✅ Credited <b>3.00 USD</b> to <a href="tg://user?id={carol["id"]}">Carol</a>.'
    )
    assert ops.last(carol).text.startswith("💰 The X Money team credited <b>3.00 USD</b>")
    assert "Reason: welcome back" in ops.last(carol).text


async def test_a_bot_is_never_acted_on(ops: ChatBot) -> None:
    group = ops.group()
    other_bot = Telegram.user(7_777, "other_bot", "Other", is_bot=True)
    its_message = ops.message(other_bot, "I am a bot", chat=group)
    await ops.send(OSCAR, "/freeze spam", chat=group, reply_to=its_message)
    assert ops.last(OSCAR).text == "That is a bot; bots have no accounts."
    await ops.send(OSCAR, "/credit 5 hello", chat=group, reply_to=its_message)
    assert ops.last(OSCAR).text == "That is a bot; bots have no accounts."
    assert ops.to(group) == []
    assert await ops.ledger.account_of(other_bot["id"]) is None


async def test_a_frozen_fraudster_can_still_be_debited_and_his_payment_reversed(
    ops: ChatBot,
) -> None:
    alice, bob = ops.user("alice"), ops.user("bob")
    ref = await pay(ops, bob, "/send @alice 10 stolen funds")
    await ops.freeze(bob)

    await ops.send(OSCAR, f"/reverse {ref} fraud ring")
    await ops.press(OSCAR, ops.last(OSCAR), "Confirm")
    await ops.send(OSCAR, "/debit @bob 50 confiscated")
    await ops.press(OSCAR, ops.last(OSCAR), "Confirm")

    assert await ops.balances(alice, bob) == [5_000, 0]
    assert (await ops.account(bob)).frozen
    actions = [r.action for r in await ops.ledger.audit_log(limit=2)]
    assert actions == ["debit.posted", "reversal.posted"]
