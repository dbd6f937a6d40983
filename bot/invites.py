"""Invitation links that cannot be forged: ``t.me/<bot>?start=from-<id>-<signature>``.

Opening one makes the bot tell user ``<id>`` that the newcomer joined, so the link must come
from the bot: the signature is an HMAC-SHA256 of the inviter's id, under a key derived from
the bot token (so nothing new to configure, and a revoked token voids the old links), cut to
16 bytes (22 characters of base64url: the payload stays within Telegram's 64) and compared in
constant time. A link with no signature, a wrong one, or another id is an ordinary /start.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

_PURPOSE = b"xmoney-bot invite link v1"
_SIGNATURE_BYTES = 16
# Telegram user ids fit in 52 bits (16 digits); a longer number is no inviter, and would not
# fit the database's 64-bit integers either.
_PAYLOAD = re.compile(r"from-([1-9][0-9]{0,15})-([A-Za-z0-9_-]{22})")


def _signature(token: str, user_id: int) -> str:
    key = hmac.new(token.encode(), _PURPOSE, hashlib.sha256).digest()
    digest = hmac.new(key, str(user_id).encode(), hashlib.sha256).digest()[:_SIGNATURE_BYTES]
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def payload_for(token: str, user_id: int) -> str:
    """The start payload of ``user_id``'s invitation link."""
    return f"from-{user_id}-{_signature(token, user_id)}"


def inviter_of(token: str, payload: str) -> int | None:
    """The inviter a start payload names, if the bot signed it; None otherwise."""
    match = _PAYLOAD.fullmatch(payload)
    if match is None:
        return None
    user_id = int(match.group(1))
    expected = _signature(token, user_id).encode()
    return user_id if hmac.compare_digest(expected, match.group(2).encode()) else None
