"""Webhook mode: a small tornado server that receives Telegram's updates.

Telegram POSTs each update to ``WEBHOOK_URL`` with the header
``X-Telegram-Bot-Api-Secret-Token`` set to the secret given in ``setWebhook``. A request
without the right secret is refused (403) as soon as its headers are in, before its body is
read. Slow and numerous clients are ``bot.webhook_server``'s business. An accepted
update is put on the Application's update queue and answered 200 at once: handlers run
outside the HTTP request, so a slow database never makes Telegram time out and redeliver.

``GET /healthz`` asks the ledger's database for ``SELECT 1``: 200 ``ok`` or 503.

SIGTERM and SIGINT stop the server first (nothing new is accepted), then the Application
(which finishes the updates already queued), then shut everything down.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import signal
from typing import Any
from urllib.parse import urlsplit

from telegram import Update
from telegram.ext import Application
from tornado.httputil import responses
from tornado.web import Application as WebApplication
from tornado.web import RequestHandler, stream_request_body

from bot.common import BotApplication
from bot.logs import Throttled
from bot.settings import Settings
from bot.webhook_server import WebhookServer, connection_limit

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
HEALTH_PATH = "/healthz"
# Telegram's updates are a few kilobytes; anything near this is not an update.
MAX_BODY_BYTES = 1024 * 1024
HEALTH_TIMEOUT_SECONDS = 5.0


class StartupError(Exception):
    """The server could not start; the message is one line for the operator."""


def webhook_path(url: str) -> str:
    """The path Telegram will POST to: the path of ``WEBHOOK_URL`` ("/" when it has none)."""
    return urlsplit(url).path or "/"


@stream_request_body
class UpdateReceiver(RequestHandler):
    """POST <webhook path>: checks the secret, queues the update, answers 200.

    The secret is checked as soon as the headers have arrived (``prepare``), before any of
    the body is read: a client without it is answered 403 and disconnected, however slowly
    it meant to send the rest."""

    SUPPORTED_METHODS = ("POST",)

    def initialize(self, bot_app: Application, secret: bytes) -> None:
        self.bot_app = bot_app
        self.secret = secret
        self.body = bytearray()
        self.refusal = ""  # why the request was refused, for the access log

    def prepare(self) -> None:
        given = self.request.headers.get(SECRET_HEADER, "").encode("utf-8", "replace")
        if not hmac.compare_digest(given, self.secret):
            self.refuse(403, "missing or wrong secret header")

    def data_received(self, chunk: bytes) -> None:
        self.body += chunk  # at most MAX_BODY_BYTES: the server refuses longer bodies

    async def post(self) -> None:
        update = self._parse(bytes(self.body))
        if update is None:
            return
        await self.bot_app.update_queue.put(update)
        log.debug("queued update %s", update.update_id)
        self.set_status(200)
        await self.finish()

    def refuse(self, status: int, why: str) -> None:
        self.refusal = why
        self.send_error(status)

    def _parse(self, body: bytes) -> Update | None:
        """The update in ``body``, or None once the request has been refused."""
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            self.refuse(400, "the body is not JSON")
            return None
        except RecursionError:  # the parser gives up on deep nesting; no update is deep
            self.refuse(400, "the body nests too deeply to be an update")
            return None
        if not isinstance(data, dict):
            self.refuse(400, "the body is not a JSON object")
            return None
        try:
            return Update.de_json(data, self.bot_app.bot)
        except Exception as error:  # whatever de_json trips on, the body was not an Update
            self.refuse(400, f"the body is not an Update ({str(error)[:200]})")
            return None


class Health(RequestHandler):
    """GET /healthz: 200 "ok" when the ledger's database answers, else 503."""

    SUPPORTED_METHODS = ("GET",)

    def initialize(self, bot_app: BotApplication) -> None:
        self.bot_app = bot_app

    async def get(self) -> None:
        healthy = False
        ledger = self.bot_app.bot_data.get("ledger")
        if ledger is not None:
            try:
                healthy = await asyncio.wait_for(ledger.db.ping(), HEALTH_TIMEOUT_SECONDS)
            except TimeoutError:
                log.warning("health check: the database did not answer in time")
        self.set_status(200 if healthy else 503)
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        await self.finish("ok" if healthy else "database unavailable")


