"""The webhook's server when the process has no file descriptor left, and the throttled log
its refusals go to. (Slow clients against the real program: tests/e2e/test_slow_clients.py.)"""

from __future__ import annotations

import asyncio
import logging
import os
import resource
import socket
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from tornado.netutil import bind_sockets
from tornado.web import Application as WebApplication
from tornado.web import RequestHandler

from bot import webhook_server
from bot.logs import Throttled
from bot.webhook_server import WebhookServer


class Ok(RequestHandler):
    def get(self) -> None:
        self.write("ok")

    def post(self) -> None:
        self.write("ok")


@contextmanager
def no_descriptors_left() -> Iterator[list[int]]:
    """Every file descriptor of this process in use (the soft limit lowered to what is open
    plus a few, then those few taken). Yields the ones taken; closing one makes room."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    highest = max(int(name) for name in os.listdir("/proc/self/fd"))
    resource.setrlimit(resource.RLIMIT_NOFILE, (highest + 8, hard))
    taken: list[int] = []
    try:
        while True:
            try:
                taken.append(os.open(os.devnull, os.O_RDONLY))
            except OSError:
                break
        yield taken
    finally:
        for fd in taken:
            os.close(fd)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


async def get(client: socket.socket, port: int) -> bytes:
    """GET / on an already created socket (connecting needs no new descriptor); the reply,
    or b"" when the server closed the connection unanswered."""
    loop = asyncio.get_running_loop()
    client.setblocking(False)
    await loop.sock_connect(client, ("127.0.0.1", port))
    await loop.sock_sendall(client, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    reply = b""
    while chunk := await asyncio.wait_for(loop.sock_recv(client, 4096), 5):
        reply += chunk
    client.close()
    return reply


async def test_out_of_descriptors_a_connection_is_closed_and_the_server_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    server = WebhookServer(
        WebApplication([("/", Ok)]),
        max_body_size=1024,
        limit=1000,  # far above what the process can open, so only the spare can help
        refusals=Throttled(logging.getLogger("tests.webhook")),
    )
    [listening] = bind_sockets(0, "127.0.0.1")
    port = listening.getsockname()[1]
    server.add_sockets([listening])
    first, second = socket.socket(), socket.socket()
    try:
        with no_descriptors_left() as taken:
            # No descriptor to accept with: the server sheds the connection with its spare
            # one instead of failing on accept() for ever.
            assert await get(first, port) == b""
            errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
            assert [r.getMessage() for r in errors] == [
                "out of file descriptors: closed a connection from 127.0.0.1 unanswered"
            ]
            assert not any(r.exc_info for r in caplog.records)  # no traceback, no spinning

            os.close(taken.pop())  # room again: the next client is served
            assert (await get(second, port)).endswith(b"\r\n\r\nok")
    finally:
        server.stop()
        await server.close_all_connections()


@pytest.mark.parametrize(
    "sent",
    [
        b"POST / HTTP/1.1\r\nHost: x\r\n",  # headers that never end
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{",  # a body that stops
    ],
    ids=["headers", "body"],
)
async def test_a_client_that_stops_sending_is_let_go(
    monkeypatch: pytest.MonkeyPatch, sent: bytes
) -> None:
    # The real timeouts are 10 and 20 s; tornado's own, an hour and never.
    monkeypatch.setattr(webhook_server, "HEADER_TIMEOUT_SECONDS", 0.5)
    monkeypatch.setattr(webhook_server, "BODY_TIMEOUT_SECONDS", 0.5)
    server = WebhookServer(
        WebApplication([("/", Ok)]),
        max_body_size=1024,
        limit=100,
        refusals=Throttled(logging.getLogger("tests.webhook")),
    )
    [listening] = bind_sockets(0, "127.0.0.1")
    server.add_sockets([listening])
    loop = asyncio.get_running_loop()
    client = socket.socket()
    client.setblocking(False)
    try:
        await loop.sock_connect(client, listening.getsockname())
        await loop.sock_sendall(client, sent)
        assert await asyncio.wait_for(loop.sock_recv(client, 4096), 5) == b""
    finally:
        client.close()
        server.stop()
        await server.close_all_connections()


def test_a_flood_of_one_refusal_is_logged_once_then_counted(
    caplog: pytest.LogCaptureFixture,
) -> None:
    now = [0.0]
    throttled = Throttled(logging.getLogger("tests.throttle"), interval=10, clock=lambda: now[0])
    caplog.set_level(logging.INFO, "tests.throttle")

    for i in range(1000):
        now[0] = i / 200  # 1000 refusals in 5 s
        throttled.log(logging.WARNING, "403", "refused %s", f"client {i}")
    throttled.log(logging.WARNING, "conn", "too many connections")
    assert [r.getMessage() for r in caplog.records] == ["refused client 0", "too many connections"]

    now[0] = 12.0
    throttled.log(logging.WARNING, "403", "refused %s", "client 1000")
    throttled.flush()
    assert [r.getMessage() for r in caplog.records[2:]] == [
        "refused client 999 (999 more like this in the last 10 s; this is the latest)",
        "refused client 1000",
    ]
