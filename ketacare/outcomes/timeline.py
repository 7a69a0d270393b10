"""A clinician's timeline of one patient: every source contributes entries through one selector.

Each selector takes the (already authorised) patient and a time window and returns entries; a
source whose app or model is missing contributes nothing, so the view works while features land.
Each source is capped at :data:`PER_SOURCE_LIMIT` most recent entries.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Max, Min, Q
from django.urls import reverse

from ketacare.alerts.models import Alert
from ketacare.checkins.models import SymptomReport
from ketacare.core.display import instrument_short
from ketacare.core.triage import describe_minutes
from ketacare.intake.models import BaselineScore
from ketacare.journal.models import JournalEntry
from ketacare.lib.amounts import show_mg
from ketacare.outcomes.selectors import route_label
from ketacare.patients.models import Patient
from ketacare.questionnaires.models import QuestionnaireResponse
from ketacare.treatments.models import AdverseEvent, DoseAdministration, TreatmentSession, VitalSign

PER_SOURCE_LIMIT = 300


@dataclass(frozen=True)
class Entry:
    kind: str
    at: dt.datetime
    title: str
    detail: str = ""
    until: dt.datetime | None = None
    flag: str = ""  # a CSS-safe word: "warn", "danger", ""
    link: str = ""
    # Where the duration starts when it is not `at` (a session is listed at its booked time but lasted
    # from check-in to discharge).
    since: dt.datetime | None = None

    @property
    def kind_label(self) -> str:
        return KINDS.get(self.kind, self.kind)

    @property
    def duration_text(self) -> str:
        if self.until is None:
            return ""
        minutes = (self.until - (self.since or self.at)).total_seconds() / 60
        if minutes < 120:
            return f"{minutes:.0f} min"
        if minutes < 72 * 60:
            return f"{minutes / 60:.1f} h"
        return f"{minutes / 1440:.1f} days"


logger = logging.getLogger(__name__)

KINDS = {
    "session": "Sessions",
    "dose": "Doses",
    "vitals": "Vital signs",
    "score": "Scores",
    "side_effect": "Side effects",
    "adverse_event": "Adverse events",
    "alert": "Alerts",
    "journal": "Shared journal",
}

Window = tuple[dt.datetime | None, dt.datetime | None]


def _span(field: str, window: Window) -> Q:
    low, high = window
    q = Q()
    if low is not None:
        q &= Q(**{f"{field}__gte": low})
    if high is not None:
        q &= Q(**{f"{field}__lt": high})
    return q


def sessions(patient: Patient, window: Window) -> list[Entry]:

    rows = TreatmentSession.objects.filter(patient=patient, clinic_id=patient.clinic_id).filter(
        _span("scheduled_at", window)
    )
    return [
        Entry(
            "session",
            s.scheduled_at,
            f"Session ({route_label(s.route)}): {s.get_state_display()}",
            f"Planned dose {show_mg(s.planned_dose_mg)} mg" if s.planned_dose_mg else "",
            until=s.discharged_at if s.checked_in_at else None,
            flag="warn" if s.state == "cancelled" else "",
            link=reverse("treatments:run_sheet", kwargs={"session_id": s.public_id}),
            since=s.checked_in_at,
        )
        for s in rows.order_by("-scheduled_at")[:PER_SOURCE_LIMIT]
    ]


def doses(patient: Patient, window: Window) -> list[Entry]:

    rows = DoseAdministration.objects.filter(
        patient=patient, clinic_id=patient.clinic_id, entered_in_error=False
    )
    return [
        Entry(
            "dose",
            d.started_at,
            f"{d.drug} {show_mg(d.dose_mg)} mg ({route_label(d.route)})",
            f"Lot {d.lot_number}",
            until=d.ended_at,
        )
        for d in rows.filter(_span("started_at", window)).order_by("-started_at")[:PER_SOURCE_LIMIT]
    ]


def vital_summaries(patient: Patient, window: Window) -> list[Entry]:
    """One entry per session: how many readings, the highest blood pressure, the lowest SpO2."""

    rows = (
        VitalSign.objects.filter(patient=patient, clinic_id=patient.clinic_id, entered_in_error=False)
        .filter(_span("measured_at", window))
        .values("session_id")
        .annotate(
            first=Min("measured_at"),
            last=Max("measured_at"),
            n=Count("pk"),
            max_sys=Max("systolic_mmhg"),
            max_dia=Max("diastolic_mmhg"),
            max_hr=Max("heart_rate_bpm"),
            min_spo2=Min("spo2_pct"),
        )
        .order_by("-first")[:PER_SOURCE_LIMIT]
    )
    flagged = set(
        VitalSign.objects.filter(patient=patient, entered_in_error=False)
        .exclude(flags=[])
        .values_list("session_id", flat=True)
    )
    return [
        Entry(
            "vitals",
            r["first"],
            f"{r['n']} vital-sign readings: highest BP {r['max_sys']}/{r['max_dia']} mmHg",
            ", ".join(
                x
                for x in (
                    f"highest HR {r['max_hr']} bpm" if r["max_hr"] is not None else "",
                    f"lowest SpO2 {r['min_spo2']}%" if r["min_spo2"] is not None else "",
                    "flagged readings" if r["session_id"] in flagged else "",
                )
                if x
            ),
            until=r["last"],
            flag="warn" if r["session_id"] in flagged else "",
        )
        for r in rows
    ]


def scores(patient: Patient, window: Window) -> list[Entry]:
    """The patient's answers and the baselines the clinic took at intake: one series (decision 0030)."""

    rows = QuestionnaireResponse.objects.filter(patient=patient, clinic_id=patient.clinic_id, status="valid")
    taken = BaselineScore.objects.filter(patient=patient, clinic_id=patient.clinic_id, status="valid")
    entries = [
        Entry(
            "score",
            b.completed_at,
            f"{instrument_short(b.instrument_id)} {float(b.total):g}",
            f"{b.band} · entered by the clinic at intake" if b.band else "Entered by the clinic at intake",
            flag="danger" if b.item_alerts else "",
        )
        for b in taken.filter(_span("completed_at", window)).order_by("-completed_at")[:PER_SOURCE_LIMIT]
    ]
    entries += [
        Entry(
            "score",
            r.submitted_at,
            f"{instrument_short(r.instrument_id)} {r.total:g}",
            r.band,
            flag="danger" if r.item_alerts else "",
        )
        for r in rows.filter(_span("submitted_at", window)).order_by("-submitted_at")[:PER_SOURCE_LIMIT]
    ]
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries[:PER_SOURCE_LIMIT]


