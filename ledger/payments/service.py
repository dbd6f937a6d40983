"""``Payments``: the workflows of a payment, one call each. Plain arguments (user ids,
amounts in minor units, notes, idempotency keys the caller derives from its own request
ids), outcome dataclasses back (``ledger.payments.outcomes``), the ledger's typed errors as
refusals. The rules that need more than one statement live in the database, in the
transaction that moves the money (migration 0007): a request settles with the hold that
pays it, a declined request is never paid, and every message owed is an outbox row.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from datetime import timedelta

from ledger.core import Ledger
from ledger.errors import (
    AccountFrozen,
    AlreadyResolved,
    AlreadyReversed,
    DailyLimitExceeded,
    DatabaseUnavailable,
    InsufficientFunds,
    MemoTooLong,
    NotYours,
    OutcomeUnknown,
    OverTransferMax,
    RequestClosed,
    RequestRefused,
    SameAccount,
    TooSoonToRemind,
    TransferNotFound,
)
from ledger.models import MEMO_MAX
from ledger.outbox import OutboxMessage
from ledger.payments.outcomes import (
    Cancelled,
    Confirmed,
    Declined,
    Expired,
    Frozen,
    Held,
    Moved,
    PayStarted,
)
from ledger.requests import PaymentRequest
from ledger.types import Card, Limits, Transfer


def check_note(note: str) -> None:
    """A payment's note (or an admin's reason) fits the ledger's memo (``MemoTooLong``)."""
    if len(note) > MEMO_MAX:
        raise MemoTooLong(MEMO_MAX)


def check_parties(sender_id: int, recipient_id: int) -> None:
    """Nobody pays themself (nor asks themself for money)."""
    if sender_id == recipient_id:
        raise SameAccount()


def request_hold_key(request_ref: str) -> str:
    """Pay's hold for a request: one per request, however often Pay is pressed."""
    return f"request:{request_ref}"


def late_expiry_key(ref: str) -> str:
    """The resolution key of a hold expired by a late press (its rows are that press's)."""
    return f"late:{ref}"


async def _sent(movement: Awaitable[Transfer]) -> Transfer:
    """A movement whose statement was sent: losing the database now leaves its outcome
    unknown (``OutcomeUnknown``), unlike losing it before (``DatabaseUnavailable``)."""
    try:
        return await movement
    except OutcomeUnknown:
        raise
    except DatabaseUnavailable as error:
        raise OutcomeUnknown() from error


