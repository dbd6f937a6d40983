"""The wallet page's harness: the chat harness (tests/bot/conftest.py) plus an HTTP client on
the page's ASGI app in the same event loop, signing init data as Telegram would.

    async def test_story(page):
        alice = page.bot.user("alice")
        await page.bot.register(alice, funds=5_000)
        answer = await page.get(alice, "/api/wallet")
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from bot.webapp.app import make_app
from bot.webapp.auth import sign
from tests.bot.conftest import (  # noqa: F401 - the chat harness's fixtures, reused
    TOKEN,
    ChatBot,
    MakeBot,
    _postgres_url,
    _sqlite_template,
    database_url,
    make_bot,
)

WEBAPP_URL = "https://wallet.example.com/"


def init_data(
    user: dict[str, Any],
    *,
    auth_date: float,
    token: str = TOKEN,
    extra: dict[str, str] | None = None,
) -> str:
    """Init data as Telegram's clients hand it to a Mini App, signed for ``token``'s bot."""
    fields = {
        "query_id": "AAH-test",
        "user": json.dumps(
            {
                "id": user["id"],
                "first_name": user.get("first_name", ""),
                "username": user.get("username"),
                "language_code": user.get("language_code"),
            },
            separators=(",", ":"),
        ),
        "auth_date": str(int(auth_date)),
        **(extra or {}),
    }
    fields["hash"] = sign(fields, token)
    return urlencode(fields)


class Page:
    """The page's API as a logged-in user's browser calls it."""

    def __init__(self, bot: ChatBot, client: httpx.AsyncClient) -> None:
        self.bot, self.client = bot, client

    def now(self) -> float:
        return self.bot.clock().timestamp()

    def auth(self, user: dict[str, Any], **kwargs: Any) -> dict[str, str]:
        kwargs.setdefault("auth_date", self.now())
        return {"Authorization": "tma " + init_data(user, **kwargs)}

    async def get(
        self, user: dict[str, Any] | None, path: str, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        sent = (self.auth(user) if user is not None else {}) | (headers or {})
        return await self.client.get(path, headers=sent)

    async def post(
        self, user: dict[str, Any] | None, path: str, body: Any = None, **kwargs: Any
    ) -> httpx.Response:
        headers = self.auth(user) if user is not None else {}
        return await self.client.post(path, headers=headers, json=body, **kwargs)


@pytest.fixture
async def page(make_bot: MakeBot) -> AsyncIterator[Page]:  # noqa: F811
    bot = await make_bot(webapp_url=WEBAPP_URL)
    transport = httpx.ASGITransport(app=make_app(bot.app))
    async with httpx.AsyncClient(transport=transport, base_url="https://wallet.example.com") as c:
        yield Page(bot, c)
