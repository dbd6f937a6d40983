"""The ledger's tables as SQLAlchemy 2 typed declarative models.

Migrations (``ledger/migrations``) are the one way the schema is made; these models describe
it, and are checked to: tests/ledger/test_schema_models.py runs Alembic's ``compare_metadata``
on a database the migrations built, on SQLite and PostgreSQL, and finds no difference (a
change to one without the other fails it). Invariants live in the database: CHECK
constraints on the tables and the triggers created by the migrations (see
``ledger/README.md``); Alembic compares neither, the tests that exercise them check them.

Times are stored as integer microseconds since the Unix epoch (UTC) so that both engines
compare and divide them the same way inside triggers; ``Timestamp`` converts at the edge.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Text,
    TypeDecorator,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# On SQLite only INTEGER PRIMARY KEY is an auto-incrementing rowid alias.
Id = BigInteger().with_variant(Integer(), "sqlite")

MEMO_MAX = 200
KEY_MAX = 128
# Caps of revision 0005, far below 2^63 so no sum the ledger makes overflows 64 bits: a single
# amount (10 trillion USD in cents), and every stored counter (an account's row, each of its
# credit shards); 17 of them, an account's credits on PostgreSQL (its row and 16 shards),
# stay under 2^62.
AMOUNT_MAX = 10**15
COUNTER_MAX = 25 * 10**16


def clean_text(text: str | None) -> str:
    """Free text (a memo, a reason) as the ledger stores it: trimmed, and without NUL
    characters, which PostgreSQL text cannot hold (SQLite could): both engines store the same,
    and neither raises a driver error for it."""
    return (text or "").replace("\x00", "").strip()


USEC = 1_000_000
DAY_USEC = 86_400 * USEC


def to_micros(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError("ledger times must be timezone-aware")
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * USEC + delta.microseconds


def from_micros(value: int) -> datetime:
    return datetime.fromtimestamp(value // USEC, tz=UTC).replace(microsecond=value % USEC)


class Timestamp(TypeDecorator[datetime]):
    """A timezone-aware datetime stored as integer microseconds since the epoch."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> int | None:
        return None if value is None else to_micros(value)

    def process_result_value(self, value: int | None, dialect: object) -> datetime | None:
        return None if value is None else from_micros(value)


class Base(DeclarativeBase):
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(table_name)s_%(column_0_name)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


