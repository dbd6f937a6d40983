"""The wallet page's API, endpoint by endpoint, as alice's page calls it: what she sees, and
the ledger and the chat afterwards."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from bot import metrics, wallet
from bot.buttons import CHEQUE_ACCEPT, CHEQUE_CANCEL
from ledger.errors import DatabaseUnavailable
from tests.webapp.conftest import WEBAPP_URL, Page

KEY = "0123456789abcdef0123456789abcdef"


async def test_the_wallet_shows_available_and_held(page: Page) -> None:
    alice, bob = page.bot.user("alice"), page.bot.user("bob")
    await page.bot.register(bob)
    await page.bot.register(alice, funds=5_000)
    await page.bot.send(alice, "/send @bob 12.50 lunch")  # held until she confirms
    answer = await page.get(alice, "/api/wallet")
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "no-store"
    body = answer.json()
    assert body["currency"] == "USD"
    assert (body["available"], body["held"]) == (3_750, 1_250)
    assert (body["available_text"], body["held_text"]) == ("37.50 USD", "12.50 USD")
    assert body["language"] == "en"


async def test_a_french_reader_gets_french_amounts(page: Page) -> None:
    amelie = page.bot.tg.user(110, "amelie", "Amélie", language_code="fr")
    await page.bot.register(amelie, funds=123_456)
    body = (await page.get(amelie, "/api/wallet")).json()
    assert body["language"] == "fr"
    assert body["available_text"] == "1\u202f234,56 USD" or body["available_text"].endswith(
        "234,56 USD"
    )


async def _payments(page: Page) -> tuple[dict, dict, dict]:
    """alice pays bob three times and dave once; bob pays alice back once."""
    alice, bob, dave = page.bot.user("alice"), page.bot.user("bob"), page.bot.user("dave")
    await page.bot.register(bob, funds=1_000)
    await page.bot.register(dave)
    await page.bot.register(alice, funds=10_000)
    for who, amount, note in [
        ("bob", "1", "coffee"),
        ("dave", "2", "cinema"),
        ("bob", "3", "lunch on friday"),
        ("bob", "4", ""),
    ]:
        await page.bot.send(alice, f"/send @{who} {amount} {note}")
        await page.bot.press(alice, page.bot.last(alice), "Confirm")
    await page.bot.send(bob, "/send @alice 5 refund")
    await page.bot.press(bob, page.bot.last(bob), "Confirm")
    return alice, bob, dave


async def test_history_filters_searches_and_pages(page: Page) -> None:
    alice, _, _ = await _payments(page)

    def amounts(answer: object) -> list[str]:
        return [item["amount"]["text"] for item in answer.json()["items"]]  # type: ignore[attr-defined]

    everything = await page.get(alice, "/api/history")
    assert amounts(everything) == [
        "5.00 USD",
        "4.00 USD",
        "3.00 USD",
        "2.00 USD",
        "1.00 USD",
        "100.00 USD",
    ]
    first = everything.json()["items"][0]
    assert (first["direction"], first["who"], first["memo"]) == ("in", "@bob", "refund")
    assert first["counterpart"] == "from @bob"
    assert amounts(await page.get(alice, "/api/history?filter=sent")) == [
        "4.00 USD",
        "3.00 USD",
        "2.00 USD",
        "1.00 USD",
    ]
    assert amounts(await page.get(alice, "/api/history?filter=received")) == [
        "5.00 USD",
        "100.00 USD",
    ]
    assert amounts(await page.get(alice, "/api/history?q=LUNCH")) == ["3.00 USD"]
    assert amounts(await page.get(alice, "/api/history?q=%40dave")) == ["2.00 USD"]
    assert amounts(await page.get(alice, "/api/history?filter=sent&q=bob")) == [
        "4.00 USD",
        "3.00 USD",
        "1.00 USD",
    ]
    assert amounts(await page.get(alice, "/api/history?q=%25")) == []  # a wildcard is a character
    page.bot.clock.advance(61)  # past the chat's rate limit window
    for _ in range(8):
        await page.bot.send(alice, "/send @bob 0.01 tip")
        await page.bot.press(alice, page.bot.last(alice), "Confirm")
    first_page = (await page.get(alice, "/api/history")).json()
    assert len(first_page["items"]) == 10 and first_page["has_more"]
    second = (await page.get(alice, "/api/history?offset=10")).json()
    assert amounts_of(second) == ["3.00 USD", "2.00 USD", "1.00 USD", "100.00 USD"]
    assert not second["has_more"]


def amounts_of(body: dict) -> list[str]:
    return [item["amount"]["text"] for item in body["items"]]


async def test_history_refuses_what_it_cannot_read(page: Page) -> None:
    alice = page.bot.user("alice")
    await page.bot.register(alice)
    for query in ["filter=bogus", "offset=-1", "offset=x", "q=" + "a" * 65, "offset=999999"]:
        answer = await page.get(alice, "/api/history?" + query)
        assert answer.status_code == 400, query
        assert answer.json()["error"] == "bad_request"


async def test_the_requests_filter_shows_payments_of_requests(page: Page) -> None:
    alice, bob = page.bot.user("alice"), page.bot.user("bob")
    await page.bot.register(alice, funds=5_000)
    await page.bot.register(bob)
    await page.bot.send(bob, "/request @alice 7 tickets")
    asked = (await page.get(alice, "/api/requests")).json()["requests"][0]
    await page.post(alice, f"/api/requests/{asked['ref']}/pay", {"key": KEY})
    await page.bot.send(alice, "/send @bob 1 other")
    await page.bot.press(alice, page.bot.last(alice), "Confirm")
    body = (await page.get(alice, "/api/history?filter=requests")).json()
    assert [(i["amount"]["text"], i["memo"]) for i in body["items"]] == [("7.00 USD", "tickets")]


async def _cheque(page: Page, sender: dict, query: str, imid: str) -> str:
    """``sender`` posts an inline cheque with ``query`` and Telegram reports it: its id."""
    [result] = await page.bot.inline(sender, query)
    await page.bot.choose(sender, query, result, imid)
    return str(result["id"])


async def test_the_cheques_filter_shows_cheques_sent_and_received(page: Page) -> None:
    alice, bob, erin = page.bot.user("alice"), page.bot.user("bob"), page.bot.user("erin")
    await page.bot.register(alice, funds=5_000)
    await page.bot.register(bob, funds=1_000)
    await page.bot.register(erin)
    paid = await _cheque(page, alice, "12.50 @bob lunch", "IMID-paid-000000000001")
    await page.bot.press_inline(bob, "IMID-paid-000000000001", CHEQUE_ACCEPT + paid)
    taken_back = await _cheque(page, alice, "3 taxi", "IMID-cancel-0000000002")
    await page.bot.press_inline(alice, "IMID-cancel-0000000002", CHEQUE_CANCEL + taken_back)
    await _cheque(page, alice, "4 @erin cake", "IMID-held-000000000003")
    await _cheque(page, alice, "2 drinks", "IMID-open-000000000004")
    await page.bot.send(alice, "/send @bob 1 coffee")  # a payment, not a cheque
    await page.bot.press(alice, page.bot.last(alice), "Confirm")
    from_bob = await _cheque(page, bob, "6 @alice thanks", "IMID-bob-0000000000005")
    await page.bot.press_inline(alice, "IMID-bob-0000000000005", CHEQUE_ACCEPT + from_bob)
    assert await page.bot.held(alice) == 600  # the cheques to erin and the open one
    available = [5_000 - 1_250 - 100 + 600 - 600, 1_000 + 1_250 + 100 - 600]
    assert await page.bot.balances(alice, bob) == available

    def lines(body: dict) -> list[tuple[str, str, str, str]]:
        return [
            (i["counterpart"], i["amount"]["text"], i["direction"], i["state_text"])
            for i in body["items"]
        ]

    cheques = (await page.get(alice, "/api/history?filter=cheques")).json()
    assert lines(cheques) == [
        ("cheque from @bob", "6.00 USD", "in", ""),
        ("open cheque", "2.00 USD", "out", "reserved"),
        ("cheque to @erin", "4.00 USD", "out", "reserved"),
        ("open cheque", "3.00 USD", "out", "cancelled"),
        ("cheque to @bob", "12.50 USD", "out", ""),  # paid: shown once, as its payout
    ]
    assert all(item["cheque"] for item in cheques["items"])
    # In the sent list a hold is a cheque, never a payment to X Money; the payment is there.
    sent = (await page.get(alice, "/api/history?filter=sent")).json()
    assert [line[0] for line in lines(sent)] == [
        "to @bob",
        "open cheque",
        "cheque to @erin",
        "open cheque",
        "cheque to @bob",
    ]
    assert not any("X Money" in item["counterpart"] for item in sent["items"])
    # bob sees the cheque he accepted and the one he sent alice.
    assert lines((await page.get(bob, "/api/history?filter=cheques")).json()) == [
        ("cheque to @alice", "6.00 USD", "out", ""),
        ("cheque from @alice", "12.50 USD", "in", ""),
    ]
    amelie = page.bot.tg.user(110, "amelie", "Amélie", language_code="fr")
    await page.bot.register(amelie, funds=1_000)
    await _cheque(page, amelie, "1 fleurs", "IMID-fr-00000000000006")
    french = (await page.get(amelie, "/api/history?filter=cheques")).json()
    assert [(i["counterpart"], i["state_text"]) for i in french["items"]] == [
        ("chèque ouvert", "réservé")
    ]


async def test_red_envelope_shares_read_as_envelope_shares(page: Page) -> None:
    alice, bob = page.bot.user("alice"), page.bot.user("bob")
    await page.bot.register(alice, funds=5_000)
    await page.bot.register(bob)
    await page.bot.send(alice, "/envelope 9 3 equal", chat=page.bot.group())
    await page.bot.press(bob, page.bot.last(page.bot.group()), "Open")
    assert await page.bot.balances(alice, bob) == [4_100, 300]

    def lines(user: dict) -> list[tuple[str, str]]:
        return [(i["counterpart"], i["amount"]["text"]) for i in user["items"]]

    alice_sees = (await page.get(alice, "/api/history?filter=cheques")).json()
    assert lines(alice_sees) == [
        ("red envelope share to @bob", "3.00 USD"),
        ("red envelope share", "3.00 USD"),
        ("red envelope share", "3.00 USD"),
    ]
    bob_sees = (await page.get(bob, "/api/history?filter=cheques")).json()
    assert lines(bob_sees) == [("red envelope from @alice", "3.00 USD")]


async def test_the_chart_draws_thirty_days_of_balance(page: Page) -> None:
    alice = page.bot.user("alice")
    await page.bot.register(alice)
    page.bot.clock.advance(days=-10)
    await page.bot.fund(alice, 5_000)
    page.bot.clock.advance(days=10)
    answer = await page.get(alice, "/api/chart")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("image/svg+xml")
    svg = answer.text
    assert svg.startswith("<svg") and 'data-points="30"' in svg
    assert ">50.00 USD<" in svg and ">0.00 USD<" in svg  # highest, lowest
    line = re.search(r'class="chart-line" fill="none" points="([^"]+)"', svg)
    assert line is not None
    heights = [float(point.split(",")[1]) for point in line.group(1).split()]
    assert len(heights) == 30
    # Flat at nothing for 19 days, then up to 50.00 from the funding day on.
    assert len(set(heights[:19])) == 1 and len(set(heights[19:])) == 1
    assert heights[19] < heights[0]


async def test_balance_by_day_walks_back_from_today(page: Page) -> None:
    from ledger.wallet import balance_by_day

    alice = page.bot.user("alice")
    await page.bot.register(alice)
    page.bot.clock.advance(days=-40)
    await page.bot.fund(alice, 1_000)  # before the window: part of every day's balance
    page.bot.clock.advance(days=35)
    await page.bot.fund(alice, 500)
    page.bot.clock.advance(days=5)
    account = await page.bot.ledger.open_account(alice["id"])
    series = await balance_by_day(page.bot.ledger, account, 30)
    assert [day.balance for day in series] == [1_000] * 24 + [1_500] * 6
    assert series[-1].day == page.bot.clock().date()
    assert series[-1].day - series[0].day == timedelta(days=29)


async def test_requests_lists_what_waits_for_the_caller(page: Page) -> None:
    alice, bob = page.bot.user("alice"), page.bot.user("bob")
    await page.bot.register(alice, funds=5_000)
    await page.bot.register(bob)
    await page.bot.send(bob, "/request @alice 20 dinner")
    body = (await page.get(alice, "/api/requests")).json()
    [asked] = body["requests"]
    assert asked["text"] == "@bob asks 20.00 USD" and asked["memo"] == "dinner"
    assert asked["amount"]["minor"] == 2_000
    assert (await page.get(bob, "/api/requests")).json()["requests"] == []


async def test_pay_a_request_from_the_page_once_however_often_submitted(page: Page) -> None:
    alice, bob = page.bot.user("alice"), page.bot.user("bob")
    await page.bot.register(alice, funds=5_000)
    await page.bot.register(bob)
    await page.bot.send(bob, "/request @alice 20 dinner")
    ref = (await page.get(alice, "/api/requests")).json()["requests"][0]["ref"]
    page.bot.api.clear()
    first = await page.post(alice, f"/api/requests/{ref}/pay", {"key": KEY})
    again = await page.post(alice, f"/api/requests/{ref}/pay", {"key": KEY})
    assert first.status_code == 200, first.text
    assert again.status_code == 200 and again.json()["replayed"]
    assert first.json()["ref"] == again.json()["ref"]
    assert await page.bot.balances(alice, bob) == [3_000, 2_000]
    assert any("You paid <b>20.00 USD</b> to @bob" in text for text in page.bot.texts(alice))
    assert page.bot.texts(bob) == [
        "✅ @alice paid your request: <b>20.00 USD</b> — <i>dinner</i>\n\n"
        "Your balance: <b>20.00 USD</b>"
    ]
    assert (await page.get(alice, "/api/requests")).json()["requests"] == []
    other_key = await page.post(alice, f"/api/requests/{ref}/pay", {"key": "f" * 32})
    assert other_key.status_code == 422
    assert await page.bot.balances(alice, bob) == [3_000, 2_000]


async def test_decline_a_request_from_the_page(page: Page) -> None:
    alice, bob = page.bot.user("alice"), page.bot.user("bob")
    await page.bot.register(alice, funds=5_000)
    await page.bot.register(bob)
    await page.bot.send(bob, "/request @alice 20 dinner")
    ref = (await page.get(alice, "/api/requests")).json()["requests"][0]["ref"]
    page.bot.api.clear()
    answer = await page.post(alice, f"/api/requests/{ref}/decline", {})
    assert answer.status_code == 200
    assert page.bot.texts(bob) == [
        "@alice declined your request for <b>20.00 USD</b> — <i>dinner</i>."
    ]
    assert await page.bot.balances(alice, bob) == [5_000, 0]
    again = await page.post(alice, f"/api/requests/{ref}/decline", {})
    assert again.status_code == 422
    assert (await page.post(alice, f"/api/requests/{ref}/pay", {"key": KEY})).status_code == 422
    assert await page.bot.balances(alice, bob) == [5_000, 0]


async def test_someone_elses_request_cannot_be_paid_or_declined(page: Page) -> None:
    alice, bob, dave = page.bot.user("alice"), page.bot.user("bob"), page.bot.user("dave")
    await page.bot.register(alice, funds=5_000)
    await page.bot.register(bob)
    await page.bot.register(dave, funds=5_000)
    await page.bot.send(bob, "/request @alice 20 dinner")
    ref = (await page.get(alice, "/api/requests")).json()["requests"][0]["ref"]
    books = await page.bot.books()
    assert (await page.post(dave, f"/api/requests/{ref}/pay", {"key": KEY})).status_code == 422
    assert (await page.post(dave, f"/api/requests/{ref}/decline", {})).status_code == 422
    assert (await page.post(alice, "/api/requests/not-a-ref/pay", {"key": KEY})).status_code == 400
    assert await page.bot.books() == books


async def test_people_lists_whom_the_caller_paid_last(page: Page) -> None:
    alice, _, _ = await _payments(page)
    body = (await page.get(alice, "/api/people")).json()
    assert [p["username"] for p in body["people"]] == ["bob", "dave"]


async def test_send_previews_then_pays_once_with_the_chats_receipt(page: Page) -> None:
    alice, bob = page.bot.user("alice"), page.bot.user("bob")
    await page.bot.register(bob)
    await page.bot.register(alice, funds=5_000)
    # The same payment from the chat first, for its receipt.
    await page.bot.send(alice, "/send @bob 12.50 lunch")
    await page.bot.press(alice, page.bot.last(alice), "Confirm")
    chat_receipt, chat_notice = page.bot.last(alice).text, page.bot.last(bob).text
    page.bot.api.clear()

    form = {"to": "@bob", "amount": "12,50", "note": "lunch"}
    preview = await page.post(alice, "/api/send/preview", form)
    assert preview.status_code == 200
    assert preview.json()["confirm"] == "Send 12.50 USD to @bob?"
    assert await page.bot.balances(alice, bob) == [3_750, 1_250]  # a preview moves nothing
    assert page.bot.api.calls == []

    first = await page.post(alice, "/api/send", form | {"key": KEY})
    again = await page.post(alice, "/api/send", form | {"key": KEY})  # a double submit
    assert first.status_code == 200 and again.status_code == 200
    assert first.json()["message"] == (
        "Paid 12.50 USD to @bob. The receipt is in your chat with the bot."
    )
    assert again.json()["replayed"] and again.json()["ref"] == first.json()["ref"]
    assert await page.bot.balances(alice, bob) == [2_500, 2_500]
    assert first.json()["available"]["minor"] == 2_500

    def same(text: str) -> str:  # the reference and the balances differ, nothing else
        return re.sub(r"<code>\w+</code>|<b>[\d.]+ USD</b>$", "_", text)

    [receipt] = page.bot.texts(alice)
    [notice] = page.bot.texts(bob)
    assert same(receipt) == same(chat_receipt)
    assert receipt.endswith("Your balance: <b>25.00 USD</b>")
    assert same(notice) == same(chat_notice)
    assert notice.endswith("Your balance: <b>25.00 USD</b>")


async def test_a_refused_send_says_why_and_moves_nothing(page: Page) -> None:
    alice, bob = page.bot.user("alice"), page.bot.user("bob")
    await page.bot.register(bob)
    await page.bot.register(alice, funds=1_000)
    books = await page.bot.books()
    cases = [
        ({"to": "@bob", "amount": "abc"}, 422, "amount"),
        ({"to": "@nobody", "amount": "1"}, 422, "@nobody"),
        ({"to": "@bob", "amount": "20"}, 422, "10.00 USD"),  # more than she has
        ({"to": "@alice", "amount": "1"}, 422, "yourself"),
        ({"to": "@bob", "amount": "1", "note": "x" * 300}, 422, ""),
        ({"to": "@bob", "amount": 1}, 400, ""),
        ({"to": "@bob", "amount": "1", "key": "short"}, 400, ""),
        ({"to": "@bob", "amount": "1"}, 400, ""),  # no key
    ]
    for form, status, said in cases:
        answer = await page.post(alice, "/api/send", form)
        assert answer.status_code == status, (form, answer.text)
        assert said in answer.json()["message"], (form, answer.json())
        assert "<" not in answer.json()["message"]
    not_json = await page.client.post("/api/send", headers=page.auth(alice), content=b"[[[[" * 2000)
    assert not_json.status_code == 400
    assert await page.bot.books() == books
    assert page.bot.to(bob) == []


async def test_page_payments_share_the_chats_rate_limit(make_bot: object) -> None:
    import httpx

    from bot.webapp.app import make_app
    from tests.webapp.conftest import Page as PageClient

    bot = await make_bot(webapp_url=WEBAPP_URL, rate_limit_per_minute=2)  # type: ignore[operator]
    transport = httpx.ASGITransport(app=make_app(bot.app))
    async with httpx.AsyncClient(transport=transport, base_url="https://w.example") as client:
        page = PageClient(bot, client)
        alice, bob = bot.user("alice"), bot.user("bob")
        await bot.register(bob)
        await bot.register(alice, funds=5_000)
        await bot.send(alice, "/send @bob 1")  # one payment action in the chat
        statuses = []
        for n in range(3):
            form = {"to": "@bob", "amount": "1", "key": f"key-number-{n}"}
            statuses.append((await page.post(alice, "/api/send", form)).status_code)
        assert statuses == [200, 429, 429]
        assert await bot.balances(bob) == [100]


async def test_the_page_is_served_with_its_texts_and_nothing_from_elsewhere(page: Page) -> None:
    answer = await page.client.get("/")
    assert answer.status_code == 200
    html = answer.text
    assert '"page.available": "Available"' in html and '"page.available": "Disponible"' in html
    assert "default-src 'none'" in answer.headers["content-security-policy"]
    script = (await page.client.get("/static/wallet.js")).text
    for text in (html, script, (await page.client.get("/static/wallet.css")).text):
        assert "telegram.org" not in text and "//cdn" not in text
        assert not re.search(r"""(src|href)=["']https?:""", text)


