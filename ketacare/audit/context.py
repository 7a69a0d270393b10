"""Per-request audit context (who, from where, which request) carried in a context variable."""

from __future__ import annotations

import contextvars
from dataclasses import dataclass, field
from typing import Any


@dataclass
class AuditContext:
    """What the audit log needs to know about the current request."""

    request_id: str
    ip_address: str
    method: str
    path: str
    request: Any = None
    # (action, patient, object at a clinic) keys already logged in this request: one row per access, not
    # per lookup.
    logged: set[tuple[str, str, str]] = field(default_factory=set)
    # Rows held back to join the request's write transaction (`services.holding_rows`); None: not held.
    held: list[Any] | None = None
    # For a holding block that records a write grant only with its write (`reads_unless_written`):
    # whether the block's last write transaction committed a change, whether the one open changed
    # nothing (`services.nothing_written`), and how deep in write transactions the request is.
    reads_unless_written: bool = False
    wrote: bool = False
    unchanged: bool = False
    write_depth: int = 0
    # (user, their active staff memberships) once the request has read them (clinics.selectors): the
    # audit row's role and the staff checks of the same request reuse them instead of asking again.
    memberships: tuple[Any, list[Any]] | None = None


def known_memberships(user: Any) -> list[Any] | None:
    """The request's active staff memberships of ``user`` when it has read them already, else None."""
    ctx = current.get()
    if ctx is None or ctx.memberships is None or ctx.memberships[0] is not user:
        return None
    return ctx.memberships[1]


current: contextvars.ContextVar[AuditContext | None] = contextvars.ContextVar("ketacare_audit", default=None)
