"""What admins read: a person's account (/user), one transfer (/tx), the audit log (/audit),
the ledger's figures and health (/stats), the limits (/limits), and refusals worded for an
admin (who is acting on someone else's account, not their own).

Everything here only reads the ledger and returns catalogue text in the admin's language.
"""

from __future__ import annotations

from bot import cheques
from bot.common import explain
from bot.render import memo, money, when, who
from bot.texts import Html, t
from ledger import AuditRecord, Currency, Ledger, Limits, Person, Transfer
from ledger.errors import AccountNotFound, IdempotencyConflict, InsufficientFunds

USER_TRANSFERS = 10
AUDIT_DEFAULT, AUDIT_MAX = 10, 50
# Telegram refuses messages over 4096 characters; long listings are split at line ends.
MESSAGE_MAX = 4000


def admin_explain(reader: str, error: Exception, currency: Currency) -> str:
    """A refusal for an admin: the ledger's typed errors, worded for someone acting on
    another person's account where the user-facing text would say "you"."""
    if isinstance(error, InsufficientFunds):
        return t(
            reader,
            "admin.refusal.insufficient_funds",
            available=money(reader, error.available, currency),
            amount=money(reader, error.amount, currency),
        )
    if isinstance(error, AccountNotFound):
        return t(reader, "admin.refusal.no_account")
    if isinstance(error, IdempotencyConflict):
        return t(reader, "admin.refusal.conflict")
    return explain(reader, error, currency)


def split_message(lines: list[str]) -> list[str]:
    """Lines joined into as few messages as fit Telegram's size limit, never cutting a line
    (so no HTML tag is ever split)."""
    chunks: list[str] = []
    current = ""
    for line in lines:
        candidate = f"{current}\n{line}" if current else line
        if current and len(candidate) > MESSAGE_MAX:
            chunks.append(current)
            candidate = line
        current = candidate
    if current:
        chunks.append(current)
    return chunks


async def person_name(ledger: Ledger, owner_id: int | None, reader: str) -> Html:
    """Whoever owns an account, as admins see them: @username, a name, or the bare id."""
    if owner_id is None:
        return who(None, reader)
    person = await ledger.directory.get(owner_id)
    return who(person or Person(owner_id, None, str(owner_id)), reader)


def kind_name(reader: str, kind: str) -> str:
    return t(reader, f"admin.kind.{kind}")


def state_name(reader: str, state: str) -> str:
    return t(reader, f"admin.state.{state}")


# --- /user -------------------------------------------------------------------------------


async def user_view(ledger: Ledger, person: Person, reader: str) -> list[str]:
    """A person's account: status, figures, today's sending against the limits, last moves."""
    currency = ledger.currency
    head = t(
        reader,
        "admin.user.head",
        name=who(person, reader),
        full_name=person.name,
        id=person.id,
        registered=t(reader, "admin.yes" if person.registered else "admin.no"),
    )
    account_id = await ledger.account_of(person.id)
    if account_id is None:
        return [head, t(reader, "admin.user.no_account")]
    account = await ledger.account(account_id)
    limits = await ledger.limits(fresh=True)
    lines = [
        head,
        t(reader, f"admin.user.status.{account.status}"),
        t(
            reader,
            "admin.user.figures",
            available=money(reader, account.available, currency),
            on_hold=money(reader, account.on_hold, currency),
            sent=money(reader, await ledger.sent_today(account_id), currency),
            daily=money(reader, limits.daily_limit, currency),
            maximum=money(reader, limits.max_transfer, currency),
        ),
    ]
    lines += await cheques.admin_user_lines(ledger, person.id, reader)  # issue 14
    page = await ledger.history(account_id, limit=USER_TRANSFERS)
    if not page.items:
        lines.append(t(reader, "admin.user.no_transfers"))
        return lines
    lines.append(t(reader, "admin.user.transfers", count=len(page.items)))
    for item in page.items:
        transfer = item.transfer
        lines.append(
            t(
                reader,
                f"admin.user.{item.direction}",
                amount=money(reader, transfer.amount, currency),
                who=await person_name(ledger, item.counterparty_owner, reader),
                memo=memo(transfer.memo),
                kind=kind_name(reader, transfer.kind),
                state=state_name(reader, transfer.state),
                ref=transfer.ref,
                date=when(reader, transfer.created_at),
            )
        )
    return lines


# --- /tx ---------------------------------------------------------------------------------


