"""Webhook mode: a small tornado server that receives Telegram's updates.

Telegram POSTs each update to ``WEBHOOK_URL`` with the header
``X-Telegram-Bot-Api-Secret-Token`` set to the secret given in ``setWebhook``. A request
without the right secret is refused (403) and nothing of it is read further. An accepted
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
from tornado.httpserver import HTTPServer
from tornado.web import Application as WebApplication
from tornado.web import RequestHandler

from bot.settings import Settings

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


class UpdateReceiver(RequestHandler):
    """POST <webhook path>: checks the secret, queues the update, answers 200."""

    SUPPORTED_METHODS = ("POST",)

    def initialize(self, bot_app: Application, secret: bytes) -> None:
        self.bot_app = bot_app
        self.secret = secret

    async def post(self) -> None:
        given = self.request.headers.get(SECRET_HEADER, "").encode("utf-8", "replace")
        if not hmac.compare_digest(given, self.secret):
            log.warning(
                "refused a webhook request from %s: missing or wrong secret header",
                self.request.remote_ip,
            )
            self.send_error(403)
            return
        update = self._parse()
        if update is None:
            self.send_error(400)
            return
        await self.bot_app.update_queue.put(update)
        log.debug("queued update %s", update.update_id)
        self.set_status(200)
        await self.finish()

    def _parse(self) -> Update | None:
        try:
            data = json.loads(self.request.body)
        except (ValueError, UnicodeDecodeError):
            log.warning("refused a webhook request: the body is not JSON")
            return None
        if not isinstance(data, dict):
            log.warning("refused a webhook request: the body is not a JSON object")
            return None
        try:
            return Update.de_json(data, self.bot_app.bot)
        except Exception as error:  # whatever de_json trips on, the body was not an Update
            log.warning("refused a webhook request: the body is not an Update (%s)", error)
            return None


class Health(RequestHandler):
    """GET /healthz: 200 "ok" when the ledger's database answers, else 503."""

    SUPPORTED_METHODS = ("GET",)

    def initialize(self, bot_app: Application) -> None:
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


def _log_request(handler: RequestHandler) -> None:
    """Access log; successful health checks (every few seconds from Docker) only at DEBUG."""
    status = handler.get_status()
    if status < 400:
        level = logging.DEBUG if handler.request.path == HEALTH_PATH else logging.INFO
    else:
        level = logging.WARNING if status < 500 else logging.ERROR
    log.log(
        level,
        "%d %s %s (%s) %.1f ms",
        status,
        handler.request.method,
        handler.request.path,
        handler.request.remote_ip,
        1000 * handler.request.request_time(),
    )


def make_server(application: Application, settings: Settings) -> HTTPServer:
    """The HTTP server for ``settings`` (not listening yet)."""
    assert settings.webhook_url is not None and settings.webhook_secret is not None
    secret = settings.webhook_secret.get_secret_value().encode()
    routes: list[Any] = [
        (HEALTH_PATH, Health, {"bot_app": application}),
        (
            webhook_path(settings.webhook_url),
            UpdateReceiver,
            {"bot_app": application, "secret": secret},
        ),
    ]
    web = WebApplication(routes, log_function=_log_request)
    return HTTPServer(web, max_body_size=MAX_BODY_BYTES)


async def serve(application: Application, settings: Settings) -> None:
    """Run the bot behind the webhook until SIGTERM or SIGINT."""
    assert settings.webhook_url is not None and settings.webhook_secret is not None
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
