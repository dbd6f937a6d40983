"""A fake Telegram Bot API served over real HTTP on 127.0.0.1, for whole-program tests.

The program under test runs as a subprocess with ``TELEGRAM_BASE_URL`` pointing here, so its
real HTTP stack (PTB's httpx request layer) talks to this server. One server is shared by
every test; each test gets its own bot token, and the server keeps one ``FakeBot`` per
token (updates to deliver, calls received), so tests never see each other's traffic.
Unknown tokens are answered 401 Unauthorized, as Telegram does.

Implemented: getMe; getUpdates (long poll capped at ``LONG_POLL_CAP`` seconds, honours
``offset``); sendMessage / editMessageText / editMessageReplyMarkup answering a valid
Message; every other method answers ``true``. Every call is recorded with the token seen in
the URL path.
"""

from __future__ import annotations

import itertools
import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar
from urllib.parse import parse_qsl, unquote, urlsplit

from bot.fakeapi import BOT_USER, Call

T = TypeVar("T")
LONG_POLL_CAP = 0.5
GATE_TIMEOUT = 30.0
MESSAGE_METHODS = {"sendMessage", "editMessageText", "editMessageReplyMarkup"}


@dataclass
class ApiCall(Call):
    """A recorded call (see ``bot.fakeapi.Call`` for chat_id/text/buttons) and its token."""

    token: str = field(default="", repr=False)


