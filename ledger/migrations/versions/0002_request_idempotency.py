"""payment requests take an idempotency key

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22

A /request delivered twice (Telegram redelivery, or a replay after a restart) must create
one request, as a /send creates one hold: the key is unique in the database.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("payment_requests") as batch_op:
        batch_op.add_column(sa.Column("idempotency_key", sa.String(length=128), nullable=True))
        batch_op.create_unique_constraint(
            "uq_payment_requests_idempotency_key", ["idempotency_key"]
        )


def downgrade() -> None:
    with op.batch_alter_table("payment_requests") as batch_op:
        batch_op.drop_constraint("uq_payment_requests_idempotency_key", type_="unique")
        batch_op.drop_column("idempotency_key")
