"""The directory of people: Telegram user id, username, names, language.

Refreshed from every update a person sends (people rename themselves); writes happen only
when something changed. Never cached: several workers share one database, and a copy kept by
one of them would go stale the moment another records a change.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from ledger.db import Database
from ledger.models import to_micros

_COLS = (
    "id, display_username, first_name, last_name, language_code, language, is_bot, registered, "
    "time_zone"
)


@dataclass(frozen=True, slots=True)
class Person:
    id: int
    username: str | None  # as the person writes it, without '@'
    first_name: str = ""
    last_name: str | None = None
    language_code: str | None = None
    language: str | None = None  # chosen with /language; overrides language_code
    is_bot: bool = False
    registered: bool = False  # has started the bot
    time_zone: str | None = None  # an IANA name chosen with /timezone; None: UTC

    @property
    def name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p) or str(self.id)

    def _profile(self) -> tuple[Any, ...]:
        return (self.username, self.first_name, self.last_name, self.language_code, self.is_bot)


# The profile an update shows, in one statement. It never writes ``registered`` down (it only
# goes up, with register()) nor ``language`` (set_language's alone), so a worker holding an
# older copy of someone can never undo what another worker recorded; a copy of a user
# without a language_code (a reply's author) keeps the one known.
_UPSERT = (
    "INSERT INTO users (id, username, display_username, first_name, last_name, "
    "language_code, is_bot, registered, created_at, updated_at) "
    "VALUES (:id, :u, :du, :fn, :ln, :lc, :bot, :reg, :now, :now) "
    "ON CONFLICT (id) DO UPDATE SET username = excluded.username, "
    "display_username = excluded.display_username, "
    "first_name = excluded.first_name, last_name = excluded.last_name, "
    "language_code = COALESCE(excluded.language_code, users.language_code), "
    "is_bot = excluded.is_bot, registered = (users.registered OR excluded.registered), "
    f"updated_at = excluded.updated_at RETURNING {_COLS}"
)


def _username_taken(error: BaseException) -> bool:
    """The unique index on users.username refused a write (SQLite or PostgreSQL)."""
    if isinstance(error, sqlite3.IntegrityError):
        return "users.username" in str(error)
    return getattr(error, "sqlstate", None) == "23505" and "username" in str(error)


def _person(row: Sequence[Any]) -> Person:
    return Person(
        row[0], row[1], row[2] or "", row[3], row[4], row[5], bool(row[6]), bool(row[7]), row[8]
    )


def normalize_username(username: str) -> str:
    return username.strip().lstrip("@").lower()


# People read during one update (``Directory.within_update``): an update's handlers see one
# consistent copy of each person and read it once. Nothing outlives the update.
_UPDATE_VIEW: ContextVar[dict[int, Person] | None] = ContextVar("directory_view", default=None)


class Directory:
    """Who people are, as the database has them: nothing is kept between updates, so every
    worker sees a registration, a language choice or a username's new owner at once, and a
    process's memory does not grow with the people it meets. The common update costs one
    point read (its sender's row) and writes only when their profile changed; within one
    update each person is read once (``within_update``)."""

    @staticmethod
    def within_update() -> None:
        """From now until ``after_update``, remember the people read (the current task)."""
        _UPDATE_VIEW.set({})

    @staticmethod
    def after_update() -> None:
        _UPDATE_VIEW.set(None)

    @staticmethod
    def _note(person: Person) -> Person:
        view = _UPDATE_VIEW.get()
        if view is not None:
            view[person.id] = person
        return person

    def __init__(self, db: Database, clock: Callable[[], datetime]) -> None:
        self.db = db
        self.clock = clock

    async def seen(self, person: Person) -> Person:
        """Record what an update says about a person; returns what the directory knows."""
        known = await self.get(person.id)
        if known is not None and person.language_code is None:
            # Copies of a user inside replies and mentions often lack the language: keep ours.
            person = replace(person, language_code=known.language_code)
        if known is not None and known._profile() == person._profile():
            return known
        return await self._save(person, registered=False)

    async def register(self, person: Person) -> Person:
        """Mark a person as having started the bot (idempotent)."""
        known = await self.get(person.id)
        if known is not None and known.registered and known._profile() == person._profile():
            return known
        if known is not None and person.language_code is None:
            person = replace(person, language_code=known.language_code)
        return await self._save(person, registered=True)

    async def set_time_zone(self, user_id: int, time_zone: str | None) -> None:
        """The time zone the bot writes times in for this person (set alone, as language)."""
        view = _UPDATE_VIEW.get()
        if view is not None:
            view.pop(user_id, None)
        await self.db.write_one(
            "UPDATE users SET time_zone = :tz, updated_at = :now WHERE id = :id",
            {"id": user_id, "tz": time_zone, "now": to_micros(self.clock())},
        )

    async def set_language(self, user_id: int, language: str | None) -> None:
        view = _UPDATE_VIEW.get()
        if view is not None:
            view.pop(user_id, None)
        await self.db.write_one(
            "UPDATE users SET language = :lang, updated_at = :now WHERE id = :id",
            {"id": user_id, "lang": language, "now": to_micros(self.clock())},
        )

    async def get(self, user_id: int) -> Person | None:
        view = _UPDATE_VIEW.get()
        if view is not None and user_id in view:
            return view[user_id]
        rows = await self.db.read_one(f"SELECT {_COLS} FROM users WHERE id = :id", {"id": user_id})
        return self._note(_person(rows[0])) if rows else None

    async def by_username(self, username: str) -> Person | None:
        """Whoever has ``username`` now."""
        name = normalize_username(username)
        rows = await self.db.read_one(f"SELECT {_COLS} FROM users WHERE username = :u", {"u": name})
        return self._note(_person(rows[0])) if rows else None

    async def count(self) -> int:
        rows = await self.db.read_scan(  # a count over every user
            "SELECT COUNT(*) FROM users WHERE registered = :y", {"y": True}
        )
        return int(rows[0][0])

    async def _save(self, person: Person, *, registered: bool) -> Person:
        lowered = normalize_username(person.username) if person.username else None
        params = {
            "id": person.id,
            "u": lowered,
            "du": person.username,
            "fn": person.first_name,
            "ln": person.last_name,
            "lc": person.language_code,
            "bot": person.is_bot,
            "reg": registered,
            "now": to_micros(self.clock()),
        }

        async def work(conn: AsyncConnection) -> Sequence[Any]:
            # Usernames move between people: whoever held this one before no longer does.
            await conn.execute(
                text(
                    "UPDATE users SET username = NULL, display_username = NULL "
                    "WHERE username = :u AND id <> :id"
                ),
                {"u": lowered, "id": person.id},
            )
            return (await conn.execute(text(_UPSERT), params)).one()

        # Nearly always nobody else holds the username: then the upsert alone is the whole
        # change, one statement (one round trip) instead of a transaction of two (on SQLite
        # about ten thread hand-offs). If someone does, the unique index refuses it and the
        # transaction moves the username over.
        try:
            return self._note(_person((await self.db.write_one(_UPSERT, params))[0]))
        except Exception as error:
            if not lowered or not _username_taken(error):
                raise
        return self._note(_person(await self.db.transaction(work)))
