"""Concurrency without one user slowing another: the order updates run in, and messages sent
at a chat's pace without any handler waiting for Telegram's flood limits.

``PerUserOrder`` runs up to ``limit`` updates at once; the updates of one user (of one chat
when there is no user) run one at a time in arrival order, so a flow that needs order (the
guided conversation, a /send and its Confirm) keeps it, and a flood from one person queues
behind that person only, without holding any of the slots others use.

``Outgoing`` holds messages that need no answer (a group's /help, "slow down") in a queue
per chat, sent by one task per chat at that chat's pace (Telegram allows a group about 20
messages a minute): the handler returns at once. A chat's queue is bounded, and a chat with
nothing queued costs nothing, so memory stays flat. Telegram's "retry after" is waited for
by that task, never by a handler.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any

from telegram import Bot, Update
from telegram.error import RetryAfter, TelegramError
from telegram.ext import BaseUpdateProcessor

log = logging.getLogger(__name__)

GROUP_BURST = 20  # messages a group may get at once ...
GROUP_PER_SECOND = 20 / 60  # ... and after that, Telegram's pace for a group
QUEUE_MAX = 20  # messages waiting for one chat; more are dropped (and logged)
RETRIES = 3


class PerUserOrder(BaseUpdateProcessor):
    """Concurrent updates, one at a time per user (or chat), in arrival order."""

    def __init__(self, limit: int) -> None:
        # The base's own semaphore would be taken before an update waits for its user's
        # turn, so one person's flood could fill every slot: it is left unbounded and the
        # limit is taken here, after the turn.
        super().__init__(max_concurrent_updates=2**30)
        self.limit = limit
        self._slots = asyncio.BoundedSemaphore(limit)
        self._turns: dict[int, tuple[asyncio.Lock, list[int]]] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = _key(update)
        if key is None:
            async with self._slots:
                await coroutine
            return
        lock, waiting = self._turns.setdefault(key, (asyncio.Lock(), [0]))
        waiting[0] += 1
        try:
            async with lock, self._slots:
                await coroutine
        finally:
            waiting[0] -= 1
            if waiting[0] == 0:
                del self._turns[key]  # nobody of this user left: nothing is kept

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None


def _key(update: object) -> int | None:
    if not isinstance(update, Update):
        return None
    if update.effective_user is not None:
        return update.effective_user.id
    return update.effective_chat.id if update.effective_chat is not None else None


@dataclass
class _Chat:
    queue: deque[dict[str, Any]] = field(default_factory=deque)
    tokens: float = GROUP_BURST
    at: float = field(default_factory=time.monotonic)


class Outgoing:
    """Messages sent at each chat's pace by a task per chat; ``post`` never waits."""

    def __init__(self) -> None:
        self._chats: dict[int, _Chat] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def post(self, bot: Bot, params: dict[str, Any]) -> None:
        chat_id = int(params["chat_id"])
        chat = self._chats.get(chat_id)
        if chat is None:
            chat = self._chats[chat_id] = _Chat()
            task = asyncio.get_running_loop().create_task(self._serve(bot, chat_id, chat))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        if len(chat.queue) >= QUEUE_MAX:
            log.warning("chat %s: %d messages waiting already; one dropped", chat_id, QUEUE_MAX)
            return
        chat.queue.append(params)

    async def drain(self) -> None:
        """Wait until everything posted so far was sent (tests, shutdown)."""
        while self._tasks:
            await asyncio.wait(list(self._tasks))

    async def _serve(self, bot: Bot, chat_id: int, chat: _Chat) -> None:
        from bot.common import call_api

        try:
            while chat.queue:
                if chat_id < 0:  # a group: Telegram's pace
                    await self._turn(chat)
                params = chat.queue.popleft()
                for attempt in range(RETRIES):
                    try:
                        await call_api(bot, "sendMessage", dict(params))
                        break
                    except RetryAfter as error:
                        if attempt == RETRIES - 1:
                            log.warning("chat %s: a message dropped after flood waits", chat_id)
                            break
                        delay = error.retry_after
                        seconds = delay if isinstance(delay, int | float) else delay.seconds
                        await asyncio.sleep(seconds)
                    except TelegramError as error:
                        log.warning("chat %s: a message not sent: %s", chat_id, error.message)
                        break
        finally:
            del self._chats[chat_id]

    @staticmethod
    async def _turn(chat: _Chat) -> None:
        """A token bucket: GROUP_BURST at once, then GROUP_PER_SECOND."""
        now = time.monotonic()
        chat.tokens = min(GROUP_BURST, chat.tokens + (now - chat.at) * GROUP_PER_SECOND)
        chat.at = now
        if chat.tokens < 1:
            await asyncio.sleep((1 - chat.tokens) / GROUP_PER_SECOND)
            chat.tokens, chat.at = 1.0, time.monotonic()
        chat.tokens -= 1
