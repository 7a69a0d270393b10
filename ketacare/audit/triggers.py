"""Database triggers that make the audit table append-only (docs/security.md S7).

UPDATE and DELETE on `audit_accessevent` fail inside the database, so neither an
application bug nor an injected statement can rewrite history. TRUNCATE is left to the
database owner (it is how the test suite resets tables); the hash chain still detects
any edit or removal that bypasses the triggers.
"""

from __future__ import annotations

from typing import Any

TABLE = "audit_accessevent"

_SQLITE_INSTALL = [
    f"""CREATE TRIGGER IF NOT EXISTS {TABLE}_no_update BEFORE UPDATE ON {TABLE}
        BEGIN SELECT RAISE(ABORT, 'audit log is append-only: UPDATE refused'); END""",
    f"""CREATE TRIGGER IF NOT EXISTS {TABLE}_no_delete BEFORE DELETE ON {TABLE}
        BEGIN SELECT RAISE(ABORT, 'audit log is append-only: DELETE refused'); END""",
]
_SQLITE_DROP = [f"DROP TRIGGER IF EXISTS {TABLE}_no_update", f"DROP TRIGGER IF EXISTS {TABLE}_no_delete"]

_PG_INSTALL = [
    f"""CREATE OR REPLACE FUNCTION {TABLE}_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'audit log is append-only: % refused', TG_OP; END $$""",
    f"DROP TRIGGER IF EXISTS {TABLE}_no_change ON {TABLE}",
    f"""CREATE TRIGGER {TABLE}_no_change BEFORE UPDATE OR DELETE ON {TABLE}
        FOR EACH ROW EXECUTE FUNCTION {TABLE}_refuse()""",
]
_PG_DROP = [f"DROP TRIGGER IF EXISTS {TABLE}_no_change ON {TABLE}"]


def _run(connection: Any, statements: list[str]) -> None:
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def install_triggers(connection: Any) -> None:
    """Create the append-only triggers for this connection's database vendor."""
    if connection.vendor == "sqlite":
        _run(connection, _SQLITE_INSTALL)
    elif connection.vendor == "postgresql":
        _run(connection, _PG_INSTALL)
    else:
        raise RuntimeError(
            f"no audit triggers for database vendor {connection.vendor!r} (sqlite, postgresql)"
        )


def drop_triggers(connection: Any) -> None:
    """Remove the triggers: only for the test suite's table flush between transactional tests."""
    _run(connection, _SQLITE_DROP if connection.vendor == "sqlite" else _PG_DROP)
