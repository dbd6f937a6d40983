"""The process the payout crash test kills: the card processor's side of payouts, as the
bot runs it (``settle_due``, then the outbox rows delivered and marked sent).

Run as ``python tests/hardening/payout_crash_worker.py URL LOG GEN``. It prints ``ready``
once the ledger is open, then settles payouts one at a time; before marking a row sent it
appends the row's event key to LOG, fsynced ("the person was told"). With nothing left to
settle or deliver it prints ``done`` and exits. Its clock runs GEN minutes ahead of the
wall clock, so what a killed generation claimed is stale for the next one (as 30 s later).
"""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import timedelta

from ledger import Ledger, utcnow
from ledger.payments.funding import Fundings


async def main(url: str, log: str, gen: int) -> None:
    ahead = timedelta(minutes=gen)
    options = {"sqlite_synchronous": "FULL"} if url.startswith("sqlite") else {}
    ledger = await Ledger.open(url, "USD", clock=lambda: utcnow() + ahead, **options)
    fundings = Fundings(ledger, settle_after=timedelta(0))
    print("ready", flush=True)
    # Blocking writes on purpose: "told" must be on disk before the row is marked sent.
    told = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        while True:
            settled = await fundings.settle_due(limit=1)
            rows = settled.messages + await ledger.outbox.claim(limit=20)
            for row in rows:
                os.write(told, f"{row.event_key}\n".encode())
                os.fsync(told)
            await ledger.outbox.mark_sent([row.id for row in rows])
            if not settled.transfers and not rows:
                break
    finally:
        os.close(told)
    await ledger.close()
    print("done", flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
