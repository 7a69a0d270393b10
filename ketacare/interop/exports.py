"""The patient's own records as a FHIR R4 Bundle, CSV rows and a PDF summary.

The FHIR resources come from ``fhir_resources`` (shared with the FHIR API and bulk export) and are
validated with the ``fhir.resources`` R4B models (R4B shares R4's resource definitions for everything
exported here; the installed package's top level is R5).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections import Counter
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from django.template.loader import render_to_string
from django.utils import timezone

from ketacare.checkins.models import SymptomCheckin
from ketacare.checkins.selectors import patient_checkins, patient_symptoms
from ketacare.core import display
from ketacare.core.instruments import instruments
from ketacare.core.knowledge import Level
from ketacare.interop.fhir_resources import (
    message_resources,
    patient_resources,
    questionnaire_resources,
    transaction_bundle,
)
from ketacare.interop.symptom_words import (
    clock_words,
    symptom_began,
    symptom_end,
    symptom_name,
    symptom_severity,
)
from ketacare.journal.selectors import own_entries
from ketacare.lib.csvsafe import csv_safe as _safe
from ketacare.messaging.models import Message
from ketacare.messaging.selectors import thread
from ketacare.patients.facts import intake_baselines
from ketacare.patients.models import Patient
from ketacare.questionnaires.selectors import patient_responses
from ketacare.treatments.instructions import zone_words
from ketacare.treatments.models import AdverseEvent, TreatmentSession, VitalSign
from ketacare.treatments.selectors import patient_doses


def _iso(value: dt.datetime | None, zone: ZoneInfo | None = None) -> str | None:
    # In the patient's zone (as every patient page), with its offset, so a spreadsheet shows the time
    # they lived it; to the second, as the register and REMS CSVs write theirs (the header says so).
    if value is None:
        return None
    return (value.astimezone(zone) if zone is not None else value).isoformat(timespec="seconds")


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"


@cache
def _shared_short_names() -> frozenset[str]:
    """Short names that more than one instrument ends its title with: KetaCare's own checks are all
    "... (KetaCare)", a maker's tag rather than a name, so it cannot stand for any one of them."""
    counts = Counter(display.instrument_short(i.id) for i in instruments())
    return frozenset(short for short, n in counts.items() if n > 1)


def instrument_label(instrument_id: str) -> str:
    """The questionnaire's name in the downloads: its short name ('PHQ-9') where that names it alone,
    else its title without the shared tag ('Bladder and urine check'), as its own page heads it."""
    short = display.instrument_short(instrument_id)
    if short not in _shared_short_names():
        return short
    return re.sub(r"\s*\([^()]*\)\s*$", "", display.instrument_name(instrument_id)) or short


def checkin_answer(checkin: SymptomCheckin) -> str:
    """The answer the check-in got, in the words its answer page was headed with (checkins/answer.html)."""
    level = Level(checkin.triage_level)
    result = checkin.triage_result or {}
    words = result.get("free_text") or {}
    if level >= Level.URGENT:
        return "Get help now"
    if words.get("outcome") == "review":
        return "If in doubt, call"
    if level == Level.LONGER_THAN_EXPECTED:
        return "This is lasting longer than expected"
    if level == Level.CONTACT_CLINIC:
        return "Please contact your clinic"
    return "This is expected" if result.get("details") else "Thank you for checking in"


def fhir_bundle(patient: Patient, *, now: dt.datetime | None = None) -> dict[str, Any]:
    """Everything about the patient as a FHIR R4 ``transaction`` Bundle, with the Questionnaires answered.

    Each entry is a conditional create on its stable identifier, so importing the file twice into a
    FHIR server creates nothing new the second time (docs/decisions/0019). The patient's messages with
    their care team are in it as Communications, which only this download carries: the FHIR API and
    bulk export serve the clinical types of ``interop.services.FHIR_TYPES``.
    """
    now = now or timezone.now()
    answered = sorted({r.instrument_id for r in patient_responses(patient=patient)})
    resources = (
        questionnaire_resources(answered) + patient_resources(patient, now=now) + message_resources(patient)
    )
    return transaction_bundle(resources, now=now)


def validate_bundle(bundle: dict[str, Any]) -> Any:
    """Parse the bundle with the fhir.resources R4B models (raises on anything invalid)."""
    from fhir.resources.R4B.bundle import Bundle

    return Bundle.model_validate(bundle)


def validate_resource(resource: dict[str, Any]) -> Any:
    """Parse one resource with its fhir.resources R4B model (raises on anything invalid)."""
    from fhir.resources.R4B import get_fhir_model_class

    return get_fhir_model_class(resource["resourceType"]).model_validate(resource)


