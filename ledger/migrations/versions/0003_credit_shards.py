"""credits to an account go to shard rows on PostgreSQL

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23

On PostgreSQL a payment updated the credited account's row, whose lock is held until the
commit's WAL flush: payments to one account (a merchant) committed one flush at a time.
Credits now go to ``account_credits`` shard rows instead, the credited account is only
locked FOR SHARE (to test its status against a freeze), and a trigger replaces the CHECK
``ck_accounts_no_overdraft``, which cannot see the shards (see ``sql_0003``). An account's
credits are its row's counters plus the sum of its shards.

SQLite keeps its triggers and CHECK (it has one writer anyway); the table is made there too,
empty, so both engines have the same tables and the same queries read them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from ledger.migrations.sql_0003 import downgrade_postgresql, upgrade_postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NO_OVERDRAFT = "kind <> 'user' OR credits_posted - debits_posted - debits_pending >= 0"


def _is_postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    if _is_postgresql():
        # No transfer may run while its counters move from one scheme to the other.
        op.execute("LOCK TABLE accounts, transfers IN EXCLUSIVE MODE")
    op.create_table(
        "account_credits",
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("shard", sa.SmallInteger(), nullable=False),
        sa.Column("credits_posted", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("credits_pending", sa.BigInteger(), server_default="0", nullable=False),
        sa.CheckConstraint(
            "credits_posted >= 0 AND credits_pending >= 0",
            name=op.f("ck_account_credits_counters_nonneg"),
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_account_credits_account_id")
        ),
        sa.PrimaryKeyConstraint("account_id", "shard", name=op.f("pk_account_credits")),
    )
    if _is_postgresql():
        op.drop_constraint(op.f("ck_accounts_no_overdraft"), "accounts", type_="check")
        upgrade_postgresql(op.get_bind())


def downgrade() -> None:
    if _is_postgresql():
        op.execute("LOCK TABLE accounts, transfers, account_credits IN EXCLUSIVE MODE")
        downgrade_postgresql(op.get_bind())
        op.create_check_constraint(op.f("ck_accounts_no_overdraft"), "accounts", _NO_OVERDRAFT)
    op.drop_table("account_credits")
