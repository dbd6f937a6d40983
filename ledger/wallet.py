"""Reads for a wallet page: an account's history filtered and searched, its balance day by
day, the requests waiting for its owner, the people it last dealt with. Reads only: money
moves through the ledger's (or the payments service's) writes, never here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from ledger.directory import Person
from ledger.models import from_micros, to_micros
from ledger.requests import _COLS as _REQUEST_COLS
from ledger.requests import PaymentRequest, _request
from ledger.sql import _T_COLS_OF_T, _transfer
from ledger.types import ChequeMark, HistoryItem, HistoryPage

if TYPE_CHECKING:
    from ledger.core import Ledger

FILTERS = ("all", "sent", "received", "requests", "cheques")
SEARCH_MAX = 64


@dataclass(frozen=True, slots=True)
class DayBalance:
    day: date
    balance: int  # the posted balance at the end of the day (UTC), minor units


def _like(text: str) -> str:
    """``text`` as a case-insensitive LIKE pattern matching it anywhere, wildcards escaped."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def find_history(
    ledger: Ledger,
    account_id: int,
    *,
    kind: str = "all",
    search: str = "",
    limit: int = 10,
    offset: int = 0,
) -> HistoryPage:
    """The account's transfers, newest first: ``kind`` one of ``FILTERS`` (requests: payments
    made for a payment request; cheques: the holds of the cheques its owner sent and the
    payouts of those sent or accepted, envelope shares included), ``search`` matched against
    the note and the other party's username and names. A paid cheque shows once, as its
    payout (its voided hold is left out); each cheque's transfer carries its ``ChequeMark``."""
    if kind not in FILTERS:
        raise ValueError(f"unknown filter {kind!r}")
    conditions = [
        "(t.debit_account_id = :acc OR t.credit_account_id = :acc)",
        "t.id NOT IN (SELECT ch.hold_id FROM cheques ch WHERE ch.sender_id = :owner "
        "AND ch.hold_id IS NOT NULL AND ch.payout_id IS NOT NULL)",
    ]
    if kind == "sent":
        conditions.append("t.debit_account_id = :acc")
    elif kind == "received":
        conditions.append("t.credit_account_id = :acc")
    elif kind == "requests":
        conditions.append(
            "t.ref IN (SELECT r.transfer_ref FROM payment_requests r "
            "WHERE r.transfer_ref IS NOT NULL AND (r.requester_id = :owner OR r.payer_id = :owner))"
        )
    elif kind == "cheques":
        conditions.append(
            "(t.id IN (SELECT ch.hold_id FROM cheques ch WHERE ch.sender_id = :owner "
            "AND ch.hold_id IS NOT NULL) OR t.id IN (SELECT ch.payout_id FROM cheques ch "
            "WHERE (ch.sender_id = :owner OR ch.acceptor_id = :owner) "
            "AND ch.payout_id IS NOT NULL))"
        )
    params: dict[str, object] = {"acc": account_id, "limit": limit + 1, "offset": offset}
    search = search.strip()[:SEARCH_MAX]
    if search:
        conditions.append(
            "(LOWER(t.memo) LIKE :q ESCAPE '\\' OR c.owner_id IN (SELECT u.id FROM users u "
            "WHERE LOWER(COALESCE(u.username, '')) LIKE :q ESCAPE '\\' "
            "OR LOWER(u.first_name) LIKE :q ESCAPE '\\' "
            "OR LOWER(COALESCE(u.last_name, '')) LIKE :q ESCAPE '\\'))"
        )
        params["q"] = _like(search.lstrip("@"))
    account = await ledger.account(account_id)
    params["owner"] = account.owner_id
    rows = await ledger.db.read_scan(
        f"SELECT {_T_COLS_OF_T}, c.id, c.owner_id "
        "FROM transfers t JOIN accounts c ON c.id = CASE WHEN t.debit_account_id = :acc "
        "THEN t.credit_account_id ELSE t.debit_account_id END "
        f"WHERE {' AND '.join(conditions)} "
        "ORDER BY t.id DESC LIMIT :limit OFFSET :offset",
        params,
    )
    marks = await _cheque_marks(ledger, account.owner_id, [row[0] for row in rows[:limit]])
    items = []
    for row in rows[:limit]:
        outgoing = row[3] == account_id
        other, own = row[18], account.owner_id
        transfer = _transfer(row, own, other) if outgoing else _transfer(row, other, own)
        direction = "out" if outgoing else "in"
        items.append(HistoryItem(transfer, direction, row[17], other, marks.get(transfer.id)))
    return HistoryPage(items, offset, len(rows) > limit)


