"""Free text (memos, reasons) is stored the same on both engines: PostgreSQL text cannot hold
a NUL character (SQLite can), so the ledger drops it instead of failing with a driver error
on one engine only. Found by the chat's bad-input volume test (tests/hardening)."""

from __future__ import annotations

from datetime import timedelta

from ledger import Ledger


async def test_a_nul_in_a_memo_or_a_reason_is_dropped_on_every_engine(ledger: Ledger) -> None:
    alice, bob = await ledger.open_account(1), await ledger.open_account(2)
    funded = await ledger.transfer(
        ledger.issuance_account_id, alice, 1_000, key="top-up", kind="credit", memo="\x00gift\x00"
    )
    assert funded.memo == "gift"
    held = await ledger.create_pending(
        alice, bob, 100, key="hold", expires_in=timedelta(minutes=5), memo="lun\x00ch"
    )
    assert (await ledger.get_transfer(held.ref)).memo == "lunch"
    again = await ledger.create_pending(
        alice, bob, 100, key="hold", expires_in=timedelta(minutes=5), memo="lun\x00ch"
    )
    assert again.replayed and again.ref == held.ref  # the same text, the same request
    asked = await ledger.requests.create(1, 2, 50, "taxi\x00")
    assert (await ledger.requests.get(asked.ref)).memo == "taxi"
    await ledger.freeze(bob, actor=9, reason="sp\x00am")
    await ledger.set_limits(actor=9, reason="too\x00 high", max_transfer=500)
    reasons = [record.reason for record in await ledger.audit_log(limit=2)]
    assert reasons[0] == "max_transfer=500 daily_limit=10000000; too high"
    assert reasons[1] == "spam"
    assert (await ledger.verify()).ok
