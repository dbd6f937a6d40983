"""The page and its API behind the webhook's hardened server (``bot.webhook.make_server``):
served through the ASGI bridge, with the same timeouts for slow clients as the webhook."""

from __future__ import annotations

import asyncio
import socket

import pytest
from tornado.netutil import bind_sockets

from bot import webhook_server
from bot.webhook import make_server
from tests.webapp.conftest import WEBAPP_URL, MakeBot, Page, make_bot  # noqa: F401


async def _exchange(port: int, sent: bytes) -> bytes:
    loop = asyncio.get_running_loop()
    client = socket.socket()
    client.setblocking(False)
    try:
        await loop.sock_connect(client, ("127.0.0.1", port))
        await loop.sock_sendall(client, sent)
        received = b""
        while chunk := await asyncio.wait_for(loop.sock_recv(client, 65536), 5):
            received += chunk
        return received
    finally:
        client.close()


@pytest.fixture
async def served(page: Page):  # type: ignore[no-untyped-def]
    server = make_server(page.bot.app, page.bot.app.bot_data["settings"])
    [listening] = bind_sockets(0, "127.0.0.1")
    server.add_sockets([listening])
    try:
        yield listening.getsockname()[1]
    finally:
        server.stop()
        await server.close_all_connections()


async def test_the_page_its_files_and_its_api_are_served(page: Page, served: int) -> None:
    alice = page.bot.user("alice")
    await page.bot.register(alice, funds=1_000)
    close = b"Connection: close\r\n\r\n"
    html = await _exchange(served, b"GET / HTTP/1.1\r\nHost: x\r\n" + close)
    assert html.startswith(b"HTTP/1.1 200") and b"Content-Security-Policy" in html
    script = await _exchange(served, b"GET /static/wallet.js HTTP/1.1\r\nHost: x\r\n" + close)
    head, _, body = script.partition(b"\r\n\r\n")
    assert b"text/javascript" in head and b"tgWebAppData" in body  # the whole file
    refused = await _exchange(served, b"GET /api/wallet HTTP/1.1\r\nHost: x\r\n" + close)
    assert refused.startswith(b"HTTP/1.1 401") and b'"error":"unauthorized"' in refused
    auth = page.auth(alice)["Authorization"].encode()
    wallet = await _exchange(
        served, b"GET /api/wallet HTTP/1.1\r\nHost: x\r\nAuthorization: " + auth + b"\r\n" + close
    )
    assert wallet.startswith(b"HTTP/1.1 200") and b'"available":1000' in wallet
    health = await _exchange(served, b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + close)
    assert health.endswith(b"\r\n\r\nok")
    metrics = await _exchange(served, b"GET /metrics HTTP/1.1\r\nHost: x\r\n" + close)
    assert b"xmoney_payments_total" in metrics


@pytest.mark.parametrize(
    "sent",
    [
        b"POST /api/send HTTP/1.1\r\nHost: x\r\n",  # headers that never end
        b"POST /api/send HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{",  # a body that stops
    ],
    ids=["headers", "body"],
)
async def test_a_slow_client_of_the_api_is_let_go(
    page: Page, monkeypatch: pytest.MonkeyPatch, sent: bytes
) -> None:
    monkeypatch.setattr(webhook_server, "HEADER_TIMEOUT_SECONDS", 0.5)
    monkeypatch.setattr(webhook_server, "BODY_TIMEOUT_SECONDS", 0.5)
    server = make_server(page.bot.app, page.bot.app.bot_data["settings"])
    [listening] = bind_sockets(0, "127.0.0.1")
    server.add_sockets([listening])
    try:
        assert await _exchange(listening.getsockname()[1], sent) == b""
    finally:
        server.stop()
        await server.close_all_connections()


async def test_in_webhook_mode_the_webhook_keeps_its_secret_beside_the_page(
    make_bot: MakeBot,  # noqa: F811
) -> None:
    secret = "Xq3_longEnough-toBeUnguessable_0042"
    bot = await make_bot(
        webapp_url=WEBAPP_URL,
        mode="webhook",
        webhook_url="https://wallet.example.com/telegram",
        webhook_secret=secret,
    )
    server = make_server(bot.app, bot.app.bot_data["settings"])
    [listening] = bind_sockets(0, "127.0.0.1")
    server.add_sockets([listening])
    port = listening.getsockname()[1]
    try:
        close = b"Connection: close\r\n"
        no_secret = await _exchange(
            port, b"POST /telegram HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n" + close + b"\r\n{}"
        )
        assert no_secret.startswith(b"HTTP/1.1 403")
        update = b'{"update_id": 1}'
        with_secret = await _exchange(
            port,
            b"POST /telegram HTTP/1.1\r\nHost: x\r\nX-Telegram-Bot-Api-Secret-Token: "
            + secret.encode()
            + b"\r\nContent-Length: "
            + str(len(update)).encode()
            + b"\r\n"
            + close
            + b"\r\n"
            + update,
        )
        assert with_secret.startswith(b"HTTP/1.1 200")
        assert (await bot.app.update_queue.get()).update_id == 1
        html = await _exchange(port, b"GET / HTTP/1.1\r\nHost: x\r\n" + close + b"\r\n")
        assert html.startswith(b"HTTP/1.1 200") and b"tgWebAppData" not in html
        assert b"/static/wallet.js" in html
    finally:
        server.stop()
        await server.close_all_connections()
