"""Anchors: signed heads of the audit chain, kept outside the database (docs/decisions/0015).

An anchor records how many rows the chain had, the id and seal of the last one, and when; it is
signed with the audit key and appended to a file (one JSON object a line). `audit-verify` checks the
database against every anchor, so truncating the chain, rewriting it, or replacing the table is
detected even by someone who could also drop the database's triggers.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from ketacare.audit.keys import UnknownAuditKeyError, current_key, key_for


@dataclass(frozen=True)
class Anchor:
    """The chain's head at one moment, and the signature that makes it unforgeable without the key."""

    anchored_at: str  # ISO 8601, UTC
    rows: int
    last_id: int
    last_hash: str
    key_id: str
    signature: str = ""

    def _message(self) -> bytes:
        fields = {k: v for k, v in asdict(self).items() if k != "signature"}
        return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()

    def signed(self) -> Anchor:
        """This anchor signed with the key it names."""
        signature = hmac.new(key_for(self.key_id), self._message(), hashlib.sha256).hexdigest()
        return Anchor(**{**asdict(self), "signature": signature})

    def signature_problem(self) -> str:
        """Why the signature does not hold ("" when it does)."""
        try:
            key = key_for(self.key_id)
        except UnknownAuditKeyError as error:
            return f"anchor of {self.anchored_at}: {error}"
        expected = hmac.new(key, self._message(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, self.signature):
            return f"anchor of {self.anchored_at}: signature does not match (the anchor file was edited)"
        return ""


class AnchorFileError(ValueError):
    """The anchor file cannot be read (names the line)."""


def make_anchor(*, rows: int, last_id: int, last_hash: str, now: dt.datetime) -> Anchor:
    """A signed anchor of the chain head described by the arguments."""
    kid, _ = current_key()
    return Anchor(now.astimezone(dt.UTC).isoformat(), rows, last_id, last_hash, kid).signed()


def append_anchor(path: Path, anchor: Anchor) -> None:
    """Append one anchor line and flush it to disk before returning."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(asdict(anchor), sort_keys=True) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def read_anchors(path: Path) -> list[Anchor]:
    """Every anchor in the file, oldest first ([] when the file does not exist yet)."""
    if not path.exists():
        return []
    anchors = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            anchors.append(Anchor(**json.loads(line)))
        except (ValueError, TypeError) as error:
            raise AnchorFileError(f"{path}: line {number} is not an anchor ({error})") from None
    return anchors
