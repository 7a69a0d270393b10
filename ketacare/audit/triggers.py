"""Database triggers that make the audit table append-only (docs/security.md S7).

DELETE fails inside the database, and so does every UPDATE but one: the sealer's, which fills in an
unsealed row's place in the chain and its seal (docs/decisions/0016) and may change nothing else. So
neither an application bug nor an injected statement can rewrite history or re-seal a sealed row.
TRUNCATE is left to the database owner (it is how the test suite resets tables); the keyed chain and
its anchors still detect any edit or removal that bypasses the triggers.
"""

from __future__ import annotations

from typing import Any

TABLE = "audit_accessevent"
# Every column but the seal's; written out rather than read from the model so that a migration
# installs exactly the triggers of its own time.
_FIXED_COLUMNS = (
    "id",
    "occurred_at",
    "user_public_id",
    "user_email",
    "role",
    "action",
    "outcome",
    "object_type",
    "object_id",
    "patient_public_id",
    "clinic_public_id",
    "ip_address",
    "request_id",
    "method",
    "path",
)
_SEAL_COLUMNS = ("seq", "prev_hash", "row_hash", "key_id")

_SQLITE_CHANGED = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in _FIXED_COLUMNS)
_SQLITE_INSTALL = [
    f"DROP TRIGGER IF EXISTS {TABLE}_no_update",
    f"""CREATE TRIGGER {TABLE}_no_update BEFORE UPDATE ON {TABLE}
        WHEN OLD.row_hash IS NOT NULL OR NEW.row_hash IS NULL OR {_SQLITE_CHANGED}
        BEGIN SELECT RAISE(ABORT, 'audit log is append-only: UPDATE refused'); END""",
    f"""CREATE TRIGGER IF NOT EXISTS {TABLE}_no_delete BEFORE DELETE ON {TABLE}
        BEGIN SELECT RAISE(ABORT, 'audit log is append-only: DELETE refused'); END""",
]
_SQLITE_DROP = [f"DROP TRIGGER IF EXISTS {TABLE}_no_update", f"DROP TRIGGER IF EXISTS {TABLE}_no_delete"]

_PG_UNSEALED = " - ".join(["to_jsonb({row})", *(f"'{c}'" for c in _SEAL_COLUMNS)])
_PG_INSTALL = [
    f"""CREATE OR REPLACE FUNCTION {TABLE}_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF TG_OP = 'UPDATE' AND OLD.row_hash IS NULL AND NEW.row_hash IS NOT NULL
             AND {_PG_UNSEALED.format(row="NEW")} = {_PG_UNSEALED.format(row="OLD")} THEN
            RETURN NEW;
          END IF;
          RAISE EXCEPTION 'audit log is append-only: % refused', TG_OP;
        END $$""",
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
    """Create (or replace) the append-only triggers for this connection's database vendor."""
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
