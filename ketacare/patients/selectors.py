"""Reads of patient data; `access_patient` is the only door to a patient record."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.http import Http404

from ketacare.accounts.http import AnyUser
from ketacare.accounts.models import User
from ketacare.accounts.tokens import LinkState, digest, well_formed
from ketacare.audit import context as audit_context
from ketacare.audit.services import record_access_event
from ketacare.clinics.models import Clinic
from ketacare.clinics.selectors import ClinicContact, clinic_contact
from ketacare.patients import facts
from ketacare.patients.models import Patient, PatientChange, PatientInvitation
from ketacare.patients.search import query_words

SORTABLE_FIELDS = {
    # Allow-list for ?sort=: never pass a user string to order_by (docs/security.md S15).
    "name": "full_name",
    "-name": "-full_name",
    "dob": "date_of_birth",
    "-dob": "-date_of_birth",
    "stage": "stage",
    "-stage": "-stage",
    "created": "created_at",
    "-created": "-created_at",
}


def _deny(user: AnyUser, action: str, object_id: str, target: Patient | None = None) -> Http404:
    # A refusal about a patient who exists is filed under that patient and their clinic, so the
    # probed clinic's administrator sees it in their audit report; the answer stays the same 404.
    record_access_event(
        user=user, action=action, outcome="denied", object_type="patient", object_id=object_id, patient=target
    )
    return Http404("No such patient")


def staff_clinic_ids(user: AnyUser) -> list[int]:
    """Return the ids of clinics where the user holds an active staff membership."""
    if not isinstance(user, User):
        return []
    known = audit_context.known_memberships(user)
    if known is not None:
        return [m.clinic_id for m in known]
    return list(user.memberships.filter(is_active=True).values_list("clinic_id", flat=True))


def _signed_in_patient(user: AnyUser, key: uuid.UUID) -> Patient | None:
    """The patient's own record when the request already loaded it with its clinic (the auth backend
    joins them to the user), so a patient's own pages read their row once; else None."""
    own = getattr(user, "patient", None) if isinstance(user, User) else None
    if own is None or own.public_id != key or not Patient.clinic.is_cached(own):
        return None
    return own


def access_patient(user: AnyUser, public_id: uuid.UUID | str, *, action: str = "read") -> Patient:
    """Return the patient if this user may see them, else raise Http404; every outcome is audited."""
    object_id = str(public_id)[:64]
    if not getattr(user, "is_authenticated", False):
        raise _deny(user, action, object_id)
    try:
        key = uuid.UUID(str(public_id))
    except ValueError:
        raise _deny(user, action, object_id) from None
    patient = _signed_in_patient(user, key) or (
        Patient.objects.select_related("clinic").filter(public_id=key).first()
    )
    if patient is None:
        raise _deny(user, action, object_id)
    own_record = patient.user_id is not None and patient.user_id == user.pk
    if hasattr(user, "patient") and not own_record:
        # A patient reaches only themself, even if they were also staff somewhere.
        raise _deny(user, action, object_id, patient)
    if not own_record and patient.clinic_id not in staff_clinic_ids(user):
        raise _deny(user, action, object_id, patient)
    record_access_event(
        user=user,
        action=action,
        outcome="granted",
        patient=patient,
        object_type="patient",
        object_id=object_id,
    )
    return patient


def access_patient_as_staff(user: AnyUser, public_id: uuid.UUID | str, *, action: str = "read") -> Patient:
    """Like access_patient, for staff records: a patient is refused even for themself (404, audited)."""
    if hasattr(user, "patient"):
        raise _deny(user, action, str(public_id)[:64])
    return access_patient(user, public_id, action=action)


def access_clinic(user: User, public_id: uuid.UUID | str) -> Clinic:
    """Return a clinic where the user is active staff, else raise Http404."""
    try:
        key = uuid.UUID(str(public_id))
    except ValueError:
        raise Http404("No such clinic") from None
    clinic = Clinic.objects.filter(public_id=key, memberships__user=user, memberships__is_active=True).first()
    if clinic is None:
        raise Http404("No such clinic")
    return clinic


def list_clinic_patients(
    *, user: AnyUser, clinic: Clinic, query: str = "", sort: str = "name", archived: bool = False
) -> QuerySet[Patient]:
    """Return the clinic's patients for a staff member of that clinic, searched and sorted (allow-list).

    The search finds a patient when each of its words is part of their names or record number, in any
    order, accents and case aside (patients.search): "chloe" finds "Chloé O'Brien", "smith aaron" finds
    "Aaron Smith", "000016" finds "A-000016". A search of punctuation only finds the exact record number.
    Archived patients are left out unless ``archived`` asks for them (then only they are listed).
    """
    if clinic.pk not in staff_clinic_ids(user):
        raise Http404("No such clinic")
    patients = Patient.objects.filter(clinic=clinic, archived_at__isnull=not archived).select_related(
        "primary_clinician"
    )
    query = query.strip()
    words = query_words(query)
    if words:
        patients = patients.filter(*(Q(search_text__contains=word) for word in words))
    elif query:
        patients = patients.filter(medical_record_number__iexact=query)
    return patients.order_by(SORTABLE_FIELDS.get(sort, "full_name"), "id")


def find_duplicates(
    *, clinic: Clinic, full_name: str, date_of_birth: dt.date, exclude: Patient | None = None
) -> list[Patient]:
    """Patients of the clinic with the same name (ignoring case and spacing) and date of birth."""
    name = " ".join(full_name.split())
    matches = Patient.objects.filter(clinic=clinic, date_of_birth=date_of_birth, full_name__iexact=name)
    if exclude is not None:
        matches = matches.exclude(pk=exclude.pk)
    return list(matches.order_by("created_at", "id"))


