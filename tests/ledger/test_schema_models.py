"""ledger/models.py is the checked source of the schema: on a database built by the
migrations, Alembic's ``compare_metadata`` finds no difference with the models, on SQLite and
on PostgreSQL: tables, columns, their types, nullability and server defaults, indexes (partial
ones included), unique constraints and foreign keys.

What SQLAlchemy metadata does not hold is left to the tests that exercise it: Alembic's
autogenerate compares neither CHECK constraints nor triggers (it does not reflect them), and
the triggers are the ledger's invariants (tests/ledger/test_database_enforces.py,
test_caps.py). Nothing is filtered out of the comparison."""

from __future__ import annotations

import re
import warnings
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, Index, MetaData, String
from sqlalchemy.engine import Connection

from ledger.db import create_engine
from ledger.migrate import upgrade
from ledger.models import Base


def _same_default(
    context: Any,
    inspected_column: Any,
    metadata_column: Any,
    inspected_default: str | None,
    metadata_default: Any,
    rendered_metadata_default: str | None,
) -> bool | None:
    """SQLite reports the empty default the migrations write as ``('')``, in parentheses
    and quotes, where Alembic renders the models' as a bare empty string: the same default.
    Any other pair gets Alembic's own comparison."""

    def bare(default: str | None) -> str | None:
        if default is None:
            return None
        return re.sub(r"^'(.*)'$", r"\1", re.sub(r"^\((.*)\)$", r"\1", default.strip()))

    if bare(inspected_default) == bare(rendered_metadata_default):
        return False
    return None


async def differences(url: str, metadata: MetaData) -> list[Any]:
    """Migrate the empty database at ``url``, then what Alembic would change to make it match
    ``metadata``."""
    engine = create_engine(url)
    try:
        await upgrade(engine)

        def compare(connection: Connection) -> list[Any]:
            context = MigrationContext.configure(
                connection,
                opts={"compare_type": True, "compare_server_default": _same_default},
            )
            with warnings.catch_warnings():
                # PostgreSQL's reflection of the partial unique index on accounts names a
                # "dialect" option it cannot validate; the index itself is compared.
                warnings.filterwarnings("ignore", message="Can't validate argument")
                return list(compare_metadata(context, metadata))

        async with engine.connect() as connection:
            return await connection.run_sync(compare)
    finally:
        await engine.dispose()


async def test_the_models_describe_exactly_the_schema_the_migrations_make(
    database_url: str,
) -> None:
    assert await differences(database_url, Base.metadata) == []


async def test_a_column_or_an_index_the_migrations_do_not_make_is_reported(
    database_url: str,
) -> None:
    # The models with one column and one index too many, as a model edited without its
    # migration would be.
    edited = MetaData(naming_convention=Base.metadata.naming_convention)
    for table in Base.metadata.tables.values():
        table.to_metadata(edited)
    users = edited.tables["users"]
    users.append_column(Column("nickname", String(64), nullable=True))
    Index("ix_users_nickname", users.c.nickname)

    found = await differences(database_url, edited)

    assert ("add_column", None, "users", users.c.nickname) in found
    assert [d[1].name for d in found if d[0] == "add_index"] == ["ix_users_nickname"]
    assert len(found) == 2
