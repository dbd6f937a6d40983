"""Logging for the program: one format, quiet HTTP libraries, and the bot token redacted.

httpx logs every request URL at INFO, and Bot API URLs contain the token, so its loggers
stay at WARNING. The redacting filter on the root handlers is the second line of defence:
whatever logger a record comes from (an exception text quoting a URL, a library's debug
line), the token and its URL-encoded form are replaced before anything is written.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import TracebackType
from typing import TextIO
from urllib.parse import quote

REDACTED = "<redacted>"
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# httpx/httpcore log request URLs (they hold the token); alembic narrates its plugins,
# aiosqlite every statement and apscheduler every run of every job (the sweeper, each card's
# expiry), which drowns the bot's own lines.
# tornado.general notes every malformed request and every body that timed out at INFO, one
# line per connection whoever opens it; the webhook logs its refusals itself, throttled.
QUIET_LOGGERS = ("httpx", "httpcore", "alembic", "aiosqlite", "apscheduler", "tornado.general")

log = logging.getLogger("bot")


class Redactor:
    """Replaces each secret, and each URL-encoded form of it, with ``<redacted>``."""

    def __init__(self, secrets: Iterable[str]) -> None:
        forms: set[str] = set()
        for secret in secrets:
            if secret:
                forms.update({secret, quote(secret, safe=""), quote(secret)})
        # Longest first, so a form that contains another is replaced whole.
        self._forms = sorted(forms, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for form in self._forms:
            if form in text:
                text = text.replace(form, REDACTED)
        return text


class RedactingFilter(logging.Filter):
    """Rewrites a record so that its message, arguments, exception text and stack carry no
    secret. The record is rendered once here; handlers then format the clean text."""

    def __init__(self, redact: Redactor) -> None:
        super().__init__()
        self._redact = redact
        self._formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not leak its arguments raw
            message = f"{record.msg!r} % {record.args!r}"
        record.msg = self._redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self._redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self._redact(record.stack_info)
        return True


@dataclass
class _Window:
    start: float
    skipped: int = 0
    last: tuple[int, str, tuple[object, ...]] | None = None
    flush: asyncio.TimerHandle | None = None


class Throttled:
    """A logger for events anyone can cause (refused requests, dropped connections): each
    kind is logged at once, then at most one line per ``interval`` seconds that counts the
    ones not logged, so a flood costs two lines every interval instead of one per event."""

    def __init__(
        self,
        logger: logging.Logger,
        interval: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._logger = logger
        self._interval = interval
        self._clock = clock
        self._windows: dict[str, _Window] = {}

    def log(self, level: int, kind: str, message: str, *args: object) -> None:
        """Log ``message % args`` unless a line of this ``kind`` went out in the interval."""
        now = self._clock()
        window = self._windows.get(kind)
        if window is None or now - window.start >= self._interval:
            self._flush(kind)
            self._windows[kind] = _Window(now)
            self._logger.log(level, message, *args)
            return
        window.skipped += 1
        window.last = (level, message, args)
        if window.flush is None:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:  # no loop: the count goes out with the next line instead
                return
            delay = window.start + self._interval - now
            window.flush = loop.call_later(delay, self._flush, kind)

    def flush(self) -> None:
        """Log the counts not logged yet (when the program stops)."""
        for kind in list(self._windows):
            self._flush(kind)

    def _flush(self, kind: str) -> None:
        window = self._windows.get(kind)
        if window is None or window.last is None:
            return
        if window.flush is not None:
            window.flush.cancel()
        level, message, args = window.last
        self._logger.log(
            level,
            message + " (%d more like this in the last %.0f s; this is the latest)",
            *args,
            window.skipped,
            self._interval,
        )
        del self._windows[kind]


def configure_logging(
    level: str, secrets: Iterable[str] = (), *, stream: TextIO | None = None
) -> Redactor:
    """Log to ``stream`` (stderr) at ``level``, with every secret redacted from every record.

    Returns the redactor, for the few lines the program prints without logging.
    """
    redact = Redactor(secrets)
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(RedactingFilter(redact))
    root.addHandler(handler)
    root.setLevel(level)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    logging.captureWarnings(True)
    sys.excepthook = _log_uncaught
    threading.excepthook = _log_uncaught_in_thread
    return redact


def _log_uncaught(
    kind: type[BaseException], error: BaseException, traceback: TracebackType | None
) -> None:
    """Uncaught exceptions go through logging, so the redacting filter sees them too."""
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, error, traceback)
        return
    log.critical("stopped by an unexpected error", exc_info=(kind, error, traceback))


def _log_uncaught_in_thread(args: threading.ExceptHookArgs) -> None:
    if args.exc_type is SystemExit or args.exc_value is None:
        return
    log.critical(
        "thread %s stopped by an unexpected error",
        args.thread.name if args.thread else "?",
        exc_info=(args.exc_type, args.exc_value, args.exc_traceback),
    )
