"""Red envelopes: ``total`` split into ``count`` shares that people open one each.

Each share is a cheque (``ledger.payments.cheques``) with its own hold on the sender's
money, so opening one is a cheque's accept (hold voided and payout written in one
transaction), what is left at expiry goes back with the sweeper, and a freeze releases them.
The database makes each person open at most one share per envelope (unique
``(envelope_id, acceptor_id)``) and each share pay once.

The draw is fixed when the envelope is made and committed to: ``commitment`` =
SHA-256 of ``"<seed>:<total>:<count>:<mode>"`` is shown on the envelope, and the seed is
revealed once it is over (emptied, expired or cancelled). Anyone can check it: the hash
matches, and ``draw(seed, total, count, mode)`` gives the shares in the order they were
opened. ``draw``: equal shares are ``total // count``, the first ``total % count`` getting one
minor unit more; random shares cut ``[0, total]`` at ``count - 1`` distinct points, the k-th
candidate point being ``1 + int(HMAC-SHA256(key=bytes.fromhex(seed), msg=b"cut:<k>")[:8]) %
(total - 1)`` (a repeated point is skipped), and take the gaps in order.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import secrets
from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from ledger.errors import AlreadyResolved, LedgerError
from ledger.models import to_micros
from ledger.outbox import OutboxMessage
from ledger.payments.cheques import _SELECT, Cheque, Cheques, ChequeTaken, _cheque
from ledger.payments.service import check_note

MAX_SHARES = 100
_COLS = "id, sender_id, total, shares, mode, memo, seed, commitment, chat_id, message_id"


def draw(seed: str, total: int, count: int, mode: str) -> list[int]:
    """The shares, in opening order (see the module's docstring)."""
    if mode == "equal":
        base, extra = divmod(total, count)
        return [base + (1 if i < extra else 0) for i in range(count)]
    cuts: list[int] = []
    k = 0
    while len(cuts) < count - 1:
        digest = hmac.new(bytes.fromhex(seed), f"cut:{k}".encode(), hashlib.sha256).digest()
        point = 1 + int.from_bytes(digest[:8], "big") % (total - 1)
        if point not in cuts:
            cuts.append(point)
        k += 1
    points = [0, *sorted(cuts), total]
    return [b - a for a, b in itertools.pairwise(points)]


def commitment(seed: str, total: int, count: int, mode: str) -> str:
    return hashlib.sha256(f"{seed}:{total}:{count}:{mode}".encode()).hexdigest()


class EnvelopeEmpty(LedgerError):
    """Every share was opened (or the envelope is over)."""

    code = "envelope_empty"


class BadEnvelope(LedgerError):
    """Fewer minor units than shares, or too many shares."""

    code = "envelope_bad"

    def __init__(self, most: int = MAX_SHARES) -> None:
        super().__init__()
        self.most = most  # shares (not money: not named "maximum")


@dataclass(frozen=True, slots=True)
class Envelope:
    id: str
    sender_id: int
    total: int
    count: int
    mode: str
    memo: str
    seed: str
    commitment: str
    chat_id: int | None
    message_id: int | None
    shares: list[Cheque] = field(default_factory=list)

    @property
    def over(self) -> bool:
        """No share can be opened any more: the seed may be shown."""
        return bool(self.shares) and all(s.state != "open" for s in self.shares)

    @property
    def opened(self) -> list[Cheque]:
        return sorted(
            (s for s in self.shares if s.state == "paid"), key=lambda s: s.share_index or 0
        )

    @property
    def returned(self) -> int:
        return sum(s.amount for s in self.shares if s.state in ("expired", "cancelled"))


@dataclass(frozen=True, slots=True)
class Opened:
    envelope: Envelope
    share: Cheque
    done: bool = True  # False: this person's share, opened before
    messages: list[OutboxMessage] = field(default_factory=list)


class Envelopes:
    def __init__(self, cheques: Cheques) -> None:
        self.cheques = cheques
        self.ledger = cheques.ledger
        self.db = cheques.db

    async def get(self, envelope_id: str) -> Envelope | None:
        rows = await self.db.read_one(
            f"SELECT {_COLS} FROM envelopes WHERE id = :id", {"id": envelope_id}
        )
        if not rows:
            return None
        shares = await self.db.read_one(
            f"{_SELECT} WHERE c.envelope_id = :id ORDER BY c.share_index", {"id": envelope_id}
        )
        r = rows[0]
        return Envelope(
            r[0],
            r[1],
            r[2],
            r[3],
            r[4],
            r[5],
            r[6],
            r[7],
            r[8],
            r[9],
            shares=[_cheque(row) for row in shares],
        )

    async def create(
        self, sender_id: int, total: int, count: int, mode: str, memo: str, *, key: str
    ) -> Envelope:
        """Make the envelope and hold each share. ``key`` (the command's) makes a redelivered
        command find the same envelope. A share that cannot be held releases the others and
        raises the ledger's refusal."""
        check_note(memo)
        if not 1 <= count <= MAX_SHARES or total < count:
            raise BadEnvelope()
        await self.cheques.check(sender_id, total)
        envelope_id = hashlib.sha256(f"envelope:{key}".encode()).hexdigest()[:16]
        seed = secrets.token_hex(16)
        amounts = draw(seed, total, count, mode)
        now = to_micros(self.ledger.clock())
        code = self.ledger.currency.code

        async def write(conn: AsyncConnection) -> None:
            made = (
                await conn.execute(
                    text(
                        "INSERT INTO envelopes (id, sender_id, total, shares, mode, memo, seed, "
                        "commitment, created_at) VALUES (:id, :s, :t, :n, :m, :memo, :seed, "
                        ":c, :now) ON CONFLICT (id) DO NOTHING RETURNING id"
                    ),
                    {
                        "id": envelope_id,
                        "s": sender_id,
                        "t": total,
                        "n": count,
                        "m": mode,
                        "memo": memo,
                        "seed": seed,
                        "c": commitment(seed, total, count, mode),
                        "now": now,
                    },
                )
            ).first()
            if made is None:
                return  # made before (a redelivered command)
            for index, amount in enumerate(amounts):
                await conn.execute(
                    text(
                        "INSERT INTO cheques (id, source, sender_id, amount, currency, memo, "
                        "envelope_id, share_index, created_at) VALUES (:id, 'envelope', :s, "
                        ":a, :cur, :memo, :e, :i, :now)"
                    ),
                    {
                        "id": f"{envelope_id}-{index}",
                        "s": sender_id,
                        "a": amount,
                        "cur": code,
                        "memo": memo,
                        "e": envelope_id,
                        "i": index,
                        "now": now,
                    },
                )

        await self.db.transaction(write)
        envelope = await self.get(envelope_id)
        assert envelope is not None
        try:
            for share in envelope.shares:
                await self.cheques.write(share.id, sender_id, share.amount, memo)
        except LedgerError:
            for share in envelope.shares:
                try:
                    await self.cheques.cancel(share.id, sender_id)
                except LedgerError:
                    pass
            raise
        found = await self.get(envelope_id)
        assert found is not None
        return found

    async def shown(self, envelope_id: str, chat_id: int, message_id: int) -> None:
        await self.db.write_one(
            "UPDATE envelopes SET chat_id = :c, message_id = :m WHERE id = :id",
            {"c": chat_id, "m": message_id, "id": envelope_id},
        )

    async def open(self, envelope_id: str, opener_id: int) -> Opened:
        """``opener_id`` opens the next share: one each, never the sender, each share once."""
        envelope = await self.get(envelope_id)
        if envelope is None:
            raise EnvelopeEmpty()
        for share in envelope.shares:
            if share.acceptor_id == opener_id:
                return Opened(envelope, share, done=False)
        for share in envelope.shares:
            if share.state != "open":
                continue
            try:
                outcome = await self.cheques.accept(share.id, opener_id, None)
            except (ChequeTaken, AlreadyResolved):
                continue  # someone else's at this moment, or over: the next one
            after = await self.get(envelope_id)
            assert after is not None
            return Opened(after, outcome.cheque, outcome.done, outcome.messages)
        raise EnvelopeEmpty()
