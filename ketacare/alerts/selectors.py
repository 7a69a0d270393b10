"""Reads for alerts: only through a patient or clinic the user may see."""

from __future__ import annotations

import uuid

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When
from django.http import Http404

from ketacare.accounts.http import AnyUser
from ketacare.accounts.models import User
from ketacare.alerts.models import Alert
from ketacare.audit.services import record_access_event
from ketacare.clinics.models import Clinic, StaffMembership
from ketacare.clinics.selectors import is_prescriber
from ketacare.patients.models import Patient
from ketacare.patients.selectors import staff_clinic_ids

# Most severe first (the inbox order); a constant map, never a user string, goes into ORDER BY.
SEVERITY_RANK = {
    Alert.Severity.EMERGENCY: 0,
    Alert.Severity.URGENT: 1,
    Alert.Severity.CONTACT_CLINIC: 2,
    Alert.Severity.INFO: 3,
}
# Within one severity, what a patient told us or what their body showed comes before the clinic's own
# paperwork: a new "thoughts of self-harm" alert is not left below older REMS or register reminders of the
# same level (clinic practice: the person before the process). Constant sources only go into ORDER BY.
PATIENT_SAFETY_SOURCES = (
    Alert.Source.RED_FLAG_CHECKIN,
    Alert.Source.PHQ9_ITEM9,
    Alert.Source.PATIENT_MESSAGE,
    Alert.Source.VITAL_SIGN,
    Alert.Source.ADVERSE_EVENT,
    Alert.Source.HOME_BLOOD_PRESSURE,
    # What the patient answered or reported: a bladder check that pauses the dose, a side effect past its
    # window or before any dose, the patient's own words to review.
    Alert.Source.DOSING_HOLD,
    Alert.Source.PERIODIC_CHECK,
    Alert.Source.SIDE_EFFECT_OVERDUE,
    Alert.Source.SYMPTOM_BEFORE_DOSE,
    Alert.Source.CHECKIN_REVIEW,
)
STATE_FILTERS = {
    "active": [Alert.State.OPEN, Alert.State.ACKNOWLEDGED],
    "open": [Alert.State.OPEN],
    "acknowledged": [Alert.State.ACKNOWLEDGED],
    "resolved": [Alert.State.RESOLVED],
    "all": [Alert.State.OPEN, Alert.State.ACKNOWLEDGED, Alert.State.RESOLVED],
}


def severity_rank() -> Case:
    return Case(
        *[When(severity=level, then=Value(rank)) for level, rank in SEVERITY_RANK.items()],
        default=Value(9),
        output_field=IntegerField(),
    )


def safety_rank() -> Case:
    return Case(
        When(source__in=PATIENT_SAFETY_SOURCES, then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )


def patient_alerts(*, patient: Patient) -> QuerySet[Alert]:
    """The alerts of one patient (already authorised by access_patient), newest first."""
    return Alert.objects.filter(patient=patient, clinic_id=patient.clinic_id).order_by("-created_at", "-id")


def clinic_inbox(
    *, user: AnyUser, clinic: Clinic, state: str = "active", source: str = "", mine: bool = False
) -> QuerySet[Alert]:
    """One clinic's alerts for its staff: most severe first; within a severity, a patient's own safety
    (``PATIENT_SAFETY_SOURCES``) before the clinic's processes; then oldest first (longest waiting)."""
    if clinic.pk not in staff_clinic_ids(user):
        raise Http404("No such clinic")
    alerts = Alert.objects.filter(clinic=clinic, state__in=STATE_FILTERS.get(state, STATE_FILTERS["active"]))
    if source in Alert.Source.values:
        alerts = alerts.filter(source=source)
    if mine:
        alerts = alerts.filter(Q(assignee=user) | Q(escalated_to=user))
    return alerts.select_related("patient", "assignee", "escalated_to").order_by(
        severity_rank(), safety_rank(), "created_at", "id"
    )


def inbox_counts(*, clinic: Clinic, user: AnyUser) -> dict[str, int]:
    """Counts for the navigation: open alerts, the most severe among them, and those for this user."""
    return Alert.objects.filter(clinic=clinic, state=Alert.State.OPEN).aggregate(
        open=Count("pk"),
        severe=Count("pk", filter=Q(severity__in=[Alert.Severity.EMERGENCY, Alert.Severity.URGENT])),
        mine=Count("pk", filter=Q(assignee=user) | Q(escalated_to=user)),
    )


def access_alert(
    user: AnyUser, alert_id: uuid.UUID | str, *, action: str = "read", record_grant: bool = True
) -> Alert:
    """Return the alert if the user is active staff of its clinic, else raise Http404.

    Alerts are for staff only: a patient gets a 404 even for an alert about themself. One audit row
    names the alert and its patient, or only the clinic for a clinic-level alert (a transition's own
    row in the same request is the same row, deduplicated). Without ``record_grant`` a granted access
    leaves no row here: an acknowledge or resolve records its "write" in the transition's service once
    it is done, and a refused or failed one records what happened instead (`record_alert_read`, or the
    denied row of `record_refused_action`), so a refused write never reads "write · granted" in the
    audit report.
    """
    object_id = str(alert_id)[:64]
    alert = None
    try:
        key = uuid.UUID(str(alert_id))
    except ValueError:
        key = None
    if key is not None and getattr(user, "is_authenticated", False) and not hasattr(user, "patient"):
        alert = Alert.objects.select_related("patient", "clinic").filter(public_id=key).first()
    if (
        alert is None
        or alert.clinic_id not in staff_clinic_ids(user)
        or (alert.patient is not None and alert.patient.clinic_id != alert.clinic_id)
    ):
        record_access_event(
            user=user, action=action, outcome="denied", object_type="alert", object_id=object_id
        )
        raise Http404("No such alert")
    if record_grant:
        record_alert_read(user, alert, action=action)
    return alert


def record_alert_read(user: AnyUser, alert: Alert, *, action: str = "read") -> None:
    """The granted audit row of an access to the alert (a transition that did not happen is a read)."""
    record_access_event(
        user=user,
        action=action,
        outcome="granted",
        patient=alert.patient,
        clinic=alert.clinic,
        object_type="alert",
        object_id=str(alert.public_id),
    )


def may_resolve(user: AnyUser, alert: Alert) -> bool:
    """Whether the user may resolve the alert: any staff of its clinic, a prescriber for a held dose."""
    return not alert.needs_prescriber or is_prescriber(user, alert.clinic_id)


def clinic_prescribers(clinic_id: int) -> list[User]:
    """The clinic's active prescribers (membership and login both active), longest-standing first: whom
    an unacknowledged emergency or suicide-risk alert escalates to."""
    memberships = (
        StaffMembership.objects.filter(
            clinic_id=clinic_id, role=StaffMembership.Role.PRESCRIBER, is_active=True, user__is_active=True
        )
        .select_related("user")
        .order_by("id")
    )
    return [membership.user for membership in memberships]
