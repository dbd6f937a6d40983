"""Telegram's init data, the page's only credential (``Authorization: tma <initData>``).

Telegram signs the init data it hands a Mini App with a key derived from the bot's token
(https://core.telegram.org/bots/webapps#validating-data-received-via-the-mini-app):

    secret_key = HMAC_SHA256(key="WebAppData", message=bot_token)
    hash       = hex(HMAC_SHA256(key=secret_key, message=data_check_string))

where ``data_check_string`` is every received field but ``hash``, as ``key=value`` (value
URL-decoded), sorted by key and joined by line feeds. The hash is compared in constant time,
and init data older than ``MAX_AGE_SECONDS`` is refused: a leaked link stops working.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from urllib.parse import parse_qsl

MAX_AGE_SECONDS = 3600
# A client clock a little ahead of ours is no reason to refuse; far ahead is forged or broken.
FUTURE_SLACK_SECONDS = 60
SCHEME = "tma "
MAX_INIT_DATA = 4096  # Telegram's are well under 1 KB


@dataclass(frozen=True, slots=True)
class PageUser:
    """The Telegram user the init data was signed for."""

    id: int
    language_code: str | None
    auth_date: int


def secret_key(bot_token: str) -> bytes:
    return hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()


def data_check_string(fields: dict[str, str]) -> str:
    return "\n".join(f"{key}={fields[key]}" for key in sorted(fields) if key != "hash")


def sign(fields: dict[str, str], bot_token: str) -> str:
    """The hash Telegram puts in init data holding ``fields`` (tests and local trials)."""
    check = data_check_string(fields).encode()
    return hmac.new(secret_key(bot_token), check, hashlib.sha256).hexdigest()


def verify(init_data: str, bot_token: str, now: float) -> PageUser | None:
    """The user ``init_data`` was signed for by Telegram for this bot, or None: unsigned,
    signed for another bot, altered, older than an hour, or without a user."""
    if not init_data or len(init_data) > MAX_INIT_DATA:
        return None
    try:
        pairs = parse_qsl(init_data, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        return None
    fields = dict(pairs)
    if len(fields) != len(pairs):  # a field given twice: which one was signed?
        return None
    given = fields.get("hash", "")
    expected = sign(fields, bot_token)
    if not hmac.compare_digest(given.encode(), expected.encode()):
        return None
    try:
        auth_date = int(fields.get("auth_date", ""))
        user = json.loads(fields.get("user", ""))
        user_id = user["id"]
    except (ValueError, TypeError, KeyError):
        return None
    if not isinstance(user_id, int) or isinstance(user_id, bool) or user_id <= 0:
        return None
    if not now - MAX_AGE_SECONDS <= auth_date <= now + FUTURE_SLACK_SECONDS:
        return None
    language = user.get("language_code")
    return PageUser(user_id, language if isinstance(language, str) else None, auth_date)


def from_header(value: str | None, bot_token: str, now: float) -> PageUser | None:
    """The user an ``Authorization: tma <initData>`` header proves, or None."""
    if not value or not value.startswith(SCHEME):
        return None
    return verify(value[len(SCHEME) :].strip(), bot_token, now)
