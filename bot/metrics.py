"""What the bot counts for Prometheus (``GET /metrics``, see README "Metrics").

    xmoney_updates_total{type}             updates handled, by type (message, callback_query...)
    xmoney_update_seconds                  time spent handling one update (histogram)
    xmoney_payments_total{source,outcome}  payments confirmed (chat, page): paid, refused...
    xmoney_outbox_backlog                  messages owed to people and not delivered yet
    xmoney_database_errors_total           failures because the database did not answer

The metrics live in their own registry, so a test (or a second Application in one process)
reads only the bot's, and nothing from the client library's process collectors leaks.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from telegram import Update

from bot.flood import PerUserOrder

REGISTRY = CollectorRegistry(auto_describe=True)

UPDATES = Counter("xmoney_updates", "Updates handled, by type.", ["type"], registry=REGISTRY)
UPDATE_SECONDS = Histogram(
    "xmoney_update_seconds",
    "Time spent handling one update, handlers and replies included.",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    registry=REGISTRY,
)
PAYMENTS = Counter(
    "xmoney_payments",
    "Payments confirmed, by where (chat: a card's Confirm; page) and outcome.",
    ["source", "outcome"],
    registry=REGISTRY,
)
OUTBOX_BACKLOG = Gauge(
    "xmoney_outbox_backlog",
    "Messages owed to people (receipts, notices) not delivered yet, read at each scrape.",
    registry=REGISTRY,
)
DATABASE_ERRORS = Counter(
    "xmoney_database_errors",
    "Requests and updates that failed because the database did not answer.",
    registry=REGISTRY,
)
CONTENT_TYPE = CONTENT_TYPE_LATEST


def update_type(update: object) -> str:
    """The kind of an update: the name of its one set field (``message``, ``callback_query``)."""
    if isinstance(update, Update):
        for name in Update.ALL_TYPES:
            if getattr(update, name, None) is not None:
                return name
        return "other"
    return type(update).__name__


class MeasuredUpdates(PerUserOrder):
    """The bot's update processor (``bot.flood.PerUserOrder``: concurrent, each user's in
    order), counting each update by type and timing its handling: the time its handlers ran,
    not the time it waited its turn."""

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        await super().do_process_update(update, _measured(update, coroutine))


async def _measured(update: object, coroutine: Awaitable[Any]) -> None:
    started = time.perf_counter()
    try:
        await coroutine
    finally:
        UPDATE_SECONDS.observe(time.perf_counter() - started)
        UPDATES.labels(update_type(update)).inc()


def outcome(confirmed: Any) -> str:
    """The outcome label of a ``ledger.payments.Confirmed``: paid by this call, the same call
    again (``replayed``), or paid by another press before (``already``)."""
    if confirmed.already:
        return "already"
    return "replayed" if confirmed.replayed else "paid"


def exposition() -> bytes:
    return generate_latest(REGISTRY)
