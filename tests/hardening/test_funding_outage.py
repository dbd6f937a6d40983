"""PostgreSQL goes away while Telegram takes a top-up (the bot's ledger talks to it through a
TCP proxy the test cuts): the pre-checkout is answered no with the reason, a payment Telegram
reports meanwhile is not lost (the payer hears it is safe, the credit is retried until the
database is back, once), and a credit whose answer was lost is not made twice."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot import funding
from bot.app import build_application
from bot.fakeapi import RecordingRequest
from bot.settings import load_settings
from ledger import Ledger
from tests.bot.conftest import TOKEN, ChatBot
from tests.conftest import FakeClock
from tests.hardening.chat_checks import assert_clear
from tests.hardening.tcp_proxy import TcpProxy

PROVIDER = "284685063:TEST:outage"


@pytest.fixture
async def bot(proxied: Ledger, proxy: TcpProxy, clock: FakeClock) -> AsyncIterator[ChatBot]:
    api = RecordingRequest()
    settings = load_settings(_env_file=None, bot_token=TOKEN, payment_provider_token=PROVIDER)
    app = build_application(settings, ledger=proxied, request=api, clock=clock)
    harness = ChatBot(app, api, proxied, clock)
    await app.initialize()
    try:
        yield harness
    finally:
        proxy.restore()
        await app.shutdown()


async def retry_jobs(bot: ChatBot) -> None:
    """Run the pending credit retries, as the job queue would when they are due."""
    for job in bot.app.job_queue.jobs():
        if job.name and job.name.startswith("credit:"):
            job.schedule_removal()
            await job.run(bot.app)


async def available(witness: Ledger, user: dict) -> int:
    return (await witness.account(await witness.open_account(user["id"]))).available


async def test_a_payment_reported_during_an_outage_is_credited_once_it_is_back(
    bot: ChatBot, witness: Ledger, proxy: TcpProxy
) -> None:
    alice = bot.user("alice")
    await bot.register(alice)
    await bot.send(alice, "/topup 25")
    payload = str(bot.calls("sendInvoice")[-1].params["payload"])
    await bot.deliver(bot.tg.pre_checkout_query(alice, payload, 2_500))
    assert bot.calls("answerPreCheckoutQuery")[-1].params["ok"] is True

    proxy.refuse()
    await bot.deliver(bot.tg.pre_checkout_query(alice, payload, 2_500, query_id="again"))
    refused = bot.calls("answerPreCheckoutQuery")[-1].params
    assert refused["ok"] is False and "nothing was charged" in refused["error_message"]
    await bot.deliver(bot.tg.successful_payment(alice, payload, 2_500, "ch-outage"))
    assert "was received" in bot.last(alice).text
    await retry_jobs(bot)  # still down: tried again later
    assert await available(witness, alice) == 0
    assert_clear(bot.api.calls)

    proxy.restore()
    await retry_jobs(bot)
    assert await available(witness, alice) == 2_500
    assert "25.00 USD added to your balance" in bot.last(alice).text
    await retry_jobs(bot)
    await bot.deliver(bot.tg.successful_payment(alice, payload, 2_500, "ch-outage"))  # again
    assert await available(witness, alice) == 2_500
    assert len([t for t in bot.texts(alice) if t.startswith("✅ 25.00 USD added")]) == 1


async def test_a_credit_whose_answer_was_lost_is_made_once(
    bot: ChatBot, witness: Ledger, proxy: TcpProxy
) -> None:
    alice = bot.user("alice")
    await bot.register(alice)
    await bot.send(alice, "/topup 25")
    payload = str(bot.calls("sendInvoice")[-1].params["payload"])
    proxy.drop_reply(b"INSERT 0 1")  # the credit commits; its answer never arrives
    await bot.deliver(bot.tg.successful_payment(alice, payload, 2_500, "ch-lost"))
    assert "was received" in bot.last(alice).text  # the answer was lost: retried later
    proxy.restore()
    await retry_jobs(bot)
    await bot.deliver(bot.tg.successful_payment(alice, payload, 2_500, "ch-lost"))
    assert await available(witness, alice) == 2_500
    rows = await witness.db.read_one("SELECT COUNT(*) FROM transfers WHERE kind = 'topup'", {})
    assert rows == [(1,)]
    assert funding.funding_of(bot.app.bot_data).ledger is bot.ledger
