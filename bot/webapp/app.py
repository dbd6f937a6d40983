"""One ASGI app (Starlette) for everything the bot serves over HTTP besides Telegram's
webhook: the wallet page at ``WEBAPP_URL``'s path, its static files, its API (``/api/``),
``/healthz`` and ``/metrics``. The webhook server (``bot.webhook``) routes every request that
is not an update to it."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from telegram.ext import Application

from bot import metrics
from bot.webapp import api, page
from ledger.errors import DatabaseUnavailable
from ledger.observe import outbox_backlog

HEALTH_TIMEOUT_SECONDS = 5.0


def page_path(webapp_url: str | None) -> str:
    """Where the page is served: the path of ``WEBAPP_URL`` ("/" when it has none)."""
    return (urlsplit(webapp_url).path if webapp_url else "") or "/"


class SecurityHeaders:
    """Adds ``page.SECURITY_HEADERS`` to every answer, and never a CORS header."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                for name, value in page.SECURITY_HEADERS.items():
                    headers.append((name.lower().encode(), value.encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


def make_app(application: Application) -> Starlette:
    settings = application.bot_data["settings"]

    async def wallet_page(request: Request) -> Response:
        return HTMLResponse(page.html(), headers={"Cache-Control": "no-cache"})

    async def health(request: Request) -> Response:
        ledger = application.bot_data.get("ledger")
        healthy = False
        if ledger is not None:
            try:
                healthy = await asyncio.wait_for(ledger.db.ping(), HEALTH_TIMEOUT_SECONDS)
            except TimeoutError:
                healthy = False
        text = "ok" if healthy else "database unavailable"
        return PlainTextResponse(text, 200 if healthy else 503)

    async def metrics_page(request: Request) -> Response:
        ledger = application.bot_data.get("ledger")
        if ledger is not None:
            try:
                metrics.OUTBOX_BACKLOG.set(await outbox_backlog(ledger))
            except DatabaseUnavailable:  # the other figures still answer
                metrics.DATABASE_ERRORS.inc()
        return Response(metrics.exposition(), media_type=metrics.CONTENT_TYPE)

    routes = [
        Route(page_path(settings.webapp_url), wallet_page, methods=["GET"]),
        Mount("/static", StaticFiles(directory=page.STATIC), name="static"),
        *api.routes(application),
        Route("/healthz", health, methods=["GET"]),
        Route("/metrics", metrics_page, methods=["GET"]),
    ]
    app = Starlette(routes=routes)
    app.add_middleware(SecurityHeaders)
    return app