class Account(Base):
    __tablename__ = "accounts"
    __table_args__ = (
        # settlement: the outside world's side of card top-ups and payouts (revision 0009)
        CheckConstraint("kind IN ('user', 'issuance', 'settlement')", name="kind"),
        CheckConstraint("status IN ('active', 'frozen')", name="status"),
        CheckConstraint(
            "debits_posted >= 0 AND credits_posted >= 0 AND debits_pending >= 0 "
            "AND credits_pending >= 0 AND day_sent >= 0",
            name="counters_nonneg",
        ),
        # Revision 0005's caps: CHECKs on PostgreSQL; on SQLite triggers, which also refuse a
        # value not stored as an integer (SQLite cannot add a CHECK without a table rebuild).
        CheckConstraint(
            f"debits_posted <= {COUNTER_MAX} AND credits_posted <= {COUNTER_MAX} "
            f"AND debits_pending <= {COUNTER_MAX} AND credits_pending <= {COUNTER_MAX} "
            f"AND day_sent <= {COUNTER_MAX}",
            name="counters_max",
        ).ddl_if(dialect="postgresql"),
        # The no-overdraft invariant: a user account's available balance is never negative.
        # SQLite only: on PostgreSQL credits live partly in AccountCredit shards, which a CHECK
        # cannot see; the trigger accounts_no_overdraft (migration 0003) enforces it there.
        CheckConstraint(
            "kind <> 'user' OR credits_posted - debits_posted - debits_pending >= 0",
            name="no_overdraft",
        ).ddl_if(dialect="sqlite"),
        CheckConstraint("(kind = 'user') = (owner_id IS NOT NULL)", name="owner"),
        Index("uq_accounts_owner_currency", "owner_id", "currency", unique=True),
        Index(
            "uq_accounts_system",
            "kind",
            "currency",
            unique=True,
            sqlite_where=text("owner_id IS NULL"),
            postgresql_where=text("owner_id IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    owner_id: Mapped[int | None] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(16))
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(8), server_default="active")
    debits_posted: Mapped[int] = mapped_column(BigInteger, server_default="0")
    credits_posted: Mapped[int] = mapped_column(BigInteger, server_default="0")
    debits_pending: Mapped[int] = mapped_column(BigInteger, server_default="0")
    credits_pending: Mapped[int] = mapped_column(BigInteger, server_default="0")
    # Daily sending counter: the UTC day number it counts, and what was sent that day.
    day_number: Mapped[int] = mapped_column(BigInteger, server_default="0")
    day_sent: Mapped[int] = mapped_column(BigInteger, server_default="0")
    created_at: Mapped[datetime] = mapped_column(Timestamp)


class AccountCredit(Base):
    """One shard of an account's credits (PostgreSQL; empty on SQLite).

    A credit updates one of these rows instead of the account's, so payments to one account
    do not wait for each other's commit (migration 0003). An account's credits are its row's
    ``credits_posted`` / ``credits_pending`` plus the sums of its shards. The shard is the
    transfer's id modulo 16, so a hold's resolution comes back to the shard the hold wrote.
    Triggers refuse deleting a shard or lowering its ``credits_posted``."""

    __tablename__ = "account_credits"
    __table_args__ = (
        CheckConstraint("credits_posted >= 0 AND credits_pending >= 0", name="counters_nonneg"),
        CheckConstraint(
            f"credits_posted <= {COUNTER_MAX} AND credits_pending <= {COUNTER_MAX}",
            name="counters_max",
        ).ddl_if(dialect="postgresql"),
    )

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    shard: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    credits_posted: Mapped[int] = mapped_column(BigInteger, server_default="0")
    credits_pending: Mapped[int] = mapped_column(BigInteger, server_default="0")


class Transfer(Base):
    __tablename__ = "transfers"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('payment', 'credit', 'debit', 'welcome', 'reversal', 'topup', 'payout')",
            name="kind",
        ),
        CheckConstraint("state IN ('pending', 'posted', 'voided', 'expired')", name="state"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint(f"amount <= {AMOUNT_MAX}", name="amount_max").ddl_if(dialect="postgresql"),
        CheckConstraint("debit_account_id <> credit_account_id", name="two_accounts"),
        CheckConstraint(f"length(memo) <= {MEMO_MAX}", name="memo_length"),
        CheckConstraint("state <> 'pending' OR expires_at IS NOT NULL", name="pending_expires"),
        CheckConstraint(
            "(state = 'pending') = (resolved_at IS NULL) OR expires_at IS NULL",
            name="resolution_time",
        ),
        CheckConstraint("(kind = 'reversal') = (reverses_id IS NOT NULL)", name="reversal_link"),
        Index("ix_transfers_debit", "debit_account_id", "id"),
        Index("ix_transfers_credit", "credit_account_id", "id"),
        Index(
            "ix_transfers_pending_expiry",
            "expires_at",
            sqlite_where=text("state = 'pending'"),
            postgresql_where=text("state = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    ref: Mapped[str] = mapped_column(String(16), unique=True)
    idempotency_key: Mapped[str] = mapped_column(String(KEY_MAX), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    debit_account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    credit_account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    state: Mapped[str] = mapped_column(String(8))
    memo: Mapped[str] = mapped_column(Text, server_default="")
    actor_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(Timestamp)
    expires_at: Mapped[datetime | None] = mapped_column(Timestamp)
    resolved_at: Mapped[datetime | None] = mapped_column(Timestamp)
    resolved_by: Mapped[int | None] = mapped_column(BigInteger)
    resolution_key: Mapped[str | None] = mapped_column(String(KEY_MAX))
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("transfers.id"), unique=True)
    # The payment request this hold pays (migration 0007): it settles with the hold.
    request_id: Mapped[int | None] = mapped_column(ForeignKey("payment_requests.id"), index=True)


class AuditEntry(Base):
    """Append-only: triggers refuse UPDATE and DELETE."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_admin", "admin", "id"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(Timestamp)
    actor_id: Mapped[int | None] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(String(32))
    admin: Mapped[bool] = mapped_column(Boolean)
    account_id: Mapped[int | None] = mapped_column(BigInteger)
    transfer_id: Mapped[int | None] = mapped_column(BigInteger)
    amount: Mapped[int | None] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(Text, server_default="")


class Limits(Base):
    __tablename__ = "ledger_limits"
    __table_args__ = (
        CheckConstraint("max_transfer > 0 AND daily_limit > 0", name="positive"),
        CheckConstraint(
            f"max_transfer <= {AMOUNT_MAX} AND daily_limit <= {COUNTER_MAX} "
            "AND welcome_daily_cap >= 0",
            name="max",
        ).ddl_if(dialect="postgresql"),
    )

    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    max_transfer: Mapped[int] = mapped_column(BigInteger)
    daily_limit: Mapped[int] = mapped_column(BigInteger)
    # Welcome credits issued per day at most, across all users (0: none); counted in
    # WelcomeDay by a trigger (revision 0005).
    welcome_daily_cap: Mapped[int] = mapped_column(BigInteger, server_default="100")
    # Daily top-up and payout limits per user (revision 0009; NULL until the first start).
    topup_daily_limit: Mapped[int | None] = mapped_column(BigInteger)
    payout_daily_limit: Mapped[int | None] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(Timestamp)
    updated_by: Mapped[int | None] = mapped_column(BigInteger)


class WelcomeDay(Base):
    """How many welcome credits were issued on a day (UTC day number of the transfers'
    ``created_at``); written by the trigger that refuses the one over the day's cap."""

    __tablename__ = "welcome_days"

    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    day_number: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    issued: Mapped[int] = mapped_column(BigInteger, server_default="0")


class User(Base):
    """The directory: who a Telegram user is, refreshed from every update they send."""

    __tablename__ = "users"
    __table_args__ = (Index("ix_users_username", "username", unique=True),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    username: Mapped[str | None] = mapped_column(String(64))  # lower-case, without '@'
    display_username: Mapped[str | None] = mapped_column(String(64))
    first_name: Mapped[str] = mapped_column(String(128), server_default="")
    last_name: Mapped[str | None] = mapped_column(String(128))
    language_code: Mapped[str | None] = mapped_column(String(16))
    language: Mapped[str | None] = mapped_column(String(8))  # chosen with /language
    is_bot: Mapped[bool] = mapped_column(Boolean, server_default="0")
    registered: Mapped[bool] = mapped_column(Boolean, server_default="0")  # pressed /start
    created_at: Mapped[datetime] = mapped_column(Timestamp)
    updated_at: Mapped[datetime] = mapped_column(Timestamp)
    time_zone: Mapped[str | None] = mapped_column(String(64))  # /timezone (revision 0010)


class PaymentRequest(Base):
    __tablename__ = "payment_requests"
    __table_args__ = (
        Index(
            "ix_payment_requests_open_expiry",
            "expires_at",
            sqlite_where=text("state = 'open'"),
            postgresql_where=text("state = 'open'"),
        ),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint(f"amount <= {AMOUNT_MAX}", name="amount_max").ddl_if(dialect="postgresql"),
        CheckConstraint("state IN ('open', 'paid', 'declined', 'cancelled')", name="state"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    ref: Mapped[str] = mapped_column(String(16), unique=True)
    requester_id: Mapped[int] = mapped_column(BigInteger)
    payer_id: Mapped[int] = mapped_column(BigInteger)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    memo: Mapped[str] = mapped_column(Text, server_default="")
    state: Mapped[str] = mapped_column(String(10), server_default="open")
    transfer_ref: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(Timestamp)
    resolved_at: Mapped[datetime | None] = mapped_column(Timestamp)
    # Caller-chosen, like a transfer's: a request delivered twice is created once.
    idempotency_key: Mapped[str | None] = mapped_column(String(KEY_MAX), unique=True)
    # Revision 0010: a request lasts until paid, declined, withdrawn or this moment; the
    # requester's last reminder (at most one a day).
    expires_at: Mapped[int | None] = mapped_column(BigInteger)
    reminded_at: Mapped[int | None] = mapped_column(BigInteger)


class Card(Base):
    """Where a pending transfer's confirmation card was shown, so expiry can edit it."""

    __tablename__ = "cards"

    transfer_id: Mapped[int] = mapped_column(ForeignKey("transfers.id"), primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[int] = mapped_column(BigInteger)
    request_id: Mapped[int | None] = mapped_column(BigInteger)


class OutboxMessage(Base):
    """A message a money movement owes someone, written in the transaction that moved the
    money (migration 0007) and marked sent once delivered."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index(
            "ix_outbox_unsent",
            "claimed_at",
            sqlite_where=text("sent_at IS NULL"),
            postgresql_where=text("sent_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    event_key: Mapped[str] = mapped_column(String(160), unique=True)
    recipient_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(32))
    transfer_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    request_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    detail: Mapped[int | None] = mapped_column(BigInteger)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[int] = mapped_column(BigInteger)
    claimed_at: Mapped[int] = mapped_column(BigInteger)
    claimed_by: Mapped[str | None] = mapped_column(String(160))
    sent_at: Mapped[int | None] = mapped_column(BigInteger)


# --- shared state of the chat's workers (migration 0006) ----------------------------------


class AdminCard(Base):
    """A destructive admin action waiting for its admin's Confirm, until ``expires_at``."""

    __tablename__ = "admin_cards"
    __table_args__ = (
        CheckConstraint(
            "state IN ('open', 'acting', 'done', 'failed', 'cancelled', 'expired')", name="state"
        ),
        Index("ix_admin_cards_expires_at", "expires_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    admin_id: Mapped[int] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text, server_default="")
    target_id: Mapped[int | None] = mapped_column(BigInteger)
    other_id: Mapped[int | None] = mapped_column(BigInteger)
    amount: Mapped[int] = mapped_column(BigInteger, server_default="0")
    ref: Mapped[str] = mapped_column(String(32), server_default="")
    key: Mapped[str] = mapped_column(String(KEY_MAX), server_default="")  # the ledger's, if set
    lang: Mapped[str] = mapped_column(String(8))
    chat_id: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[int] = mapped_column(BigInteger)
    state: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str] = mapped_column(Text, server_default="")
    created_at: Mapped[datetime] = mapped_column(Timestamp)
    expires_at: Mapped[datetime] = mapped_column(Timestamp)


class RateUser(Base):
    """A user whose payment actions are counted: the row concurrent admissions lock."""

    __tablename__ = "rate_users"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    told_at: Mapped[datetime | None] = mapped_column(Timestamp)  # last "slow down"


class RateEvent(Base):
    """One admitted payment action (dropped by the sweeper once out of every window)."""

    __tablename__ = "rate_events"
    __table_args__ = (
        Index("ix_rate_events_user_id", "user_id", "at"),
        Index("ix_rate_events_at", "at"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[datetime] = mapped_column(Timestamp)


class Conversation(Base):
    """A guided conversation in progress (its state and draft as JSON), until ``expires_at``."""

    __tablename__ = "conversations"
    __table_args__ = (Index("ix_conversations_expires_at", "expires_at"),)

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(16), primary_key=True)
    state: Mapped[str] = mapped_column(String(16))
    draft: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime] = mapped_column(Timestamp)


class ChatThrottle(Base):
    """When a chat was last answered on a topic (a group's /help: once a minute)."""

    __tablename__ = "chat_throttle"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    topic: Mapped[str] = mapped_column(String(16), primary_key=True)
    at: Mapped[datetime] = mapped_column(Timestamp)


# --- cheques, red envelopes and payment links (migration 0008) ----------------------------


class Cheque(Base):
    """Money held for a payee chosen later (an inline cheque, escrow, an envelope's share):
    ``hold_id`` is its hold, ``payout_id`` the payment to whoever accepted it, written in the
    transaction that voids the hold (``ledger.payments.cheques``)."""

    __tablename__ = "cheques"
    __table_args__ = (
        CheckConstraint("amount >= 0", name="amount"),
        CheckConstraint("amount > 0 OR hold_id IS NULL", name="held_amount"),
        CheckConstraint("payout_id IS NULL OR acceptor_id IS NOT NULL", name="paid_to"),
        CheckConstraint("payout_id IS NULL OR hold_id IS NOT NULL", name="held"),
        CheckConstraint("source IN ('inline', 'escrow', 'envelope')", name="source"),
        Index("ix_cheques_sender", "sender_id"),
        Index("ix_cheques_acceptor", "acceptor_id"),
        Index("uq_cheques_envelope_acceptor", "envelope_id", "acceptor_id", unique=True),
        Index("uq_cheques_envelope_share", "envelope_id", "share_index", unique=True),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    source: Mapped[str] = mapped_column(String(8))
    sender_id: Mapped[int] = mapped_column(BigInteger)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    memo: Mapped[str] = mapped_column(Text, server_default="")
    to_username: Mapped[str | None] = mapped_column(String(64))
    inline_message_id: Mapped[str | None] = mapped_column(String(256))
    hold_id: Mapped[int | None] = mapped_column(Id, ForeignKey("transfers.id"), unique=True)
    payout_id: Mapped[int | None] = mapped_column(Id, ForeignKey("transfers.id"), unique=True)
    acceptor_id: Mapped[int | None] = mapped_column(BigInteger)
    closed: Mapped[bool] = mapped_column(Boolean, server_default=false())
    envelope_id: Mapped[str | None] = mapped_column(String(32))
    share_index: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[int] = mapped_column(BigInteger)


class Envelope(Base):
    """A red envelope: ``total`` in ``shares`` shares drawn from ``seed`` when it is made;
    ``commitment`` (the seed's hash) is shown on it, the seed once it is over."""

    __tablename__ = "envelopes"
    __table_args__ = (
        CheckConstraint("total >= shares AND shares >= 1", name="shares"),
        CheckConstraint("mode IN ('random', 'equal')", name="mode"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    sender_id: Mapped[int] = mapped_column(BigInteger)
    total: Mapped[int] = mapped_column(BigInteger)
    shares: Mapped[int] = mapped_column(Integer)
    mode: Mapped[str] = mapped_column(String(8))
    memo: Mapped[str] = mapped_column(Text, server_default="")
    seed: Mapped[str] = mapped_column(String(64))
    commitment: Mapped[str] = mapped_column(String(64))
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[int] = mapped_column(BigInteger)


class PaymentLink(Base):
    """A "pay me" link (t.me/<bot>?start=pay-<id>), single-use or reusable, until it expires
    or is revoked; a payment through it is an ordinary hold and card."""

    __tablename__ = "payment_links"
    __table_args__ = (
        CheckConstraint("amount IS NULL OR amount > 0", name="amount"),
        Index("ix_payment_links_owner", "owner_id"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    owner_id: Mapped[int] = mapped_column(BigInteger)
    amount: Mapped[int | None] = mapped_column(BigInteger)
    memo: Mapped[str] = mapped_column(Text, server_default="")
    reusable: Mapped[bool] = mapped_column(Boolean, server_default=false())
    revoked: Mapped[bool] = mapped_column(Boolean, server_default=false())
    expires_at: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[int] = mapped_column(BigInteger)


class PaymentCard(Base):
    """A linked card (revision 0009): the emulated processor's token, the last four digits
    and the expiry; never the number. Replaced cards stay (``unlinked_at``) for the payouts
    made to them."""

    __tablename__ = "payment_cards"
    __table_args__ = (
        CheckConstraint("length(last4) = 4", name="last4"),
        Index(
            "uq_payment_cards_linked",
            "owner_id",
            unique=True,
            sqlite_where=text("unlinked_at IS NULL"),
            postgresql_where=text("unlinked_at IS NULL"),
        ),
    )

    token: Mapped[str] = mapped_column(String(40), primary_key=True)
    owner_id: Mapped[int] = mapped_column(BigInteger)
    last4: Mapped[str] = mapped_column(String(4))
    brand: Mapped[str] = mapped_column(String(16))
    exp_month: Mapped[int] = mapped_column(SmallInteger)
    exp_year: Mapped[int] = mapped_column(SmallInteger)
    behaviour: Mapped[str] = mapped_column(String(32))  # what the test card does
    linked_at: Mapped[int] = mapped_column(BigInteger)
    unlinked_at: Mapped[int | None] = mapped_column(BigInteger)


class FundingRow(Base):
    """A top-up or payout asked for (revision 0009): the opaque token its button or invoice
    carries, its state, and Telegram's charge id once paid."""

    __tablename__ = "fundings"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("kind IN ('topup', 'payout')", name="kind"),
        CheckConstraint("method IN ('card', 'telegram')", name="method"),
        CheckConstraint(
            "state IN ('proposed', 'charging', 'paid', 'declined', 'cancelled', 'expired', "
            "'held', 'refunded')",
            name="state",
        ),
        Index("ix_fundings_owner", "owner_id", "kind", "created_at"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    token: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[str] = mapped_column(String(8))
    method: Mapped[str] = mapped_column(String(8))
    owner_id: Mapped[int] = mapped_column(BigInteger)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    state: Mapped[str] = mapped_column(String(10))
    card_token: Mapped[str | None] = mapped_column(String(40))
    card_last4: Mapped[str | None] = mapped_column(String(4))
    charge_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    provider_charge_id: Mapped[str | None] = mapped_column(String(255))
    decline: Mapped[str | None] = mapped_column(String(32))
    transfer_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[int] = mapped_column(BigInteger)
    resolved_at: Mapped[int | None] = mapped_column(BigInteger)
