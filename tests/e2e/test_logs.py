"""The program's logging redacts the bot token from every part of every record."""

from __future__ import annotations

import io
import logging
import sys
import threading
from collections.abc import Iterator

import pytest

from bot.logs import REDACTED, RedactingFilter, Redactor, configure_logging

TOKEN = "7000000001:AAFakeTokenForRedactionTests-xyz"
ENCODED = "7000000001%3AAAFakeTokenForRedactionTests-xyz"


@pytest.fixture
def captured() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """A private logger whose one handler carries the redacting filter."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    handler.addFilter(RedactingFilter(Redactor([TOKEN])))
    logger = logging.getLogger("tests.e2e.redaction")
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    yield logger, stream
    logger.removeHandler(handler)


def test_the_token_is_redacted_from_messages_and_arguments(
    captured: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = captured

    logger.info(f"HTTP Request: POST https://api.telegram.org/bot{TOKEN}/getMe")
    logger.info("HTTP Request: POST %s", f"https://api.telegram.org/bot{TOKEN}/getUpdates")
    logger.info("encoded: %s", f"/bot{ENCODED}/sendMessage")

    output = stream.getvalue()
    assert TOKEN not in output and ENCODED not in output
    assert output.count(REDACTED) == 3
    assert f"https://api.telegram.org/bot{REDACTED}/getUpdates" in output


def test_the_token_is_redacted_from_exceptions_and_stacks(
    captured: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = captured

    try:
        raise ConnectionError(f"cannot connect to https://api.telegram.org/bot{TOKEN}/getMe")
    except ConnectionError:
        logger.exception("network trouble")
    logger.warning("where: %s", TOKEN, stack_info=True)

    output = stream.getvalue()
    assert "Traceback" in output and "ConnectionError" in output
    assert TOKEN not in output


def test_a_record_with_broken_arguments_is_still_redacted(
    captured: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = captured

    logger.info("two placeholders %s %s", TOKEN)

    assert TOKEN not in stream.getvalue()
    assert REDACTED in stream.getvalue()


def test_configure_logging_protects_every_logger_and_quiets_httpx() -> None:
    root = logging.getLogger()
    saved = (root.handlers[:], root.level, logging.getLogger("httpx").level)
    hooks = (sys.excepthook, threading.excepthook)
    stream = io.StringIO()
    try:
        configure_logging("DEBUG", [TOKEN], stream=stream)
        logging.getLogger("telegram.ext.ExtBot").debug("Set Bot API URL: /bot%s", TOKEN)
        logging.getLogger("httpx").info("HTTP Request: POST /bot%s/getMe", TOKEN)
        logging.getLogger("httpx").warning("HTTP trouble at /bot%s", TOKEN)
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
        logging.getLogger("httpx").setLevel(saved[2])
        logging.captureWarnings(False)
        sys.excepthook, threading.excepthook = hooks

    output = stream.getvalue()
    assert TOKEN not in output
    assert f"Set Bot API URL: /bot{REDACTED}" in output
    assert "HTTP Request" not in output  # httpx INFO is off
    assert f"HTTP trouble at /bot{REDACTED}" in output