def email_refusal(*, email: str, clinic: Clinic, patient: Patient | None = None) -> str:
    """Why ``email`` cannot be the e-mail of ``patient`` (a new one when None) at ``clinic``, or "".

    The patient app signs in with it, so an address another account already uses cannot be used: the
    invitation would fail, or the patient sign in as someone else. Only an account of another patient
    of the same clinic is named as such; an account anywhere else is not revealed, only refused.
    """
    if not email:
        return ""
    owner = User.objects.filter(email__iexact=email).select_related("patient").first()
    if owner is None or (patient is not None and owner.pk == patient.user_id):
        return ""
    other = getattr(owner, "patient", None)
    if other is not None and other.clinic_id == clinic.pk:
        return (
            "email: this address already belongs to another patient's account at this clinic; "
            "use the patient's own address"
        )
    return "email: this address cannot be used for this patient; use the patient's own address"


@dataclass(frozen=True, slots=True)
class PatientNow:
    """What staff need to see first on a patient's record: where the patient is and what is pending."""

    in_the_chair: bool
    dose_hold: str | None
    open_alerts: list[facts.OpenAlerts]
    next_appointment: facts.UpcomingAppointment | None

    @property
    def open_alert_total(self) -> int:
        return sum(a.count for a in self.open_alerts)


def patient_now(patient: Patient, *, now: dt.datetime) -> PatientNow:
    """The patient's "Now": in the chair, a paused next dose, unresolved alerts, the next appointment.

    A fixed number of queries, however long the patient's history (the facts' providers see to it).
    """
    return PatientNow(
        in_the_chair=facts.at_the_clinic(patient),
        dose_hold=facts.next_dose_hold(patient),
        open_alerts=facts.open_alert_counts(patient),
        next_appointment=facts.next_appointment(patient, now=now),
    )


def latest_invitation(patient: Patient) -> PatientInvitation | None:
    """The most recent companion invitation sent to the patient (the one whose status staff see)."""
    return patient.invitations.order_by("-created_at", "-id").first()


@dataclass(frozen=True, slots=True)
class SexOnRecord:
    """The sex the patient's record shows, and what registration recorded when that says otherwise."""

    label: str
    registered_label: str = ""


def sex_on_record(patient: Patient) -> SexOnRecord:
    """The current intake's sex (taken at the interview), else the one registration recorded.

    The same rule as the FHIR export (``interop.fhir_resources.recorded_sex``), so the summary, the intake
    page and the export agree. A registered sex the intake contradicts is named too, since "Correct
    details" edits the registered one.
    """
    registered = patient.sex or Patient.Sex.UNKNOWN
    sex = facts.recorded_sex(patient) or registered
    label = str(Patient.Sex(sex).label) if sex in Patient.Sex.values else sex
    if registered in (sex, Patient.Sex.UNKNOWN):
        return SexOnRecord(label)
    return SexOnRecord(label, str(Patient.Sex(registered).label))


def patient_changes(patient: Patient) -> list[PatientChange]:
    """Corrections to the patient's demographics, newest first, with who made them."""
    return list(patient.changes.select_related("changed_by").order_by("-created_at", "-id"))


def find_patient_invitation(token: str) -> tuple[PatientInvitation | None, str]:
    """The invitation a link names and whether it can be used (tokens.LinkState)."""
    if not well_formed(token):
        return None, LinkState.INVALID
    invitation = (
        PatientInvitation.objects.filter(token_digest=digest(token)).select_related("patient__clinic").first()
    )
    if invitation is None:
        return None, LinkState.INVALID
    status = invitation.status
    if status == PatientInvitation.Status.ACCEPTED:
        return invitation, LinkState.USED
    if status == PatientInvitation.Status.REVOKED:
        # Replaced by a newer invitation: the page says to open the latest e-mail. Otherwise the clinic
        # took it back (the address corrected, the patient archived): the page says so, not "expired".
        newer = PatientInvitation.objects.filter(patient=invitation.patient, pk__gt=invitation.pk)
        return invitation, LinkState.REPLACED if newer.exists() else LinkState.WITHDRAWN
    if invitation.patient.archived_at is not None:
        # An archived patient's invitation never works, whether or not archiving got to withdraw it.
        return invitation, LinkState.WITHDRAWN
    if status != PatientInvitation.Status.PENDING:
        return invitation, LinkState.EXPIRED
    return invitation, LinkState.VALID


# One rule for a low mood out of 10 (0 = very low), wherever the patient gives it: a check-in's mood and
# a daily mood questionnaire's total. Here, once, so the two pages cannot drift apart. Clinic practice
# (docs/decisions/0012): no source gives a cut-off for this self-rating. No alert for the mood alone; the
# words the patient writes are screened for what needs one.
# 0 or 1: the fuller "Your mood is very low" section, with the crisis line and the clinic's number,
# beside the thanks (patients/_low_mood_support.html).
LOW_MOOD_SUPPORT_MAX = 1
# Above that, up to 3: one calm line with the crisis line and the emergency number
# (patients/_low_mood_line.html).
LOW_MOOD_LINE_MAX = 3


def clinic_contact_for(patient: Patient, now: dt.datetime) -> ClinicContact:
    """How the patient reaches their clinic at ``now``. A patient in the chair is with its staff: a
    session that runs past closing time does not tell them the clinic is closed and will read their
    alert when it opens, but to tell the staff in the room (``with_staff``)."""
    contact = clinic_contact(patient.clinic, now)
    if contact.opens_next is None or not facts.at_the_clinic(patient):
        return contact
    return dataclasses.replace(
        contact, open_now=True, call=patient.clinic.phone, instead="", opens_next=None, with_staff=True
    )