class Payments:
    """The payments service over one ``Ledger``; ``hold_expiry``: how long a hold lasts."""

    def __init__(
        self,
        ledger: Ledger,
        *,
        hold_expiry: timedelta = timedelta(minutes=5),
        request_expiry: timedelta | None = None,
    ) -> None:
        self.ledger = ledger
        self.hold_expiry = hold_expiry
        self.request_expiry = request_expiry  # None: a request lasts until answered
        self.outbox = ledger.outbox
        # Presses of each transfer running in this process, from their first read until
        # the rows they took are delivered. A press redelivered while another press of the
        # same card runs here takes no rows over: the other one wrote them (under the same
        # key) or is delivering them. Across processes the claim in the database decides
        # (``ledger.outbox``).
        self._pressing: Counter[int] = Counter()
        self._delivering: Counter[int] = Counter()  # of those, the ones holding rows

    # --- sending --------------------------------------------------------------------

    async def check_send(self, sender_id: int, recipient_id: int, amount: int) -> None:
        """The checks a hold would make, read ahead (a conversation asks for another amount
        at once). Raises the typed error the hold would; nothing is written."""
        check_parties(sender_id, recipient_id)
        ledger = self.ledger
        mine_id = await ledger.open_account(sender_id)
        theirs_id = await ledger.open_account(recipient_id)
        accounts = await ledger.accounts([mine_id, theirs_id])
        mine, theirs = accounts[mine_id], accounts[theirs_id]
        if mine.frozen:
            raise AccountFrozen(mine_id, "sender")
        if theirs.frozen:
            raise AccountFrozen(theirs_id, "recipient")
        limits = await ledger.limits()
        if amount > limits.max_transfer:
            raise OverTransferMax(limits.max_transfer)
        sent = await ledger.sent_today(mine_id)
        if sent + amount > limits.daily_limit:
            raise DailyLimitExceeded(limits.daily_limit, max(limits.daily_limit - sent, 0))
        if amount > mine.available:
            raise InsufficientFunds(mine.available, amount)

    async def hold(
        self,
        sender_id: int,
        recipient_id: int,
        amount: int,
        note: str,
        *,
        key: str,
        request_id: int | None = None,
    ) -> Held:
        """Reserve ``amount`` for a payment the sender confirms on a card. ``key`` makes a
        redelivered request return the same hold (``transfer.replayed``); its card is to be
        shown unless it is remembered already or the hold has ended."""
        check_parties(sender_id, recipient_id)
        ledger = self.ledger
        held = await ledger.create_pending(
            await ledger.open_account(sender_id),
            await ledger.open_account(recipient_id),
            amount,
            key=key,
            expires_in=self.hold_expiry,
            memo=note,
            actor=sender_id,
            request_id=request_id,
        )
        show = not held.replayed or (
            held.state == "pending" and await ledger.card_of(held.id) is None
        )
        return Held(held, show)

    async def card_shown(
        self, held: Transfer, chat_id: int, message_id: int, request_id: int | None = None
    ) -> None:
        """Remember where ``held``'s card is, so expiry and later presses find it."""
        await self.ledger.remember_card(held.id, chat_id, message_id, request_id)

    async def card_not_shown(self, held: Transfer) -> list[OutboxMessage]:
        """A card that could not be shown: its hold is released (a request it was held for
        is cancelled, its requester told)."""
        await self.ledger.void(held.ref, key=f"unshown:{held.ref}")
        return await self.outbox.written(transfer_ids=[held.id])

    async def _pressed(self, ref: str, presser_id: int) -> tuple[Transfer, Card | None]:
        transfer, card = await self.ledger.transfer_and_card(ref)
        if transfer.expires_at is None:
            raise TransferNotFound(ref)
        if transfer.kind != "payment" or transfer.debit_owner != presser_id:
            raise NotYours(transfer.ref)
        return transfer, card

    async def confirm(
        self, ref: str, presser_id: int, *, key: str, earlier_key: str | None = None
    ) -> Confirmed:
        """Post the card's hold for its sender. ``key`` is the press's own (the same press
        delivered again gets the same result, and delivers what its first delivery did not);
        ``earlier_key``, an earlier press of this caller's whose answer was lost: what it
        wrote is delivered now. Refused when the hold ended (``AlreadyResolved``) or its
        request was declined (``RequestClosed``); ``DatabaseUnavailable`` before anything was
        sent, ``OutcomeUnknown`` when the post was sent and its answer lost."""
        transfer, card = await self._pressed(ref, presser_id)
        async with self._press(transfer.id) as messages:
            return await self._confirm(transfer, card, presser_id, key, earlier_key, messages)

    async def _confirm(
        self,
        transfer: Transfer,
        card: Card | None,
        presser_id: int,
        key: str,
        earlier_key: str | None,
        messages: list[OutboxMessage],
    ) -> Confirmed:
        ledger = self.ledger
        try:
            posted = await _sent(ledger.post(transfer.ref, key=key, actor=presser_id))
        except AlreadyResolved as error:
            if error.state == "posted":  # by another press
                posted = await ledger.get_transfer(transfer.ref)
                if earlier_key:
                    await self._take_over(messages, earlier_key, posted.id)
                available, reserved = await self._balances(posted)
                return Confirmed(
                    posted, card, available, already=True, messages=messages, reserved=reserved
                )
            await self._closed_request(card, error)
            raise
        except RequestClosed:  # a hold made as its request was declined: released, not paid
            try:
                await ledger.void(transfer.ref, key=f"closed:{key}", actor=presser_id)
            except AlreadyResolved:
                pass
            raise
        if posted.replayed:  # this press, again: its first delivery may be running on
            # another worker, so it takes over only rows whose claim went stale (lease)
            await self._take_over(messages, None, posted.id)
        else:
            messages += await self.outbox.written(transfer_ids=[posted.id])
        available, reserved = await self._balances(posted)
        return Confirmed(
            posted,
            card,
            available,
            replayed=posted.replayed,
            messages=messages,
            reserved=reserved,
        )

    async def cancel(self, ref: str, presser_id: int, *, key: str) -> Cancelled:
        """Release the card's hold for its sender (on a request's card: the request is
        declined, by the database). Refused when the hold ended already."""
        transfer, card = await self._pressed(ref, presser_id)
        async with self._press(transfer.id) as messages:
            try:
                voided = await _sent(self.ledger.void(transfer.ref, key=key, actor=presser_id))
            except AlreadyResolved as error:
                await self._closed_request(card, error)
                raise
            if voided.replayed:  # as a replayed Confirm: only rows whose claim went stale
                await self._take_over(messages, None, voided.id)
            else:
                messages += await self.outbox.written(transfer_ids=[voided.id])
            return Cancelled(voided, card, messages)

    async def _closed_request(self, card: Card | None, error: AlreadyResolved) -> None:
        """A request's hold released by its Decline says so: the request is closed."""
        if card is None or card.request_id is None or error.state != "voided":
            return
        request = await self.ledger.requests.by_id(card.request_id)
        if request.state == "declined":
            raise RequestClosed(request.ref, "declined") from error

    async def ended(self, ref: str) -> Cancelled:
        """A card's hold as it ended (expired: what a late press found), and the messages a
        late press that expired it wrote."""
        transfer, card = await self.ledger.transfer_and_card(ref)
        messages = await self.outbox.claim(
            key=late_expiry_key(transfer.ref), transfer_id=transfer.id
        )
        return Cancelled(transfer, card, messages)

    async def expire_overdue(self) -> Expired:
        """Expire every overdue hold (the sweeper's call); the database writes what each
        person is owed (a card to redraw, a request lapsed)."""
        expired = await self.ledger.expire_overdue()
        messages = await self.outbox.written(transfer_ids=[t.id for t in expired])
        return Expired(expired, messages)

    async def stale_messages(self, limit: int = 100) -> list[OutboxMessage]:
        """Outbox rows whose delivery was abandoned (a process stopped between the money
        and the message): taken over once their claim is stale."""
        return await self.outbox.claim(limit=limit)

    async def delivered(self, messages: list[OutboxMessage]) -> None:
        """``messages`` were sent: marked so, nobody sends them again."""
        try:
            await self.outbox.mark_sent([m.id for m in messages])
        finally:
            for transfer_id in {m.transfer_id for m in messages}:
                if transfer_id is not None and self._delivering[transfer_id] > 0:
                    self._delivering[transfer_id] -= 1
                    self._done(transfer_id)

    @asynccontextmanager
    async def _press(self, transfer_id: int) -> AsyncIterator[list[OutboxMessage]]:
        """A press of ``transfer_id`` in this process; yields the list its messages go to.
        The press counts as running until those messages are delivered (``delivered``)."""
        self._pressing[transfer_id] += 1
        messages: list[OutboxMessage] = []
        try:
            yield messages
        finally:
            if messages:
                self._delivering[transfer_id] += 1
            else:
                self._done(transfer_id)

    def _done(self, transfer_id: int) -> None:
        self._pressing[transfer_id] -= 1
        if self._pressing[transfer_id] <= 0:
            del self._pressing[transfer_id]
            self._delivering.pop(transfer_id, None)

    async def _take_over(
        self, into: list[OutboxMessage], key: str | None, transfer_id: int
    ) -> None:
        """Rows of ``transfer_id`` whose claim went stale, and those left under ``key`` (an
        earlier press of this process whose answer was lost: nobody else delivers them),
        unless another press of this transfer runs here."""
        if self._pressing[transfer_id] == 1:
            into += await self.outbox.claim(key=key, transfer_id=transfer_id)

    async def _balances(self, transfer: Transfer) -> tuple[dict[int, int], dict[int, int]]:
        """Both accounts' balances and what each has reserved by holds, in one read."""
        ids = [transfer.debit_account_id, transfer.credit_account_id]
        accounts = await self.ledger.accounts(ids)
        return (
            {i: a.available for i, a in accounts.items()},
            {i: a.on_hold for i, a in accounts.items()},
        )

    # --- requests -------------------------------------------------------------------

    async def request(
        self, requester_id: int, payer_id: int, amount: int, note: str, *, key: str
    ) -> PaymentRequest:
        """Open a request (``replayed`` when ``key`` made it before)."""
        ledger = self.ledger
        limits = await ledger.limits()
        if amount > limits.max_transfer:
            raise OverTransferMax(limits.max_transfer)
        payer_account = await ledger.account_of(payer_id)
        if payer_account is not None and (await ledger.account(payer_account)).status != "active":
            raise RequestRefused()
        return await ledger.requests.create(
            requester_id, payer_id, amount, note, key=key, lasts=self.request_expiry
        )

    async def withdraw_by_requester(self, ref: str, requester_id: int) -> Declined:
        """The requester takes an open request back; a hold its payer made for it is
        released with it (``RequestClosed`` when it is no longer open)."""
        ledger = self.ledger
        asked = await ledger.requests.get(ref)
        if asked.requester_id != requester_id:
            raise NotYours(ref)
        try:
            withdrawn = await ledger.requests.resolve(ref, "cancelled")
        except AlreadyResolved as error:
            raise RequestClosed(ref, error.state) from None
        hold = await self._current_hold(ref)
        card = None
        if hold is not None and hold.state == "pending":
            try:
                hold = await ledger.void(hold.ref, key=f"withdrawn:{ref}", actor=requester_id)
            except AlreadyResolved:
                hold = await ledger.get_transfer(hold.ref)
            card = await ledger.card_of(hold.id)
        return Declined(withdrawn, hold, card)

    async def remind(self, ref: str, requester_id: int) -> PaymentRequest:
        """Note a reminder of an open request: at most one a day (``TooSoonToRemind``)."""
        asked = await self.ledger.requests.get(ref)
        if asked.requester_id != requester_id:
            raise NotYours(ref)
        if asked.state != "open":
            raise RequestClosed(ref, asked.state)
        reminded = await self.ledger.requests.remind(ref)
        if reminded is None:
            current = await self.ledger.requests.get(ref)
            if current.state != "open":
                raise RequestClosed(ref, current.state)
            raise TooSoonToRemind()
        return reminded

    async def lapse_overdue(self) -> list[PaymentRequest]:
        """Requests past their own expiry, closed now (the sweeper tells their requesters)."""
        return await self.ledger.requests.lapse_overdue()

    async def _request_holds(self, ref: str) -> tuple[Transfer | None, str]:
        """The latest hold Pay made for a request, and the key of the hold Pay makes now:
        each ended hold leaves the request open and the next Pay makes a new one
        (``request:<ref>``, then ``request:<ref>:1``, ...); a pending one is found again by
        its own key, so a redelivered press finds the same hold."""
        base = request_hold_key(ref)
        found, key, attempt = None, base, 0
        while (hold := await self.ledger.transfer_by_key(key)) is not None:
            found = hold
            if hold.state == "pending":
                break
            attempt += 1
            key = f"{base}:{attempt}"
        return found, key

    async def _current_hold(self, ref: str) -> Transfer | None:
        return (await self._request_holds(ref))[0]

    async def withdraw(self, ref: str) -> None:
        """A request that could not reach its payer: cancelled, nobody told."""
        try:
            await self.ledger.requests.resolve(ref, "cancelled")
        except AlreadyResolved:
            pass

    async def _open_request(self, ref: str, payer_id: int) -> PaymentRequest:
        asked = await self.ledger.requests.get(ref)
        if asked.payer_id != payer_id:
            raise NotYours(asked.ref)
        if asked.state != "open":
            raise RequestClosed(asked.ref, asked.state)
        if asked.expires_at is not None and asked.expires_at <= self.ledger.clock():
            raise RequestClosed(asked.ref, "cancelled")  # lapsed; the sweeper closes it
        return asked

    async def request_for(self, ref: str, payer_id: int) -> PaymentRequest:
        """The request ``payer_id`` is asked to pay, if it is theirs (``NotYours``)."""
        asked = await self.ledger.requests.get(ref)
        if asked.payer_id != payer_id:
            raise NotYours(asked.ref)
        return asked

    async def pay(self, ref: str, payer_id: int) -> PayStarted:
        """Pay on a request: hold its amount for the payer's Confirm (one pending hold per
        request, however often Pay is pressed; one that ended, by Cancel or expiry, leaves
        the request open for another). ``RequestClosed`` when it is no longer open."""
        try:
            asked = await self._open_request(ref, payer_id)
        except RequestClosed as closed:
            if closed.state == "cancelled":
                hold = await self.ledger.transfer_by_key(request_hold_key(closed.ref))
                if hold is not None and hold.state == "voided" and hold.resolved_by is None:
                    raise RequestClosed(closed.ref, closed.state, unpayable=True) from None
            raise
        _, key = await self._request_holds(asked.ref)
        held = await self.hold(
            payer_id,
            asked.requester_id,
            asked.amount,
            asked.memo,
            key=key,
            request_id=asked.id,
        )
        if held.transfer.replayed and held.transfer.state != "pending":
            # Its hold ended: the database settled the request with it.
            current = await self.ledger.requests.get(asked.ref)
            raise RequestClosed(asked.ref, current.state)
        return PayStarted(asked, held)

    async def decline(self, ref: str, payer_id: int) -> Declined:
        """Decline a request; a hold Pay made for it is released in the same transaction
        (the database), so it can never be paid. ``RequestClosed`` when it is not open."""
        asked = await self._open_request(ref, payer_id)
        ledger = self.ledger
        try:
            declined = await ledger.requests.resolve(asked.ref, "declined")
        except AlreadyResolved as error:
            raise RequestClosed(asked.ref, error.state) from None
        hold = await self._current_hold(asked.ref)
        card = None if hold is None else await ledger.card_of(hold.id)
        messages = await self.outbox.written(request_id=asked.id)
        return Declined(declined, hold, card, messages)

    # --- admin actions --------------------------------------------------------------

    async def credit(
        self, admin_id: int, user_id: int, amount: int, reason: str, *, key: str
    ) -> Moved:
        """Credit ``user_id`` from the issuance account; the database writes their notice."""
        ledger = self.ledger
        return await self._moved(
            ledger.transfer(
                ledger.issuance_account_id,
                await ledger.open_account(user_id),
                amount,
                key=key,
                kind="credit",
                memo=reason,
                actor=admin_id,
            )
        )

    async def debit(
        self, admin_id: int, user_id: int, amount: int, reason: str, *, key: str
    ) -> Moved:
        """Debit ``user_id`` back to the issuance account (never below zero); the database
        writes their notice."""
        ledger = self.ledger
        return await self._moved(
            ledger.transfer(
                await ledger.open_account(user_id),
                ledger.issuance_account_id,
                amount,
                key=key,
                kind="debit",
                memo=reason,
                actor=admin_id,
            )
        )

    async def _moved(self, movement: Awaitable[Transfer]) -> Moved:
        """An operator's movement and the notices to deliver now (migration 0012). A
        redelivered command (the same key: nothing moved) may run while its first delivery
        is sending on another worker, so it takes over only rows whose claim went stale.
        Losing the database after the money leaves the rows to the stale-row job."""
        moved = await movement
        try:
            if moved.replayed:
                messages = await self.outbox.claim(transfer_id=moved.id)
            else:
                messages = await self.outbox.written(transfer_ids=[moved.id])
        except DatabaseUnavailable:
            messages = []  # written and claimed: delivered once the claim is stale
        return Moved(moved, messages)

    async def reversal_candidate(self, ref: str) -> Transfer:
        """The transfer ``ref`` an admin asks to reverse, unless it was reversed already
        (``AlreadyReversed`` naming the reversal); the reversal itself checks the rest."""
        original = await self.ledger.get_transfer(ref)
        reversal = await self.ledger.reversal_of(original.id)
        if reversal is not None:
            raise AlreadyReversed(original.ref, reversal.ref)
        return original

    async def reverse(self, admin_id: int, ref: str, reason: str, *, key: str) -> Moved:
        """Undo transfer ``ref``; the database writes both parties' notices."""
        return await self._moved(self.ledger.reverse(ref, key=key, actor=admin_id, reason=reason))

    async def freeze(self, admin_id: int, user_id: int, reason: str) -> Frozen:
        """Freeze an account: its open holds are released (requests held for cancelled) and
        its owner told, all written with the freeze."""
        ledger = self.ledger
        account_id = await ledger.open_account(user_id)
        result = await ledger.freeze(account_id, actor=admin_id, reason=reason)
        released = [(t, await ledger.card_of(t.id)) for t in result.voided]
        messages = await self.outbox.by_ids(result.notices)
        messages += await self.outbox.written(transfer_ids=[t.id for t in result.voided])
        return Frozen(account_id, result.changed, released, messages)

    async def unfreeze(self, admin_id: int, user_id: int, reason: str) -> Frozen:
        ledger = self.ledger
        account_id = await ledger.account_of(user_id)
        if account_id is None:
            return Frozen(0, False, [])
        result = await ledger.unfreeze(account_id, actor=admin_id, reason=reason)
        return Frozen(account_id, result.changed, [], await self.outbox.by_ids(result.notices))

    async def set_limits(
        self,
        admin_id: int,
        *,
        reason: str = "",
        max_transfer: int | None = None,
        daily_limit: int | None = None,
    ) -> Limits:
        return await self.ledger.set_limits(
            actor=admin_id, reason=reason, max_transfer=max_transfer, daily_limit=daily_limit
        )