def times_in(patient: Patient) -> str:
    """ "New York time (the clinic's time)": the zone of every time in the downloads, as a place, and
    whose time it is; never "your clock", which the phone may not be set to."""
    place, whose = zone_words(patient.time_zone, patient.clinic.time_zone)
    return f"{place} time ({whose})"


def csv_header(patient: Patient) -> list[str]:
    """The CSV's first row. The times are ISO 8601 with the offset (2026-12-07T09:30:00-05:00), which
    spreadsheets read; the header says so in words a patient uses."""
    place, whose = zone_words(patient.time_zone, patient.clinic.time_zone)
    return ["record", f"when ({place} time, {whose}, with its offset from UTC)", "what", "value", "detail"]


def vital_signs_phase(vital: VitalSign) -> str:
    """When a set of vital signs was taken, against the medicine's own times: "in session" also covered
    the watching after the medicine, which the patient's pages call being observed."""
    session = vital.session
    started, ended = session.dose_started_at, session.dose_ended_at
    if vital.kind == VitalSign.Kind.PRE_DOSE or started is None or vital.measured_at < started:
        return "before the medicine"
    if ended is None or vital.measured_at <= ended:
        return "while the medicine was given"
    return "after the medicine, while you were watched at the clinic"


def _doses(patient: Patient, now: dt.datetime) -> list[dict[str, Any]]:
    """Each dose with the three times of its visit, each named: booked for (as the appointments page
    shows it), the medicine started and ended (what every other time counts from)."""
    doses = patient_doses(patient, now=now)
    booked = {
        str(public_id): scheduled_at
        for public_id, scheduled_at in TreatmentSession.objects.filter(
            patient=patient, public_id__in=[d.session_public_id for d in doses]
        ).values_list("public_id", "scheduled_at")
    }
    return [
        {
            "route": dose.route,
            "booked_at": booked.get(dose.session_public_id),
            "started_at": dose.started_at,
            "ended_at": dose.ended_at,
        }
        for dose in doses
    ]


# How the downloads mark a score the clinic entered at intake, apart from the patient's own answers.
BASELINE_SOURCE = "entered by the clinic at intake"


def csv_text(patient: Patient, *, now: dt.datetime | None = None) -> str:
    """One row per record: baseline and questionnaire scores, check-ins, symptoms, journal entries, doses
    and the messages with the care team."""
    now = now or timezone.now()
    zone = ZoneInfo(patient.time_zone)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(csv_header(patient))
    for dose in _doses(patient, now):
        # The row's time is the medicine's start: the detail says so, beside the booked time the
        # appointments page shows, so the two do not read as two different visits.
        detail = ["medicine started at this time"]
        if dose["booked_at"] is not None:
            detail.append(f"booked for {_iso(dose['booked_at'], zone)}")
        if dose["ended_at"] is not None:
            detail.append(f"medicine ended {_iso(dose['ended_at'], zone)}")
        writer.writerow(
            ["dose", _iso(dose["started_at"], zone), display.route_name(dose["route"]), "", "; ".join(detail)]
        )
    vitals = VitalSign.objects.filter(patient=patient, entered_in_error=False).select_related("session")
    for v in vitals.order_by("measured_at", "id"):
        pulse = f" pulse {v.heart_rate_bpm}/min" if v.heart_rate_bpm is not None else ""
        spo2 = f" SpO2 {v.spo2_pct}%" if v.spo2_pct is not None else ""
        writer.writerow(
            [
                "vital signs",
                _iso(v.measured_at, zone),
                vital_signs_phase(v),
                f"{v.systolic_mmhg}/{v.diastolic_mmhg} mmHg",
                (pulse + spo2).strip(),
            ]
        )
    for a in AdverseEvent.objects.filter(patient=patient, entered_in_error=False).order_by(
        "occurred_at", "id"
    ):
        writer.writerow(
            ["adverse event", _iso(a.occurred_at, zone), a.get_severity_display(), "", _safe(a.description)]
        )
    # The baselines the Progress page measures change from, so the file holds the whole series.
    for b in intake_baselines(patient):
        writer.writerow(
            [
                "baseline score",
                _iso(b.completed_at, zone),
                instrument_label(b.instrument_id),
                f"{b.total:g}",
                "; ".join(part for part in (b.band, BASELINE_SOURCE) if part),
            ]
        )
    for r in patient_responses(patient=patient):
        writer.writerow(
            [
                "questionnaire",
                _iso(r.submitted_at, zone),
                instrument_label(r.instrument_id),
                f"{r.total:g}",
                r.band,
            ]
        )
    for c in patient_checkins(patient=patient):
        writer.writerow(
            [
                "check-in",
                _iso(c.submitted_at, zone),
                checkin_answer(c),
                c.mood_0_10 if c.mood_0_10 is not None else "",
                _safe(c.note),
            ]
        )
    for s in patient_symptoms(patient=patient):
        writer.writerow(
            [
                "symptom",
                _iso(s.started_at, zone),
                symptom_name(s),
                symptom_severity(s),
                # The row's time is the check-in that reported it: the detail says so, and when it began.
                f"reported at this time; when it began: {symptom_began(s, zone)}; "
                + symptom_end(s, lambda moment: _iso(moment, zone) or ""),
            ]
        )
    for e in own_entries(patient=patient):
        writer.writerow(
            [
                "journal",
                _iso(e.written_at, zone),
                "shared" if e.shared_with_clinic else "private",
                "",
                _safe(e.text),
            ]
        )
    for m in thread(patient):
        from_patient = m.author_kind == Message.Author.PATIENT
        writer.writerow(
            [
                "message",
                _iso(m.sent_at, zone),
                "from you" if from_patient else "from your care team",
                f"answered: {_yes_no(m.answered_at is not None)}" if from_patient else "",
                _safe(m.body),
            ]
        )
    return out.getvalue()


