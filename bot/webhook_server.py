"""The webhook's HTTP server, made to survive slow and numerous clients.

Tornado's defaults give a client an hour to send its headers and forever to send its body,
and accept connections until the process runs out of file descriptors; then ``accept()``
fails on a socket that stays readable, so the event loop retries at once, forever, logging a
traceback each time. Here:

- a request's headers must arrive within ``HEADER_TIMEOUT_SECONDS`` (also the longest a
  kept-alive connection may sit idle) and its body within ``BODY_TIMEOUT_SECONDS``;
- at most ``connection_limit()`` connections are open at once, well under the process's
  file descriptor limit. A connection beyond it first makes room by closing the connection
  that has waited longest for a request's headers (a slow client, or an idle kept-alive one:
  neither has anything in progress); when every open connection is busy with a request, the
  newcomer is closed unanswered;
- if descriptors run out anyway (the database or the Bot API holding more than expected),
  a spare descriptor kept for the purpose is freed to accept the waiting connection and
  close it, so the listening socket stops being readable instead of spinning.

Every refusal is logged through ``Throttled``: a flood costs a few lines, not one each.
"""

from __future__ import annotations

import errno
import logging
import os
import resource
import socket
import time
from collections.abc import Awaitable, Iterable
from typing import Any, cast

from tornado import httputil
from tornado.http1connection import HTTP1ServerConnection
from tornado.httpserver import HTTPServer
from tornado.iostream import IOStream

from bot.logs import Throttled

log = logging.getLogger(__name__)

HEADER_TIMEOUT_SECONDS = 10.0
BODY_TIMEOUT_SECONDS = 20.0
# Telegram opens at most 100 connections to a webhook (setWebhook's max_connections, 40 by
# default); the rest of the room is for /healthz and for clients being shed.
MAX_CONNECTIONS = 1000
# Descriptors left to everything else the process opens: the database's connections (20 in
# PostgreSQL's pool), the Bot API's, the log, the event loop's own, the listening socket.
RESERVED_DESCRIPTORS = 64
MIN_CONNECTIONS = 16
OUT_OF_DESCRIPTORS = (errno.EMFILE, errno.ENFILE)


