"""What an audit row's request did, in words, for the clinic admin's audit report.

Every row keeps the page or API address the request went to (``path``) and its method; the address
names the view that ran (``patients:archive``, ``treatments:hold_override``...). A discharge, an
archived patient and an overridden hold all check the patient record the same way ("Write · Granted ·
Patient record"): the view's name is what tells them apart, so the report says it in words. A view
missing here says nothing more than the row's action and object (never a code on the screen).
"""

from __future__ import annotations

from django.urls import Resolver404, resolve

from ketacare.audit.models import AccessEvent
from ketacare.clinics.models import StaffMembership

# A change sent to the view (any method but GET, HEAD and OPTIONS).
WRITE_WORDS = {
    # Patients
    "patients:new": "Register a new patient",
    "patients:edit": "Change patient details",
    "patients:archive": "Archive patient",
    "patients:restore": "Restore archived patient",
    "patients:invite": "Invite patient to the app",
    "api:create_patient": "Register a new patient (API)",
    "api:invite_patient": "Invite patient to the app (API)",
    # Intake
    "intake:demographics": "Intake: personal details",
    "intake:weight": "Intake: weight",
    "intake:medications": "Intake: medicines",
    "intake:medication_flags": "Intake: check medicines",
    "intake:classify_medicine": "Intake: classify a medicine",
    "intake:screening": "Intake: screening answers",
    "intake:decision": "Eligibility decision",
    "intake:consent": "Record consent",
    "intake:consent_withdraw": "Withdraw consent",
    "intake:baseline": "Intake: baseline questionnaires",
    "intake:entered_in_error": "Intake: mark entered in error",
    "api:post_medications": "Intake: medicines (API)",
    "api:post_screening": "Intake: screening answers (API)",
    # Treatment plans and sessions
    "treatments:plan": "Create treatment plan",
    "treatments:book_maintenance": "Book a maintenance session",
    "treatments:end_plan": "End treatment plan",
    "treatments:appointment_reschedule": "Reschedule appointment",
    "treatments:check_in": "Check in",
    "treatments:check_in_confirmations": "Confirm fasting or ride home",
    "treatments:pre_dose_questionnaire": "Questionnaire at the chair",
    "treatments:pre_dose_questionnaire_skip": "Skip questionnaire at the chair",
    "treatments:vitals": "Record vital signs",
    "treatments:hold_override": "Override dose hold",
    "treatments:dose": "Record dose",
    "treatments:end_dosing": "End dosing",
    "treatments:observation": "Record observation",
    "treatments:adverse_event": "Record adverse event",
    "treatments:entered_in_error": "Mark session entry entered in error",
    "treatments:discharge": "Discharge",
    "treatments:cancel": "Cancel session",
    "treatments:rems_form": "REMS form",
    "api:create_patient_plan": "Create treatment plan (API)",
    "api:reschedule_patient_appointment": "Reschedule appointment (API)",
    "api:book_patient_maintenance": "Book a maintenance session (API)",
    "api:end_patient_plan": "End treatment plan (API)",
    "api:check_in_session": "Check in (API)",
    "api:record_session_vitals": "Record vital signs (API)",
    "api:override_session_hold": "Override dose hold (API)",
    "api:record_session_dose": "Record dose (API)",
    "api:end_session_dosing": "End dosing (API)",
    "api:record_session_observation": "Record observation (API)",
    "api:record_session_adverse_event": "Record adverse event (API)",
    "api:mark_session_entry_in_error": "Mark session entry entered in error (API)",
    "api:discharge_treatment_session": "Discharge (API)",
    "api:cancel_treatment_session": "Cancel session (API)",
    # Alerts, messages, check-ins
    "alerts:acknowledge": "Acknowledge alert",
    "alerts:resolve": "Resolve alert",
    "alerts:policy": "Change alert escalation time",
    "api:acknowledge_alert": "Acknowledge alert (API)",
    "api:resolve_alert": "Resolve alert (API)",
    "messaging:staff_thread": "Message the patient",
    "messaging:to_alert": "Raise an alert from a message",
    "checkins:staff_close_episode": "Close symptom episode",
    "support:message_checkin": "Check-in from a message",
    # Controlled-drug register
    "register:receive": "Receive controlled drugs",
    "register:count": "Count controlled drugs",
    "register:investigate": "Investigate a count difference",
    "register:correction": "Correct a register entry",
    "register:loss": "Report a loss",
    "register:settings": "Change register settings",
    "register:report_prepare": "Prepare a register report",
    "register:draw": "Draw controlled drugs",
    "register:close_draw": "Close a draw",
    # The clinic
    "clinics:settings": "Change clinic settings",
    "clinics:staff_invite": "Invite staff",
    "clinics:staff_invitation_resend": "Send staff invitation again",
    "clinics:staff_invitation_withdraw": "Withdraw staff invitation",
    "clinics:staff_role": "Change staff role",
    "clinics:staff_deactivate": "Deactivate staff",
    "clinics:staff_reactivate": "Reactivate staff",
    "clinics:staff_reset_second_factor": "Reset staff second factor",
    "questionnaires:policy": "Change questionnaire schedule",
    "audit:export": "Prepare audit CSV",
    "ops:mail_test": "Send a test e-mail",
    "ops:mail_retry": "Send an e-mail again",
    "interop:webhooks": "Add a webhook",
    "interop:webhook_disable": "Disable a webhook",
    "api:invite_staff": "Invite staff (API)",
    "api:resend_staff_invitation": "Send staff invitation again (API)",
    "api:withdraw_staff_invitation": "Withdraw staff invitation (API)",
    # What a patient (or their support person) sends from their own pages
    "checkins:checkin": "Send a check-in",
    "checkins:episodes": "Say a side effect has gone",
    "checkins:preparation": "Tick the session preparation list",
    "questionnaires:fill": "Answer a questionnaire",
    "journal:journal": "Write in the journal",
    "messaging:thread": "Send a message",
    "notifications:preferences": "Change reminder settings",
    "notifications:push_subscription": "Turn phone notifications on or off",
    "support:manage": "Change support people",
    "support:accept": "Accept a support invitation",
    "support:checkin": "Send a check-in as support person",
    "accounts:my_account": "Change own account",
    "patients:accept_invitation": "Set up a patient account",
    "api:submit_checkin": "Send a check-in (API)",
    "api:submit_questionnaire": "Answer a questionnaire (API)",
    "api:write_journal_entry": "Write in the journal (API)",
}

