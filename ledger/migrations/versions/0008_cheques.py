"""cheques (money held for a payee chosen later: inline cheques, escrow) and payment links

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02

A cheque is a row naming its sender, amount and note, and the two transfers that are its
money: ``hold_id``, a hold on the sender's funds (a pending payment to the system account,
never posted), and ``payout_id``, the payment to whoever accepted it. Accepting voids the
hold and writes the payout in one transaction (``ledger.payments.cheques``), so a cheque
pays at most once, to one person (``acceptor_id`` is claimed once, by the transaction that writes ``payout_id``),
and only money that was held. ``closed``: a cheque declared void before its hold was made
(its chosen-result report never came): it can never be held afterwards.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "cheques",
        sa.Column("id", sa.String(length=32), primary_key=True),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("sender_id", sa.BigInteger(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("memo", sa.Text(), nullable=False, server_default=""),
        sa.Column("to_username", sa.String(length=64), nullable=True),
        sa.Column("inline_message_id", sa.String(length=256), nullable=True),
        sa.Column("hold_id", _ID, sa.ForeignKey("transfers.id"), nullable=True, unique=True),
        sa.Column("payout_id", _ID, sa.ForeignKey("transfers.id"), nullable=True, unique=True),
        sa.Column("acceptor_id", sa.BigInteger(), nullable=True),
        sa.Column("closed", sa.Boolean(), nullable=False, server_default=sa.false()),
        # A red envelope's share is a cheque: its envelope, and its place in the draw.
        sa.Column("envelope_id", sa.String(length=32), nullable=True),
        sa.Column("share_index", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("amount >= 0", name="amount"),
        sa.CheckConstraint("amount > 0 OR hold_id IS NULL", name="held_amount"),
        sa.CheckConstraint("payout_id IS NULL OR acceptor_id IS NOT NULL", name="paid_to"),
        sa.CheckConstraint("payout_id IS NULL OR hold_id IS NOT NULL", name="held"),
        sa.CheckConstraint("source IN ('inline', 'escrow', 'envelope')", name="source"),
    )
    op.create_index("ix_cheques_sender", "cheques", ["sender_id"])
    op.create_index("ix_cheques_acceptor", "cheques", ["acceptor_id"])
    # Each person opens an envelope once: one share per acceptor per envelope (NULLs, the
    # cheques of no envelope, are distinct).
    op.create_index(
        "uq_cheques_envelope_acceptor", "cheques", ["envelope_id", "acceptor_id"], unique=True
    )
    op.create_index(
        "uq_cheques_envelope_share", "cheques", ["envelope_id", "share_index"], unique=True
    )
    # Red envelopes: ``total`` in ``shares`` shares fixed at creation from ``seed``, whose
    # hash ``commitment`` is shown on the envelope; the seed is shown once it is over.
    op.create_table(
        "envelopes",
        sa.Column("id", sa.String(length=32), primary_key=True),
        sa.Column("sender_id", sa.BigInteger(), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column("shares", sa.Integer(), nullable=False),
        sa.Column("mode", sa.String(length=8), nullable=False),
        sa.Column("memo", sa.Text(), nullable=False, server_default=""),
        sa.Column("seed", sa.String(length=64), nullable=False),
        sa.Column("commitment", sa.String(length=64), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=True),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("total >= shares AND shares >= 1", name="shares"),
        sa.CheckConstraint("mode IN ('random', 'equal')", name="mode"),
    )
    # "Pay me" links: t.me/<bot>?start=pay-<id>. A payment through one is an ordinary hold
    # and card; a single-use link's holds are keyed in a chain (ledger.payments.links), so
    # the database lets at most one be live or posted at a time.
    op.create_table(
        "payment_links",
        sa.Column("id", sa.String(length=32), primary_key=True),
        sa.Column("owner_id", sa.BigInteger(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=True),
        sa.Column("memo", sa.Text(), nullable=False, server_default=""),
        sa.Column("reusable", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("revoked", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("amount IS NULL OR amount > 0", name="amount"),
    )
    op.create_index("ix_payment_links_owner", "payment_links", ["owner_id"])


def downgrade() -> None:
    op.drop_table("envelopes")
    op.drop_table("payment_links")
    op.drop_table("cheques")
