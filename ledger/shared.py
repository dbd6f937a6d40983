"""State the chat's workers share through the database (migration 0006): admin confirmation
cards, payment-action rate limits, guided conversations, and per-chat reply throttles.

Nothing here is money; it lives beside the ledger because every worker must see the same
answer, whichever of them an update reaches (and after a restart). Every decision a race could
split is one statement: a card is claimed by an UPDATE that only one caller wins, a rate-limit
admission counts and records under the user's row lock, a throttle is an upsert that only
succeeds when the last answer is old enough. Times come from the ledger's clock
(``Ledger.clock``: the database's own in production, see ``Ledger.open``).
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ledger.db import Database
from ledger.models import USEC, to_micros

WINDOWS_KEPT = 10_000  # SQLite: users' windows kept before idle ones are dropped

_CARD_COLS = (
    "id, admin_id, action, reason, target_id, other_id, amount, ref, key, lang, chat_id, "
    "message_id, state, outcome, created_at, expires_at"
)


@dataclass(frozen=True, slots=True)
class StoredCard:
    """An admin card's row (``admin_cards``)."""

    id: str
    admin_id: int
    action: str
    reason: str
    target_id: int | None
    other_id: int | None
    amount: int
    ref: str
    key: str  # the ledger's idempotency key, when not admin:<card id>
    lang: str
    chat_id: int
    message_id: int
    state: str
    outcome: str
    created_at: int  # microseconds since the epoch
    expires_at: int


def _storable(value: Any) -> Any:
    """Text as both engines store it: PostgreSQL's text holds no NUL character."""
    return value.replace("\x00", "") if isinstance(value, str) else value


def _card(row: Sequence[Any]) -> StoredCard:
    return StoredCard(*row)


