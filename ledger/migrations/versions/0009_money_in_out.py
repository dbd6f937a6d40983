"""top-ups, payouts and refunds

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02

Money in and out of the ledger through cards (issue 15): the ``settlement`` account kind and
the ``topup`` / ``payout`` transfer kinds with the outbox rows they owe (``sql_0009``); the
linked card of each user (``payment_cards``: last four digits and the emulated processor's
token, never the number); every top-up and payout asked for (``fundings``: the opaque id its
button or invoice carries, its state, Telegram's charge id); the daily top-up and payout
limits beside the other limits.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from ledger.migrations import sql_0009

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    sql_0009.upgrade(op.get_bind())
    # Plain ADD COLUMNs (a batch would rebuild the table).
    op.execute("ALTER TABLE ledger_limits ADD COLUMN topup_daily_limit BIGINT")
    op.execute("ALTER TABLE ledger_limits ADD COLUMN payout_daily_limit BIGINT")
    op.create_table(
        "payment_cards",
        # The emulated processor's token: the only handle on the card that is kept.
        sa.Column("token", sa.String(length=40), primary_key=True),
        sa.Column("owner_id", sa.BigInteger(), nullable=False),
        sa.Column("last4", sa.String(length=4), nullable=False),
        sa.Column("brand", sa.String(length=16), nullable=False),
        sa.Column("exp_month", sa.SmallInteger(), nullable=False),
        sa.Column("exp_year", sa.SmallInteger(), nullable=False),
        # What the emulated processor does with this test card (its vault's one fact).
        sa.Column("behaviour", sa.String(length=32), nullable=False),
        sa.Column("linked_at", sa.BigInteger(), nullable=False),
        sa.Column("unlinked_at", sa.BigInteger(), nullable=True),
        sa.CheckConstraint("length(last4) = 4", name="ck_payment_cards_last4"),
    )
    # One linked card per person at a time; replaced ones stay for the payouts made to them.
    op.create_index(
        "uq_payment_cards_linked",
        "payment_cards",
        ["owner_id"],
        unique=True,
        sqlite_where=sa.text("unlinked_at IS NULL"),
        postgresql_where=sa.text("unlinked_at IS NULL"),
    )
    op.create_table(
        "fundings",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("token", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("method", sa.String(length=8), nullable=False),
        sa.Column("owner_id", sa.BigInteger(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("card_token", sa.String(length=40), nullable=True),
        sa.Column("card_last4", sa.String(length=4), nullable=True),
        sa.Column("charge_id", sa.String(length=255), nullable=True),
        sa.Column("provider_charge_id", sa.String(length=255), nullable=True),
        sa.Column("decline", sa.String(length=32), nullable=True),
        sa.Column("transfer_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("resolved_at", sa.BigInteger(), nullable=True),
        sa.UniqueConstraint("token", name="uq_fundings_token"),
        sa.UniqueConstraint("charge_id", name="uq_fundings_charge_id"),
        sa.CheckConstraint("amount > 0", name="ck_fundings_amount_positive"),
        sa.CheckConstraint("kind IN ('topup', 'payout')", name="ck_fundings_kind"),
        sa.CheckConstraint("method IN ('card', 'telegram')", name="ck_fundings_method"),
        sa.CheckConstraint(
            "state IN ('proposed', 'charging', 'paid', 'declined', 'cancelled', 'expired', 'held', "
            "'refunded')",
            name="ck_fundings_state",
        ),
    )
    op.create_index("ix_fundings_owner", "fundings", ["owner_id", "kind", "created_at"])


def downgrade() -> None:
    op.drop_table("fundings")
    op.drop_table("payment_cards")
    # Plain DROP COLUMNs (SQLite 3.35+): a batch would rebuild the table under its triggers.
    op.execute("ALTER TABLE ledger_limits DROP COLUMN payout_daily_limit")
    op.execute("ALTER TABLE ledger_limits DROP COLUMN topup_daily_limit")
    sql_0009.downgrade(op.get_bind())
