"""Bob asks Alice for money: a request delivered twice is one request, and resolves once."""

from __future__ import annotations

import pytest

from ledger import Ledger, Person
from ledger.errors import AlreadyResolved, IdempotencyConflict


async def test_a_request_replayed_with_its_key_is_created_once(ledger: Ledger) -> None:
    first = await ledger.requests.create(2, 1, 2_000, "dinner", key="request:2:77")
    again = await ledger.requests.create(2, 1, 2_000, "dinner", key="request:2:77")
    assert (again.ref, again.replayed, first.replayed) == (first.ref, True, False)
    other = await ledger.requests.create(2, 1, 2_000, "dinner", key="request:2:78")
    assert other.ref != first.ref
    with pytest.raises(IdempotencyConflict) as conflict:
        await ledger.requests.create(2, 1, 2_500, "dinner", key="request:2:77")
    assert conflict.value.field == "amount"
    unkeyed = [await ledger.requests.create(2, 1, 100) for _ in range(2)]
    assert unkeyed[0].ref != unkeyed[1].ref  # no key, no deduplication


async def test_a_request_resolves_exactly_once(ledger: Ledger) -> None:
    asked = await ledger.requests.create(2, 1, 2_000, key="r")
    declined = await ledger.requests.resolve(asked.ref, "declined")
    assert declined.state == "declined"
    with pytest.raises(AlreadyResolved) as late:
        await ledger.requests.resolve(asked.ref, "paid", "SOMEREF")
    assert late.value.state == "declined"
    assert (await ledger.requests.get(asked.ref)).transfer_ref is None


async def test_a_copy_without_language_keeps_the_known_language(ledger: Ledger) -> None:
    await ledger.directory.register(Person(5, "claire", "Claire", language_code="fr"))
    # Telegram's copy of Claire inside someone's reply carries no language_code.
    await ledger.directory.seen(Person(5, "claire", "Claire", language_code=None))
    assert (await ledger.directory.get(5)).language_code == "fr"
