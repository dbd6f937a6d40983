"""The page's only credential is Telegram's init data: each way of not having valid init data
for this bot is a 401, and nothing is done."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl, urlencode

import pytest

from bot.webapp import auth
from tests.webapp.conftest import TOKEN, Page, init_data

ALICE = {"id": 101, "first_name": "Alice", "username": "alice", "language_code": "en"}
NOW = 1_800_000_000.0


def test_valid_init_data_names_its_user() -> None:
    user = auth.verify(init_data(ALICE, auth_date=NOW - 60), TOKEN, NOW)
    assert user == auth.PageUser(101, "en", int(NOW - 60))


def _fields(data: str) -> dict[str, str]:
    return dict(parse_qsl(data))


def test_a_tampered_field_is_refused() -> None:
    fields = _fields(init_data(ALICE, auth_date=NOW))
    fields["user"] = json.dumps({"id": 102, "first_name": "Bob"})  # signed for alice
    assert auth.verify(urlencode(fields), TOKEN, NOW) is None


def test_an_added_field_is_refused() -> None:
    fields = _fields(init_data(ALICE, auth_date=NOW))
    fields["start_param"] = "x"
    assert auth.verify(urlencode(fields), TOKEN, NOW) is None


def test_a_wrong_hash_is_refused() -> None:
    fields = _fields(init_data(ALICE, auth_date=NOW))
    fields["hash"] = "0" * 64
    assert auth.verify(urlencode(fields), TOKEN, NOW) is None
    del fields["hash"]
    assert auth.verify(urlencode(fields), TOKEN, NOW) is None


def test_init_data_older_than_an_hour_is_refused() -> None:
    assert auth.verify(init_data(ALICE, auth_date=NOW - 3600), TOKEN, NOW) is not None
    assert auth.verify(init_data(ALICE, auth_date=NOW - 3601), TOKEN, NOW) is None
    assert auth.verify(init_data(ALICE, auth_date=NOW + 3600), TOKEN, NOW) is None


def test_another_bots_init_data_is_refused() -> None:
    other = init_data(ALICE, auth_date=NOW, token="654321:ANOTHER-bot")
    assert auth.verify(other, TOKEN, NOW) is None


@pytest.mark.parametrize("value", [None, "", "tma ", "Bearer x", "tma hash=abc", "tma %%%"])
def test_a_missing_or_malformed_header_is_refused(value: str | None) -> None:
    assert auth.from_header(value, TOKEN, NOW) is None


def test_a_field_given_twice_is_refused() -> None:
    data = init_data(ALICE, auth_date=NOW)
    assert auth.verify(data + "&auth_date=1", TOKEN, NOW) is None


# --- through the API: 401 and nothing done ---------------------------------------------


async def test_every_endpoint_answers_401_without_valid_init_data(page: Page) -> None:
    alice, bob = page.bot.user("alice"), page.bot.user("bob")
    await page.bot.register(alice, funds=5_000)
    await page.bot.register(bob)
    books = await page.bot.books()
    fields = _fields(init_data(alice, auth_date=page.now()))
    tampered = dict(fields, user=fields["user"].replace("101", "102"))
    bad = {
        "missing": {},
        "tampered": {"Authorization": "tma " + urlencode(tampered)},
        "wrong hash": {"Authorization": "tma " + urlencode(dict(fields, hash="ab" * 32))},
        "expired": page.auth(alice, auth_date=page.now() - 3601),
        "another bot": page.auth(alice, token="654321:ANOTHER-bot"),
    }
    send = {"to": "@bob", "amount": "10", "note": "", "key": "k" * 16}
    for why, headers in bad.items():
        for method, path, body in [
            ("GET", "/api/wallet", None),
            ("GET", "/api/history", None),
            ("GET", "/api/chart", None),
            ("GET", "/api/requests", None),
            ("GET", "/api/people", None),
            ("POST", "/api/send/preview", send),
            ("POST", "/api/send", send),
            ("POST", "/api/requests/ABCDEFGH/pay", {"key": "k" * 16}),
            ("POST", "/api/requests/ABCDEFGH/decline", {}),
        ]:
            answer = await page.client.request(method, path, headers=headers, json=body)
            assert answer.status_code == 401, (why, path)
            assert answer.json()["error"] == "unauthorized"
            assert "balance" not in answer.text and "5000" not in answer.text
    assert await page.bot.books() == books
    assert page.bot.to(bob) == []


async def test_someone_who_never_started_the_bot_is_told_to(page: Page) -> None:
    stranger = page.bot.user("erin")
    answer = await page.get(stranger, "/api/wallet")
    assert answer.status_code == 403
    assert answer.json()["error"] == "start_first"
    assert "t.me/" in answer.json()["message"]


async def test_no_cookies_and_no_cors(page: Page) -> None:
    alice = page.bot.user("alice")
    await page.bot.register(alice)
    answer = await page.get(alice, "/api/wallet", headers={"Origin": "https://evil.example"})
    assert answer.status_code == 200
    assert "set-cookie" not in answer.headers
    assert "access-control-allow-origin" not in answer.headers
    preflight = await page.client.options(
        "/api/send",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code == 405
    assert "access-control-allow-origin" not in preflight.headers
