"""How strong a reported symptom was, in the words the patient's pages and the clinic's alert share."""

from __future__ import annotations

from ketacare.core import knowledge as kb
from ketacare.core.knowledge import Level


def strength_words(symptom_id: str, kind: str, severity: str) -> str:
    """How strong a reported symptom was, as the pages say it: "moderate", "not given", or "" for an
    emergency red flag, whose strength is not asked (older check-ins stored the core's default there)."""
    flag = kb.knowledge().red_flags.get(symptom_id) if kind == "red_flag" else None
    if flag is not None and flag.level == Level.EMERGENCY:
        return ""
    return severity or "not given"
