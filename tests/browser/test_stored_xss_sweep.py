"""Stored-XSS sweep (security.md #15): payloads in every free-text field never run on any page.

Every free-text field a person can write (patient and staff names, clinic name, intake "other"
and previous treatments, medication lines, screening decision note, consent signer, entered-in-
error reason, plan notes, a course's end reason, check-in medication changes, hold / discharge override
reasons, cancel reason, dose lot number, observation note, adverse event description and action, REMS submission
reference, alert title / detail / acknowledgement / resolution notes, check-in note, journal text,
an audit row's e-mail and path) is filled with a payload through the services; then every page,
print view and htmx partial that shows them is opened in Chromium.

The browser context bypasses the Content-Security-Policy on purpose: the CSP would block inline
script anyway, and this sweep checks the first defence, escaping. A page passes when
``window.__xss`` is undefined, no dialog fired, the DOM holds no element with an ``on*`` handler
or a script carrying a payload, and the payload is visible as text. The exports (CSV, FHIR, PDF,
iCalendar) are fetched too: CSV cells cannot start a formula, FHIR is JSON text, PDFs show the
payload as text.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zoneinfo
from typing import Any

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from conftest import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "xss-sweep-browser-2026"  # noqa: S105 - test persona only
MARK = "__xss"
SCRIPT = "<script>window.__xss=1</script>"
IMG = '<img src=x onerror="window.__xss=1">'
SVG = '"><svg onload=window.__xss=1>'
QUOTE = "'><img src=x onerror=alert(1)>"  # single-quoted attributes; alert() would fire a dialog
RCDATA = "</title></textarea><script>window.__xss=1</script>"  # <title> and <textarea> contexts
# Cells that a spreadsheet would run as a formula.
FORMULA = '=HYPERLINK("http://evil.example","x")'
PAYLOADS = [SCRIPT, IMG, SVG, QUOTE, RCDATA]
ALL = "".join(PAYLOADS)  # every context at once, for fields without a tight length limit

# After loading a page: what ran and what markup the payloads managed to create.
PROBE = """() => ({
  xss: typeof window.__xss !== 'undefined',
  handlers: [...document.querySelectorAll('*')].filter(
      e => [...e.attributes].some(a => a.name.startsWith('on'))).map(e => e.outerHTML.slice(0, 120)),
  scripts: [...document.scripts].filter(s => s.textContent.includes('__xss')).length,
  text: document.body ? document.body.innerText : '',
})"""


def _t(label: str, text: str) -> str:
    """Tag a payload with the field it was written to, so the sweep can tell which fields it saw."""
    return f"{text} [{label}]"


def _seen(text: str) -> set[str]:
    return {label for label in FIELDS if f"[{label}]" in text}


# Every free-text field seeded, and whether a staff page or the patient's own pages show it.
FIELDS = {
    "patient_name": "both",
    "patient_login_name": "neither",
    "staff_name": "staff",
    "clinic_name": "both",
    "indication_other": "staff",
    "previous_treatments": "staff",
    "error_reason": "staff",
    "medication_1": "staff",
    "medication_2": "staff",
    "decision_note": "staff",
    "consent_signer": "staff",
    "plan_notes": "staff",
    "end_reason": "staff",
    "observation_note": "staff",
    "ae_description": "staff",
    "ae_action": "staff",
    "entered_in_error_reason": "staff",
    "lot": "staff",
    "dose_reason": "staff",
    "medication_changes": "staff",
    "hold_override": "staff",
    "discharge_override": "staff",
    "cancel_reason": "staff",
    "rems_reference": "staff",
    "checkin_note": "staff",
    "journal_text": "both",
    "alert_title": "staff",
    "alert_detail": "staff",
    "ack_note": "staff",
    "resolution_note": "staff",
    "resolution_assessed_by": "staff",
    "audit_email": "staff",
    "message_body": "both",
    "message_reply": "both",
    "support_name": "patient",
}


def _seed(personas: Any) -> dict[str, Any]:
    """Write a payload into every free-text field, through the services wherever they exist."""
    from ketacare.alerts.services import acknowledge_alert, raise_alert, resolve_alert
    from ketacare.audit.services import record_access_event
    from ketacare.checkins.services import submit_checkin
    from ketacare.intake import services as intake
    from ketacare.intake.models import WeightMeasurement
    from ketacare.journal.services import write_journal_entry
    from ketacare.messaging.services import reply_to_patient, send_patient_message
    from ketacare.support.services import invite_support_person
    from ketacare.treatments import services as treatments
    from ketacare.treatments.models import DoseAdministration, RemsForm, TreatmentSession, VitalSign
    from tests.support.treatments import make_session

    now = timezone.now()
    patient, prescriber = personas.a1, personas.clinician_a
    # Names: the patient (row and login), the clinician (assignee, decided by, ...) and the clinic.
    patient.full_name = _t("patient_name", "=Alice " + SVG + SCRIPT)
    patient.save(update_fields=["full_name"])
    patient.user.full_name = _t("patient_login_name", "Alice " + IMG)
    patient.user.save(update_fields=["full_name"])
    prescriber.full_name = _t("staff_name", "Dr " + QUOTE + RCDATA)
    prescriber.save(update_fields=["full_name"])
    personas.clinic_a.name = _t("clinic_name", "Clinic " + SVG)
    personas.clinic_a.save(update_fields=["name"])

    # Intake: "other" indication, previous treatments, medication lines, decision note, consent signer.
    intake.record_intake(
        patient=patient,
        user=prescriber,
        sex="female",
        height_cm=170,
        indications=["treatment_resistant_depression", "other"],
        indication_other=_t("indication_other", IMG + SVG),
        previous_treatments=_t("previous_treatments", ALL),
    )
    weight = intake.record_weight(patient=patient, user=prescriber, weight_kg=70)
    intake.mark_entered_in_error(
        record=weight, user=prescriber, reason=_t("error_reason", "wrong scale " + ALL)
    )
    intake.record_weight(patient=patient, user=prescriber, weight_kg=71)
    intake.record_medications(
        patient=patient,
        user=prescriber,
        medications=[_t("medication_1", SCRIPT), _t("medication_2", IMG + " 20 mg"), SVG],
    )
    assessment = intake.assess_screening(
        patient=patient, user=prescriber, conditions_present=[], all_items_asked=True
    )
    intake.record_eligibility_decision(
        assessment=assessment, user=prescriber, decision=assessment.eligibility, note=_t("decision_note", ALL)
    )
    intake.record_consent(
        patient=patient,
        user=prescriber,
        document_version="KC-CONSENT-2026.1",
        # The consent date is the clinic's calendar day (the service refuses a date after its today).
        signed_on=timezone.localdate(now, zoneinfo.ZoneInfo(personas.clinic_a.time_zone)),
        signer_name=_t("consent_signer", "Signer " + SVG + QUOTE),
        signer_relationship="self",
        routes=["iv"],  # the plan gate needs a consent for the plan's route (decision 0013),
        signed_form_seen=True,
    )

    # Treatments: a plan with notes; a session with every charting text; a cancelled one; a REMS form.
    treatments.create_treatment_plan(
        patient=patient,
        user=prescriber,
        protocol_id="iv_ketamine",
        preset_id=None,
        first_session_at=now + dt.timedelta(days=2),
        weight_kg=70,
        notes=_t("plan_notes", ALL),
    )
    # A course ended with its reason: the plan page of a patient whose course is over (A2) tells it. It is
    # an esketamine course, whose session carries the REMS form (one active plan a patient, decision 0032,
    # so the patient above stays on their IV course).
    rems_session = make_session(
        personas.a2, route="esketamine_in", state="discharged", minutes_since_dose_end=125
    )
    rems = RemsForm.objects.get(session=rems_session)
    treatments.update_rems_form(
        form=rems,
        user=prescriber,
        answers=dict.fromkeys(
            ("benzodiazepines", "non_benzo_sedative_hypnotics", "psychostimulants", "maois"), False
        ),
        submit=True,
        submission_reference=_t("rems_reference", SVG + QUOTE),
    )
    ended_plan = rems_session.plan
    assert ended_plan is not None
    treatments.end_treatment_plan(
        plan=ended_plan, user=prescriber, ended_as="discontinued", reason=_t("end_reason", ALL)
    )
    # The run-sheet shows different parts per state: one session per state, each fully charted.
    sheets = {}
    for state in ("checked_in", "dosing", "observing"):
        sheets[state] = make_session(patient, route="iv", state=state, hold=state == "checked_in")
        if state == "checked_in":
            treatments.override_hold(session=sheets[state], user=prescriber, reason=_t("hold_override", ALL))
        else:  # live states: the services write observations and adverse events
            treatments.record_observation(
                session=sheets[state],
                user=prescriber,
                moaas_score=5,
                dissociation="none",
                note=_t("observation_note", ALL),
            )
            treatments.record_adverse_event(
                session=sheets[state],
                user=prescriber,
                description=_t("ae_description", "-1 " + ALL),
                severity="mild",
                action_taken=_t("ae_action", ALL),
            )
    # A correction's reason is free text the run-sheet shows on the corrected row.
    corrected = VitalSign.objects.filter(session=sheets["observing"]).order_by("id").first()
    assert corrected is not None
    treatments.mark_entered_in_error(
        session=sheets["observing"],
        user=prescriber,
        kind="vital",
        entry_id=str(corrected.public_id),
        reason=_t("entered_in_error_reason", ALL),
    )
    # No service edits a recorded dose or check-in text after the fact; the run-sheet shows these.
    DoseAdministration.objects.filter(patient=patient).update(
        lot_number=_t("lot", SVG), out_of_bounds_reason=_t("dose_reason", ALL)
    )
    TreatmentSession.objects.filter(patient=patient).update(medication_changes=_t("medication_changes", ALL))
    session = make_session(patient, route="iv", state="observing", minutes_since_dose_end=70)
    treatments.record_observation(
        session=session, user=prescriber, moaas_score=5, dissociation="none", note=_t("observation_note", ALL)
    )
    treatments.record_adverse_event(
        session=session,
        user=prescriber,
        description=_t("ae_description", "-1 " + ALL),
        severity="mild",
        action_taken=_t("ae_action", ALL),
    )
    TreatmentSession.objects.filter(pk=session.pk).update(
        medication_changes=_t("medication_changes", ALL),
        discharge_override_reason=_t("discharge_override", ALL),
    )  # set by discharge_session only when a criterion is overridden
    treatments.discharge_session(session=session, user=prescriber, ride_present=True, instructions_given=True)
    cancelled = make_session(patient, route="iv", state="scheduled")
    treatments.cancel_session(session=cancelled, user=prescriber, reason=_t("cancel_reason", ALL))

    # Patient-written text: a check-in note and a shared journal entry (also formula-led for the CSV).
    submit_checkin(
        patient=patient,
        idempotency_key="xss-1",
        reports=[],
        mood=5,
        note=_t("checkin_note", FORMULA + ALL),
        now=now,
    )
    write_journal_entry(
        patient=patient,
        text=_t("journal_text", "+1 " + ALL),
        shared_with_clinic=True,
        prompt_id="",
        idempotency_key="xss-2",
        now=now,
    )

    # The message thread (both sides) and a support person's name (decision 0020).
    send_patient_message(patient=patient, body=_t("message_body", ALL), idempotency_key="xss-3", now=now)
    reply_to_patient(
        patient=patient,
        user=prescriber,
        body=_t("message_reply", ALL),
        idempotency_key="xss-4",
        now=now + dt.timedelta(seconds=1),
    )
    invite_support_person(
        patient=patient,
        name=_t("support_name", IMG),
        email="",
        phone="+1 555 0100",
        role="supporter",
        day=None,
        now=now,
    )

    # Alerts: title and detail, an acknowledgement note and a resolution note.
    with transaction.atomic():  # raise_alert joins the submission's transaction
        first = raise_alert(
            patient=patient,
            source="red_flag_checkin",
            severity="urgent",
            title=_t("alert_title", SVG + SCRIPT),
            detail=_t("alert_detail", ALL),
        )
        second = raise_alert(
            patient=patient, source="red_flag_checkin", severity="emergency", title=IMG, detail=ALL
        )
        open_one = raise_alert(
            patient=patient, source="red_flag_checkin", severity="contact_clinic", title=QUOTE
        )
    acknowledge_alert(alert=first, user=prescriber, note=_t("ack_note", ALL))
    resolve_alert(
        alert=second,
        user=prescriber,
        note=_t("resolution_note", "@SUM(1) " + ALL),
        outcome="assessed_in_person_safe",
        assessed_by=_t("resolution_assessed_by", IMG + SCRIPT),  # the field holds 200 characters
    )

    # Audit: a failed login records the typed e-mail (formula-led, for the audit CSV).
    record_access_event(
        action="login",
        outcome="failure",
        clinic=personas.clinic_a,
        object_type="user",
        login_email=_t("audit_email", FORMULA + IMG),
    )
    return {
        "session": session,
        "sheets": list(sheets.values()),
        "cancelled": cancelled,
        "rems_session": rems_session,
        "alerts": [first, second, open_one],
        "weight_model": WeightMeasurement,
    }


def _login(browser: Any, live_server: Any, user: Any, *, staff: bool) -> Any:
    user.set_password(PASSWORD)
    user.save()
    if staff:
        from django_otp.plugins.otp_totp.models import TOTPDevice

        TOTPDevice.objects.get_or_create(user=user, defaults={"name": "test", "confirmed": True})
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    browser_login(page, live_server.url, user.email, PASSWORD)
    assert "/accounts/" not in page.url, f"login failed for {user.email}: {page.url}"
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.dialogs = dialogs  # type: ignore[attr-defined]
    page.seen = set()  # type: ignore[attr-defined]
    return page


def _assert_clean(page: Any, where: str, *, shows_payload: bool = True) -> None:
    page.wait_for_timeout(50)  # let onerror / onload handlers of a broken image fire
    found = page.evaluate(PROBE)
    assert not found["xss"], f"{where}: a payload ran"
    assert not page.dialogs, f"{where}: a dialog fired: {page.dialogs}"
    assert not found["handlers"], f"{where}: payload markup with an event handler: {found['handlers']}"
    assert not found["scripts"], f"{where}: a payload became a <script> element"
    page.seen |= _seen(found["text"])
    if shows_payload:
        assert MARK in found["text"], f"{where}: no payload shown as text (the sweep would prove nothing)"


def _assert_the_probe_catches_raw_markup(page: Any) -> None:
    # Control: unescaped payloads do run in this context (CSP bypassed), and the probe sees them.
    page.set_content("<html><body>" + IMG + SVG + "</body></html>")
    page.wait_for_timeout(100)
    found = page.evaluate(PROBE)
    assert found["xss"] and found["handlers"], "the sweep cannot detect a payload that runs"
    page.evaluate("delete window.__xss")


def _visit(page: Any, base: str, path: str, *, shows_payload: bool = True) -> None:
    response = page.goto(base + path)
    assert response is not None and response.status == 200, f"{path}: {response and response.status}"
    _assert_clean(page, path, shows_payload=shows_payload)


def _swap(page: Any, path: str, *, verb: str = "GET", values: dict[str, str] | None = None) -> None:
    """Swap an htmx partial into the current page the way htmx does, then probe."""
    page.evaluate(
        """([verb, path, values]) => new Promise(resolve => {
             const box = document.createElement('div'); box.id = 'xss-swap';
             document.body.appendChild(box);
             document.body.addEventListener('htmx:afterSettle', () => resolve(), {once: true});
             htmx.ajax(verb, path, {source: document.body, target: '#xss-swap', swap: 'innerHTML',
                                    values: values || {}});
           })""",
        [verb, path, values],
    )
    _assert_clean(page, f"htmx {verb} {path}")
    assert "xss-swap" in page.content()


def _csv_cells(body: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(body)) for cell in row]


def _assert_csv_defused(body: str, where: str) -> None:
    cells = _csv_cells(body)
    assert any(MARK in c for c in cells), f"{where}: no payload in the export"
    for cell in cells:
        if cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
            try:
                float(cell)
            except ValueError:
                pytest.fail(f"{where}: a cell would run as a spreadsheet formula: {cell[:60]!r}")


def _pdf_text(content: bytes) -> str:
    from pypdf import PdfReader

    return "".join("".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(content)).pages)


def test_payloads_in_every_free_text_field_never_run_on_staff_pages_partials_and_exports(
    live_server: Any, browser: Any, personas: Any, artifacts_dir: Any
) -> None:
    seeded = _seed(personas)
    base = live_server.url
    pid = str(personas.a1.public_id)
    session, cancelled, rems_session = seeded["session"], seeded["cancelled"], seeded["rems_session"]
    page = _login(browser, live_server, personas.clinician_a, staff=True)
    _assert_the_probe_catches_raw_markup(page)

    staff_pages = [
        reverse("patients:list"),
        reverse("patients:list") + "?q=Alice",
        reverse("patients:detail", kwargs={"patient_id": pid}),
        reverse("intake:page", kwargs={"patient_id": pid}),
        reverse("treatments:plan", kwargs={"patient_id": pid}),
        reverse("treatments:plan", kwargs={"patient_id": str(personas.a2.public_id)}),  # an ended course
        reverse("treatments:day"),
        reverse("treatments:day") + f"?day={session.scheduled_at.date().isoformat()}",
        reverse("treatments:rems_due"),
        reverse("checkins:staff_checkins", kwargs={"patient_id": pid}),
        reverse("companion:staff_progress", kwargs={"patient_id": pid}),
        reverse("journal:staff_journal", kwargs={"patient_id": pid}),
        reverse("outcomes:timeline", kwargs={"patient_id": pid}),
        reverse("alerts:inbox"),
        reverse("alerts:inbox") + "?state=all",
        reverse("messaging:inbox"),
        reverse("messaging:staff_thread", kwargs={"patient_id": pid}),
        *[reverse("alerts:detail", kwargs={"alert_id": str(a.public_id)}) for a in seeded["alerts"]],
        *[
            reverse(name, kwargs={"session_id": str(s.public_id)})
            for s in (session, cancelled, rems_session)
            for name in ("treatments:run_sheet", "treatments:instructions")
        ],
        *[reverse("treatments:run_sheet", kwargs={"session_id": str(s.public_id)}) for s in seeded["sheets"]],
        reverse("treatments:rems_form", kwargs={"session_id": str(rems_session.public_id)}),
    ]
    for path in staff_pages:
        _visit(page, base, path)
    _visit(page, base, reverse("outcomes:page"), shows_payload=False)  # aggregates: the clinic name only
    page.screenshot(path=str(artifacts_dir / "xss-sweep-staff.png"), full_page=True)

    # htmx partials, swapped in the way htmx swaps them.
    page.goto(base + reverse("patients:list"))
    _swap(page, reverse("patients:list") + "?q=Alice")
    _swap(page, reverse("treatments:day"))
    page.goto(base + reverse("treatments:run_sheet", kwargs={"session_id": str(session.public_id)}))
    _swap(
        page, reverse("treatments:run_sheet", kwargs={"session_id": str(session.public_id)}) + "?panel=live"
    )
    # A rejected form re-renders the sheet with the typed (payload) values in inputs and textareas.
    _swap(
        page,
        reverse("treatments:adverse_event", kwargs={"session_id": str(cancelled.public_id)}),
        verb="POST",
        values={"description": ALL, "severity": "not-a-severity", "action_taken": ALL},
    )
    page.goto(base + reverse("intake:page", kwargs={"patient_id": pid}))
    _swap(
        page,
        reverse("intake:demographics", kwargs={"patient_id": pid}),
        verb="POST",
        values={
            "sex": "female",
            "height_cm": "9999",
            "indication_other": SVG + IMG,
            "previous_treatments": ALL,
        },
    )

    # Exports fetched with the same session.
    rems_csv = page.request.get(
        base + reverse("treatments:rems_csv", kwargs={"session_id": str(rems_session.public_id)})
    )
    assert rems_csv.ok and rems_csv.headers["content-type"].startswith("text/csv")
    _assert_csv_defused(rems_csv.text(), "REMS CSV")
    for name, s in (("treatments:instructions_pdf", session), ("treatments:rems_pdf", rems_session)):
        pdf = page.request.get(base + reverse(name, kwargs={"session_id": str(s.public_id)}))
        assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
        assert "window.__xss=1" in _pdf_text(pdf.body()), f"{name}: payload not shown as text"
    ics = page.request.get(base + reverse("treatments:plan_ics", kwargs={"patient_id": pid}))
    assert ics.ok and ics.headers["content-type"].startswith("text/calendar")
    assert ics.text().startswith("BEGIN:VCALENDAR")  # a calendar file, never rendered as HTML
    api = page.request.get(base + f"/api/v1/patients/{pid}")
    assert api.ok and api.headers["content-type"].startswith("application/json")
    assert MARK in api.json()["full_name"]
    seen = set(page.seen)
    page.context.close()

    # The clinic admin: the audit report (e-mail and path of a failed login) and its CSV, the policies.
    admin = _login(browser, live_server, personas.admin_a, staff=True)
    _visit(admin, base, reverse("audit:report"))
    # The failed login is among the older rows once the sweep's own reads fill the first page.
    _visit(admin, base, reverse("audit:report") + "?page=2", shows_payload=False)
    _visit(admin, base, reverse("alerts:policy"), shows_payload=False)
    _visit(admin, base, reverse("questionnaires:policy"), shows_payload=False)
    audit_csv = admin.request.get(base + reverse("audit:csv"))
    assert audit_csv.ok
    _assert_csv_defused(audit_csv.text(), "audit CSV")
    outcomes_csv = admin.request.get(base + reverse("outcomes:csv"))
    assert outcomes_csv.ok
    for cell in _csv_cells(outcomes_csv.text()):
        assert cell[:1] not in ("=", "@", "\t", "\r") and not (
            cell[:1] in ("+", "-") and not cell[1:2].isdigit()
        ), cell
    seen |= admin.seen
    admin.context.close()
    expected = {label for label, where in FIELDS.items() if where in ("staff", "both")}
    assert expected <= seen, f"fields no staff page showed (not swept): {sorted(expected - seen)}"


def test_payloads_never_run_on_the_patients_own_pages_print_views_and_exports(
    live_server: Any, browser: Any, personas: Any, artifacts_dir: Any
) -> None:
    from ketacare.checkins.models import SymptomCheckin

    _seed(personas)
    base = live_server.url
    page = _login(browser, live_server, personas.a1.user, staff=False)
    checkin = SymptomCheckin.objects.get(patient=personas.a1, idempotency_key="xss-1")
    for path in (
        reverse("companion:home"),
        reverse("journal:journal"),
        reverse("treatments:my_appointments"),
        reverse("messaging:thread"),
        reverse("support:manage"),
    ):
        _visit(page, base, path)
    for path in (
        reverse("interop:records"),
        reverse("checkins:checkin"),
        # The answer to a sent check-in (where the form sends the browser).
        reverse("checkins:result", kwargs={"checkin_id": str(checkin.public_id)}),
        reverse("checkins:preparation"),
        reverse("questionnaires:due"),
        reverse("companion:progress"),
        reverse("journal:learn"),
    ):
        _visit(page, base, path, shows_payload=False)  # the patient's name may not be shown here
    page.screenshot(path=str(artifacts_dir / "xss-sweep-patient.png"), full_page=True)

    # The journal form re-rendered with an error keeps the typed text as text.
    page.goto(base + reverse("journal:journal"))
    page.get_by_label("Your entry").fill(ALL + "x" * 20000)
    page.get_by_role("button", name="Save entry").click()
    page.wait_for_load_state()
    _assert_clean(page, "journal form error")

    records_csv = page.request.get(base + reverse("interop:records_csv"))
    assert records_csv.ok and records_csv.headers["content-type"].startswith("text/csv")
    _assert_csv_defused(records_csv.text(), "records CSV")
    fhir = page.request.get(base + reverse("interop:records_fhir"))
    assert fhir.ok and fhir.headers["content-type"].startswith("application/fhir+json")
    assert MARK in json.dumps(json.loads(fhir.text()))  # payloads are plain JSON strings
    pdf = page.request.get(base + reverse("interop:records_pdf"))
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    assert "window.__xss=1" in _pdf_text(pdf.body())
    ics = page.request.get(base + reverse("treatments:my_appointments_ics"))
    assert ics.ok and ics.headers["content-type"].startswith("text/calendar")
    api = page.request.get(base + "/api/v1/me/journal")
    assert api.ok and api.headers["content-type"].startswith("application/json")
    expected = {label for label, where in FIELDS.items() if where in ("patient", "both")}
    assert expected <= page.seen, f"fields the patient's pages did not show: {sorted(expected - page.seen)}"
    page.context.close()
