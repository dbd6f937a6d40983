"""A card remembers the id of the request it pays; the request is found again by that id."""

import pytest

from ledger import Ledger
from ledger.errors import TransferNotFound


async def test_a_request_is_found_by_its_id(ledger: Ledger) -> None:
    asked = await ledger.requests.create(1, 2, 2_000, "dinner")
    found = await ledger.requests.by_id(asked.id)
    assert (found.ref, found.requester_id, found.payer_id, found.amount, found.memo) == (
        asked.ref,
        1,
        2,
        2_000,
        "dinner",
    )
    with pytest.raises(TransferNotFound):
        await ledger.requests.by_id(asked.id + 1_000)
