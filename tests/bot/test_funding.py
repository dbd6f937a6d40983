"""Stories of money in and out through the chat, driven by the Update JSON Telegram sends:
/card, /topup by the emulated card or a Telegram invoice (pre_checkout_query and
successful_payment, redelivered and out of order), /withdraw settling and returning, a
restart between a settlement and its notice, and an admin's /refund. Both databases."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot import funding
from bot.app import build_application
from bot.fakeapi import RecordingRequest
from bot.settings import load_settings
from ledger import Ledger
from tests.bot.conftest import TOKEN as BOT_TOKEN
from tests.bot.conftest import ChatBot, MakeBot, MakeWorkers
from tests.conftest import FakeClock

GOOD = "4242 4242 4242 4242"
TOKEN = "284685063:TEST:NjQ0YzFhZDM3ZTcw"


async def link(bot: ChatBot, user: dict, number: str = GOOD) -> None:
    await bot.send(user, f"/card {number} 12/29")


async def test_alice_links_a_card_and_tops_up_once_however_often_she_presses(bot: ChatBot):
    alice = bot.user("alice")
    await bot.register(alice)
    await link(bot, alice)
    assert "Visa •••• 4242" in bot.last(alice).text
    assert bot.calls("deleteMessage"), "the message with the card number is deleted"
    assert not any("4242424242424242" in repr(c.params) for c in bot.api.calls)
    await bot.send(alice, "/topup 50")
    card = bot.last(alice)
    assert "50.00 USD" in card.text and "4242" in card.text
    assert await bot.balances(alice) == [0]
    await bot.press(alice, card, "Confirm")
    await bot.press(alice, card, "Confirm")  # a second press, or a redelivered one
    assert await bot.balances(alice) == [5_000]
    assert "50.00 USD added to your balance" in bot.last(alice).text
    assert bot.answer().params["text"] == "Already done."
    await bot.sweep()
    from bot.outbox import deliver_stale

    bot.clock.advance(seconds=60)
    assert await deliver_stale(bot.app) == 0, "the card was the notice: nothing more to send"


async def test_a_declined_card_credits_nothing_and_says_why_in_french(bot: ChatBot):
    alice = bot.user("alice", lang="fr")
    await bot.register(alice)
    await link(bot, alice, "4000 0000 0000 9995")
    await bot.send(alice, "/topup 50")
    before = await bot.books()
    await bot.press(alice, bot.last(alice), "Confirmer")
    assert "fonds insuffisants" in bot.last(alice).text
    assert await bot.books() == before


async def test_bad_card_input_gets_one_message_and_keeps_nothing(bot: ChatBot):
    alice = bot.user("alice")
    await bot.register(alice)
    await bot.send(alice, "/card 4242 4242 4242 4241 12/29")
    assert "not valid" in bot.last(alice).text
    await bot.send(alice, "/card 4111 1111 1111 1111 12/29")
    assert "never a real card" in bot.last(alice).text
    await bot.send(alice, "/topup 50")
    assert "Link a card first" in bot.last(alice).text
    await bot.send(alice, "/topup lots")
    assert len(bot.to(alice)) == 4
    assert await bot.ledger.db.read_one("SELECT COUNT(*) FROM payment_cards", {}) == [(0,)]


async def invoice(bot: ChatBot, user: dict, amount: str = "25") -> str:
    await bot.send(user, f"/topup {amount}")
    sent = bot.calls("sendInvoice")[-1]
    return str(sent.params["payload"])


def answers(bot: ChatBot) -> list[tuple[bool, str]]:
    return [
        (bool(c.params["ok"]), str(c.params.get("error_message", "")))
        for c in bot.calls("answerPreCheckoutQuery")
    ]


async def test_a_telegram_payment_is_credited_once_per_charge(make_bot: MakeBot):
    bot = await make_bot(payment_provider_token=TOKEN)
    alice, bob = bot.user("alice"), bot.user("bob")
    await bot.register(alice, bob)
    payload = await invoice(bot, alice)
    sent = bot.calls("sendInvoice")[-1]
    assert sent.params["currency"] == "USD" and sent.params["provider_token"] == TOKEN
    assert '"amount": 2500' in str(sent.params["prices"]) or "2500" in str(sent.params["prices"])
    await bot.deliver(bot.tg.pre_checkout_query(alice, payload, 2_500))
    await bot.deliver(bot.tg.pre_checkout_query(bob, payload, 2_500))  # another user's
    await bot.deliver(bot.tg.pre_checkout_query(alice, "forged", 2_500))
    assert [ok for ok, _ in answers(bot)] == [True, False, False]
    assert answers(bot)[1][1].startswith("This was made for someone else")
    assert answers(bot)[2][1].startswith("I did not make this invoice")
    paid = bot.tg.successful_payment(alice, payload, 2_500, "tg-charge-1")
    await bot.deliver(paid)
    await bot.deliver(paid)  # redelivered twice
    await bot.deliver(paid)
    assert await bot.balances(alice) == [2_500]
    told = [m for m in bot.texts(alice) if "added to your balance" in m]
    assert len(told) == 1 and "25.00 USD" in told[0]
    # bob somehow pays alice's invoice: he paid, so he is credited; alice's stays hers.
    await bot.deliver(bot.tg.successful_payment(bob, payload, 2_500, "tg-charge-bob"))
    assert await bot.balances(alice, bob) == [2_500, 2_500]
    # A second charge for a payload already paid (Telegram took the money twice): each
    # charge is money received, credited once.
    await bot.deliver(bot.tg.successful_payment(alice, payload, 2_500, "tg-charge-again"))
    await bot.deliver(bot.tg.successful_payment(alice, payload, 2_500, "tg-charge-again"))
    assert await bot.balances(alice) == [5_000]
    # Out of order: the query for a payload already paid comes (again) after the payment.
    await bot.deliver(bot.tg.pre_checkout_query(alice, payload, 2_500))
    ok, reason = answers(bot)[-1]
    assert not ok and reason == "This invoice was paid already: nothing more is charged."
    assert await bot.balances(alice) == [5_000]
    await bot.books()


async def test_a_frozen_account_is_refused_at_checkout(make_bot: MakeBot):
    bot = await make_bot(payment_provider_token=TOKEN)
    alice = bot.user("alice", lang="fr")
    await bot.register(alice)
    payload = await invoice(bot, alice)
    await bot.freeze(alice)
    await bot.deliver(bot.tg.pre_checkout_query(alice, payload, 2_500))
    ok, reason = answers(bot)[-1]
    assert not ok and reason.startswith("Votre compte est gelé")
    # Telegram took money anyway (frozen between checkout and payment): it is credited,
    # stays frozen with the account, and can be refunded.
    await bot.deliver(bot.tg.successful_payment(alice, payload, 2_500, "tg-charge-2"))
    assert (await bot.account(alice)).available == 2_500


async def test_alice_withdraws_and_the_processor_settles_once(bot: ChatBot):
    alice = bot.user("alice")
    await bot.register(alice, funds=10_000)
    await link(bot, alice)
    await bot.send(alice, "/withdraw 20")
    card = bot.last(alice)
    assert "20.00 USD" in card.text
    await bot.press(alice, card, "Confirm")
    await bot.press(alice, card, "Confirm")
    assert await bot.balances(alice) == [8_000] and await bot.held(alice) == 2_000
    assert await funding.settle(bot.app) == 0  # not due yet
    bot.clock.advance(seconds=10)
    assert await funding.settle(bot.app) == 1
    assert await funding.settle(bot.app) == 0
    arrived = [m for m in bot.texts(alice) if "arrived on your card" in m]
    assert len(arrived) == 1 and "20.00 USD" in arrived[0]
    assert await bot.balances(alice) == [8_000] and await bot.held(alice) == 0
    await bot.books()


async def test_a_payout_to_a_card_that_cannot_receive_comes_back(bot: ChatBot):
    alice = bot.user("alice", lang="fr")
    await bot.register(alice, funds=10_000)
    await link(bot, alice, "4000 0000 0000 0077")
    await bot.send(alice, "/withdraw 30")
    await bot.press(alice, bot.last(alice), "Confirmer")
    bot.clock.advance(seconds=10)
    await funding.settle(bot.app)
    back = [m for m in bot.texts(alice) if "revenu sur votre solde" in m]
    assert len(back) == 1
    assert await bot.balances(alice) == [10_000] and await bot.held(alice) == 0


async def test_withdraw_refusals_change_nothing(bot: ChatBot):
    alice = bot.user("alice")
    await bot.register(alice, funds=1_000)
    await link(bot, alice)
    await funding.funding_of(bot.app.bot_data).settlement_account_id()  # made at first use
    before = await bot.books()
    await bot.send(alice, "/withdraw 20")
    assert "10.00 USD" in bot.last(alice).text  # what she has
    await bot.send(alice, "/withdraw 5000")
    assert "daily withdrawal limit" in bot.last(alice).text
    await bot.freeze(alice)
    await bot.send(alice, "/withdraw 5")
    assert "frozen" in bot.last(alice).text.lower()
    assert await bot.books() == before


async def test_a_restart_between_settlement_and_notice_tells_alice_once(
    bot: ChatBot, make_bot: MakeBot
):
    alice = bot.user("alice")
    await bot.register(alice, funds=10_000)
    await link(bot, alice)
    await bot.send(alice, "/withdraw 20")
    await bot.press(alice, bot.last(alice), "Confirm")
    bot.clock.advance(seconds=10)
    # The processor's settlement commits, and the process dies before telling anyone.
    settled = await funding.funding_of(bot.app.bot_data).settle_due()
    assert len(settled.transfers) == 1
    restarted = await make_bot()
    bot.clock.advance(seconds=31)
    from bot.app import startup

    await startup(restarted.app)  # the new process's first pass
    await funding.settle(restarted.app)
    arrived = [m for m in restarted.texts(alice) if "arrived on your card" in m]
    assert len(arrived) == 1
    bot.clock.advance(seconds=60)
    await startup(restarted.app)
    assert len([m for m in restarted.texts(alice) if "arrived on your card" in m]) == 1
    assert await bot.balances(alice) == [8_000] and await bot.held(alice) == 0


async def test_an_admin_refunds_a_top_up_once_and_not_when_spent(make_bot: MakeBot):
    bot = await make_bot(admin_ids="900")
    admin, alice, bob = bot.user("admin900"), bot.user("alice"), bot.user("bob")
    admin["id"] = 900
    await bot.register(alice, bob)
    await link(bot, alice)
    await bot.send(alice, "/topup 50")
    await bot.press(alice, bot.last(alice), "Confirm")
    ref = (await bot.ledger.db.read_one("SELECT ref FROM transfers WHERE kind = 'topup'", {}))[0][0]
    await bot.send(admin, f"/refund {ref} customer asked")
    assert "Refunded" in bot.last(admin).text
    assert f"The operators reversed transfer <code>{ref}</code>" in bot.last(alice).text
    assert await bot.balances(alice) == [0]
    await bot.send(admin, f"/refund {ref} again")
    assert "already" in bot.last(admin).text.lower()
    await bot.send(alice, "/topup 40")
    await bot.press(alice, bot.last(alice), "Confirm")
    await bot.fund(bob, 0) if False else None
    await bot.send(alice, "/send @bob 30")
    await bot.press(alice, bot.last(alice), "Confirm")
    second = (
        await bot.ledger.db.read_one(
            "SELECT ref FROM transfers WHERE kind = 'topup' ORDER BY id DESC", {}
        )
    )[0][0]
    before = await bot.books()
    await bot.send(admin, f"/refund {second} too late")
    assert "was spent" in bot.last(admin).text and "10.00 USD" in bot.last(admin).text
    assert await bot.books() == before
    await bot.send(bob, f"/refund {second} sneaky")  # not an admin: an unknown command
    assert "Refunded" not in bot.last(bob).text


@pytest.fixture
async def stars_bot(database_url: str, clock: FakeClock) -> AsyncIterator[ChatBot]:
    """The bot with CURRENCY=XTR (Telegram Stars), on a ledger in stars."""
    ledger = await Ledger.open(database_url, "XTR", clock=clock, sqlite_synchronous="NORMAL")
    api = RecordingRequest()
    settings = load_settings(_env_file=None, bot_token=BOT_TOKEN, currency="XTR", admin_ids="900")
    app = build_application(settings, ledger=ledger, request=api, clock=clock)
    await app.initialize()
    api.clear()
    yield ChatBot(app, api, ledger, clock)
    await app.shutdown()
    await ledger.close()


async def test_stars_top_up_and_refund_through_telegram(stars_bot: ChatBot):
    bot = stars_bot
    admin, alice = bot.user("admin900"), bot.user("alice")
    admin["id"] = 900
    await bot.register(alice)
    payload = await invoice(bot, alice, "50")
    sent = bot.calls("sendInvoice")[-1]
    assert sent.params["currency"] == "XTR" and "provider_token" not in sent.params
    assert "50" in str(sent.params["prices"])
    await bot.deliver(bot.tg.pre_checkout_query(alice, payload, 50, "XTR"))
    assert answers(bot)[-1] == (True, "")
    await bot.deliver(bot.tg.successful_payment(alice, payload, 50, "stxCHARGE", "XTR"))
    assert await bot.balances(alice) == [50]
    ref = (await bot.ledger.db.read_one("SELECT ref FROM transfers WHERE kind = 'topup'", {}))[0][0]
    bot.api.fail_next["refundStarPayment"] = (400, "Bad Request: temporarily unavailable")
    await bot.send(admin, f"/refund {ref} wrong amount")
    assert "did not give the stars back" in bot.last(admin).text
    assert await bot.balances(alice) == [0]  # the ledger's side is done, once
    await bot.send(admin, f"/refund {ref} wrong amount")
    refunds = bot.calls("refundStarPayment")
    assert len(refunds) == 2
    assert refunds[-1].params["telegram_payment_charge_id"] == "stxCHARGE"
    assert int(refunds[-1].params["user_id"]) == alice["id"]
    assert "gave the stars back" in bot.last(admin).text
    await bot.send(admin, f"/refund {ref} wrong amount")
    assert "already" in bot.last(admin).text.lower()
    assert len(bot.calls("refundStarPayment")) == 2
    assert await bot.balances(alice) == [0]


async def test_a_card_number_never_reaches_the_logs(bot: ChatBot, caplog):
    import logging

    alice = bot.user("alice")
    await bot.register(alice)
    caplog.set_level(logging.DEBUG)
    await bot.send(alice, "/card 4242 4242 4242 4242 12/29")
    await bot.send(alice, "/card 4242-4242-4242-4241 12/29")
    await bot.send(alice, f"/card {GOOD} 12/29", chat=bot.group())
    logged = "\n".join(r.getMessage() + repr(r.args) for r in caplog.records)
    for number in ("4242424242424242", "4242 4242 4242 4242", "4242-4242-4242-4241"):
        assert number not in logged
    assert "private chat" in bot.last(bot.group()).text


async def test_the_top_up_button_under_balance_offers_amounts(bot: ChatBot):
    alice = bot.user("alice")
    await bot.register(alice)
    await link(bot, alice)
    await bot.send(alice, "/balance")
    await bot.press(alice, bot.last(alice), "➕ Top up")
    menu = bot.last(alice)
    assert "How much" in menu.text
    await bot.press(alice, menu, "20.00 USD")
    card = bot.last(alice)
    assert "Add <b>20.00 USD</b>" in card.text
    await bot.press(alice, card, "Confirm")
    assert await bot.balances(alice) == [2_000]
    before = await bot.books()
    await bot.press_data(alice, menu, "f:a:-5")  # forged: nothing happens
    await bot.press_data(alice, menu, "f:a:abc")
    assert await bot.books() == before


async def test_admins_see_money_in_and_out_in_stats_tx_and_limits(make_bot: MakeBot):
    bot = await make_bot(admin_ids="900")
    admin, alice = bot.user("admin900", lang="fr"), bot.user("alice")
    admin["id"] = 900
    await bot.register(alice, funds=1_000)
    await link(bot, alice)
    await bot.send(alice, "/topup 50")
    await bot.press(alice, bot.last(alice), "Confirm")
    await bot.send(alice, "/withdraw 20")
    await bot.press(alice, bot.last(alice), "Confirm")
    bot.clock.advance(seconds=10)
    await funding.settle(bot.app)
    await bot.send(admin, "/stats")
    stats = "\n".join(bot.texts(admin))
    assert "recharges 1 (<b>50,00 USD</b>)" in stats and "retraits 1 (<b>20,00 USD</b>)" in stats
    assert "✅ Entrées et sorties : émis 10,00 USD + rechargé 50,00 USD − retiré 20,00 USD" in stats
    assert "= 40,00 USD" in stats
    ref = (await bot.ledger.db.read_one("SELECT ref FROM transfers WHERE kind = 'topup'", {}))[0][0]
    await bot.send(admin, f"/tx {ref}")
    assert "recharge" in bot.last(admin).text
    await bot.send(admin, "/user @alice")
    shown = bot.last(admin).text
    assert "recharge" in shown and "retrait" in shown
    await bot.send(admin, "/limits topup 2000 card testing")
    assert "Plafond quotidien de recharge : <b>2\xa0000,00 USD</b>" in bot.last(admin).text
    await bot.send(alice, "/topup 1950")  # 50 topped up already today
    assert "Add <b>1\xa0950.00 USD</b>" in bot.last(alice).text
    await bot.send(alice, "/topup 1950.01")
    assert "you can add 1\xa0950.00 USD more today" in bot.last(alice).text
    audit = await bot.ledger.audit_log(limit=1)
    assert audit[0].action == "limits" and "topup_daily_limit=200000" in audit[0].reason
    before = await bot.books()
    await bot.send(admin, "/limits payout lots")
    assert "Je ne sais pas lire ce montant" in bot.last(admin).text
    await bot.send(admin, "/limits payout")
    assert "/limits payout 500" in bot.last(admin).text
    assert await bot.books() == before
    assert (await funding.funding_of(bot.app.bot_data).limits()).payout_daily == 100_000


async def test_cancel_forged_and_foreign_presses_move_nothing(bot: ChatBot):
    alice, bob = bot.user("alice"), bot.user("bob")
    await bot.register(alice, funds=5_000)
    await bot.register(bob)
    await link(bot, alice)
    await bot.send(alice, "/withdraw 20")
    payout = bot.last(alice)
    await bot.send(alice, "/topup 30")
    topup = bot.last(alice)
    before = await bot.books()
    await bot.press(bob, topup, "Confirm")  # bob presses alice's cards (a forwarded message)
    assert bot.answer().params["show_alert"] is True
    await bot.press(bob, payout, "Confirm")
    await bot.press_data(alice, topup, "f:t:not-a-token")
    assert await bot.books() == before
    await bot.press(alice, topup, "Cancel")
    assert "Cancelled: 30.00 USD did not move." in bot.last(alice).text
    await bot.press(alice, topup, "Confirm")  # the old card, pressed after Cancel
    assert "no longer open" in bot.answer().params["text"]
    await bot.press(alice, payout, "Cancel")
    await bot.press(alice, payout, "Confirm")
    assert await bot.books() == before


async def test_top_ups_and_withdrawals_are_refused_in_groups(bot: ChatBot):
    alice = bot.user("alice", lang="fr")
    await bot.register(alice, funds=5_000)
    await link(bot, alice)
    group = bot.group()
    await bot.send(alice, "/topup 50", chat=group)
    assert "conversation privée" in bot.last(group).text
    await bot.send(alice, "/withdraw 5", chat=group)
    assert "conversation privée" in bot.last(group).text
    assert await bot.balances(alice) == [5_000]


async def test_history_names_top_ups_and_payouts(bot: ChatBot):
    alice = bot.user("alice")
    await bot.register(alice)
    await link(bot, alice)
    await bot.send(alice, "/topup 50")
    await bot.press(alice, bot.last(alice), "Confirm")
    await bot.send(alice, "/withdraw 20")
    await bot.press(alice, bot.last(alice), "Confirm")
    await bot.send(alice, "/history")
    shown = bot.last(alice).text
    assert "+50.00 USD" in shown and "card top-up" in shown
    assert "−20.00 USD" in shown and "to your card" in shown and "on hold" in shown


async def test_refunding_a_provider_payment_tells_the_admin_what_the_provider_must_do(
    make_bot: MakeBot,
):
    bot = await make_bot(payment_provider_token=TOKEN, admin_ids="900")
    admin, alice = bot.user("admin900"), bot.user("alice")
    admin["id"] = 900
    await bot.register(alice)
    payload = await invoice(bot, alice)
    await bot.deliver(bot.tg.successful_payment(alice, payload, 2_500, "tg-charge-r"))
    ref = (await bot.ledger.db.read_one("SELECT ref FROM transfers WHERE kind = 'topup'", {}))[0][0]
    await bot.send(admin, f"/refund {ref.lower()} duplicate order")
    said = bot.last(admin).text
    assert "Refunded" in said and "provider's dashboard" in said
    assert bot.calls("refundStarPayment") == []
    assert await bot.balances(alice) == [0]
    await bot.send(admin, "/refund")
    assert "Usage: <code>/refund" in bot.last(admin).text
    await bot.send(admin, "/refund NOSUCHREF0 oops")
    assert "NOSUCHREF0" in bot.last(admin).text  # one clear refusal, naming it
    pay = await bot.ledger.db.read_one("SELECT ref FROM transfers WHERE kind = 'reversal'", {})
    await bot.send(admin, f"/refund {pay[0][0]} not a top-up")
    assert "is not a top-up" in bot.last(admin).text


async def test_a_top_up_or_payout_card_expires_like_a_payment_card(bot: ChatBot):
    alice = bot.user("alice")
    await bot.register(alice, funds=5_000)
    await link(bot, alice)
    await bot.send(alice, "/topup 30")
    topup = bot.last(alice)
    await bot.send(alice, "/withdraw 20")
    payout = bot.last(alice)
    before = await bot.books()
    bot.clock.advance(seconds=301)  # HOLD_EXPIRY_SECONDS
    await bot.press(alice, topup, "Confirm")
    expired = "This card expired: nothing moved. Send the command again."
    assert bot.answer().params["text"] == expired
    await bot.press(alice, payout, "Confirm")
    assert "expired" in bot.answer().params["text"]
    assert bot.last(alice).text == expired and not bot.last(alice).buttons  # the card says so
    assert await bot.books() == before


async def test_an_amount_telegram_refuses_is_said_plainly(make_bot: MakeBot):
    bot = await make_bot(payment_provider_token=TOKEN)
    alice = bot.user("alice")
    await bot.register(alice)
    bot.api.fail_next["sendInvoice"] = (400, "Bad Request: CURRENCY_TOTAL_AMOUNT_INVALID")
    await bot.send(alice, "/topup 0.10")
    assert "can't take that amount" in bot.last(alice).text
    states = await bot.ledger.db.read_one("SELECT state FROM fundings", {})
    assert states == [("cancelled",)]


async def test_two_workers_settle_a_payout_once_and_tell_once(make_workers: MakeWorkers):
    import asyncio

    first, second = await make_workers(2)
    alice = first.user("alice")
    await first.register(alice, funds=10_000)
    await link(first, alice)
    await first.send(alice, "/withdraw 20")
    await second.press(alice, first.last(alice), "Confirm")  # the press reaches the other
    first.clock.advance(seconds=10)
    counts = await asyncio.gather(funding.settle(first.app), funding.settle(second.app))
    assert sum(counts) == 1
    told = [t for w in (first, second) for t in w.texts(alice) if "arrived on your card" in t]
    assert len(told) == 1
    assert await first.balances(alice) == [8_000] and await first.held(alice) == 0
