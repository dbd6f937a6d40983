"""The directory finds people by username from its cache, and stays right when usernames move:
a rename or a username taken over by someone else is what the next lookup sees, and nobody
the cache does not know is assumed missing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ledger import Ledger, Person
from ledger.directory import Directory


@pytest.fixture
def database_url(fresh_database_url: str) -> str:
    return fresh_database_url


@pytest.fixture
def reads(ledger: Ledger, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every read statement the ledger's database runs from now on."""
    seen: list[str] = []
    read_one = ledger.db.read_one

    async def counting(sql: str, params: dict) -> list:
        seen.append(sql)
        return await read_one(sql, params)

    monkeypatch.setattr(ledger.db, "read_one", counting)
    yield seen


def alice(username: str | None = "alice") -> Person:
    return Person(id=101, username=username, first_name="Alice")


def bob(username: str | None = "bob") -> Person:
    return Person(id=102, username=username, first_name="Bob")


async def test_someone_the_directory_knows_is_found_by_username_without_a_read(
    ledger: Ledger, reads: list[str]
) -> None:
    await ledger.directory.register(alice())
    reads.clear()

    found = await ledger.directory.by_username("@ALICE")

    assert found is not None and found.id == 101 and found.registered
    assert reads == []


async def test_a_username_taken_over_by_someone_else_is_found_under_its_new_holder(
    ledger: Ledger,
) -> None:
    directory = ledger.directory
    await directory.register(alice())
    await directory.register(bob())
    assert (await directory.by_username("alice")).id == 101  # type: ignore[union-attr]

    await directory.seen(bob("Alice"))  # bob took "alice" (alice renamed elsewhere)

    found = await directory.by_username("alice")
    assert found is not None and found.id == 102
    assert (await directory.get(101)).username is None  # type: ignore[union-attr]
    assert await directory.by_username("bob") is None
    fresh = Directory(ledger.db, ledger.clock)  # what the database says agrees
    assert (await fresh.by_username("alice")).id == 102  # type: ignore[union-attr]
    assert (await fresh.get(101)).username is None  # type: ignore[union-attr]


async def test_a_rename_is_found_under_the_new_name_only(ledger: Ledger) -> None:
    directory = ledger.directory
    await directory.register(alice())

    await directory.seen(alice("alicia"))

    assert await directory.by_username("alice") is None
    assert (await directory.by_username("alicia")).id == 101  # type: ignore[union-attr]


async def test_someone_the_cache_has_not_met_is_looked_up_every_time(ledger: Ledger) -> None:
    assert await ledger.directory.by_username("bob") is None
    other = Directory(ledger.db, ledger.clock)  # another process registers bob meanwhile
    await other.register(bob())

    found = await ledger.directory.by_username("bob")

    assert found is not None and found.id == 102