def pdf_bytes(patient: Patient, *, now: dt.datetime | None = None) -> bytes:
    """A printable PDF summary carrying the patient's scores, check-ins and side effects."""
    from weasyprint import HTML

    now = now or timezone.now()
    zone = ZoneInfo(patient.time_zone)
    # Times in the patient's zone, like every patient page.
    with timezone.override(zone):
        html = _render_summary(patient, now, zone)
    return bytes(HTML(string=html, base_url=None).write_pdf())


def _render_summary(patient: Patient, now: dt.datetime, zone: ZoneInfo) -> str:
    return render_to_string(
        "interop/summary_pdf.html",
        {
            "patient": patient,
            "generated": now.astimezone(zone),
            "scores": _scores(patient, zone),
            "baseline_source": BASELINE_SOURCE,
            "checkins": [
                {"when": c.submitted_at.astimezone(zone), "answer": checkin_answer(c), "mood": c.mood_0_10}
                for c in patient_checkins(patient=patient)[:100]
            ],
            "symptoms": [
                {
                    "name": symptom_name(s),
                    "severity": symptom_severity(s),
                    # When it began in the patient's words, apart from when the check-in told us.
                    "began": symptom_began(s, zone),
                    "reported": clock_words(s.started_at.astimezone(zone)),
                    "end": symptom_end(s, lambda moment: clock_words(moment.astimezone(zone))),
                }
                for s in patient_symptoms(patient=patient)[:100]
            ],
            **_messages(patient, zone),
            "doses": _doses(patient, now),
            "times_in": times_in(patient),
        },
    )


# The PDF is a summary laid out while the patient waits: it shows the latest messages, the CSV and
# FHIR files every one.
PDF_MESSAGES_MAX = 200


def _messages(patient: Patient, zone: ZoneInfo) -> dict[str, Any]:
    """The latest messages with the care team, oldest first, in the patient's zone."""
    latest = list(thread(patient).order_by("-sent_at", "-id")[: PDF_MESSAGES_MAX + 1])
    shown = latest[:PDF_MESSAGES_MAX]
    return {
        "messages": [
            {
                "when": m.sent_at.astimezone(zone),
                "from_patient": m.author_kind == Message.Author.PATIENT,
                "body": m.body,
            }
            for m in reversed(shown)
        ],
        "messages_cut": len(latest) > PDF_MESSAGES_MAX,
        "messages_max": PDF_MESSAGES_MAX,
    }


def _scores(patient: Patient, zone: ZoneInfo) -> list[dict[str, Any]]:
    """Intake baselines and the patient's answers in one table, oldest first, each saying who entered it."""
    rows = [
        {
            "when": b.completed_at.astimezone(zone),
            "name": instrument_label(b.instrument_id),
            "total": b.total,
            "band": b.band,
            "by_clinic": True,
        }
        for b in intake_baselines(patient)
    ]
    rows += [
        {
            "when": r.submitted_at.astimezone(zone),
            "name": instrument_label(r.instrument_id),
            "total": r.total,
            "band": r.band,
            "by_clinic": False,
        }
        for r in patient_responses(patient=patient)
    ]
    # Stable: on a tie the baseline stays ahead of the answer, as on the Progress page.
    return sorted(rows, key=lambda row: row["when"])
