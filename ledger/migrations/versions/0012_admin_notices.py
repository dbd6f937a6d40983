"""admin credit, debit and reversal notices in the outbox

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02

The notices an operator's credit, debit or reversal owes the people concerned were sent by
the chat after the ledger call, so a process stopped in between told nobody and a
redelivered command could race its first delivery. Now the statement that moves the money
writes them as ``outbox`` rows (see ``sql_0012``), delivered and marked sent like a
payment's (revision 0007).
"""

from collections.abc import Sequence

from alembic import op

from ledger.migrations import sql_0012

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    sql_0012.upgrade(op.get_bind())


def downgrade() -> None:
    sql_0012.downgrade(op.get_bind())