def _minutes(value: float | None) -> str:
    # Each branch below reads the bounds its case sets; "an unknown time" would show a case the
    # episode rules (core.episodes) never produce, never a crash of the timeline.
    return describe_minutes(value) if value is not None else "an unknown time"


def side_effects(patient: Patient, window: Window) -> list[Entry]:

    rows = SymptomReport.objects.filter(patient=patient, clinic_id=patient.clinic_id).filter(
        _span("started_at", window)
    )
    out = []
    for r in rows.order_by("-started_at")[:PER_SOURCE_LIMIT]:
        expected = (
            f"; expected to pass by about {describe_minutes(r.expected_resolution_min)} after the dose"
            if r.expected_resolution_min is not None
            else ""
        )
        d = r.duration()
        if d.open:
            state = f"still open, last reported {_minutes(d.end_after_min)} after the dose"
        elif d.end_min is not None:
            state = f"gone at about {_minutes(d.end_min)} after the dose (the patient's answer)"
        elif _minutes(d.end_after_min) == _minutes(d.end_before_min):
            # Two check-ins close together: the interval is too narrow to say as a range.
            state = f"gone by {_minutes(d.end_before_min)} after the dose"
        else:
            after, before = _minutes(d.end_after_min), _minutes(d.end_before_min)
            state = f"gone between {after} and {before} after the dose"
        if r.dose_started_at is None:
            state = "still open" if d.open else "gone"
        out.append(
            Entry(
                "side_effect",
                r.started_at,
                f"{r.name}" + ("" if r.kind == "red_flag" else f" ({r.get_severity_display().lower()})"),
                state + ("; seen past its usual window" if d.longer_than_usual else "") + expected,
                # No `until`: first report to the closing check-in is a gap between check-ins, not how
                # long the symptom lasted; the state above says what can honestly be said.
                flag="danger" if r.kind == "red_flag" else "warn" if d.longer_than_usual or d.open else "",
            )
        )
    return out


def adverse_events(patient: Patient, window: Window) -> list[Entry]:

    rows = AdverseEvent.objects.filter(patient=patient, clinic_id=patient.clinic_id, entered_in_error=False)
    return [
        Entry(
            "adverse_event",
            a.occurred_at,
            f"Adverse event ({a.get_severity_display().lower()})",
            a.description,
            flag="danger",
        )
        for a in rows.filter(_span("occurred_at", window)).order_by("-occurred_at")[:PER_SOURCE_LIMIT]
    ]


def alerts(patient: Patient, window: Window) -> list[Entry]:

    rows = Alert.objects.filter(patient=patient, clinic_id=patient.clinic_id).filter(
        _span("created_at", window)
    )
    return [
        Entry(
            "alert",
            a.created_at,
            f"Alert: {a.title}",
            f"{a.get_severity_display()} · {a.get_state_display()}",
            until=a.resolved_at,
            flag="danger" if a.severity in ("urgent", "emergency") else "warn",
            link=reverse("alerts:detail", args=[a.public_id]),
        )
        for a in rows.order_by("-created_at")[:PER_SOURCE_LIMIT]
    ]


def journal(patient: Patient, window: Window) -> list[Entry]:

    rows = JournalEntry.objects.filter(
        patient=patient, clinic_id=patient.clinic_id, shared_with_clinic=True, status="valid"
    )
    return [
        Entry("journal", j.written_at, "Journal entry (shared)", j.text[:500])
        for j in rows.filter(_span("written_at", window)).order_by("-written_at")[:PER_SOURCE_LIMIT]
    ]


SOURCES: dict[str, Callable[[Patient, Window], list[Entry]]] = {
    "session": sessions,
    "dose": doses,
    "vitals": vital_summaries,
    "score": scores,
    "side_effect": side_effects,
    "adverse_event": adverse_events,
    "alert": alerts,
    "journal": journal,
}


def patient_timeline(
    *,
    patient: Patient,
    kinds: set[str] | None = None,
    window: Window = (None, None),
    failed: list[str] | None = None,
) -> list[Entry]:
    """Entries from every source (or the chosen kinds), newest first.

    A source that fails is never dropped silently: with ``KETACARE_FAIL_LOUDLY`` (tests, debug) the
    error propagates; in production it is logged and its kind is appended to ``failed``, so the page
    can say "could not load …" instead of showing a timeline with a hole in it.
    """
    entries: list[Entry] = []
    for kind, source in SOURCES.items():
        if kinds and kind not in kinds:
            continue
        try:
            entries += source(patient, window)
        except Exception:
            if settings.KETACARE_FAIL_LOUDLY:
                raise
            logger.exception("timeline source %s failed", kind)
            if failed is not None:
                failed.append(kind)
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries
