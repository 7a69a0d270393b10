"""The self-care tips under each symptom of a check-in's answer, kept true for when it was sent.

The knowledge base's tips (side_effects.toml ``self_care``) are written for the effect's expected course
on the day of the treatment: "Rest for the rest of the day", "a full night's sleep usually clears it",
"it is the medicine and it passes". Past the effect's window, or begun after it, the answer says it is
longer than usual or may have another cause: those tips would contradict it, as they would before any
dose (the core gives no tips there, for the same reason). Only the tips that stay true then are kept:
the pointers to the red flags, which say when it is something else. When the answer says to contact the
clinic, the tips are what to do until then: shown second, under "Until you speak to the clinic".
Also which red flags are about the mind: below an emergency the answer adds the crisis line for them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ketacare.alerts.services import SUICIDE_RED_FLAGS
from ketacare.core.knowledge import Level

# A tip that points to the red flags ("A sudden, severe headache is different: see the red flags."). The
# page links these words to the patient's list of them (``When to get help now``).
RED_FLAGS_WORDS = "see the red flags"

# The red flags about mood and the mind. Below an emergency their answer carries the crisis line and the
# emergency number too, and how to report thoughts of suicide: "Mood getting worse" asks the patient to
# report those. Besides these, any red flag whose own sourced message names a crisis line or suicide (as
# the instructions sheet groups them).
MIND_RED_FLAGS = SUICIDE_RED_FLAGS | {"worsening_mood", "mania_signs"}


def about_the_mind(detail: Mapping[str, Any]) -> bool:
    """Whether a stored triage detail is a red flag about mood or the mind (``MIND_RED_FLAGS``)."""
    message = str(detail.get("patient_message", "")).lower()
    return detail.get("kind") == "red_flag" and (
        detail.get("symptom_id") in MIND_RED_FLAGS or "crisis line" in message or "suicide" in message
    )


def _after_its_window(detail: Mapping[str, Any], minutes_since_dose: float | None) -> bool:
    """Whether the effect was seen past its "longer than expected" time, or began after its window."""
    threshold = detail.get("longer_than_expected_after_min")
    window = detail.get("expected_window") or {}
    onset, resolution = detail.get("onset_min"), window.get("resolution_min")
    return (minutes_since_dose is not None and threshold is not None and minutes_since_dose > threshold) or (
        onset is not None and resolution is not None and onset > resolution
    )


def answer_tips(
    detail: Mapping[str, Any], *, minutes_since_dose: float | None, at_the_clinic: bool
) -> dict[str, Any]:
    """The tips of one stored triage detail, as the answer page shows them: the heading and each tip in
    parts (``lead``, then, for a pointer to the red flags, the linked words and ``tail``)."""
    tips = list(detail.get("self_care") or [])
    if _after_its_window(detail, minutes_since_dose):
        tips = [tip for tip in tips if RED_FLAGS_WORDS in tip]
    until = Level(detail.get("level", Level.EXPECTED.value)) >= Level.LONGER_THAN_EXPECTED
    if not until:
        heading = "What helps:"
    elif at_the_clinic:
        heading = "Until you speak to the staff:"
    else:
        heading = "Until you speak to the clinic:"
    return {"heading": heading, "secondary": until, "tips": [_parts(tip) for tip in tips]}


def _parts(tip: str) -> dict[str, str]:
    lead, found, tail = tip.partition(RED_FLAGS_WORDS)
    return {"lead": lead, "red_flags": found, "tail": tail}
