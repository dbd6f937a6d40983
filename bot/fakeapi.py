"""An offline Bot API for tests and benchmarks: a recording fake of PTB's request layer
and builders of real Update JSON.

``RecordingRequest`` subclasses ``telegram.request.BaseRequest``: every Bot API call the
bot makes is recorded (method and parameters) and answered with a valid response, so the
real ``Application`` runs unchanged with ``process_update``. Chats can be marked as having
blocked the bot, and any method can be made to fail once, to drive the unhappy paths.
``serve_http`` puts the same fake behind real HTTP for whole programs (``python -m bot.bench
--workers``).
"""

from __future__ import annotations

import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from telegram.request import BaseRequest, RequestData
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets
from tornado.web import Application as WebApplication
from tornado.web import RequestHandler

BOT_ID = 7_000_000_001
BOT_USERNAME = "xmoney_test_bot"
BOT_USER = {
    "id": BOT_ID,
    "is_bot": True,
    "first_name": "X Money",
    "username": BOT_USERNAME,
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    result: Any = None  # what the fake answered (the Message dict for sendMessage)
    # Uploaded files (sendDocument): part name -> (file name, content bytes, mime type).
    files: dict[str, Any] = field(default_factory=dict)

    @property
    def chat_id(self) -> int | None:
        value = self.params.get("chat_id")
        return int(value) if value is not None else None

    @property
    def text(self) -> str:
        return str(self.params.get("text", ""))

    @property
    def buttons(self) -> list[tuple[str, str]]:
        """(label, callback_data) of every inline button, row by row."""
        markup = self.params.get("reply_markup") or {}
        if isinstance(markup, str):
            markup = json.loads(markup)
        return [
            (button.get("text", ""), button.get("callback_data") or button.get("url") or "")
            for row in markup.get("inline_keyboard", [])
            for button in row
        ]


@dataclass
class RecordingRequest(BaseRequest):
    """Records every Bot API call and answers it like Telegram would."""

    calls: list[Call] = field(default_factory=list)
    blocked_chats: set[int] = field(default_factory=set)
    fail_next: dict[str, tuple[int, str]] = field(default_factory=dict)
    record: bool = True
    _message_ids: itertools.count = field(default_factory=lambda: itertools.count(1000))

    @property
    def read_timeout(self) -> float | None:
        return 1.0

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        api_method = url.rsplit("/", 1)[-1]
        params: dict[str, Any] = dict(request_data.parameters) if request_data is not None else {}
        files = dict(request_data.multipart_data) if request_data is not None else {}
        if request_data is not None and request_data.contains_files:
            # An uploaded file (a photo): its bytes, under the part's name.
            for name, part in request_data.multipart_data.items():
                content = part[1]
                params["file:" + name] = content if isinstance(content, bytes) else content.read()
        return self.respond(api_method, params, files)

    def respond(
        self, api_method: str, params: dict[str, Any], files: dict[str, Any] | None = None
    ) -> tuple[int, bytes]:
        """(HTTP status, JSON body) of Telegram's answer to ``api_method`` called with
        ``params`` (and uploaded ``files``): what ``do_request`` returns, and what
        ``serve_http`` sends over HTTP."""
        call = Call(api_method, params, files=files or {})
        if self.record:
            self.calls.append(call)
        failure = self.fail_next.pop(api_method, None)
        if failure is not None:
            return failure[0], _error(failure[0], failure[1])
        chat_id = params.get("chat_id")
        if chat_id is not None and int(chat_id) in self.blocked_chats:
            return 403, _error(403, "Forbidden: bot was blocked by the user")
        call.result = self._result(api_method, params)
        return 200, json.dumps({"ok": True, "result": call.result}).encode()

    def _result(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return BOT_USER
        if method == "getUpdates":
            return []
        if method == "sendInvoice":
            return self._invoice(params)
        if method in {
            "sendMessage",
            "sendPhoto",
            "sendDocument",
            "editMessageText",
            "editMessageReplyMarkup",
            "editMessageCaption",
        }:
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
            if method == "sendPhoto":  # a photo's message has a caption, not a text
                del message["text"]
                message["caption"] = params.get("caption", "")
                message["photo"] = [
                    {"file_id": "p1", "file_unique_id": "u1", "width": 8, "height": 8}
                ]
            markup = params.get("reply_markup")
            if isinstance(markup, str):
                markup = json.loads(markup)
            # A message carries only inline keyboards; ForceReply and reply keyboards are not
            # echoed back by Telegram.
            if markup and "inline_keyboard" in markup:
                message["reply_markup"] = markup
            return message
        return True

    def _invoice(self, params: dict[str, Any]) -> dict[str, Any]:
        prices = params.get("prices") or []
        if isinstance(prices, str):
            prices = json.loads(prices)
        chat_id = int(params["chat_id"])
        return {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private"},
            "from": BOT_USER,
            "invoice": {
                "title": params.get("title", ""),
                "description": params.get("description", ""),
                "start_parameter": "",
                "currency": params.get("currency", ""),
                "total_amount": sum(int(p["amount"]) for p in prices),
            },
        }

    # --- what the tests read ----------------------------------------------------------

    def sent(self, method: str | None = None, chat_id: int | None = None) -> list[Call]:
        return [
            c
            for c in self.calls
            if (method is None or c.method == method) and (chat_id is None or c.chat_id == chat_id)
        ]

    def messages_to(self, chat_id: int) -> list[Call]:
        """Every message sent to or edited in ``chat_id``, in order."""
        return [
            c
            for c in self.calls
            if c.method in {"sendMessage", "editMessageText"} and c.chat_id == chat_id
        ]

    def last_to(self, chat_id: int) -> Call:
        messages = self.messages_to(chat_id)
        if not messages:
            raise AssertionError(f"nothing was sent to chat {chat_id}; calls: {self.calls}")
        return messages[-1]

    def answers(self) -> list[Call]:
        return self.sent("answerCallbackQuery")

    def inline_edits(self, inline_message_id: str) -> list[Call]:
        """Every edit of a message posted by inline mode (the bot is not in its chat)."""
        return [
            c
            for c in self.calls
            if c.method in {"editMessageText", "editMessageReplyMarkup"}
            and c.params.get("inline_message_id") == inline_message_id
        ]

    def clear(self) -> None:
        self.calls.clear()


class _Endpoint(RequestHandler):
    """POST (or GET) /bot<token>/<method>: the fake's answer, 401 for any other token."""

    SUPPORTED_METHODS = ("GET", "POST")

    def initialize(self, fake: RecordingRequest, token: str) -> None:
        self.fake, self.token = fake, token

    def get(self, token: str, method: str) -> None:
        self.post(token, method)

    def post(self, token: str, method: str) -> None:
        if token != self.token:
            status, body = 401, _error(401, "Unauthorized")
        else:
            params = {k: v[-1].decode() for k, v in self.request.query_arguments.items()}
            kind = self.request.headers.get("Content-Type", "")
            if kind.startswith("application/json"):
                params.update(json.loads(self.request.body or b"{}"))
            elif kind.startswith("application/x-www-form-urlencoded"):
                params.update(parse_qsl(self.request.body.decode()))
            status, body = self.fake.respond(method, params)
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(body)


def serve_http(fake: RecordingRequest, token: str) -> tuple[HTTPServer, str]:
    """Serve ``fake`` over real HTTP on 127.0.0.1 (a free port) in the running event loop,
    for programs that talk to Telegram themselves (``TELEGRAM_BASE_URL``): the server and
    that base URL. PTB sends parameters form-encoded, each non-string value as JSON."""
    routes = [(r"/bot([^/]+)/(\w+)", _Endpoint, {"fake": fake, "token": token})]
    server = HTTPServer(WebApplication(routes, log_function=lambda handler: None))
    (sock,) = bind_sockets(0, "127.0.0.1")
    server.add_sockets([sock])
    return server, f"http://127.0.0.1:{sock.getsockname()[1]}/bot"


def _error(code: int, description: str) -> bytes:
    return json.dumps({"ok": False, "error_code": code, "description": description}).encode()


class Telegram:
    """Builds the Update JSON Telegram would deliver. Each update gets a fresh update_id."""

    def __init__(self) -> None:
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1)
        self._callback_ids = itertools.count(1)

    @staticmethod
    def user(
        user_id: int,
        username: str | None = None,
        first_name: str = "",
        *,
        language_code: str | None = "en",
        is_bot: bool = False,
        last_name: str | None = None,
    ) -> dict[str, Any]:
        user: dict[str, Any] = {
            "id": user_id,
            "is_bot": is_bot,
            "first_name": first_name or (username or f"user{user_id}").capitalize(),
        }
        if username:
            user["username"] = username
        if language_code:
            user["language_code"] = language_code
        if last_name:
            user["last_name"] = last_name
        return user

    def message(
        self,
        sender: dict[str, Any],
        text: str,
        *,
        chat: dict[str, Any] | None = None,
        reply_to: dict[str, Any] | None = None,
        entities: list[dict[str, Any]] | None = None,
        update_id: int | None = None,
    ) -> dict[str, Any]:
        """An Update carrying a message; private chat with ``sender`` unless ``chat`` given."""
        chat = chat or {
            "id": sender["id"],
            "type": "private",
            "first_name": sender["first_name"],
        }
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": chat,
            "from": sender,
            "text": text,
        }
        found = list(entities or [])
        if text.startswith("/"):
            command = text.split()[0]
            found.insert(0, {"type": "bot_command", "offset": 0, "length": len(_utf16(command))})
        if found:
            message["entities"] = found
        if reply_to is not None:
            message["reply_to_message"] = reply_to
        return {"update_id": update_id or next(self._update_ids), "message": message}

    @staticmethod
    def group(chat_id: int = -100_123, title: str = "Friends") -> dict[str, Any]:
        return {"id": chat_id, "type": "supergroup", "title": title}

    @staticmethod
    def mention(text: str, name: str, user: dict[str, Any]) -> dict[str, Any]:
        """A text_mention entity for ``name`` inside ``text`` (a user without a username)."""
        before = text.index(name)
        return {
            "type": "text_mention",
            "offset": len(_utf16(text[:before])),
            "length": len(_utf16(name)),
            "user": user,
        }

    def callback(
        self,
        presser: dict[str, Any],
        data: str,
        message: dict[str, Any] | Call,
        *,
        update_id: int | None = None,
        query_id: str | None = None,
    ) -> dict[str, Any]:
        """An Update for a press on an inline button of ``message`` (a message dict or the
        recorded Call that sent it)."""
        if isinstance(message, Call):
            if not isinstance(message.result, dict):
                raise ValueError(f"{message.method} returned no message to press on")
            message = message.result
        return {
            "update_id": update_id or next(self._update_ids),
            "callback_query": {
                "id": query_id or str(next(self._callback_ids)),
                "from": presser,
                "chat_instance": "ci",
                "data": data,
                "message": message,
            },
        }

    def pre_checkout_query(
        self,
        payer: dict[str, Any],
        payload: str,
        total_amount: int,
        currency: str = "USD",
        *,
        query_id: str | None = None,
    ) -> dict[str, Any]:
        """An Update for Telegram asking whether the payer may pay the invoice ``payload``."""
        return {
            "update_id": next(self._update_ids),
            "pre_checkout_query": {
                "id": query_id or f"pcq{next(self._callback_ids)}",
                "from": payer,
                "currency": currency,
                "total_amount": total_amount,
                "invoice_payload": payload,
            },
        }

    def successful_payment(
        self,
        payer: dict[str, Any],
        payload: str,
        total_amount: int,
        charge_id: str,
        currency: str = "USD",
        *,
        provider_charge_id: str = "provider-charge",
    ) -> dict[str, Any]:
        """An Update carrying the service message of a payment Telegram took."""
        return {
            "update_id": next(self._update_ids),
            "message": {
                "message_id": next(self._message_ids),
                "date": int(time.time()),
                "chat": {"id": payer["id"], "type": "private", "first_name": payer["first_name"]},
                "from": payer,
                "successful_payment": {
                    "currency": currency,
                    "total_amount": total_amount,
                    "invoice_payload": payload,
                    "telegram_payment_charge_id": charge_id,
                    "provider_payment_charge_id": provider_charge_id,
                },
            },
        }

    def inline_query(
        self, sender: dict[str, Any], query: str, *, chat_type: str = "sender"
    ) -> dict[str, Any]:
        """An Update for ``sender`` typing "@bot <query>" in a chat of ``chat_type``."""
        return {
            "update_id": next(self._update_ids),
            "inline_query": {
                "id": str(next(self._callback_ids)),
                "from": sender,
                "query": query,
                "offset": "",
                "chat_type": chat_type,
            },
        }

    def chosen_inline_result(
        self,
        sender: dict[str, Any],
        result_id: str,
        query: str,
        inline_message_id: str | None = None,
        *,
        update_id: int | None = None,
    ) -> dict[str, Any]:
        """An Update reporting the result ``sender`` chose (needs inline feedback on in
        @BotFather); ``inline_message_id`` is there when the result has a keyboard."""
        chosen: dict[str, Any] = {"result_id": result_id, "from": sender, "query": query}
        if inline_message_id is not None:
            chosen["inline_message_id"] = inline_message_id
        return {"update_id": update_id or next(self._update_ids), "chosen_inline_result": chosen}

    def inline_callback(
        self,
        presser: dict[str, Any],
        data: str,
        inline_message_id: str,
        *,
        update_id: int | None = None,
        query_id: str | None = None,
    ) -> dict[str, Any]:
        """A press on a button of a message sent in inline mode: it carries the
        ``inline_message_id`` and no ``message``."""
        return {
            "update_id": update_id or next(self._update_ids),
            "callback_query": {
                "id": query_id or str(next(self._callback_ids)),
                "from": presser,
                "chat_instance": "ci-inline",
                "data": data,
                "inline_message_id": inline_message_id,
            },
        }


def _utf16(text: str) -> str:
    """``text`` padded so that len() counts UTF-16 code units, as Telegram's offsets do."""
    return "x" * (len(text.encode("utf-16-le")) // 2)