class AccessLog:
    """The server's log of requests. Successful health checks (every few seconds from Docker)
    only at DEBUG; refusals, which anyone can cause by the thousand, throttled per status."""

    def __init__(self, refusals: Throttled) -> None:
        self.refusals = refusals

    def __call__(self, handler: RequestHandler) -> None:
        status = handler.get_status()
        request = handler.request
        elapsed_ms = 1000 * request.request_time()
        if status < 400:
            level = logging.DEBUG if request.path == HEALTH_PATH else logging.INFO
            args = (status, request.method, request.path, request.remote_ip, elapsed_ms)
            log.log(level, "%d %s %s (%s) %.1f ms", *args)
            return
        why = getattr(handler, "refusal", "") or responses.get(status, "")
        self.refusals.log(
            logging.WARNING if status < 500 else logging.ERROR,
            str(status),
            "%d %s %s (%s) %.1f ms: %s",
            status,
            request.method,
            request.path[:100],
            request.remote_ip,
            elapsed_ms,
            why,
        )


def make_server(application: Application, settings: Settings) -> WebhookServer:
    """The HTTP server for ``settings`` (not listening yet): the webhook in webhook mode, and
    with ``WEBAPP_URL`` set every other path handed to the wallet's ASGI app."""
    routes: list[Any] = [(HEALTH_PATH, Health, {"bot_app": application})]
    if settings.mode == "webhook":
        assert settings.webhook_url is not None and settings.webhook_secret is not None
        secret = settings.webhook_secret.get_secret_value().encode()
        routes.append(
            (
                webhook_path(settings.webhook_url),
                UpdateReceiver,
                {"bot_app": application, "secret": secret},
            )
        )
    if settings.webapp_url is not None:
        from bot.webapp.app import make_app
        from bot.webapp.tornado_asgi import AsgiHandler

        routes.append((r"/.*", AsgiHandler, {"app": make_app(application)}))
    refusals = Throttled(log)
    web = WebApplication(routes, log_function=AccessLog(refusals))
    return WebhookServer(
        web, max_body_size=MAX_BODY_BYTES, limit=connection_limit(), refusals=refusals
    )


async def serve(application: Application, settings: Settings) -> None:
    """Run the bot with its HTTP server until SIGTERM or SIGINT: behind the webhook, or
    polling with the server up for the wallet page (``WEBAPP_URL``)."""
    polling = settings.mode != "webhook"
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    server = make_server(application, settings)
    try:
        await application.initialize()
        if application.post_init:
            await application.post_init(application)
        await application.start()
        try:
            try:
                server.listen(settings.port, address=settings.listen)
            except OSError as error:
                raise StartupError(
                    f"cannot listen on {settings.listen}:{settings.port} ({error.strerror})"
                ) from None
            if polling:
                log.info("listening on %s:%d for the wallet page", settings.listen, settings.port)
                assert application.updater is not None
                await application.updater.start_polling(allowed_updates=Update.ALL_TYPES)
                log.info("polling for updates")
            else:
                assert settings.webhook_url is not None and settings.webhook_secret is not None
                log.info(
                    "listening on %s:%d, webhook path %s",
                    settings.listen,
                    settings.port,
                    webhook_path(settings.webhook_url),
                )
                await application.bot.set_webhook(
                    url=settings.webhook_url,
                    secret_token=settings.webhook_secret.get_secret_value(),
                    allowed_updates=Update.ALL_TYPES,
                )
                log.info("webhook set; waiting for updates")
            await stop.wait()
            log.info("stop signal received; shutting down")
        finally:
            server.stop()
            await server.close_all_connections()
            if application.updater is not None and application.updater.running:
                await application.updater.stop()
            await application.stop()
            if application.post_stop:
                await application.post_stop(application)
    finally:
        await application.shutdown()
        if application.post_shutdown:
            await application.post_shutdown(application)
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)


def run_webhook(application: Application, settings: Settings) -> None:
    """Blocking entry point used by ``python -m bot`` in webhook mode."""
    asyncio.run(serve(application, settings))
