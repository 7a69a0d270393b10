"""alerts API router: the clinic inbox and its transitions (staff of the alert's clinic)."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from ninja import Form, Router
from ninja.errors import HttpError, ValidationError
from ninja.pagination import paginate

from ketacare.accounts.http import AuthenticatedRequest
from ketacare.alerts.models import Alert
from ketacare.alerts.schemas import AlertOut, alert_out
from ketacare.alerts.selectors import STATE_FILTERS, access_alert, clinic_inbox, record_alert_read
from ketacare.alerts.services import (
    ASSESSED_BY_MAX_CHARS,
    AlertTransitionError,
    acknowledge_alert,
    record_refused_action,
    resolve_alert,
)
from ketacare.audit.services import record_access_event
from ketacare.clinics.selectors import active_clinic
from ketacare.lib.errors import FieldError, NotPermitted
from ketacare.lib.pagination import LinkedPagination, Mapped

router = Router(tags=["alerts"])


@router.get("/alerts/", response=list[AlertOut], url_name="list_alerts")
@paginate(LinkedPagination)
def list_alerts(
    request: AuthenticatedRequest, state: str = "active", source: str = ""
) -> Mapped[Any, AlertOut]:
    """The active clinic's alerts, most severe then oldest first, a page at a time."""
    clinic = active_clinic(request)
    if clinic is None:
        raise Http404("Not found")
    if state not in STATE_FILTERS:
        raise HttpError(422, f"state {state[:30]!r} is not one of: {', '.join(STATE_FILTERS)}")
    alerts = clinic_inbox(user=request.user, clinic=clinic, state=state, source=source)
    record_access_event(action="read", outcome="granted", clinic=clinic, object_type="alert_inbox")
    return Mapped(alerts, alert_out)


@router.get("/alerts/{alert_id}", response=AlertOut, url_name="get_alert")
def get_alert(request: AuthenticatedRequest, alert_id: str) -> AlertOut:
    return alert_out(access_alert(request.user, alert_id, action="read"))


def _refuse_nul(text: str, field: str = "note") -> None:
    # PostgreSQL text refuses NUL; name the field in a 422 instead of failing in the database.
    if "\x00" in text:
        raise ValidationError(
            [{"loc": (field,), "msg": f"{field} contains a NUL character, which is not allowed"}]
        )


@router.post("/alerts/{alert_id}/acknowledge", response=AlertOut, url_name="acknowledge_alert")
def acknowledge_alert_api(request: AuthenticatedRequest, alert_id: str, note: Form[str] = "") -> AlertOut:
    """Acknowledge an open alert with a note (1-2000 characters)."""
    # The write's own row is the service's once it is done; a refusal leaves a read (see access_alert).
    alert = access_alert(request.user, alert_id, action="write", record_grant=False)
    try:
        _refuse_nul(note)
        return alert_out(acknowledge_alert(alert=alert, user=request.user, note=note))
    except AlertTransitionError as exc:
        record_alert_read(request.user, alert)
        raise HttpError(409, str(exc)) from None
    except (ValidationError, FieldError):
        record_alert_read(request.user, alert)
        raise


# The two fields an emergency or suicide-risk alert needs besides its note (alerts.resolution); the
# service checks them and names the field, so the schema only describes them.
OUTCOME_FORM_FIELD = Form(
    "",
    description=(
        "what became of the patient, one of: "
        + "; ".join(f"{value} ({label})" for value, label in Alert.Outcome.choices)
        + ". Required for an emergency or suicide-risk alert; optional for the others"
    ),
)
ASSESSED_BY_FORM_FIELD = Form(
    "",
    description=(
        "who assessed the patient: a name and role (if they could not be reached, who tried), at most "
        f"{ASSESSED_BY_MAX_CHARS} characters. Required for an emergency or suicide-risk alert"
    ),
)


@router.post("/alerts/{alert_id}/resolve", response=AlertOut, url_name="resolve_alert")
def resolve_alert_api(
    request: AuthenticatedRequest,
    alert_id: str,
    note: Form[str] = "",
    outcome: str = OUTCOME_FORM_FIELD,
    assessed_by: str = ASSESSED_BY_FORM_FIELD,
) -> AlertOut:
    """Resolve an alert; an open one needs a note (it is acknowledged at the same time).

    An emergency or suicide-risk alert needs its record complete: a ``note`` of at least 20 characters
    saying what was done and the outcome, the ``outcome`` chosen and who assessed the patient
    (``assessed_by``). Without them: 422 naming each missing field, and the alert stays as it was.
    An alert that holds the next dose is resolved only by a prescriber of its clinic: anyone else gets
    a 403 naming why, and the alert stays as it was.
    """
    alert = access_alert(request.user, alert_id, action="write", record_grant=False)
    try:
        for name, value in (("note", note), ("outcome", outcome), ("assessed_by", assessed_by)):
            _refuse_nul(value, name)
        resolved = resolve_alert(
            alert=alert, user=request.user, note=note, outcome=outcome, assessed_by=assessed_by
        )
        return alert_out(resolved)
    except AlertTransitionError as exc:
        record_alert_read(request.user, alert)
        raise HttpError(409, str(exc)) from None
    except NotPermitted:
        # The refused action leaves its own denied row, then the API's handler answers 403.
        record_refused_action(alert, "resolve_alert")
        raise
    except (ValidationError, FieldError):
        record_alert_read(request.user, alert)
        raise
