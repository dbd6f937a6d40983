"""shared state in the database: what every worker must see the same

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01

Several bot processes on one database keep nothing a press, an answer or a limit depends on
in their own memory:

- ``admin_cards``: a freeze, debit or reverse waiting for its admin's Confirm; a press on any
  worker (or after a restart) finds it, and its ``expires_at`` decides when it lapses.
- ``rate_users`` and ``rate_events``: each admitted payment action of a user (a sliding minute
  is counted from its events), and when the user was last told to slow down. On PostgreSQL
  ``rate_admit`` counts and records under the user's row lock, so workers admitting the same
  user's actions at the same moment cannot pass the limit together (one statement per action).
- ``conversations``: a guided /send in progress (its state and draft), until ``expires_at``.
- ``chat_throttle``: when a chat was last answered on a topic (a group's /help).

Times are integer microseconds since the epoch, as everywhere in the ledger.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

_RATE_ADMIT = """
CREATE FUNCTION rate_admit(p_user BIGINT, p_now BIGINT, p_window BIGINT, p_limit INTEGER)
RETURNS BOOLEAN LANGUAGE plpgsql AS $$
BEGIN
    -- A count of recent actions is worth no wait for the disk: a crash may forget the last
    -- few (the user gets a few more actions that minute), never money.
    PERFORM set_config('synchronous_commit', 'off', true);
    -- The user's row lock orders concurrent admissions; each statement below takes a new
    -- snapshot, so the count sees every event committed by whoever held the lock before.
    INSERT INTO rate_users (user_id) VALUES (p_user)
    ON CONFLICT (user_id) DO UPDATE SET user_id = excluded.user_id;
    IF (SELECT count(*) FROM rate_events
        WHERE user_id = p_user AND at > p_now - p_window) >= p_limit THEN
        RETURN FALSE;
    END IF;
    INSERT INTO rate_events (user_id, at) VALUES (p_user, p_now);
    RETURN TRUE;
END
$$
"""


def upgrade() -> None:
    op.create_table(
        "admin_cards",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("admin_id", sa.BigInteger(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), server_default="", nullable=False),
        sa.Column("target_id", sa.BigInteger(), nullable=True),
        sa.Column("other_id", sa.BigInteger(), nullable=True),
        sa.Column("amount", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("ref", sa.String(length=32), server_default="", nullable=False),
        sa.Column("key", sa.String(length=128), server_default="", nullable=False),
        sa.Column("lang", sa.String(length=8), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.Text(), server_default="", nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "state IN ('open', 'acting', 'done', 'failed', 'cancelled', 'expired')",
            name=op.f("ck_admin_cards_state"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_admin_cards")),
    )
    op.create_index("ix_admin_cards_expires_at", "admin_cards", ["expires_at"])
    op.create_table(
        "rate_users",
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("told_at", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_rate_users")),
    )
    op.create_table(
        "rate_events",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rate_events")),
    )
    op.create_index("ix_rate_events_user_id", "rate_events", ["user_id", "at"])
    op.create_index("ix_rate_events_at", "rate_events", ["at"])
    op.create_table(
        "conversations",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("draft", sa.Text(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("chat_id", "user_id", "name", name=op.f("pk_conversations")),
    )
    op.create_index("ix_conversations_expires_at", "conversations", ["expires_at"])
    op.create_table(
        "chat_throttle",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("topic", sa.String(length=16), nullable=False),
        sa.Column("at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("chat_id", "topic", name=op.f("pk_chat_throttle")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_RATE_ADMIT)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION rate_admit(BIGINT, BIGINT, BIGINT, INTEGER)")
    op.drop_table("chat_throttle")
    op.drop_index("ix_conversations_expires_at", table_name="conversations")
    op.drop_table("conversations")
    op.drop_index("ix_rate_events_at", table_name="rate_events")
    op.drop_index("ix_rate_events_user_id", table_name="rate_events")
    op.drop_table("rate_events")
    op.drop_table("rate_users")
    op.drop_index("ix_admin_cards_expires_at", table_name="admin_cards")
    op.drop_table("admin_cards")
