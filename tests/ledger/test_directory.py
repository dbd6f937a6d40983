"""The directory finds people as the database has them, on every worker: a rename or a
username taken over by someone else is what the next lookup sees, and a worker that met
someone earlier never writes back what it saw then (their registration, their language)."""

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


async def test_a_worker_that_met_carl_before_he_started_never_unregisters_him(
    ledger: Ledger,
) -> None:
    """Two workers on one database: A meets carl (not started), carl starts the bot on B,
    then renames himself and his next update reaches A. He stays registered."""
    worker_a, worker_b = ledger.directory, Directory(ledger.db, ledger.clock)
    carl = Person(id=103, username="carl", first_name="Carl", language_code="en")
    await worker_a.seen(carl)  # /help before /start, on A
    await worker_b.register(carl)  # /start on B
    await worker_b.set_language(103, "fr")  # /language on B

    renamed = await worker_a.seen(Person(103, "carl", "Carlos", language_code="en"))

    assert renamed.registered and renamed.language == "fr"
    for worker in (worker_a, worker_b):
        found = await worker.by_username("carl")
        assert found is not None and found.registered and found.first_name == "Carlos"
        assert found.language == "fr"


async def test_a_username_resolves_to_its_current_owner_on_every_worker(ledger: Ledger) -> None:
    worker_a, worker_b = ledger.directory, Directory(ledger.db, ledger.clock)
    await worker_a.register(alice())
    assert (await worker_a.by_username("alice")).id == 101  # type: ignore[union-attr]

    await worker_b.seen(alice("alicia"))  # alice renames herself; B sees it
    await worker_b.seen(bob("alice"))  # and bob takes her old name; B sees it

    for worker in (worker_a, worker_b):
        assert (await worker.by_username("alice")).id == 102  # type: ignore[union-attr]
        assert (await worker.by_username("alicia")).id == 101  # type: ignore[union-attr]


async def test_the_profile_upsert_is_one_statement_that_keeps_the_registration(
    ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = ledger.directory
    await directory.register(alice())
    writes: list[str] = []
    write_one = ledger.db.write_one

    async def counting(sql: str, params: dict) -> list:
        writes.append(sql)
        return await write_one(sql, params)

    monkeypatch.setattr(ledger.db, "write_one", counting)
    updated = await directory.seen(alice().__class__(101, "alice", "Alice B."))

    assert len(writes) == 1 and updated.registered
    assert (await directory.get(101)).registered  # type: ignore[union-attr]


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