async def _cheque_marks(
    ledger: Ledger, owner_id: int | None, transfer_ids: list[int]
) -> dict[int, ChequeMark]:
    """Which of ``transfer_ids`` are the holds or payouts of cheques ``owner_id`` sent or
    accepted (read through the cheques' sender and acceptor indexes)."""
    if owner_id is None or not transfer_ids:
        return {}
    ids = {f"t{i}": transfer_id for i, transfer_id in enumerate(transfer_ids)}
    listed = ", ".join(f":{name}" for name in ids)
    rows = await ledger.db.read_one(
        "SELECT ch.hold_id, ch.payout_id, ch.to_username, ch.envelope_id FROM cheques ch "
        "WHERE (ch.sender_id = :owner OR ch.acceptor_id = :owner) "
        f"AND (ch.hold_id IN ({listed}) OR ch.payout_id IN ({listed}))",
        {"owner": owner_id, **ids},
    )
    marks = {}
    for hold_id, payout_id, to_username, envelope_id in rows:
        for role, transfer_id in (("hold", hold_id), ("payout", payout_id)):
            if transfer_id in transfer_ids:
                marks[transfer_id] = ChequeMark(role, to_username, envelope_id is not None)
    return marks


async def balance_by_day(ledger: Ledger, account_id: int, days: int = 30) -> list[DayBalance]:
    """The account's posted balance at the end of each of the last ``days`` days (UTC),
    oldest first, today last (its balance now). Walked back from today's balance through
    the posted movements since, so it always ends at what the account holds."""
    now = ledger.clock()
    today = now.date()
    start = datetime.combine(today - timedelta(days=days - 1), datetime.min.time(), now.tzinfo)
    account = await ledger.account(account_id)
    balance = account.credits_posted - account.debits_posted
    rows = await ledger.db.read_scan(
        "SELECT CASE WHEN t.credit_account_id = :acc THEN t.amount ELSE -t.amount END, "
        "COALESCE(t.resolved_at, t.created_at) FROM transfers t "
        "WHERE (t.debit_account_id = :acc OR t.credit_account_id = :acc) "
        "AND t.state = 'posted' AND COALESCE(t.resolved_at, t.created_at) >= :start",
        {"acc": account_id, "start": to_micros(start)},
    )
    moved: dict[date, int] = {}
    for amount, at in rows:
        day = from_micros(at).date()
        moved[day] = moved.get(day, 0) + amount
    series = []
    for back in range(days):
        day = today - timedelta(days=back)
        series.append(DayBalance(day, balance))
        balance -= moved.get(day, 0)  # the end of the day before
    series.reverse()
    return series


async def open_requests_for(ledger: Ledger, payer_id: int, limit: int = 20) -> list[PaymentRequest]:
    """Requests waiting for ``payer_id`` to pay or decline, newest first."""
    rows = await ledger.db.read_one(
        f"SELECT {_REQUEST_COLS} FROM payment_requests "
        "WHERE payer_id = :p AND state = 'open' AND currency = :c ORDER BY id DESC LIMIT :n",
        {"p": payer_id, "c": ledger.currency.code, "n": limit},
    )
    return [_request(row) for row in rows]


async def recent_people(ledger: Ledger, account_id: int, limit: int = 6) -> list[Person]:
    """The registered people the account last paid, most recent first."""
    rows = await ledger.db.read_scan(
        "SELECT a.owner_id, MAX(t.id) AS last FROM transfers t "
        "JOIN accounts a ON a.id = t.credit_account_id "
        "WHERE t.debit_account_id = :acc AND t.kind = 'payment' AND a.owner_id IS NOT NULL "
        "GROUP BY a.owner_id ORDER BY last DESC LIMIT :n",
        {"acc": account_id, "n": limit},
    )
    people = []
    for owner_id, _ in rows:
        person = await ledger.directory.get(owner_id)
        if person is not None and person.registered:
            people.append(person)
    return people
