"""amounts and counters capped well below 2^63; welcome credits capped per day

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01

A single amount is at most 10^15 minor units and every stored counter at most 2.5 * 10^17, so
no sum the ledger makes overflows 64 bits: SQLite turned an overflowing counter into a REAL,
and verify() then failed. PostgreSQL gets CHECK constraints; SQLite, which cannot add one
without rebuilding the table, gets triggers that also refuse a value not stored as an
integer. Both judge every write from this revision on, not the rows already there (which
``Ledger.verify`` reports when they break a cap), so an upgrade never fails on old books. ``welcome_days`` counts welcome credits per day, against
``ledger_limits.welcome_daily_cap`` (see ``sql_0005``).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from ledger.migrations.sql_0005 import POSTGRESQL_CHECKS, create_triggers, drop_triggers

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _is_postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    op.create_table(
        "welcome_days",
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("day_number", sa.BigInteger(), nullable=False),
        sa.Column("issued", sa.BigInteger(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("currency", "day_number", name=op.f("pk_welcome_days")),
    )
    op.add_column(
        "ledger_limits",
        sa.Column("welcome_daily_cap", sa.BigInteger(), server_default="100", nullable=False),
    )
    if _is_postgresql():
        # NOT VALID: rows written before this revision are not judged (an upgrade never
        # fails on them; verify() reports any beyond a cap), every write from now on is. The
        # SQLite triggers behave the same way.
        for table, name, condition in POSTGRESQL_CHECKS:
            op.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} CHECK ({condition}) NOT VALID")
    create_triggers(op.get_bind())


def downgrade() -> None:
    drop_triggers(op.get_bind())
    if _is_postgresql():
        for table, name, _ in reversed(POSTGRESQL_CHECKS):
            op.drop_constraint(op.f(name), table, type_="check")
    # Natively (SQLite 3.35+): a batch rebuild would rename ledger_limits, which revision
    # 0001's transfer triggers name, and SQLite refuses that.
    op.execute("ALTER TABLE ledger_limits DROP COLUMN welcome_daily_cap")
    op.drop_table("welcome_days")