# A page or file opened (GET): the pages whose object alone does not say which page it was.
READ_WORDS = {
    "patients:detail": "Open patient record",
    "patients:edit": "Open patient details form",
    "patients:archive": "Open archive confirmation",
    "patients:list": "Open patient list",
    "outcomes:timeline": "Open patient timeline",
    "companion:staff_progress": "Open patient progress",
    "intake:page": "Open intake",
    "treatments:plan": "Open treatment plan",
    "treatments:plan_ics": "Download appointments (calendar)",
    "treatments:run_sheet": "Open run sheet",
    "treatments:instructions": "Open discharge instructions",
    "treatments:instructions_pdf": "Download discharge instructions (PDF)",
    "treatments:rems_form": "Open REMS form",
    "treatments:rems_csv": "Download REMS form (CSV)",
    "treatments:rems_pdf": "Download REMS form (PDF)",
    "checkins:staff_checkins": "Open patient check-ins",
    "journal:staff_journal": "Open patient journal",
    "messaging:staff_thread": "Open patient messages",
    "alerts:detail": "Open alert",
    "alerts:inbox": "Open alerts inbox",
    "audit:report": "Open audit report",
    "audit:csv": "Download audit CSV",
    "outcomes:csv": "Download outcomes CSV",
    "register:ledger": "Open register entries",
    "register:extract_csv": "Download register extract (CSV)",
    "register:extract_pdf": "Download register extract (PDF)",
    "register:inventory_pdf": "Download register inventory (PDF)",
    "register:inspection_pdf": "Download register inspection report (PDF)",
    "fhir:everything": "Download patient record (FHIR)",
    "interop:records_fhir": "Download own records (FHIR)",
    "interop:records_csv": "Download own records (CSV)",
    "interop:records_pdf": "Download own records (PDF)",
}