async def test_health_and_metrics(page: Page) -> None:
    from telegram import Update

    alice = page.bot.user("alice")
    await page.bot.register(alice)
    # An update as the running Application hands it over: through its update processor.
    update = Update.de_json(page.bot.tg.message(alice, "/balance"), page.bot.app.bot)
    processor = page.bot.app.update_processor
    await processor.process_update(update, page.bot.app.process_update(update))
    assert (await page.client.get("/healthz")).text == "ok"
    before = metrics.PAYMENTS.labels("page", "refused")._value.get()
    await page.post(alice, "/api/send", {"to": "@nobody", "amount": "1", "key": KEY})
    text = (await page.client.get("/metrics")).text
    for name in (
        "xmoney_updates_total",
        "xmoney_update_seconds_bucket",
        "xmoney_payments_total",
        "xmoney_outbox_backlog",
        "xmoney_database_errors_total",
    ):
        assert name in text
    assert 'xmoney_updates_total{type="message"}' in text  # alice's /start
    assert metrics.PAYMENTS.labels("page", "refused")._value.get() == before + 1


async def test_wallet_command_opens_the_page(page: Page) -> None:
    alice = page.bot.user("alice")
    await page.bot.register(alice)
    await page.bot.send(alice, "/wallet")
    message = page.bot.calls("sendMessage")[-1]
    button = message.params["reply_markup"]["inline_keyboard"][0][0]
    assert button == {"text": "Open the wallet", "web_app": {"url": WEBAPP_URL}}
    [menu] = page.bot.calls("setChatMenuButton")
    assert menu.params["chat_id"] == alice["id"]
    page.bot.api.clear()
    await wallet.set_menu_button(page.bot.app)
    [default] = page.bot.calls("setChatMenuButton")
    assert "chat_id" not in default.params
    assert default.params["menu_button"]["web_app"]["url"] == WEBAPP_URL


