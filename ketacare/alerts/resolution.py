"""What closing an emergency or suicide-risk alert must record (docs/decisions/0012, "Closing an
emergency or a suicide risk"): which alerts those are, and why given values cannot close one.

`alerts.services.resolve_alert` applies these before anything is written; the page and the API show the
same refusals, each naming its field.
"""

from __future__ import annotations

from ketacare.alerts.models import Alert
from ketacare.lib.errors import FieldError

# Sources about suicide risk: closing one of them, like any emergency, needs a note saying what was done.
SUICIDE_RISK_SOURCES = (Alert.Source.PHQ9_ITEM9,)
# The knowledge base's red flags about suicide (red_flags.toml), named in a check-in's or a message's
# alert evidence: "without a plan" is urgent, not an emergency, and still needs the note.
SUICIDE_RED_FLAGS = frozenset({"suicidal_thoughts_without_plan", "suicidal_thoughts_with_plan"})
# Each field as the resolve form labels it (templatetags/alert_rows.py): the refusals, on the page and in
# the API's messages, name a field in the staff's words; the API's ``field`` keeps the machine name.
FIELD_NAMES = {
    "outcome": "What became of the patient",
    "assessed_by": "Assessed by",
    "note": "Resolution note",
}
NOTE_WORDS = f"“{FIELD_NAMES['note']}”"
OUTCOME_WORDS = f"“{FIELD_NAMES['outcome']}”"
ASSESSED_BY_WORDS = f"“{FIELD_NAMES['assessed_by']}”"
NOTE_EXAMPLE = "(for example: risk assessment done, plan agreed, patient reached or not reached)"
RESOLUTION_NOTE_REQUIRED_MESSAGE = (
    f"{NOTE_WORDS} is required to resolve this alert: write what was done and the outcome {NOTE_EXAMPLE}"
)
# Closed by its cause (an investigation written elsewhere), there is no resolve form to name a field of.
CAUSE_NOTE_REQUIRED_MESSAGE = (
    f"A note is required to resolve this alert: write what was done and the outcome {NOTE_EXAMPLE}"
)
# Clinic practice, not a published standard: long enough that "ok", "done" or "seen" cannot close an
# emergency or a suicide risk, short enough for one plain sentence ("C-SSRS done, low risk, plan agreed").
RESOLUTION_NOTE_MIN_CHARS = 20
ASSESSED_BY_MAX_CHARS = 200
OUTCOME_REQUIRED_MESSAGE = f"{OUTCOME_WORDS} is required to resolve this alert: choose one"
ASSESSED_BY_REQUIRED_MESSAGE = (
    f"{ASSESSED_BY_WORDS} is required to resolve this alert: name who assessed the patient, with their "
    "role (if they could not be reached, who tried)"
)
ASSESSED_BY_TOO_LONG_MESSAGE = f"{ASSESSED_BY_WORDS} must be at most {ASSESSED_BY_MAX_CHARS} characters"


class ResolutionIncomplete(FieldError):
    """An emergency or suicide-risk alert was resolved without what its record must hold: a note of at
    least ``RESOLUTION_NOTE_MIN_CHARS`` saying what was done and the outcome, the outcome chosen and who
    assessed the patient. ``field`` and ``message`` name the first gap; ``problems`` holds every gap by
    field (the page shows each beside its field) and ``unmet`` the others (the API lists them too)."""

    def __init__(self, problems: dict[str, str]) -> None:
        (field, message), *rest = problems.items()
        super().__init__(field, message)
        self.problems = problems
        self.unmet = rest


def _note_length(text: str) -> int:
    # Spaces typed to pad a note do not count: "ok" followed by 18 spaces is still "ok".
    return len(" ".join(text.split()))


def resolution_problems(alert: Alert, *, note: str, outcome: str, assessed_by: str) -> dict[str, str]:
    """Why these values cannot resolve the alert, by field, in the order of the API's errors (empty when
    they can): the outcome must be one of ``Alert.Outcome`` whenever given; an emergency or suicide-risk
    alert (``needs_resolution_note``) needs the note, the outcome and who assessed the patient."""
    problems: dict[str, str] = {}
    required = needs_resolution_note(alert)
    length = _note_length(note or "")
    if required and not length:
        problems["note"] = RESOLUTION_NOTE_REQUIRED_MESSAGE
    elif required and length < RESOLUTION_NOTE_MIN_CHARS:
        problems["note"] = (
            f"{NOTE_WORDS} is too short ({length} characters): write at least {RESOLUTION_NOTE_MIN_CHARS} "
            f"saying what was done and the outcome {NOTE_EXAMPLE}"
        )
    chosen = (outcome or "").strip()
    if chosen and chosen not in Alert.Outcome.values:
        problems["outcome"] = (
            f"{OUTCOME_WORDS}: {chosen[:40]!r} is not one of: {', '.join(Alert.Outcome.values)}"
        )
    elif required and not chosen:
        problems["outcome"] = OUTCOME_REQUIRED_MESSAGE
    who = " ".join((assessed_by or "").split())
    if len(who) > ASSESSED_BY_MAX_CHARS:
        problems["assessed_by"] = f"{ASSESSED_BY_TOO_LONG_MESSAGE} (got {len(who)})"
    elif required and not any(character.isalpha() for character in who):
        problems["assessed_by"] = ASSESSED_BY_REQUIRED_MESSAGE
    return problems


def is_emergency_or_suicide_risk(alert: Alert) -> bool:
    """Every emergency and every suicide-risk alert (a PHQ-9 item 9 answer, or thoughts of suicide among a
    check-in's or a message's red flags): closed only with a note, and escalated sooner, to a prescriber."""
    flags = (alert.evidence or {}).get("red_flags") or ()
    return (
        alert.severity == Alert.Severity.EMERGENCY
        or alert.source in SUICIDE_RISK_SOURCES
        or any(flag in SUICIDE_RED_FLAGS for flag in flags)
    )


def needs_resolution_note(alert: Alert) -> bool:
    """Whether resolving the alert needs a note: every emergency and every suicide-risk alert."""
    return is_emergency_or_suicide_risk(alert)


def resolution_note_reason(alert: Alert) -> str:
    """Why this alert's resolution needs a note, in the staff's words ("" when it does not)."""
    if not needs_resolution_note(alert):
        return ""
    why = "it is an emergency" if alert.severity == Alert.Severity.EMERGENCY else "it is about suicide risk"
    return (
        f"A note is required to resolve this alert because {why}: the record must say what was done "
        f"and the outcome. Choose what became of the patient, name who assessed them, and write at least "
        f"{RESOLUTION_NOTE_MIN_CHARS} characters (clinic practice)."
    )
