"""The directory of people: Telegram user id, username, names, language.

Refreshed from every update a person sends (people rename themselves); writes happen only
when something changed, so the common update costs no database round trip.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
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


_UPSERT = (
    "INSERT INTO users (id, username, display_username, first_name, last_name, "
    "language_code, language, is_bot, registered, time_zone, created_at, updated_at) "
    "VALUES (:id, :u, :du, :fn, :ln, :lc, :lang, :bot, :reg, :tz, :now, :now) "
    "ON CONFLICT (id) DO UPDATE SET username = excluded.username, "
    "display_username = excluded.display_username, "
    "first_name = excluded.first_name, last_name = excluded.last_name, "
    "language_code = excluded.language_code, language = excluded.language, "
    "is_bot = excluded.is_bot, registered = excluded.registered, "
    "time_zone = excluded.time_zone, "
    "updated_at = excluded.updated_at"
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


class Directory:
    def __init__(self, db: Database, clock: Callable[[], datetime]) -> None:
        self.db = db
        self.clock = clock
        self._cache: dict[int, Person] = {}
        self._id_by_username: dict[str, int] = {}  # a hint into _cache, checked on use

    async def seen(self, person: Person) -> Person:
        """Record what an update says about a person; returns what the directory knows."""
        known = self._cache.get(person.id)
        if known is None:
            known = await self.get(person.id)
        if known is not None and person.language_code is None:
            # Copies of a user inside replies and mentions often lack the language: keep ours.
            person = replace(person, language_code=known.language_code)
        if known is not None and known._profile() == person._profile():
            return known
        merged = replace(
            person,
            language=known.language if known else None,
            registered=known.registered if known else False,
            time_zone=known.time_zone if known else None,
        )
        await self._save(merged)
        return merged

    async def register(self, person: Person) -> Person:
        """Mark a person as having started the bot (idempotent)."""
        await self.seen(person)
        current = self._cache[person.id]
        if current.registered:
            return current
        registered = replace(current, registered=True)
        await self._save(registered)
        return registered

    async def set_language(self, user_id: int, language: str | None) -> None:
        known = await self.get(user_id)
        if known is None:
            return
        await self._save(replace(known, language=language))

    async def set_time_zone(self, user_id: int, time_zone: str | None) -> None:
        known = await self.get(user_id)
        if known is None:
            return
        await self._save(replace(known, time_zone=time_zone))

    async def get(self, user_id: int) -> Person | None:
        if user_id in self._cache:
            return self._cache[user_id]
        rows = await self.db.read_one(f"SELECT {_COLS} FROM users WHERE id = :id", {"id": user_id})
        if not rows:
            return None
        person = _person(rows[0])
        self._keep(person)
        return person

    async def by_username(self, username: str) -> Person | None:
        """Whoever has ``username`` now. Someone known by it costs no round trip: a rename
        reaches the database through ``_save``, which updates the cache too."""
        name = normalize_username(username)
        known_id = self._id_by_username.get(name)
        known = self._cache.get(known_id) if known_id is not None else None
        if known is not None and known.username and normalize_username(known.username) == name:
            return known
        rows = await self.db.read_one(f"SELECT {_COLS} FROM users WHERE username = :u", {"u": name})
        if not rows:
            return None
        person = _person(rows[0])
        self._keep(person)
        return person

    def _keep(self, person: Person) -> None:
        self._cache[person.id] = person
        if person.username:
            self._id_by_username[normalize_username(person.username)] = person.id

    async def count(self) -> int:
        rows = await self.db.read_scan(  # a count over every user
            "SELECT COUNT(*) FROM users WHERE registered = :y", {"y": True}
        )
        return int(rows[0][0])

    async def _save(self, person: Person) -> None:
        lowered = normalize_username(person.username) if person.username else None
        params = {
            "id": person.id,
            "u": lowered,
            "du": person.username,
            "fn": person.first_name,
            "ln": person.last_name,
            "lc": person.language_code,
            "lang": person.language,
            "bot": person.is_bot,
            "reg": person.registered,
            "tz": person.time_zone,
            "now": to_micros(self.clock()),
        }

        async def work(conn: AsyncConnection) -> None:
            if lowered:
                # Usernames move between people: whoever held this one before no longer does.
                await conn.execute(
                    text(
                        "UPDATE users SET username = NULL, display_username = NULL "
                        "WHERE username = :u AND id <> :id"
                    ),
                    {"u": lowered, "id": person.id},
                )
            await conn.execute(text(_UPSERT), params)

        # Nearly always nobody else holds the username: then the upsert alone is the whole
        # change, one statement (one round trip) instead of a transaction of two (on SQLite
        # about ten thread hand-offs). If someone does, the unique index refuses it and the
        # transaction moves the username over.
        try:
            await self.db.write_one(_UPSERT, params)
        except Exception as error:
            if not lowered or not _username_taken(error):
                raise
            await self.db.transaction(work)
        if person.username:
            # The previous holder lost it in the database (above); in the cache that can only
            # be whoever the index points at (a lookup, not a scan of everyone cached).
            name = normalize_username(person.username)
            held_by = self._id_by_username.get(name, person.id)
            held = self._cache.get(held_by) if held_by != person.id else None
            if held is not None and held.username and normalize_username(held.username) == name:
                self._cache[held.id] = replace(held, username=None)
        self._keep(person)
