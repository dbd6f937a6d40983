"""a card remembers whether the people a posted payment concerns were told

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30

A payment is posted, then its recipient (or requester) is told. If the process stops in
between, or the answer of the post is lost in an outage, Telegram's redelivery or the
sender's next press finds the payment made: ``told_at`` says whether anyone was told, so they
are told then, once, whichever process it is. Cards of payments posted before this revision
count as told: their process told them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cards") as batch_op:
        batch_op.add_column(sa.Column("told_at", sa.BigInteger(), nullable=True))
    op.execute(
        "UPDATE cards SET told_at = (SELECT resolved_at FROM transfers t "
        "WHERE t.id = cards.transfer_id) "
        "WHERE transfer_id IN (SELECT id FROM transfers WHERE state = 'posted')"
    )


def downgrade() -> None:
    with op.batch_alter_table("cards") as batch_op:
        batch_op.drop_column("told_at")