async def test_wallet_command_without_a_page(make_bot: object) -> None:
    bot = await make_bot()  # type: ignore[operator]
    alice = bot.user("alice")
    await bot.register(alice)
    await bot.send(alice, "/wallet")
    assert "not set up" in bot.last(alice).text
    await wallet.set_menu_button(bot.app)
    assert bot.calls("setChatMenuButton") == []


async def test_database_errors_are_answered_503_and_counted(
    page: Page, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = page.bot.user("alice")
    await page.bot.register(alice, funds=1_000)

    async def unreachable(*args: object, **kwargs: object) -> None:
        raise DatabaseUnavailable()

    monkeypatch.setattr(page.bot.ledger, "account", unreachable)
    before = metrics.DATABASE_ERRORS._value.get()
    answer = await page.get(alice, "/api/wallet")
    assert answer.status_code == 503
    assert answer.json()["message"] == (
        "Something went wrong; nothing was paid. Try again in a moment."
    )
    with page.bot.expecting(DatabaseUnavailable):
        await page.bot.send(alice, "/balance")  # the chat's failures count too
    assert metrics.DATABASE_ERRORS._value.get() == before + 2


async def test_two_submits_at_the_same_moment_pay_once(page: Page) -> None:
    import asyncio

    alice, bob = page.bot.user("alice"), page.bot.user("bob")
    await page.bot.register(bob)
    await page.bot.register(alice, funds=5_000)
    form = {"to": "@bob", "amount": "10", "note": "rent", "key": KEY}
    answers = await asyncio.gather(*(page.post(alice, "/api/send", form) for _ in range(3)))
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert len({a.json()["ref"] for a in answers}) == 1
    assert sorted(a.json()["replayed"] for a in answers) == [False, True, True]
    assert await page.bot.balances(alice, bob) == [4_000, 1_000]
    assert len([t for t in page.bot.texts(bob) if "sent you" in t]) == 1
    assert len([t for t in page.bot.texts(alice) if "You paid <b>10.00 USD</b>" in t]) == 1


async def test_payments_are_counted_by_source_and_outcome(page: Page) -> None:
    alice, bob = page.bot.user("alice"), page.bot.user("bob")
    await page.bot.register(bob)
    await page.bot.register(alice, funds=5_000)

    def count(source: str, outcome: str) -> float:
        return metrics.PAYMENTS.labels(source, outcome)._value.get()

    before = {(s, o): count(s, o) for s in ("chat", "page") for o in ("paid", "replayed")}
    await page.bot.send(alice, "/send @bob 1")
    await page.bot.press(alice, page.bot.last(alice), "Confirm")
    form = {"to": "@bob", "amount": "2", "key": KEY}
    await page.post(alice, "/api/send", form)
    await page.post(alice, "/api/send", form)
    assert count("chat", "paid") == before["chat", "paid"] + 1
    assert count("page", "paid") == before["page", "paid"] + 1
    assert count("page", "replayed") == before["page", "replayed"] + 1
    text = (await page.client.get("/metrics")).text
    assert 'xmoney_payments_total{outcome="paid",source="chat"}' in text


async def test_the_outbox_backlog_is_what_people_are_still_owed(page: Page) -> None:
    from bot.outbox import deliver, payments_of

    alice, bob = page.bot.user("alice"), page.bot.user("bob")
    await page.bot.register(bob)
    await page.bot.register(alice, funds=5_000)

    async def backlog() -> str:
        text = (await page.client.get("/metrics")).text
        return next(line for line in text.splitlines() if line.startswith("xmoney_outbox_backlog"))

    assert await backlog() == "xmoney_outbox_backlog 0.0"
    # A payment whose process stopped before telling anyone: alice's receipt, bob's notice.
    payments = payments_of(page.bot.app.bot_data)
    held = await payments.hold(alice["id"], bob["id"], 100, "", key="stopped")
    done = await payments.confirm(held.transfer.ref, alice["id"], key="stopped-post")
    assert await backlog() == "xmoney_outbox_backlog 2.0"
    await deliver(page.bot.app.bot, payments, done.messages, [done.transfer], done.available)
    assert await backlog() == "xmoney_outbox_backlog 0.0"


async def test_a_payment_whose_answer_was_lost_is_retried_and_paid_once(
    page: Page, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.outbox import deliver_stale
    from ledger.errors import OutcomeUnknown
    from ledger.outbox import LEASE

    alice, bob = page.bot.user("alice"), page.bot.user("bob")
    await page.bot.register(bob)
    await page.bot.register(alice, funds=5_000)
    ledger = page.bot.ledger
    post = ledger.post

    async def posted_then_lost(*args: object, **kwargs: object) -> object:
        await post(*args, **kwargs)  # type: ignore[arg-type]
        raise OutcomeUnknown()  # the database went away before its answer came back

    monkeypatch.setattr(ledger, "post", posted_then_lost)
    form = {"to": "@bob", "amount": "10", "key": KEY}
    lost = await page.post(alice, "/api/send", form)
    assert lost.status_code == 503
    assert "may or may not have gone through" in lost.json()["message"]
    monkeypatch.setattr(ledger, "post", post)
    retried = await page.post(alice, "/api/send", form)  # the page keeps the key
    assert retried.status_code == 200 and retried.json()["replayed"]
    assert await page.bot.balances(alice, bob) == [4_000, 1_000]
    # What the lost post owed people is delivered once: by the outbox's periodic job, once
    # its claim is stale (the first delivery might have been running on another worker).
    page.bot.clock.advance(LEASE.total_seconds() + 1)
    await deliver_stale(page.bot.app)
    await deliver_stale(page.bot.app)
    assert len([t for t in page.bot.texts(bob) if "sent you" in t]) == 1
    assert len([t for t in page.bot.texts(alice) if "You paid <b>10.00 USD</b>" in t]) == 1
