"""What the box at the top of a check-in's answer says, decided once for the page and for the clinic.

The answer page (``checkins/answer.html``) and the check-in's alert ("The patient was told: …") must say
the same thing: a clinician reading the alert acts on what the patient saw. In the chair (a session
checked in and not yet discharged: ``patients.facts.at_the_clinic``) the box says one thing, to tell
the staff in the room, instead of the red flag's own "call your clinic now, or a crisis line"; at home
it gives the triage's own message. Both read the stored triage result through these functions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ketacare.core.knowledge import Level

# The words of patients/_at_the_clinic.html, which the answer page includes in the chair; a test pins
# that the page shows them and that the alert quotes them.
AT_THE_CLINIC = "You are at the clinic: tell a member of staff now. They are close by and can help at once."


@dataclass(frozen=True, slots=True)
class AnswerBox:
    """Which box the answer shows, from the stored triage and where the patient is."""

    level: Level
    emergency: bool
    # An emergency in the chair: the staff in the room, no numbers to call.
    in_the_chair: bool
    # The patient's own words need a person (no red flag in them): "If in doubt, call".
    review: bool
    contact_clinic: bool
    # In the chair below an emergency: the staff in the room, not "contact your clinic today".
    tell_the_staff: bool

    def holds(self, detail: Mapping[str, Any]) -> bool:
        """Whether the box carries this detail's advice: a red flag on the emergency screen, in the chair
        anything urgent (its own words would say "call ..."), and in the chair anything that would send
        the patient to their clinic."""
        level = Level(detail.get("level", Level.EXPECTED.value))
        if self.emergency and (
            detail.get("kind") == "red_flag" or (self.in_the_chair and level >= Level.URGENT)
        ):
            return True
        return self.tell_the_staff and level >= Level.LONGER_THAN_EXPECTED


def answer_box(result: Mapping[str, Any], *, here: bool) -> AnswerBox:
    """The box of a stored triage result; ``here``: the patient is in the chair now."""
    level = Level(result.get("level", Level.EXPECTED.value))
    words = result.get("free_text") or {}
    emergency = level >= Level.URGENT
    review = words.get("outcome") == "review" and level < Level.URGENT
    contact_clinic = Level.LONGER_THAN_EXPECTED <= level < Level.URGENT
    return AnswerBox(
        level=level,
        emergency=emergency,
        in_the_chair=emergency and here,
        review=review,
        contact_clinic=contact_clinic,
        tell_the_staff=here and (review or contact_clinic),
    )


def most_serious_first(details: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The details as the answer lists them: a red flag never below a mild headache's "not an emergency"."""
    return sorted(
        details,
        key=lambda d: (d.get("kind") != "red_flag", -Level(d.get("level", Level.EXPECTED.value)).rank),
    )


def told_us(box: AnswerBox, details: Sequence[Mapping[str, Any]]) -> str:
    """The names the box asks the patient to tell the staff ("Tell them what you told us here: …")."""
    return ", ".join(str(d.get("name", "")) for d in most_serious_first(details) if box.holds(d))


def patient_was_told(result: Mapping[str, Any], *, here: bool) -> str:
    """The words of the answer's box, as the patient read them when the check-in was sent (plain text).

    In the chair: the at-the-clinic sentence and what to tell the staff. At home: the triage's message,
    then each other red flag's own message on the emergency screen, or the review of their own words.
    """
    box = answer_box(result, here=here)
    details = list(result.get("details") or [])
    message = str(result.get("patient_message", ""))
    if box.in_the_chair or box.tell_the_staff:
        names = told_us(box, details)
        if names:
            return f"{AT_THE_CLINIC} Tell them what you told us here: {names}."
        return f"{AT_THE_CLINIC} Tell them what you wrote here." if box.review else AT_THE_CLINIC
    if box.emergency:
        more = [
            f"{d.get('name', '')}: {d.get('patient_message', '')}"
            for d in most_serious_first(details)
            if d.get("kind") == "red_flag" and d.get("patient_message") != message
        ]
        return " ".join([message, *more])
    if box.review:
        review = str((result.get("free_text") or {}).get("patient_message", ""))
        return review if message == review else f"{review} {message}"
    return message