@dataclass(repr=False)
class FakeBot:
    """What the fake API knows of one bot token: updates to deliver and calls received."""

    token: str
    api: FakeBotApi
    calls: list[ApiCall] = field(default_factory=list)
    pending: list[dict[str, Any]] = field(default_factory=list)
    # A held method is answered only once its gate is opened; ``waiting`` names the calls
    # that arrived and are held (to prove work happens outside an HTTP request).
    gates: dict[str, threading.Event] = field(default_factory=dict)
    waiting: list[str] = field(default_factory=list)
    # Set by the runner: why the program serving this bot is gone (None while it runs), so
    # a wait ends as soon as there is nobody left to answer.
    gone: Callable[[], str | None] = field(default_factory=lambda: _nobody_knows)
    _update_ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    _message_ids: itertools.count = field(default_factory=lambda: itertools.count(5000))

    def __repr__(self) -> str:  # never the token: test reports are logs too
        return f"FakeBot({len(self.calls)} calls, {len(self.pending)} pending updates)"

    def push(self, update: dict[str, Any]) -> int:
        """Queue an update for getUpdates; its update_id is renumbered to keep order."""
        with self.api.changed:
            update = dict(update, update_id=next(self._update_ids))
            self.pending.append(update)
            self.api.changed.notify_all()
            return update["update_id"]

    def hold(self, method: str) -> threading.Event:
        """Hold every ``method`` call until the returned event is set."""
        with self.api.changed:
            gate = self.gates[method] = threading.Event()
            return gate

    def sent(self, method: str | None = None, chat_id: int | None = None) -> list[ApiCall]:
        with self.api.changed:
            return [
                c
                for c in self.calls
                if (method is None or c.method == method)
                and (chat_id is None or c.chat_id == chat_id)
            ]

    def messages_to(self, chat_id: int) -> list[ApiCall]:
        """Messages sent to, or edited in, ``chat_id``, in order."""
        return [c for c in self.sent(chat_id=chat_id) if c.method in MESSAGE_METHODS]

    def wait_for(self, find: Callable[[], T | None], what: str, timeout: float = 20.0) -> T:
        """Wait until ``find()`` returns something truthy (re-checked on every call)."""
        deadline = time.monotonic() + timeout
        with self.api.changed:
            while True:
                found = find()
                if found:
                    return found
                left = deadline - time.monotonic()
                why = self.gone()
                if why is not None:
                    raise AssertionError(f"gave up waiting for {what}: {why}")
                if left <= 0:
                    summary = [
                        (c.method, c.chat_id, c.text[:80])
                        for c in self.calls
                        if c.method != "getUpdates"
                    ]
                    raise AssertionError(f"gave up waiting for {what}; calls: {summary}")
                self.api.changed.wait(min(left, 0.2))

    def wait_for_call(self, method: str, chat_id: int | None = None, after: int = 0) -> ApiCall:
        """The first ``method`` call (to ``chat_id``) made after the first ``after`` calls."""

        def find() -> ApiCall | None:
            for call in self.calls[after:]:
                if call.method == method and (chat_id is None or call.chat_id == chat_id):
                    return call
            return None

        return self.wait_for(find, f"{method} to {chat_id}")

    # --- served by the HTTP handler (under api.changed) ---------------------------------

    def answer(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return BOT_USER
        if method == "getUpdates":
            return self._updates(params)
        if method in MESSAGE_METHODS:
            if method != "sendMessage" and "inline_message_id" in params:
                return True
            chat_id = int(params["chat_id"])
            message: dict[str, Any] = {
                "message_id": int(params.get("message_id") or next(self._message_ids)),
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"},
                "from": BOT_USER,
                "text": params.get("text", ""),
            }
            if params.get("reply_markup"):
                message["reply_markup"] = _json(params["reply_markup"])
            return message
        return True

    def _updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        # An offset confirms every update below it: Telegram forgets them.
        self.pending = [u for u in self.pending if u["update_id"] >= offset]
        wait = min(float(params.get("timeout") or 0), LONG_POLL_CAP)
        deadline = time.monotonic() + wait
        while not self.pending and (left := deadline - time.monotonic()) > 0:
            self.api.changed.wait(left)
        return list(self.pending)


class FakeBotApi:
    """The shared server: ``start()``, then ``new_bot()`` per test, ``close()`` at the end."""

    def __init__(self) -> None:
        self.changed = threading.Condition()
        self.bots: dict[str, FakeBot] = {}
        self.unknown_tokens: list[str] = []
        self._server = _Server(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        """What TELEGRAM_BASE_URL should be: the token is appended to it."""
        return f"http://127.0.0.1:{self.port}/bot"

    def start(self) -> FakeBotApi:
        self._thread.start()
        return self

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def new_bot(self) -> FakeBot:
        """A bot with a fresh token, shaped like a real one (<digits>:<secret>)."""
        token = f"{secrets.randbelow(10**9) + 10**9}:AA{secrets.token_urlsafe(30)}"
        with self.changed:
            bot = self.bots[token] = FakeBot(token, self)
        return bot

    def handle(self, token: str, method: str, params: dict[str, Any]) -> tuple[int, Any]:
        with self.changed:
            bot = self.bots.get(token)
            if bot is None:
                self.unknown_tokens.append(token)
                return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
            gate = bot.gates.get(method)
            if gate is not None:
                bot.waiting.append(method)
                self.changed.notify_all()
        if gate is not None:
            gate.wait(GATE_TIMEOUT)
        with self.changed:
            call = ApiCall(method, params, token=token)
            call.result = bot.answer(method, params)
            bot.calls.append(call)
            self.changed.notify_all()
            return 200, {"ok": True, "result": call.result}


class _Server(ThreadingHTTPServer):
    # socketserver listens with a backlog of 5: three workers sending at once overflowed it,
    # and the bots saw connections reset (Telegram's servers take far more).
    request_queue_size = 256


def _handler_for(api: FakeBotApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self._serve()

        def do_GET(self) -> None:
            self._serve()

        def _serve(self) -> None:
            url = urlsplit(self.path)
            parts = unquote(url.path).split("/")
            # /bot<token>/<method>
            if len(parts) != 3 or not parts[1].startswith("bot"):
                self._reply(404, {"ok": False, "error_code": 404, "description": "Not Found"})
                return
            token, method = parts[1][3:], parts[2]
            params = dict(parse_qsl(url.query))
            params.update(self._body())
            status, payload = api.handle(token, method, params)
            self._reply(status, payload)

        def _body(self) -> dict[str, Any]:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            kind = self.headers.get("Content-Type", "")
            if kind.startswith("application/json"):
                return json.loads(raw or b"{}")
            if kind.startswith("application/x-www-form-urlencoded"):
                return dict(parse_qsl(raw.decode()))
            return {}

        def _reply(self, status: int, payload: Any) -> None:
            body = json.dumps(payload).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up, as a stopping bot does with its long poll

        def log_message(self, format: str, *args: Any) -> None:
            return None  # the test output stays readable; calls are recorded instead

    return Handler


def _nobody_knows() -> str | None:
    return None


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value
