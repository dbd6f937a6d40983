"""requests that last: they outlive their holds, expire on their own, are reminded

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02

A hold made to pay a request no longer settles it unless posted (``sql_0010``). Each request
gets its own expiry (``expires_at``, set at creation from ``REQUEST_EXPIRY_SECONDS``; NULL
for requests made before, which never lapse by themselves) and the time its requester last
reminded the payer (``reminded_at``), so a reminder goes at most once a day whichever worker
takes it. People get a time zone (``users.time_zone``, ``/timezone``; NULL is UTC).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from ledger.migrations import sql_0010

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMNs: a batch would rebuild payment_requests and lose its triggers.
    bind = op.get_bind()
    existing = {c["name"] for c in sa.inspect(bind).get_columns("payment_requests")}
    for column in ("expires_at", "reminded_at"):
        if column not in existing:  # (on SQLite a downgrade leaves them in place)
            op.execute(f"ALTER TABLE payment_requests ADD COLUMN {column} BIGINT")
    # Each person's time zone for the times the bot shows them (/timezone; NULL: UTC).
    if "time_zone" not in {c["name"] for c in sa.inspect(bind).get_columns("users")}:
        op.execute("ALTER TABLE users ADD COLUMN time_zone VARCHAR(64)")
    op.create_index(
        "ix_payment_requests_open_expiry",
        "payment_requests",
        ["expires_at"],
        postgresql_where=sa.text("state = 'open'"),
        sqlite_where=sa.text("state = 'open'"),
    )
    sql_0010.upgrade(bind)


def downgrade() -> None:
    sql_0010.downgrade(op.get_bind())
    op.drop_index("ix_payment_requests_open_expiry", "payment_requests")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE payment_requests DROP COLUMN reminded_at")
        op.execute("ALTER TABLE payment_requests DROP COLUMN expires_at")
        op.execute("ALTER TABLE users DROP COLUMN time_zone")
    # SQLite: the columns stay, unread, as the 0007 downgrade does for transfers.request_id.