# Rows whose own kind already says what was done, whatever page they came from.
OBJECT_DEEDS = {
    "plan_gate_override": "Plan gate overridden",
    "plan_under_18_reason": "Plan for a patient under 18",
    "eligibility_decision_change": "Eligibility decision changed",
    "discharge_override": "Discharge (override)",
    "hold_override": "Override dose hold",
}

READ_METHODS = {"GET", "HEAD", "OPTIONS"}


def view_name(path: str) -> str:
    """The name of the view the recorded address leads to ('' for an address no view answers)."""
    try:
        return resolve(path).view_name if path.startswith("/") else ""
    except Resolver404:
        return ""


def what_was_done(event: AccessEvent, *, wrote: bool = True) -> str:
    """The request's deed in words ("Archive patient"), or '' when the row's action and object say it all.

    A denied or failed row did not do it: it reads "Tried: Archive patient". Neither did a read of a
    request that asked for a change and wrote nothing (``wrote`` False: refused, its input rejected;
    docs/decisions/0029): "Read · Granted · Patient record · Tried: Record dose".
    """
    deed = OBJECT_DEEDS.get(event.object_type, "")
    if not deed:
        name = view_name(event.path)
        deed = (READ_WORDS if event.method.upper() in READ_METHODS else WRITE_WORDS).get(name, "")
    if deed and (
        event.outcome in (AccessEvent.Outcome.DENIED, AccessEvent.Outcome.FAILURE)
        or (not wrote and is_read_of_a_change(event))
    ):
        return f"Tried: {deed}"
    return deed


def is_read_of_a_change(event: AccessEvent) -> bool:
    """Whether the row is a granted read recorded by a request that asked for a change (a POST)."""
    return (
        event.action == AccessEvent.Action.READ
        and event.outcome == AccessEvent.Outcome.GRANTED
        and event.method.upper() not in READ_METHODS
        and bool(event.method)
    )


# What each recorded kind of object is called on the report. A kind missing here reads as its code in
# words ("register_draw" -> "Register draw"): never a blank cell.
OBJECT_WORDS = {
    "action": "Refused action",
    "alert": "Alert",
    "alert_inbox": "Alert inbox",
    "audit_report": "Audit report",
    "clinic_day": "Today board",
    "clinic_settings": "Clinic settings",
    "eligibility_decision_change": "Eligibility decision changed",
    "mail_outbox": "E-mail outbox",
    "outcomes": "Outcomes report",
    "patient": "Patient record",
    "patient_list": "Patient list",
    "plan_gate_override": "Plan gate overridden",
    "questionnaire": "Questionnaire",
    "register": "Controlled-drug register",
    "register_count": "Controlled-drug count",
    "register_discrepancy": "Controlled-drug count difference",
    "register_draw": "Controlled-drug draw",
    "register_entry": "Controlled-drug register entry",
    "register_loss_report": "Controlled-drug loss report",
    "register_receipt": "Controlled-drug receipt",
    "register_report": "Controlled-drug report",
    "rems_forms_due": "REMS forms due",
    "second_factor": "Second factor",
    "staff_list": "Staff list",
    "treatment_session": "Treatment session",
    "user": "Account",
}
ROLE_WORDS = {
    **dict(StaffMembership.Role.choices),
    "patient": "Patient",
    "anonymous": "Not signed in",
    "user": "No role at this clinic",
}


def role_words(role: str) -> str:
    """A row's roles ("clinic_admin,prescriber") as the report names them."""
    return ", ".join(ROLE_WORDS.get(r, r.replace("_", " ").capitalize()) for r in role.split(",") if r)


def object_words(object_type: str) -> str:
    return OBJECT_WORDS.get(object_type, object_type.replace("_", " ").capitalize())


def in_words(event: AccessEvent) -> str:
    """The row as one line of the report: "Write · Granted · Patient record · Archive patient"."""
    parts = [event.get_action_display(), event.get_outcome_display(), object_words(event.object_type)]
    deed = what_was_done(event)
    return " · ".join([*parts, deed] if deed else parts)
