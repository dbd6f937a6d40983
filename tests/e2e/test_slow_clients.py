"""The real program behind its webhook, limited to 256 file descriptors, while mallory opens
300 connections and sends them as slowly as he likes. Telegram's updates and the health
check must still get through, and the program's log must not fill up with his doings."""

from __future__ import annotations

import http.client
import signal
import socket
import time

from bot.fakeapi import Telegram
from bot.webhook_server import HEADER_TIMEOUT_SECONDS
from tests.e2e.conftest import Program, Runner, free_port
from tests.e2e.fakebotapi import FakeBot
from tests.e2e.test_program import SECRET, as_body, webhook_env

OPEN_FILES = 256
MALLORYS_CONNECTIONS = 300
CAROL = Telegram.user(520_003, "carol", "Carol")
# What the flood may add to the log, at DEBUG: the throttled refusal lines and carol's
# update being handled, where a line per refused connection or a traceback per failed
# accept() would take far more.
LOG_GROWTH_LIMIT = 30_000


def open_slowly(port: int, payload: bytes) -> list[socket.socket]:
    """Mallory's connections, each sending ``payload`` and nothing more; those the server
    closed before he could send are not kept."""
    opened = []
    for _ in range(MALLORYS_CONNECTIONS):
        sock = socket.socket()
        sock.settimeout(5)
        try:
            sock.connect(("127.0.0.1", port))
            sock.sendall(payload)
        except OSError:
            sock.close()
            continue
        opened.append(sock)
    return opened


def answer(sock: socket.socket, timeout: float) -> bytes:
    """What the server sends on ``sock`` before closing it (b"" if it just closes)."""
    sock.settimeout(timeout)
    received = b""
    try:
        while chunk := sock.recv(4096):
            received += chunk
    except ConnectionResetError:
        pass
    finally:
        sock.close()
    return received


def still_serves(port: int, bot: FakeBot, program: Program) -> None:
    """/healthz answers within a second, and an update with the secret reaches the bot."""
    started = time.monotonic()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1.0)
    try:
        connection.request("GET", "/healthz")
        response = connection.getresponse()
        assert (response.status, response.read()) == (200, b"ok")
    finally:
        connection.close()
    assert time.monotonic() - started < 1.0

    update = as_body(Telegram().message(CAROL, "/start"))
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5.0)
    try:
        headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"}
        connection.request("POST", "/tg-hook", body=update, headers=headers)
        assert connection.getresponse().status == 200
    finally:
        connection.close()
    bot.wait_for_call("sendMessage", CAROL["id"])  # the bot answered carol
    program.assert_alive()


def assert_quiet_log(program: Program, size_before: int) -> None:
    output = program.output
    assert "Traceback" not in output, output[-4000:]
    assert "Too many open files" not in output
    assert len(output.encode()) - size_before < LOG_GROWTH_LIMIT, output[size_before:][:4000]


def start(runner: Runner, bot_env: dict[str, str], bot: FakeBot) -> tuple[int, Program, int]:
    port = free_port()
    program = runner.start(webhook_env(bot_env, port), open_files=OPEN_FILES)
    bot.wait_for_call("setWebhook")
    return port, program, len(program.output.encode())


def test_slow_posts_without_the_secret_hold_nothing(
    runner: Runner, bot: FakeBot, bot_env: dict[str, str]
) -> None:
    port, program, log_size = start(runner, bot_env, bot)
    # A POST's headers, without the secret, announcing a body of which one byte comes.
    headers = (
        f"POST /tg-hook HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        "Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"
    ).encode()

    mallorys = open_slowly(port, headers)

    still_serves(port, bot, program)
    # Each was refused on its headers and let go, not kept waiting for the rest of its body.
    answers = [answer(sock, timeout=5.0) for sock in mallorys]
    assert all(a == b"" or a.startswith(b"HTTP/1.1 403 ") for a in answers)
    assert sum(a.startswith(b"HTTP/1.1 403 ") for a in answers) > MALLORYS_CONNECTIONS // 2
    assert bot.sent(chat_id=CAROL["id"])  # carol's update, the one with the secret, worked
    assert_quiet_log(program, log_size)
    assert "missing or wrong secret header" in program.output  # refusals are logged...
    assert program.stop(signal.SIGTERM) == 0


def test_connections_that_never_finish_their_headers_hold_nothing(
    runner: Runner, bot: FakeBot, bot_env: dict[str, str]
) -> None:
    port, program, log_size = start(runner, bot_env, bot)
    # Headers that never end: more connections than the program may hold stay open.
    mallorys = open_slowly(port, b"POST /tg-hook HTTP/1.1\r\nHost: 127.0.0.1\r\n")

    still_serves(port, bot, program)
    assert_quiet_log(program, log_size)
    assert "to make room" in program.output  # the longest-waiting were closed for others
    # And whoever was not made room for is let go once the headers are overdue.
    started = time.monotonic()
    answers = [answer(sock, timeout=HEADER_TIMEOUT_SECONDS + 10) for sock in mallorys]
    assert time.monotonic() - started < HEADER_TIMEOUT_SECONDS + 10
    assert answers == [b""] * len(mallorys)
    assert program.stop(signal.SIGTERM) == 0
