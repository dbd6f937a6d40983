"""Runs the ASGI app (``bot.webapp.app``) behind the webhook's hardened tornado server.

The issue asked for uvicorn; the webhook server's guarantees (a request's headers within
10 s and its body within 20 s, a cap on connections under the descriptor limit that sheds the
longest-idle one first, a spare descriptor to shed with when the process runs out, throttled
refusal logs) are built into ``bot.webhook_server`` on tornado, and uvicorn has no header or
body timeout and no such shedding. So one server keeps them for every path, and this handler
hands each request that is not an update to the ASGI app: read whole (bounded by the
server's body limit and timeout), then answered with whatever the app sends.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import unquote

from starlette.types import ASGIApp, Message
from tornado.web import RequestHandler

# Set by tornado itself from the body written; the app's own would be a second copy.
_SKIPPED = {b"content-length", b"transfer-encoding", b"connection"}


class AsgiHandler(RequestHandler):
    SUPPORTED_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")

    def initialize(self, app: ASGIApp) -> None:
        self.app = app
        self.refusal = ""
        self.gone = asyncio.Event()  # the client left, or the app has answered

    def on_connection_close(self) -> None:
        self.gone.set()

    def check_xsrf_cookie(self) -> None:  # no cookies at all: nothing to check
        return None

    async def _serve(self, *_: Any) -> None:
        request = self.request
        scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": request.version.removeprefix("HTTP/") or "1.1",
            "method": request.method,
            "scheme": request.protocol,
            "path": unquote(request.path),
            "raw_path": request.path.encode("latin-1", "replace"),
            "query_string": request.query.encode("latin-1", "replace"),
            "root_path": "",
            "headers": [
                (name.lower().encode("latin-1"), value.encode("latin-1", "replace"))
                for name, value in request.headers.get_all()
            ],
            "client": (request.remote_ip, 0),
            "server": None,
        }
        body_sent = False
        start: Message | None = None
        chunks: list[bytes] = []

        async def receive() -> Message:
            nonlocal body_sent
            if not body_sent:
                body_sent = True
                return {"type": "http.request", "body": request.body or b"", "more_body": False}
            # Asked again only by an app listening for the client to leave (a streamed
            # file, for one): it has not, until the connection closes.
            await self.gone.wait()
            return {"type": "http.disconnect"}

        async def send(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        try:
            await self.app(scope, receive, send)
        finally:
            self.gone.set()
        if start is None:
            self.send_error(500)
            return
        self.set_status(start["status"])
        self.clear_header("Content-Type")
        for name, value in start.get("headers", []):
            if name.lower() not in _SKIPPED:
                self.add_header(name.decode("latin-1"), value.decode("latin-1"))
        body = b"".join(chunks)
        if request.method == "HEAD":
            self.set_header("Content-Length", str(len(body)))
        else:
            self.write(body)
        await self.finish()

    get = head = post = put = patch = delete = options = _serve