async def transfer_view(ledger: Ledger, transfer: Transfer, reader: str) -> list[str]:
    """One transfer in full: parties, amount, memo, state, times, and its reversal links."""
    lines = [
        t(
            reader,
            "admin.tx.head",
            ref=transfer.ref,
            kind=kind_name(reader, transfer.kind),
            state=state_name(reader, transfer.state),
        ),
        t(
            reader,
            "admin.tx.parties",
            sender=await person_name(ledger, transfer.debit_owner, reader),
            recipient=await person_name(ledger, transfer.credit_owner, reader),
            amount=money(reader, transfer.amount, ledger.currency),
        ),
    ]
    if transfer.memo:
        lines.append(t(reader, "admin.tx.memo", memo=transfer.memo))
    lines.append(
        t(
            reader,
            "admin.tx.created",
            date=when(reader, transfer.created_at),
            actor=await _actor(ledger, transfer.actor_id, reader),
        )
    )
    if transfer.expires_at is not None:
        lines.append(t(reader, "admin.tx.expires", date=when(reader, transfer.expires_at)))
    if transfer.resolved_at is not None:
        lines.append(
            t(
                reader,
                "admin.tx.resolved",
                state=state_name(reader, transfer.state),
                date=when(reader, transfer.resolved_at),
                actor=await _actor(ledger, transfer.resolved_by, reader),
            )
        )
    if transfer.reverses_id is not None:
        original = await ledger.transfer_by_id(transfer.reverses_id)
        lines.append(t(reader, "admin.tx.reverses", ref=original.ref))
    reversal = await ledger.reversal_of(transfer.id)
    if reversal is not None:
        lines.append(
            t(
                reader,
                "admin.tx.reversed_by",
                ref=reversal.ref,
                date=when(reader, reversal.created_at),
            )
        )
    lines += await cheques.admin_transfer_lines(ledger, transfer, reader)  # issue 14
    return lines


async def _actor(ledger: Ledger, actor_id: int | None, reader: str) -> Html:
    if actor_id is None:
        return Html(t(reader, "admin.nobody"))
    return await person_name(ledger, actor_id, reader)


# --- /audit ------------------------------------------------------------------------------


async def audit_view(ledger: Ledger, records: list[AuditRecord], reader: str) -> list[str]:
    """The latest admin actions, newest first: when, who, what, to whom, why."""
    if not records:
        return [t(reader, "admin.audit.empty")]
    lines = [t(reader, "admin.audit.head", count=len(records))]
    for record in records:
        key = f"admin.action.{record.action}"
        details = []
        if record.amount is not None:
            details.append(money(reader, record.amount, ledger.currency))
        if record.transfer_ref:
            details.append(record.transfer_ref)
        lines.append(
            t(
                reader,
                "admin.audit.line",
                date=when(reader, record.at),
                actor=await _actor(ledger, record.actor_id, reader),
                action=t(reader, key) if key in _ACTIONS else record.action,
                target=Html(" · " + await person_name(ledger, record.owner_id, reader))
                if record.owner_id is not None
                else "",
                details=f" · {', '.join(details)}" if details else "",
                reason=memo(record.reason),
            )
        )
    return lines


_ACTIONS = {
    f"admin.action.{action}"
    for action in (
        "freeze",
        "unfreeze",
        "limits",
        "credit.posted",
        "debit.posted",
        "reversal.posted",
    )
}


# --- /stats and /limits ------------------------------------------------------------------


async def stats_view(ledger: Ledger, reader: str) -> list[str]:
    """The ledger's figures and ``verify()``'s verdict, naming exactly what is broken."""
    stats = await ledger.stats()
    currency = ledger.currency
    lines = [
        t(
            reader,
            "admin.stats.figures",
            users=stats.users,
            frozen=stats.frozen,
            accounts=stats.verify.accounts_checked,
            issued=money(reader, stats.total_issued, currency),
            count=stats.transfers_today,
            volume=money(reader, stats.volume_today, currency),
            pending=stats.pending,
        )
    ]
    report = stats.verify
    if report.ok:
        lines.append(
            t(
                reader,
                "admin.stats.healthy",
                accounts=report.accounts_checked,
                transfers=report.transfers_checked,
            )
        )
        return lines
    lines.append(t(reader, "admin.stats.broken", count=len(report.problems)))
    # The ledger's own diagnostic wording: technical data, shown verbatim.
    lines.extend(t(reader, "admin.stats.problem", problem=problem) for problem in report.problems)
    return lines


def limits_view(limits: Limits, defaults: Limits, currency: Currency, reader: str) -> str:
    return t(
        reader,
        "admin.limits.show",
        maximum=money(reader, limits.max_transfer, currency),
        daily=money(reader, limits.daily_limit, currency),
        default_maximum=money(reader, defaults.max_transfer, currency),
        default_daily=money(reader, defaults.daily_limit, currency),
    )
