"""PostgreSQL goes away in the middle of payments: the ledger talks to it through a TCP proxy
the test cuts, refuses, blackholes and restores.

While the database is unreachable every call raises ``DatabaseUnavailable`` (the one error
the chat turns into "your payment did not go through"), never a driver exception, never a
hang; nothing is half-applied and holds stay consistent. When the database returns, the
same ``Ledger`` object works again without a restart. A movement whose reply was lost (the
server committed, the client never heard) is retried with its key and lands exactly once.
A freeze cut between two of its statements leaves nothing applied.

Every check of the books goes through a second ledger connected directly, not through the
proxy: the witness.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event

from ledger import Currency, Ledger, Limits
from ledger.db import Database
from ledger.errors import DatabaseUnavailable
from tests.conftest import FakeClock
from tests.hardening.conftest import url_of
from tests.hardening.tcp_proxy import TcpProxy

HANG_GUARD_S = 30  # far above those: reaching it means the ledger hung
HOLD = timedelta(minutes=10)


@pytest.fixture
def payments(proxied: Ledger) -> Ledger:
    """The ledger under test: every byte to PostgreSQL goes through the proxy."""
    return proxied


async def unavailable(call: Awaitable[Any]) -> DatabaseUnavailable:
    """The call must fail with DatabaseUnavailable, promptly."""
    with pytest.raises(DatabaseUnavailable) as raised:
        await asyncio.wait_for(call, HANG_GUARD_S)
    return raised.value


async def fill_pool(ledger: Ledger, connections: int) -> None:
    """Leave several idle connections in the pool, as a busy bot would."""
    await asyncio.gather(
        *(ledger.db.read_one("SELECT pg_sleep(0.05)", {}) for _ in range(connections))
    )


async def people(ledger: Ledger) -> tuple[int, int]:
    alice, bob = await ledger.open_account(1), await ledger.open_account(2)
    await ledger.transfer(ledger.issuance_account_id, alice, 10_000, key="top-up", kind="credit")
    return alice, bob


async def assert_books(witness: Ledger, alice: int, bob: int, figures: dict[str, int]) -> None:
    report = await witness.verify()
    assert report.ok, report.summary()
    accounts = await witness.accounts([alice, bob])
    assert {
        "alice": accounts[alice].available,
        "alice_held": accounts[alice].on_hold,
        "bob": accounts[bob].available,
    } == figures


async def transfers_with_key(witness: Ledger, key: str) -> int:
    rows = await witness.db.read_one(
        "SELECT COUNT(*) FROM transfers WHERE idempotency_key = :k", {"k": key}
    )
    return int(rows[0][0])


async def test_while_database_is_down_every_call_fails_cleanly_and_then_works_again(
    payments: Ledger, witness: Ledger, proxy: TcpProxy
) -> None:
    alice, bob = await people(payments)
    hold = await payments.create_pending(alice, bob, 1_000, key="hold", expires_in=HOLD)
    await fill_pool(payments, 4)

    proxy.refuse()  # the server is gone: live connections drop, new ones are refused
    moves: list[Callable[[], Awaitable[Any]]] = [
        lambda: payments.transfer(alice, bob, 500, key="send-during"),
        lambda: payments.create_pending(alice, bob, 700, key="hold-during", expires_in=HOLD),
        lambda: payments.post(hold.ref, key="confirm"),
        lambda: payments.void(hold.ref, key="cancel"),
        lambda: payments.freeze(bob, actor=99, reason="outage"),
        lambda: payments.account(alice),
        lambda: payments.verify(),
    ]
    for move in moves:
        await unavailable(move())
    assert proxy.accepted > 1  # the ledger really tried to reconnect

    await assert_books(witness, alice, bob, {"alice": 9_000, "alice_held": 1_000, "bob": 0})
    assert (await witness.get_transfer(hold.ref)).state == "pending"
    assert await transfers_with_key(witness, "send-during") == 0
    assert await transfers_with_key(witness, "hold-during") == 0

    proxy.restore()  # the same Ledger object, no restart: its first call works
    sent = await payments.transfer(alice, bob, 500, key="send-during")
    assert not sent.replayed
    posted = await payments.post(hold.ref, key="confirm")
    assert posted.state == "posted" and not posted.replayed
    await assert_books(witness, alice, bob, {"alice": 8_500, "alice_held": 0, "bob": 1_500})


async def test_pool_recovers_from_a_restart_it_never_saw(
    payments: Ledger, witness: Ledger, proxy: TcpProxy
) -> None:
    alice, bob = await people(payments)
    pooled: set[Any] = set()
    all_closed = asyncio.Event()

    def closed(connection: Any) -> None:
        pooled.discard(connection)
        if not pooled:
            all_closed.set()

    def seen(dbapi_connection: Any, *_: Any) -> None:
        connection = dbapi_connection.driver_connection
        if connection not in pooled:
            pooled.add(connection)
            connection.add_termination_listener(closed)

    engine = payments.db.engine.sync_engine
    event.listen(engine, "checkout", seen)
    await fill_pool(payments, 5)
    event.remove(engine, "checkout", seen)
    for kept in payments.db._pg_idle:  # kept checked out between statements: no checkout
        seen(kept.sync_connection.connection)
    assert len(pooled) == 5

    proxy.cut()  # the server restarted while the bot was idle: every pooled session is dead
    await asyncio.wait_for(all_closed.wait(), HANG_GUARD_S)  # and the bot's event loop saw it
    for n in range(6):  # more calls than pooled connections: none may meet a dead one
        await payments.transfer(alice, bob, 100, key=f"after-restart-{n}")
    await assert_books(witness, alice, bob, {"alice": 9_400, "alice_held": 0, "bob": 600})


@pytest.mark.parametrize("move", ["transfer", "create_pending", "post"])
async def test_a_lost_reply_is_retried_with_its_key_and_lands_once(
    payments: Ledger, witness: Ledger, proxy: TcpProxy, move: str
) -> None:
    alice, bob = await people(payments)
    hold = await payments.create_pending(alice, bob, 2_000, key="hold", expires_in=HOLD)

    async def attempt() -> Any:
        if move == "transfer":
            return await payments.transfer(alice, bob, 300, key="lost-reply")
        if move == "create_pending":
            return await payments.create_pending(alice, bob, 300, key="lost-reply", expires_in=HOLD)
        return await payments.post(hold.ref, key="lost-reply")

    # The server commits, then the connection dies before the client hears back.
    proxy.drop_reply(b"UPDATE 1" if move == "post" else b"INSERT 0 1")
    await unavailable(attempt())
    again = await attempt()  # same key, database back: the original, not a second one
    assert again.replayed
    if move == "post":
        assert again.ref == hold.ref and again.state == "posted"
        figures = {"alice": 8_000, "alice_held": 0, "bob": 2_000}
    else:
        assert await transfers_with_key(witness, "lost-reply") == 1
        held = 300 if move == "create_pending" else 0
        figures = {"alice": 7_700, "alice_held": 2_000 + held, "bob": 300 - held}
    await assert_books(witness, alice, bob, figures)


async def test_freeze_cut_between_its_statements_applies_nothing(
    payments: Ledger, witness: Ledger, proxy: TcpProxy
) -> None:
    alice, bob = await people(payments)
    hold = await payments.create_pending(alice, bob, 1_000, key="hold", expires_in=HOLD)

    def cut_after_status_change(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.startswith("UPDATE accounts SET status"):
            proxy.cut()  # the account row is already changed inside the open transaction

    engine = payments.db.engine.sync_engine
    event.listen(engine, "after_cursor_execute", cut_after_status_change)
    try:
        await unavailable(payments.freeze(alice, actor=99, reason="fraud"))
    finally:
        event.remove(engine, "after_cursor_execute", cut_after_status_change)

    assert not (await witness.account(alice)).frozen
    assert (await witness.get_transfer(hold.ref)).state == "pending"
    assert [r for r in await witness.audit_log() if r.action == "freeze"] == []
    await assert_books(witness, alice, bob, {"alice": 9_000, "alice_held": 1_000, "bob": 0})

    frozen = await payments.freeze(alice, actor=99, reason="fraud")  # works once it's back
    assert frozen.changed and [t.ref for t in frozen.voided] == [hold.ref]
    await assert_books(witness, alice, bob, {"alice": 10_000, "alice_held": 0, "bob": 0})


async def test_a_partition_times_out_instead_of_hanging(
    payments: Ledger, witness: Ledger, proxy: TcpProxy
) -> None:
    alice, bob = await people(payments)
    hold = await payments.create_pending(alice, bob, 1_000, key="hold", expires_in=HOLD)
    await fill_pool(payments, 3)
    proxy.blackhole()  # packets vanish: no error ever comes back by itself
    await unavailable(payments.transfer(alice, bob, 100, key="in-the-dark"))
    await unavailable(payments.freeze(alice, actor=99, reason="in the dark"))
    await unavailable(payments.verify())
    await unavailable(payments.open_account(3))  # a new connection: the connect times out
    await assert_books(witness, alice, bob, {"alice": 9_000, "alice_held": 1_000, "bob": 0})

    proxy.restore()
    await payments.transfer(alice, bob, 100, key="in-the-dark")
    assert (await payments.verify()).ok
    frozen = await payments.freeze(alice, actor=99, reason="back")
    assert [t.ref for t in frozen.voided] == [hold.ref]
    await assert_books(witness, alice, bob, {"alice": 9_900, "alice_held": 0, "bob": 100})


async def test_a_swamped_pool_is_database_unavailable_not_a_raw_timeout(
    database_name: str, witness: Ledger, clock: FakeClock, limits: Limits
) -> None:
    """Every pooled connection busy for longer than the pool timeout: the caller hears
    DatabaseUnavailable (a clear 'try again'), not SQLAlchemy's pool TimeoutError."""
    db = Database.from_url(url_of(database_name), pool_size=2, pool_timeout=0.2)
    ledger = Ledger(db, Currency.of("USD"), clock=clock, default_limits=limits)
    await ledger.start()
    alice = await ledger.open_account(1)
    busy = []
    try:
        while True:  # take every connection the pool will give
            busy.append(await asyncio.wait_for(db.engine.connect(), 5))
    except Exception:
        assert busy, "the pool gave no connection at all"
    try:
        with pytest.raises(DatabaseUnavailable):
            await ledger.verify()
        with pytest.raises(DatabaseUnavailable):
            await ledger.freeze(alice, actor=99, reason="swamped")
    finally:
        for conn in busy:
            await conn.close()
        await ledger.close()
    assert not (await witness.account(alice)).frozen
