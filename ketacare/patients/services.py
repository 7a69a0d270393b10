"""Writes for patients: registration, corrections, archiving, and the companion invitation.

Keyword-only, one transaction each; e-mail leaves after commit; refused input raises ``FieldError``
naming the field and what it allows, before anything is written. The caller has already passed the
access check (``access_patient`` for an existing patient, an active membership for a new one).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from ketacare.accounts import mail
from ketacare.accounts.models import User
from ketacare.accounts.services import password_errors
from ketacare.accounts.tokens import new_token
from ketacare.audit import context as audit_context
from ketacare.audit.services import record_access_event
from ketacare.clinics.models import Clinic, validate_time_zone
from ketacare.lib.errors import ConflictError, FieldError
from ketacare.ops.mail import cancel_unsent_email_about
from ketacare.patients import facts
from ketacare.patients.models import Patient, PatientChange, PatientInvitation
from ketacare.patients.selectors import email_refusal, find_duplicates

EARLIEST_BIRTH = dt.date(1900, 1, 1)
# Demographic fields staff may set and correct, with their length limits (text) or kind.
TEXT_LIMITS = {
    "full_name": 200,
    "preferred_name": 100,
    "phone": 40,
    "emergency_contact_name": 200,
    "emergency_contact_phone": 40,
    "medical_record_number": 40,
}
DEMOGRAPHIC_FIELDS = (
    "full_name",
    "preferred_name",
    "date_of_birth",
    "sex",
    "email",
    "phone",
    "time_zone",
    "emergency_contact_name",
    "emergency_contact_phone",
    "medical_record_number",
)
ARCHIVE_REASON_MAX = 500
# A record number the clinic's numbering can continue: optional letters and hyphen, then digits
# ("A-000016", "KC000231", "1042").
NUMBERED = re.compile(r"^([A-Za-z]{0,8}-?)([0-9]{1,12})$")
FIRST_RECORD_NUMBER = "000001"


def _text(field: str, value: Any) -> str:
    if not isinstance(value, str):
        raise FieldError(field, f"{field} must be text")
    value = " ".join(value.split()) if field.endswith("name") else value.strip()
    if "\x00" in value:
        raise FieldError(field, f"{field} contains a NUL character, which is not allowed")
    limit = TEXT_LIMITS[field]
    if len(value) > limit:
        raise FieldError(field, f"{field} must be at most {limit} characters (got {len(value)})")
    if field.endswith("phone") and value:
        if (
            not all(c.isdigit() or c in " +-()./" for c in value)
            or not 2 <= sum(c.isdigit() for c in value) <= 15
        ):
            # 15: no telephone number has more digits (ITU-T E.164).
            raise FieldError(field, f"{field} may hold digits, spaces and + - ( ) . / only, 2 to 15 digits")
    return value


def _clean(field: str, value: Any, *, today: dt.date) -> Any:
    """One demographic value, checked: the message names the field and what it allows."""
    if field == "date_of_birth":
        if isinstance(value, str):
            try:
                value = dt.date.fromisoformat(value)
            except ValueError:
                raise FieldError(field, f"date_of_birth {value!r} is not a date (YYYY-MM-DD)") from None
        if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
            raise FieldError(field, "date_of_birth must be a date (YYYY-MM-DD)")
        if not EARLIEST_BIRTH <= value <= today:
            raise FieldError(
                field,
                f"date_of_birth must be from {EARLIEST_BIRTH.isoformat()} to today ({today.isoformat()})",
            )
        return value
    if field == "sex":
        if value not in Patient.Sex.values:
            raise FieldError(field, f"sex {value!r} is not one of {', '.join(Patient.Sex.values)}")
        return value
    if field == "time_zone":
        try:
            validate_time_zone(value)
        except ValidationError:
            raise FieldError(
                field, f"time_zone {value!r} is not an IANA time-zone name (e.g. America/New_York)"
            ) from None
        return value
    if field == "email":
        if not isinstance(value, str):
            raise FieldError(field, "email must be text")
        value = value.strip().lower()
        if value:
            if len(value) > 254:
                raise FieldError(field, "email must be at most 254 characters")
            try:
                validate_email(value)
            except ValidationError:
                raise FieldError(
                    field, f"email {value!r} is not an e-mail address (name@example.org)"
                ) from None
        return value
    return _text(field, value)


@transaction.atomic
def register_patient(
    *,
    clinic: Clinic,
    by: User,
    full_name: str,
    date_of_birth: dt.date | str,
    sex: str,
    email: str = "",
    phone: str = "",
    time_zone: str = "",
    preferred_name: str = "",
    emergency_contact_name: str = "",
    emergency_contact_phone: str = "",
    medical_record_number: str = "",
    confirm_duplicate: bool = False,
) -> Patient:
    """Register a new patient at ``clinic`` (stage: screening, so intake comes next).

    A patient of the same clinic with the same name and date of birth stops the registration with a
    ConflictError on ``full_name`` unless ``confirm_duplicate`` says this is a different person. An
    e-mail address another account uses is refused (``selectors.email_refusal``). Without a record
    number the patient gets the clinic's next one.
    """
    today = timezone.localdate()
    values = {
        field: _clean(field, value, today=today)
        for field, value in {
            "full_name": full_name,
            "date_of_birth": date_of_birth,
            "sex": sex,
            "email": email,
            "phone": phone,
            "time_zone": time_zone or clinic.time_zone,
            "preferred_name": preferred_name,
            "emergency_contact_name": emergency_contact_name,
            "emergency_contact_phone": emergency_contact_phone,
            "medical_record_number": medical_record_number,
        }.items()
    }
    if not values["full_name"]:
        raise FieldError("full_name", "full_name is required (1 to 200 characters)")
    if not values["email"] and not values["phone"]:
        raise FieldError(
            "email", "email: give an e-mail address or a phone number (or both) to reach the patient"
        )
    refusal = email_refusal(email=values["email"], clinic=clinic)
    if refusal:
        raise FieldError("email", refusal)
    duplicates = find_duplicates(
        clinic=clinic, full_name=values["full_name"], date_of_birth=values["date_of_birth"]
    )
    if duplicates and not confirm_duplicate:
        raise ConflictError(
            "full_name",
            f"full_name: {len(duplicates)} patient(s) named {values['full_name']} born "
            f"{values['date_of_birth']:%Y-%m-%d} are already registered at this clinic; check they are not the "
            "same person, then confirm to register another",
        )
    if not values["medical_record_number"]:
        values["medical_record_number"] = _next_record_number(clinic)
    patient = Patient.objects.create(clinic=clinic, created_by=by, stage=Patient.Stage.SCREENING, **values)
    record_access_event(
        user=by,
        action="write",
        outcome="granted",
        patient=patient,
        object_type="patient",
        object_id=str(patient.public_id),
    )
    return patient


@dataclass(frozen=True, slots=True)
class Correction:
    patient: Patient
    changes: list[PatientChange]


@transaction.atomic
def correct_patient(*, patient: Patient, by: User, changes: dict[str, Any]) -> Correction:
    """Correct demographics; each changed field leaves a PatientChange (old and new value) and an audit row.

    Unknown fields are refused. A field given with its current value is not a change. A new e-mail
    address another account uses is refused (``selectors.email_refusal``).
    """
    unknown = sorted(set(changes) - set(DEMOGRAPHIC_FIELDS))
    if unknown:
        raise FieldError(
            unknown[0], f"{unknown[0]} cannot be corrected here; allowed: {', '.join(DEMOGRAPHIC_FIELDS)}"
        )
    today = timezone.localdate()
    cleaned = {field: _clean(field, value, today=today) for field, value in changes.items()}
    if "full_name" in cleaned and not cleaned["full_name"]:
        raise FieldError("full_name", "full_name is required (1 to 200 characters)")
    patient = Patient.objects.select_for_update().select_related("clinic").get(pk=patient.pk)
    email = cleaned.get("email", patient.email)
    phone = cleaned.get("phone", patient.phone)
    if not email and not phone:
        raise FieldError(
            "email", "email: keep an e-mail address or a phone number (or both) to reach the patient"
        )
    if email != patient.email:
        refusal = email_refusal(email=email, clinic=patient.clinic, patient=patient)
        if refusal:
            raise FieldError("email", refusal)
    written: list[PatientChange] = []
    ctx = audit_context.current.get()
    for field, new in cleaned.items():
        old = getattr(patient, field)
        if old == new:
            continue
        setattr(patient, field, new)
        change = PatientChange.objects.create(
            clinic=patient.clinic,
            patient=patient,
            field=field,
            old_value=_as_text(old),
            new_value=_as_text(new),
            changed_by=by,
            request_id=ctx.request_id if ctx else "",
        )
        written.append(change)
    if written:
        patient.save(update_fields=[c.field for c in written])
        if "email" in {c.field for c in written}:
            # A link sent to the old address must not create an account under it, and one not yet sent
            # must not go there at all.
            _withdraw_open_invitations(patient, now=timezone.now())
        if patient.user_id is not None and {"full_name", "preferred_name"} & {c.field for c in written}:
            patient.user.full_name = patient.display_name  # type: ignore[union-attr]
            patient.user.save(update_fields=["full_name"])  # type: ignore[union-attr]
    _audit(by, patient)
    return Correction(patient, written)


def _next_record_number(clinic: Clinic) -> str:
    """The number after the clinic's highest record number, in its form ("A-000036" -> "A-000037").

    Record numbers staff typed in another form are passed over; a clinic with none starts at 000001.
    The clinic row is locked (on SQLite the IMMEDIATE transaction's write lock does it) so two
    registrations at once do not take the same number.
    """
    list(Clinic.objects.select_for_update().filter(pk=clinic.pk).values_list("pk", flat=True))
    numbered = Patient.objects.filter(
        clinic=clinic, medical_record_number__regex=NUMBERED.pattern
    ).values_list("medical_record_number", flat=True)
    highest: tuple[int, str, int] | None = None
    for number in numbered:
        match = NUMBERED.match(number)
        if match is None:  # the database's regex and Python's disagree only on exotic digits
            continue
        prefix, digits = match.groups()
        if highest is None or int(digits) > highest[0]:
            highest = (int(digits), prefix, len(digits))
    if highest is None:
        return FIRST_RECORD_NUMBER
    value, prefix, width = highest
    return f"{prefix}{value + 1:0{width}d}"[:40]


def _as_text(value: Any) -> str:
    return value.isoformat() if isinstance(value, dt.date) else str(value)


@transaction.atomic
def archive_patient(*, patient: Patient, by: User, reason: str) -> Patient:
    """Take a patient off the lists, keeping every record, with the reason staff gave;
    ``restore_patient`` undoes it.

    A patient in the chair now (a session checked in and not yet discharged) is refused: the session
    is finished or cancelled first. Archiving an archived patient changes nothing. An invitation to the
    patient app not yet accepted is withdrawn with it (its link stops working, its e-mail not yet sent
    is never sent), and restoring the patient does not bring it back: staff invite them again.
    """
    if not isinstance(reason, str):
        raise FieldError("reason", "reason must be text")
    reason = " ".join(reason.split())
    if not reason:
        raise FieldError(
            "reason",
            f"reason: say why the patient is archived (1 to {ARCHIVE_REASON_MAX} characters), "
            "e.g. treatment finished or moved to another clinic",
        )
    if len(reason) > ARCHIVE_REASON_MAX:
        raise FieldError(
            "reason", f"reason must be at most {ARCHIVE_REASON_MAX} characters (got {len(reason)})"
        )
    if "\x00" in reason:
        raise FieldError("reason", "reason contains a NUL character, which is not allowed")
    patient = Patient.objects.select_for_update().select_related("clinic").get(pk=patient.pk)
    if patient.archived_at is None:
        if facts.at_the_clinic(patient):
            raise ConflictError(
                "patient",
                "patient: this patient is in the chair now; discharge or cancel the session "
                "before archiving them",
            )
        patient.archived_at = timezone.now()
        patient.archive_reason = reason
        patient.save(update_fields=["archived_at", "archive_reason"])
        _withdraw_open_invitations(patient, now=patient.archived_at)
    _audit(by, patient)
    return patient


@transaction.atomic
def restore_patient(*, patient: Patient, by: User) -> Patient:
    """Put an archived patient back on the lists."""
    patient = Patient.objects.select_for_update().select_related("clinic").get(pk=patient.pk)
    if patient.archived_at is not None:
        patient.archived_at = None
        patient.archive_reason = ""
        patient.save(update_fields=["archived_at", "archive_reason"])
    _audit(by, patient)
    return patient


# Where a patient's treatment stands, moved only forward by the record that starts each stage (a plan
# starts induction, a maintenance booking maintenance) and closed when the course's plan ends. The
# questionnaire schedule and the drop-out job read it: a patient left at "screening" would get baseline
# questionnaires only, no pre-session PHQ-9; one left at "completed" while treated again would get none.
STAGE_ORDER = (Patient.Stage.SCREENING, Patient.Stage.INDUCTION, Patient.Stage.MAINTENANCE)
COURSE_ENDINGS = (Patient.Stage.COMPLETED, Patient.Stage.DISCONTINUED)


def advance_stage(*, patient: Patient, to: str) -> Patient:
    """Move the patient forward to ``to`` (induction or maintenance) when the treatment reaches it.

    Called inside the transaction of the write that starts the stage; never moves a patient under
    treatment back (a maintenance patient given a new plan stays in maintenance). A patient whose course
    had ended (completed or discontinued) starts again at ``to``: a new plan is a new course. The
    write's own audit row covers it.
    """
    if to not in STAGE_ORDER[1:]:
        raise FieldError("stage", f"stage {to!r} is not one a treatment starts (induction, maintenance)")
    ended = patient.stage in COURSE_ENDINGS
    if ended or (patient.stage in STAGE_ORDER and STAGE_ORDER.index(patient.stage) < STAGE_ORDER.index(to)):
        Patient.objects.filter(pk=patient.pk, stage=patient.stage).update(stage=to)
        patient.stage = to
    return patient


def end_course(*, patient: Patient, ended_as: str) -> Patient:
    """Close the patient's course as completed or discontinued (its last active plan has ended).

    Called inside the transaction of the write that ends the plan, so the stage and the plan never
    disagree; the questionnaire schedule lays out nothing more for a course that is over. The write's
    own audit row covers it.
    """
    if ended_as not in COURSE_ENDINGS:
        raise FieldError("stage", f"stage {ended_as!r} is not one a course ends in (completed, discontinued)")
    Patient.objects.filter(pk=patient.pk).update(stage=ended_as)
    patient.stage = ended_as
    return patient


def _audit(by: User, patient: Patient) -> None:
    # The same key as access_patient(action="write"), so a request that checked access and then
    # wrote leaves one row (docs/security.md S6); the URL in that row says what was written, and the
    # rows the write made (PatientChange, PatientInvitation) say how.
    record_access_event(
        user=by,
        action="write",
        outcome="granted",
        patient=patient,
        object_type="patient",
        object_id=str(patient.public_id),
    )


@transaction.atomic
def invite_patient(*, patient: Patient, by: User, base_url: str) -> PatientInvitation:
    """E-mail the patient a link to set a companion password; sending again replaces the pending link."""
    patient = Patient.objects.select_for_update().select_related("clinic").get(pk=patient.pk)
    if patient.archived_at is not None:
        raise ConflictError("patient", "patient: this patient is archived; restore them before inviting")
    if patient.user_id is not None:
        raise ConflictError(
            "patient", "patient: this patient already has an account (the invitation was accepted)"
        )
    if not patient.email:
        raise FieldError("email", "email: the patient has no e-mail address; add one to their details first")
    refusal = email_refusal(email=patient.email, clinic=patient.clinic, patient=patient)
    if refusal:
        raise ConflictError("email", refusal)
    now = timezone.now()
    _withdraw_open_invitations(patient, now=now)
    token, token_digest = new_token()
    invitation = PatientInvitation.objects.create(
        clinic=patient.clinic,
        patient=patient,
        email=patient.email,
        sent_by=by,
        token_digest=token_digest,
        expires_at=now + dt.timedelta(hours=settings.INVITATION_TTL_HOURS),
    )
    _audit(by, patient)
    link = base_url + reverse("patients:accept_invitation", kwargs={"token": token})
    mail.send_with_change(
        mail.patient_invitation(
            to=patient.email,
            link=link,
            hours=settings.INVITATION_TTL_HOURS,
            clinic_name=patient.clinic.name,
            clinic_phone=patient.clinic.phone,
            about=_mail_key(invitation),
        )
    )
    return invitation


def _mail_key(invitation: PatientInvitation) -> str:
    # What the invitation's outbox rows are about: patients of one clinic may share an address (a
    # parent and child, a couple), so the address does not tell whose invitation a message carries.
    return f"patient_invitation:{invitation.public_id}"


def _withdraw_open_invitations(patient: Patient, *, now: dt.datetime) -> None:
    """Stop the patient's open invitations' links working, and cancel their e-mails that have not left
    (in the caller's transaction), which would carry a link that no longer works. Another patient's
    e-mail to the same address is left alone.
    """
    open_invitations = list(patient.invitations.filter(accepted_at__isnull=True, revoked_at__isnull=True))
    for invitation in open_invitations:
        cancel_unsent_email_about(about_key=_mail_key(invitation))
    patient.invitations.filter(pk__in=[i.pk for i in open_invitations]).update(revoked_at=now)


@transaction.atomic
def accept_patient_invitation(*, invitation: PatientInvitation, password: str, confirm: str) -> User:
    """Use the invitation once: the patient's account with the chosen password (patient rules)."""
    invitation = (
        PatientInvitation.objects.select_for_update().select_related("patient__clinic").get(pk=invitation.pk)
    )
    patient = invitation.patient
    if invitation.status != PatientInvitation.Status.PENDING or patient.archived_at is not None:
        raise ConflictError("token", f"token: this invitation is {invitation.status_label.lower()}")
    if patient.user_id is not None:
        raise ConflictError("token", "token: this patient already has an account")
    if password != confirm:
        raise FieldError("confirm", "confirm: the two passwords differ; type the same password twice")
    if User.objects.filter(email__iexact=invitation.email).exists():
        raise ConflictError("email", "email: another account already uses this address; ask your clinic")
    user = User(email=invitation.email.lower(), full_name=patient.display_name)
    problems = password_errors(password, user)
    if problems:
        raise FieldError("password", f"password: {problems}")
    user.set_password(password)
    user.save()
    patient.user = user
    patient.save(update_fields=["user"])
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    record_access_event(
        user=user,
        action="write",
        outcome="success",
        patient=patient,
        object_type="patient_invitation_accepted",
        object_id=str(invitation.public_id),
    )
    return user