def connection_limit() -> int:
    """How many connections this process may hold open, from its file descriptor limit."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return MAX_CONNECTIONS
    return max(MIN_CONNECTIONS, min(MAX_CONNECTIONS, soft - RESERVED_DESCRIPTORS))


class SpareDescriptor:
    """One descriptor held in reserve, given up for a moment to shed a connection when the
    process has no other left to accept it with."""

    def __init__(self, refusals: Throttled) -> None:
        self._refusals = refusals
        self._fd: int | None = None
        self._take()

    def _take(self) -> None:
        try:
            self._fd = os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC)
        except OSError:
            self._fd = None  # tried again at the next shed

    def shed(self, listening: socket.socket) -> None:
        """Accept the connection waiting on ``listening`` and close it at once."""
        if self._fd is None:
            self._take()
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        try:
            connection, address = listening.accept()
        except OSError:
            address = None
        else:
            connection.close()
        finally:
            self._take()
        self._refusals.log(
            logging.ERROR,
            "descriptors",
            "out of file descriptors: closed a connection from %s unanswered",
            address[0] if isinstance(address, tuple) else "?",
        )

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


class SheddingListener:
    """A listening socket as tornado's accept loop sees it (it uses only ``fileno``,
    ``accept`` and ``close``), whose ``accept()`` sheds the waiting connection when the
    process is out of descriptors and then reports that nothing is left to accept."""

    def __init__(self, listening: socket.socket, spare: SpareDescriptor) -> None:
        self.socket = listening
        self.spare = spare

    def fileno(self) -> int:
        return self.socket.fileno()

    def close(self) -> None:
        self.socket.close()

    def accept(self) -> tuple[socket.socket, Any]:
        try:
            return self.socket.accept()
        except OSError as error:
            if error.errno not in OUT_OF_DESCRIPTORS:
                raise
        self.spare.shed(self.socket)
        raise BlockingIOError(errno.EAGAIN, "shed a connection; out of file descriptors")


class _HeadersArrived(httputil.HTTPMessageDelegate):
    """Passes a request through, telling the server when its headers have arrived."""

    def __init__(
        self,
        delegate: httputil.HTTPMessageDelegate,
        server: WebhookServer,
        connection: HTTP1ServerConnection,
    ) -> None:
        self._delegate = delegate
        self._server = server
        self._connection = connection

    def headers_received(
        self,
        start_line: httputil.RequestStartLine | httputil.ResponseStartLine,
        headers: httputil.HTTPHeaders,
    ) -> Awaitable[None] | None:
        self._server.waiting.pop(self._connection, None)
        return self._delegate.headers_received(start_line, headers)

    def data_received(self, chunk: bytes) -> Awaitable[None] | None:
        return self._delegate.data_received(chunk)

    def finish(self) -> None:
        self._delegate.finish()

    def on_connection_close(self) -> None:
        self._delegate.on_connection_close()


class WebhookServer(HTTPServer):
    """An HTTPServer with header and body timeouts and a cap on open connections."""

    def initialize(  # type: ignore[override]  # tornado builds its servers in initialize()
        self,
        application: httputil.HTTPServerConnectionDelegate,
        *,
        max_body_size: int,
        limit: int,
        refusals: Throttled,
    ) -> None:
        super().initialize(
            application,
            idle_connection_timeout=HEADER_TIMEOUT_SECONDS,
            body_timeout=BODY_TIMEOUT_SECONDS,
            max_body_size=max_body_size,
        )
        self.limit = limit
        self.refusals = refusals
        self.open = 0
        # Connections waiting for a request's headers, by when they began to wait, oldest
        # first (dicts keep insertion order).
        self.waiting: dict[HTTP1ServerConnection, float] = {}
        self.spare = SpareDescriptor(refusals)

    def add_sockets(self, sockets: Iterable[socket.socket]) -> None:
        listeners = [SheddingListener(sock, self.spare) for sock in sockets]
        super().add_sockets(cast(list[socket.socket], listeners))

    def handle_stream(self, stream: IOStream, address: tuple[Any, ...]) -> None:
        if self.open >= self.limit and not self._close_longest_waiting():
            self.refusals.log(
                logging.WARNING,
                "connections",
                "refused a connection from %s: %d connections open, all busy (the limit)",
                address[0] if address else "?",
                self.open,
            )
            stream.close()
            return
        self.open += 1
        super().handle_stream(stream, address)

    def _close_longest_waiting(self) -> bool:
        """Close the connection that has waited longest for headers; False if none waits."""
        if not self.waiting:
            return False
        connection = next(iter(self.waiting))
        waited = time.monotonic() - self.waiting.pop(connection)
        # Its descriptor is freed now; on_close counts it out once tornado has noticed.
        connection.stream.close()
        self.refusals.log(
            logging.WARNING,
            "connections",
            "closed a connection that sent no request for %.1f s to make room: "
            "%d connections open (the limit)",
            waited,
            self.open,
        )
        return True

    def start_request(
        self, server_conn: object, request_conn: httputil.HTTPConnection
    ) -> httputil.HTTPMessageDelegate:
        assert isinstance(server_conn, HTTP1ServerConnection)
        self.waiting.pop(server_conn, None)
        self.waiting[server_conn] = time.monotonic()
        delegate = super().start_request(server_conn, request_conn)
        return _HeadersArrived(delegate, self, server_conn)

    def on_close(self, server_conn: object) -> None:
        self.open -= 1
        self.waiting.pop(server_conn, None)  # type: ignore[call-overload]
        super().on_close(server_conn)

    def stop(self) -> None:
        super().stop()
        self.spare.close()
        self.refusals.flush()
