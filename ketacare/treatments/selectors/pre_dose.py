"""The questionnaires due before a session (the questionnaires app's "before each induction session"
schedule), where each stands at check-in, and the pre-dose check they make: a questionnaire still due
(neither answered nor skipped with a reason) holds the dose (docs/decisions/0006, 0013).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from django.http import Http404

from ketacare.accounts.models import User
from ketacare.core import display, pathway
from ketacare.core.instruments import get_instrument
from ketacare.patients import facts
from ketacare.patients.facts import SUICIDE_RISK
from ketacare.treatments.models import PreDoseQuestionnaire, TreatmentSession
from ketacare.treatments.selectors.run_sheet import _once

# The pre-dose check a questionnaire still due makes: a step of the run-sheet the nurse completes (enter
# the answers, or skip with a reason), not a hold a prescriber hears of or overrides.
QUESTIONNAIRES_DUE = "questionnaires_due"
# The run-sheet's way to skip one, named as the page names it.
NOT_DONE_TODAY = "Not done today"


@dataclass(frozen=True)
class PreDoseItem:
    """One questionnaire due before this session and where it stands at check-in."""

    assignment: Any  # questionnaires.QuestionnaireAssignment
    instrument: Any  # the core instrument definition
    status: str  # "due" | "completed" | "skipped" | "cancelled"
    at: dt.datetime | None = None  # when it was completed or skipped
    where: str = ""  # "phone" | "chair" (completed only)
    by: User | None = None  # the staff user who entered or skipped it at the chair
    reason: str = ""  # skip reason
    response: Any = None  # questionnaires.QuestionnaireResponse (completed only)

    @property
    def crisis_alerts(self) -> list[dict[str, Any]]:
        """The response's suicide-risk item alerts (the core's messages), if any."""
        if self.response is None:
            return []
        return [a for a in self.response.item_alerts if a.get("code") == SUICIDE_RISK]


def schedule_id(session: TreatmentSession) -> str | None:
    """The id the questionnaire schedule knows this session by (its appointment), or None (ad hoc)."""
    return str(session.appointment.public_id) if session.appointment is not None else None


def pre_dose_questionnaires(session: TreatmentSession) -> list[PreDoseItem]:
    """The questionnaires due before this session (from the questionnaires schedule) and their state.

    Read once per run-sheet render: the pre-dose check and the questionnaires card ask the same."""
    return list(_once("pre_dose_questionnaires", session, lambda: tuple(_pre_dose_items(session))))


def questionnaires_hold(session: TreatmentSession) -> pathway.Hold | None:
    """The pre-dose check the questionnaires make: each one still due before the dose, named, with what
    to do; None when every one was answered or skipped with a reason (or none was due: an ad-hoc session).

    A PHQ-9 left due would leave its suicide item unasked before the dose, so the dose waits for each.
    """
    due = [item for item in pre_dose_questionnaires(session) if item.status == "due"]
    if not due:
        return None
    names = [display.instrument_short(item.assignment.instrument_id) for item in due]
    named = names[0] if len(names) == 1 else ", ".join(names[:-1]) + f" and {names[-1]}"
    each = "it" if len(names) == 1 else "each"
    return pathway.Hold(
        QUESTIONNAIRES_DUE,
        f"{named} {'is' if len(names) == 1 else 'are'} due before the dose and not answered yet: enter the "
        f"answers on this tablet under Pre-dose questionnaires, or skip {each} with the reason under "
        f"\u201c{NOT_DONE_TODAY}\u201d.",
        "contact_clinic",
    )


def _pre_dose_items(session: TreatmentSession) -> list[PreDoseItem]:
    key = schedule_id(session)
    if key is None:
        return []
    records = {
        r.assignment_id: r
        for r in PreDoseQuestionnaire.objects.filter(session=session, entered_in_error=False).select_related(
            "created_by"
        )
    }
    items = []
    for assignment in facts.before_session_assignments(session.patient, session_id=key):
        instrument = get_instrument(assignment.instrument_id)
        record = records.get(assignment.pk)
        responses = [r for r in assignment.responses.all() if r.status == "valid"]
        if assignment.state == "completed" and responses:
            response = max(responses, key=lambda r: (r.submitted_at, r.pk))
            chair = record is not None and record.response_id == response.pk
            items.append(
                PreDoseItem(
                    assignment,
                    instrument,
                    "completed",
                    at=response.submitted_at,
                    where="chair" if chair else "phone",
                    by=record.created_by if chair and record is not None else None,
                    response=response,
                )
            )
        elif assignment.state in ("due", "completed") and (
            earlier := facts.responses_since(
                session.patient, instrument_id=assignment.instrument_id, since=assignment.due_at
            ).last()
        ):
            # Answered on the phone since it fell due, with the answer filed under another due slot of
            # the same instrument (the oldest one; the answer completes this one too, decision 0025):
            # it is done, nobody asks twice.
            items.append(
                PreDoseItem(
                    assignment,
                    instrument,
                    "completed",
                    at=earlier.submitted_at,
                    where="phone",
                    response=earlier,
                )
            )
        elif record is not None and record.outcome == PreDoseQuestionnaire.Outcome.SKIPPED:
            items.append(
                PreDoseItem(
                    assignment,
                    instrument,
                    "skipped",
                    at=record.recorded_at,
                    by=record.created_by,
                    reason=record.skip_reason,
                )
            )
        elif assignment.state == "due":
            items.append(PreDoseItem(assignment, instrument, "due"))
        else:
            items.append(PreDoseItem(assignment, instrument, "cancelled"))
    return items


def pre_dose_assignment(session: TreatmentSession, assignment_id: str) -> Any:
    """One questionnaire due before this session (the session was already reached by access_session)."""
    key = schedule_id(session)
    try:
        wanted = uuid.UUID(str(assignment_id))
    except ValueError:
        raise Http404("Not found") from None
    if key is None:
        raise Http404("Not found")
    assignment = (
        facts.before_session_assignments(session.patient, session_id=key).filter(public_id=wanted).first()
    )
    if assignment is None:
        raise Http404("Not found")
    return assignment
