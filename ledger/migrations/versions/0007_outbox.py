"""a request is linked to the hold that pays it; the outbox

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01

Rules that lived in the chat's handlers move into the database, in the transaction that
moves the money (see ``sql_0007``): a hold made to pay a request names it
(``transfers.request_id``), and posting, voiding or expiring that hold settles the request;
a declined request can never be paid. Every message a money movement owes someone is an
``outbox`` row written by the same statement, delivered and marked sent by the bot. This
replaces the cards' ``told_at`` note (revision 0004): the outbox says who was told.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from ledger.migrations import sql_0007

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    # A plain ADD COLUMN (a batch would rebuild transfers and lose its triggers).
    bind = op.get_bind()
    kind = "BIGINT" if bind.dialect.name == "postgresql" else "INTEGER"
    if "request_id" not in {c["name"] for c in sa.inspect(bind).get_columns("transfers")}:
        # (on SQLite a downgrade leaves it in place: see downgrade)
        op.execute(
            f"ALTER TABLE transfers ADD COLUMN request_id {kind} "
            "CONSTRAINT fk_transfers_request_id REFERENCES payment_requests (id)"
        )
    op.create_index("ix_transfers_request_id", "transfers", ["request_id"])
    op.create_table(
        "outbox",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("event_key", sa.String(length=160), nullable=False),
        sa.Column("recipient_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("transfer_id", sa.BigInteger(), nullable=True),
        sa.Column("request_id", sa.BigInteger(), nullable=True),
        sa.Column("detail", sa.BigInteger(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("claimed_at", sa.BigInteger(), nullable=False),
        sa.Column("claimed_by", sa.String(length=160), nullable=True),
        sa.Column("sent_at", sa.BigInteger(), nullable=True),
        sa.UniqueConstraint("event_key", name="uq_outbox_event_key"),
    )
    op.create_index(
        "ix_outbox_unsent",
        "outbox",
        ["claimed_at"],
        postgresql_where=sa.text("sent_at IS NULL"),
        sqlite_where=sa.text("sent_at IS NULL"),
    )
    op.create_index("ix_outbox_transfer_id", "outbox", ["transfer_id"])
    op.create_index("ix_outbox_request_id", "outbox", ["request_id"])
    with op.batch_alter_table("cards") as batch_op:
        batch_op.drop_column("told_at")
    sql_0007.upgrade(op.get_bind())


def downgrade() -> None:
    sql_0007.downgrade(op.get_bind())
    with op.batch_alter_table("cards") as batch_op:
        batch_op.add_column(sa.Column("told_at", sa.BigInteger(), nullable=True))
    op.drop_table("outbox")
    op.drop_index("ix_transfers_request_id", "transfers")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE transfers DROP COLUMN request_id")
    # SQLite cannot drop a column with a foreign key in place, and a batch would rebuild
    # transfers without its triggers: the column stays, NULL and unread, as before 0007.
