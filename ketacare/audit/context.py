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
    # (action, patient, object) keys already logged in this request: one row per access, not per lookup.
    logged: set[tuple[str, str, str]] = field(default_factory=set)
    # Rows held back to join the request's write transaction (`services.holding_rows`); None: not held.
    held: list[Any] | None = None


current: contextvars.ContextVar[AuditContext | None] = contextvars.ContextVar("ketacare_audit", default=None)