class SharedState:
    """The workers' shared state, on the ledger's database and clock."""

    def __init__(self, db: Database, clock: Callable[[], datetime]) -> None:
        self.db = db
        self.clock = clock
        self._windows: dict[int, deque[int]] = {}  # SQLite only: see _admit_here

    def _now(self) -> int:
        return to_micros(self.clock())

    # --- admin confirmation cards ------------------------------------------------------

    async def add_card(self, card: StoredCard) -> None:
        names = [name.strip() for name in _CARD_COLS.split(",")]
        await self.db.write_one(
            f"INSERT INTO admin_cards ({_CARD_COLS}) "
            f"VALUES ({', '.join(':' + name for name in names)})",
            {name: _storable(getattr(card, name)) for name in names},
        )

    async def place_card(self, card_id: str, chat_id: int, message_id: int) -> None:
        """Where the card was shown (known once it is: the row exists before, so a press as
        quick as the message finds it)."""
        await self.db.write_one(
            "UPDATE admin_cards SET chat_id = :c, message_id = :m WHERE id = :id",
            {"id": card_id, "c": chat_id, "m": message_id},
        )

    async def card(self, card_id: str) -> StoredCard | None:
        rows = await self.db.read_one(
            f"SELECT {_CARD_COLS} FROM admin_cards WHERE id = :id", {"id": card_id}
        )
        return _card(rows[0]) if rows else None

    async def claim_card(self, card_id: str) -> StoredCard | None:
        """Open -> acting, if the card is open and not yet expired: exactly one caller, on
        any worker, gets the card back; everyone else gets None."""
        rows = await self.db.write_one(
            "UPDATE admin_cards SET state = 'acting' "
            "WHERE id = :id AND state = 'open' AND expires_at > :now "
            f"RETURNING {_CARD_COLS}",
            {"id": card_id, "now": self._now()},
        )
        return _card(rows[0]) if rows else None

    async def settle_card(
        self, card_id: str, state: str, *, was: str, outcome: str = "", expired: bool = False
    ) -> StoredCard | None:
        """Move a card from state ``was`` to ``state`` (None when it was not in ``was`` any
        more; with ``expired`` only once its time is up, otherwise only before)."""
        timing = "expires_at <= :now" if expired else "expires_at > :now"
        if was == "acting":
            timing = "1 = 1"  # an action under way finishes whatever the time
        rows = await self.db.write_one(
            f"UPDATE admin_cards SET state = :state, outcome = :outcome "
            f"WHERE id = :id AND state = :was AND {timing} RETURNING {_CARD_COLS}",
            {
                "id": card_id,
                "state": state,
                "was": was,
                "outcome": _storable(outcome),
                "now": self._now(),
            },
        )
        return _card(rows[0]) if rows else None

    async def expire_cards(self) -> list[StoredCard]:
        """Every open card past its time, now expired (each returned to one caller only);
        settled cards past their time are forgotten."""
        now = self._now()
        rows = await self.db.write_one(
            "UPDATE admin_cards SET state = 'expired' "
            f"WHERE state = 'open' AND expires_at <= :now RETURNING {_CARD_COLS}",
            {"now": now},
        )
        await self.db.write_one(
            "DELETE FROM admin_cards WHERE state NOT IN ('open', 'acting') AND expires_at <= :now",
            {"now": now},
        )
        return [_card(row) for row in rows]

    # --- payment-action rate limits ----------------------------------------------------

    async def admit(self, user_id: int, limit: int, window: timedelta) -> bool:
        """Count an action of ``user_id`` if fewer than ``limit`` were admitted in the
        sliding ``window`` ending now; False (and nothing counted) otherwise. On PostgreSQL
        one statement, ``rate_admit`` (migration 0006), counting under the user's row lock,
        so actions admitted at once on several workers cannot pass the limit together (its
        commit does not wait for the disk). SQLite: see ``_admit_here``."""
        if self.db.is_sqlite:
            return self._admit_here(user_id, limit, window)
        params = {
            "u": user_id,
            "now": self._now(),
            "w": int(window.total_seconds() * USEC),
            "limit": limit,
        }
        rows = await self.db.write_one("SELECT rate_admit(:u, :now, :w, :limit)", params)
        return bool(rows[0][0])

    def _admit_here(self, user_id: int, limit: int, window: timedelta) -> bool:
        """SQLite serves one process, so its windows are this process's (kept bounded):
        a statement through the group commit would cost a payment action a durable commit
        of its own, for a count nobody else reads."""
        now, span = self._now(), int(window.total_seconds() * USEC)
        moments = self._windows.setdefault(user_id, deque())
        while moments and now - moments[0] >= span:
            moments.popleft()
        if len(moments) >= limit:
            return False
        moments.append(now)
        if len(self._windows) > WINDOWS_KEPT:
            for idle in [u for u, m in self._windows.items() if now - m[-1] >= span]:
                del self._windows[idle]
        return True

    async def tell_refused(self, user_id: int, every: timedelta) -> bool:
        """Whether a refused user is to be told now: True at most once per ``every``."""
        now = self._now()
        rows = await self.db.write_one(
            "INSERT INTO rate_users (user_id, told_at) VALUES (:u, :now) "
            "ON CONFLICT (user_id) DO UPDATE SET told_at = excluded.told_at "
            "WHERE rate_users.told_at IS NULL OR rate_users.told_at <= :cut "
            "RETURNING user_id",
            {"u": user_id, "now": now, "cut": now - int(every.total_seconds() * USEC)},
        )
        return bool(rows)

    async def forget_actions(self, window: timedelta) -> None:
        """Drop actions out of every window (periodically, so the table stays small)."""
        span = int(window.total_seconds() * USEC)
        cut = self._now() - span
        for idle in [u for u, m in self._windows.items() if not m or m[-1] <= cut]:
            del self._windows[idle]
        if not self.db.is_sqlite:
            await self.db.write_one("DELETE FROM rate_events WHERE at <= :cut", {"cut": cut})

    # --- guided conversations ----------------------------------------------------------

    async def conversation(
        self, chat_id: int, user_id: int, name: str
    ) -> tuple[str, dict[str, Any]] | None:
        """The state and draft of a conversation in progress, or None (none, or timed out)."""
        rows = await self.db.read_one(
            "SELECT state, draft FROM conversations WHERE chat_id = :c AND user_id = :u "
            "AND name = :n AND expires_at > :now",
            {"c": chat_id, "u": user_id, "n": name, "now": self._now()},
        )
        return (rows[0][0], json.loads(rows[0][1])) if rows else None

    async def keep_conversation(
        self,
        chat_id: int,
        user_id: int,
        name: str,
        state: str,
        draft: dict[str, Any],
        lasts: timedelta,
    ) -> None:
        """Start or move on a conversation; it ends by itself ``lasts`` from now."""
        await self.db.write_one(
            "INSERT INTO conversations (chat_id, user_id, name, state, draft, expires_at) "
            "VALUES (:c, :u, :n, :s, :d, :e) ON CONFLICT (chat_id, user_id, name) "
            "DO UPDATE SET state = excluded.state, draft = excluded.draft, "
            "expires_at = excluded.expires_at",
            {
                "c": chat_id,
                "u": user_id,
                "n": name,
                "s": state,
                "d": json.dumps(draft),
                "e": self._now() + int(lasts.total_seconds() * USEC),
            },
        )

    async def end_conversation(self, chat_id: int, user_id: int, name: str) -> bool:
        """End it; True when one was in progress (and not timed out)."""
        rows = await self.db.write_one(
            "DELETE FROM conversations WHERE chat_id = :c AND user_id = :u AND name = :n "
            "RETURNING expires_at",
            {"c": chat_id, "u": user_id, "n": name},
        )
        return bool(rows) and rows[0][0] > self._now()

    async def forget_conversations(self) -> None:
        """Drop timed-out conversations and their drafts (the sweeper's)."""
        await self.db.write_one(
            "DELETE FROM conversations WHERE expires_at <= :now", {"now": self._now()}
        )

    # --- per-chat throttles ------------------------------------------------------------

    async def throttle(self, chat_id: int, topic: str, every: timedelta) -> bool:
        """True when ``chat_id`` may be answered on ``topic`` now (and records it): at most
        once per ``every``, across every worker."""
        now = self._now()
        rows = await self.db.write_one(
            "INSERT INTO chat_throttle (chat_id, topic, at) VALUES (:c, :t, :now) "
            "ON CONFLICT (chat_id, topic) DO UPDATE SET at = excluded.at "
            "WHERE chat_throttle.at <= :cut RETURNING at",
            {"c": chat_id, "t": topic, "now": now, "cut": now - int(every.total_seconds() * USEC)},
        )
        return bool(rows)
