"""Check-in submission: validate, triage on the spot, store, and raise the alerts in one transaction."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast
from zoneinfo import ZoneInfo

from django.db import transaction

from ketacare.audit.services import transaction_with_held_rows
from ketacare.checkins.answer_box import answer_box, patient_was_told
from ketacare.checkins.models import (
    MOOD_MAX,
    MOOD_MIN,
    NOTE_MAX_CHARS,
    OTHER_TEXT_MAX_CHARS,
    PreparationTick,
    SymptomCheckin,
    SymptomReport,
)
from ketacare.checkins.onset import DAYS_OFFERED, reported_without_a_start
from ketacare.checkins.services.episodes import _raise_alerts, _raise_side_effect_alerts, _record_symptoms
from ketacare.checkins.services.errors import CheckinError
from ketacare.core import knowledge as kb
from ketacare.core.free_text import screen_free_text
from ketacare.core.home_bp import PULSE_RANGE_BPM, BpHoldLimits, HomeBloodPressure
from ketacare.core.protocols import PHYSIOLOGICAL_RANGES
from ketacare.core.triage import SEVERITIES, Severity, TriageResult, triage
from ketacare.core.triage import SymptomReport as CoreReport
from ketacare.lib.idempotency import create_once
from ketacare.patients.facts import at_the_clinic, last_dose_start
from ketacare.patients.models import Patient

MAX_REPORTS = 30
# "How strong" not given. The core judges it as a strength that changes nothing (its default, "mild"),
# so a red flag keeps its own level and is never raised as severe; what is stored says it was not given.
NOT_GIVEN: str = SymptomReport.Severity.NOT_GIVEN.value
# With no dose on record the core triages before any dose (no window, no time after a dose: its
# module docstring). It still takes a route for the hold thresholds of a home blood-pressure reading;
# "iv" is that route when no dose names one. The check-in stores no route.
NO_DOSE_ROUTE = "iv"


@dataclass(frozen=True, slots=True)
class ReportIn:
    """One symptom as submitted: a knowledge-base id, a severity and, optionally, when it began.

    ``severity`` is mild, moderate, severe or ``NOT_GIVEN``: the patient did not say (a red flag, which
    is never refused for it, a side effect sent with one, a report through the JSON API without one),
    read by the triage as a strength that changes nothing. It defaults to the core's "mild" for callers
    that ask no strength (the support person's check-in). When it began is either ``onset_min`` ("about N minutes after the session") or
    ``onset_day`` ("it began today": a day on the patient's clock after the day of the treatment, or
    of the last week before any treatment), never both. With neither, and not ``still_there``, the
    answer does not say it has been there since the dose (``onset.reported_without_a_start``).
    """

    symptom_id: str
    severity: str = "mild"
    onset_min: float | None = None
    onset_day: dt.date | None = None
    # An open symptom the patient says is still there: it has been there since it was first reported.
    still_there: bool = False


@dataclass(frozen=True, slots=True)
class HomeBpIn:
    """A home blood-pressure reading as the patient types it (mmHg; pulse in beats a minute, optional)."""

    systolic_mmhg: int
    diastolic_mmhg: int
    pulse_bpm: int | None = None


# The ranges a home reading may take (the core's physiological ranges), named as the patient sees them.
HOME_BP_FIELDS = (
    ("home_systolic_mmhg", "systolic_mmhg", "Top number (systolic)", PHYSIOLOGICAL_RANGES["systolic_mmhg"]),
    (
        "home_diastolic_mmhg",
        "diastolic_mmhg",
        "Bottom number (diastolic)",
        PHYSIOLOGICAL_RANGES["diastolic_mmhg"],
    ),
    ("home_pulse_bpm", "pulse_bpm", "Pulse", PULSE_RANGE_BPM),
)


@dataclass(frozen=True, slots=True)
class CheckinOutcome:
    """The stored check-in and whether this call created it (False: an idempotent retry)."""

    checkin: SymptomCheckin
    created: bool


def _symptom_name(symptom_id: str) -> tuple[str, str] | None:
    known = kb.knowledge()
    if symptom_id in known.red_flags:
        return "red_flag", known.red_flags[symptom_id].name
    if symptom_id in known.side_effects:
        return "side_effect", known.side_effects[symptom_id].name
    return None


def validate_home_bp(home_bp: HomeBpIn | None) -> HomeBloodPressure | None:
    """The reading for the core, or CheckinError naming the field and its allowed range."""
    if home_bp is None:
        return None
    for field, attr, label, (low, high) in HOME_BP_FIELDS:
        value = getattr(home_bp, attr)
        if value is None and attr == "pulse_bpm":
            continue
        if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
            raise CheckinError(field, f"{label}: enter a number from {low:g} to {high:g}")
    if home_bp.diastolic_mmhg >= home_bp.systolic_mmhg:
        raise CheckinError(
            "home_diastolic_mmhg",
            "Bottom number (diastolic): it must be lower than the top number (systolic)",
        )
    return HomeBloodPressure(
        float(home_bp.systolic_mmhg),
        float(home_bp.diastolic_mmhg),
        float(home_bp.pulse_bpm) if home_bp.pulse_bpm is not None else None,
    )


def validate_checkin(
    *,
    reports: Sequence[ReportIn],
    mood: int | None,
    note: str,
    other_text: str = "",
    worry: str = "",
    home_bp: HomeBpIn | None = None,
) -> None:
    """Raise CheckinError for the first invalid field (before anything is written; the key is create_once's)."""
    if len(other_text) > OTHER_TEXT_MAX_CHARS:
        raise CheckinError(
            "other_text",
            f"Something else: {len(other_text)} characters, allowed at most {OTHER_TEXT_MAX_CHARS}",
        )
    if worry and worry not in SymptomCheckin.Worry.values:
        raise CheckinError(
            "worry", f"How worried are you: choose {', '.join(str(w.label) for w in SymptomCheckin.Worry)}"
        )
    validate_home_bp(home_bp)
    if mood is not None and (
        isinstance(mood, bool) or not isinstance(mood, int) or not MOOD_MIN <= mood <= MOOD_MAX
    ):
        raise CheckinError("mood", f"mood {mood!r} is out of range: allowed {MOOD_MIN} to {MOOD_MAX}")
    if len(note) > NOTE_MAX_CHARS:
        raise CheckinError("note", f"note has {len(note)} characters: allowed at most {NOTE_MAX_CHARS}")
    if len(reports) > MAX_REPORTS:
        raise CheckinError("reports", f"{len(reports)} symptoms: allowed at most {MAX_REPORTS}")
    seen: set[str] = set()
    for report in reports:
        if _symptom_name(report.symptom_id) is None:
            raise CheckinError(
                "symptom_id",
                f"unknown symptom id {report.symptom_id[:60]!r}: choose a symptom from the list "
                "(the knowledge base's side effects and red flags)",
            )
        if report.severity != NOT_GIVEN and report.severity not in SEVERITIES:
            raise CheckinError(
                "severity",
                f"severity {report.severity[:20]!r} for {report.symptom_id} is not allowed: "
                f"allowed {', '.join(SEVERITIES)}",
            )
        if report.onset_min is not None and not (
            isinstance(report.onset_min, int | float) and 0 <= report.onset_min <= 7 * 24 * 60
        ):
            raise CheckinError(
                "onset_min",
                f"when {report.symptom_id} started: allowed 0 minutes to 7 days after the session",
            )
        if report.onset_day is not None and (
            report.onset_min is not None or not isinstance(report.onset_day, dt.date)
        ):
            raise CheckinError(
                "onset_day",
                f"when {report.symptom_id} started: give either minutes after the session or the day, "
                "not both",
            )
        if report.symptom_id in seen:
            raise CheckinError("symptom_id", f"symptom {report.symptom_id} is listed twice")
        seen.add(report.symptom_id)


def onset_from_day(
    report: ReportIn, *, dose_started_at: dt.datetime | None, time_zone: str, now: dt.datetime
) -> float | None:
    """ "It began today": the minutes after the dose at the start of that day on the patient's clock.

    That is the earliest it can have begun, so the answer never says it began later than the patient
    said; the core then judges whether that is after the effect's window (a new symptom). A day is
    allowed from the day after the day of the treatment to today; CheckinError on ``onset_day`` otherwise.
    Before any dose there is nothing to count minutes from: a day of the last ``DAYS_OFFERED`` (the
    days the form offers) is kept as the day, and minutes after a session are refused.
    """
    day = report.onset_day
    if dose_started_at is None and report.onset_min is not None:
        raise CheckinError(
            "onset_min",
            f"when {report.symptom_id} started: no treatment session is on record to count minutes from; "
            "give the day it began (onset_day) or leave it out (not sure)",
        )
    if day is None:
        return report.onset_min
    zone = ZoneInfo(time_zone)
    today = now.astimezone(zone).date()
    if dose_started_at is None:
        first = today - dt.timedelta(days=DAYS_OFFERED - 1)
        if not first <= day <= today:
            raise CheckinError(
                "onset_day",
                f"when {report.symptom_id} started: allowed from {first.isoformat()} to "
                f"{today.isoformat()} (today)",
            )
        return None
    after = dose_started_at.astimezone(zone).date() + dt.timedelta(days=1)
    if not after <= day <= today:
        raise CheckinError(
            "onset_day",
            f"when {report.symptom_id} started: allowed from {after.isoformat()} (the day after the "
            f"treatment) to {today.isoformat()} (today)",
        )
    start = dt.datetime.combine(day, dt.time(0), tzinfo=zone)
    return max((start - dose_started_at).total_seconds() / 60, 0.0)


# Two words that are in no phrase of the screen and are no negation (a test checks it against the data):
# the screen reads the two boxes apart, and matches no phrase across them.
BETWEEN_BOXES = "\n\n0 0\n\n"


def own_words(other_text: str, note: str) -> str | None:
    """The patient's own words for the core's screen: "Something else?" always, the note for a red flag.

    Either box can hold "I would be better off dead": a red flag in the note takes its red flag's path
    as it would in "Something else?". Other words in the note are a message to the clinic read with the
    check-in, not a symptom: they raise no review alert (every "feeling fine, thanks" would otherwise
    become an inbox item). The boxes are read as one text with ``BETWEEN_BOXES`` between them, so that
    a phrase or a "no" never runs from the end of one box into the start of the other.
    """
    other = other_text if other_text.strip() else None
    if not (note.strip() and screen_free_text(note).outcome == "red_flag"):
        return other
    if other is None or screen_free_text(other).outcome == "none":
        return note
    return BETWEEN_BOXES.join((other, note))


def triage_to_json(result: TriageResult) -> dict[str, Any]:
    """The triage result as stored (plain JSON: the level, the message and each report's reasoning)."""
    words = result.free_text
    reading = result.home_bp
    return {
        "level": result.level.value,
        "patient_message": result.patient_message,
        # Before any dose the route only chose a home reading's thresholds: no route of a dose.
        "route": result.route if result.minutes_since_dose is not None else None,
        "minutes_since_dose": result.minutes_since_dose,
        "red_flag_ids": list(result.red_flag_ids),
        "hold_next_dose": result.hold_next_dose,
        "review_required": result.review_required,
        "free_text": (
            {
                "outcome": words.outcome,
                "level": words.level.value,
                "red_flag_ids": list(words.red_flag_ids),
                "matched": [m.phrase for m in words.matches if not m.negated],
                "negated": list(words.negated),
                "patient_message": words.patient_message,
                "sources": list(words.sources),
            }
            if words is not None
            else None
        ),
        "home_bp": (
            {
                "level": reading.level.value,
                "patient_message": reading.patient_message,
                "findings": [
                    {"code": f.code, "level": f.level.value, "message": f.message, "sources": list(f.sources)}
                    for f in reading.findings
                ],
            }
            if reading is not None
            else None
        ),
        "details": [
            {
                "symptom_id": d.report.symptom_id,
                "severity": d.report.severity,
                "kind": d.kind,
                "entry_id": d.entry_id,
                "name": d.name,
                "level": d.level.value,
                "rules": list(d.rules),
                "expected_window": (
                    {
                        "onset_min": d.expected_window.onset_min,
                        "peak_min": d.expected_window.peak_min,
                        "resolution_min": d.expected_window.resolution_min,
                    }
                    if d.expected_window
                    else None
                ),
                "longer_than_expected_after_min": d.longer_than_expected_after_min,
                "red_flag_id": d.red_flag_id,
                "matched_text": d.matched_text,
                "onset_min": d.report.onset_min,
                "patient_message": d.patient_message,
                "self_care": list(d.self_care),
                "sources": list(d.sources),
            }
            for d in result.details
        ],
    }


@dataclass(frozen=True, slots=True)
class _Triaged:
    """A check-in's triage, computed before its transaction: the result and the dose it counted from."""

    result: TriageResult
    route: str
    minutes: float | None
    dose_started_at: dt.datetime | None


def submit_checkin(
    *,
    patient: Patient,
    idempotency_key: str,
    reports: Sequence[ReportIn],
    mood: int | None,
    note: str,
    now: dt.datetime,
    other_text: str = "",
    worry: str = "",
    home_bp: HomeBpIn | None = None,
    close_unticked: bool = True,
) -> CheckinOutcome:
    """Store a check-in triaged by the core; red flags raise a clinic alert in the same transaction.

    A retry with the same ``idempotency_key`` returns the original check-in untouched. Triage counts
    from the start of the patient's last dose; with no dose on record it is the core's triage before
    any dose (no route or minutes are stored, and an onset is a day, never minutes after a session).
    Open side effects that this check-in no longer reports are closed at ``now`` ("gone by omission",
    docs/decisions/0014) unless ``close_unticked`` is False: the web form asks about each open symptom
    ("Still there / Gone") beside a list of what is *new*, so a symptom left unanswered there is unknown,
    not gone, and stays open.

    ``other_text`` ("Something else? Describe it") goes to the core triage, and ``note`` too when it
    holds a red flag (``own_words``): an emergency phrase takes its red flag's path; other words in
    "Something else?" raise a review alert for the care team, whose severity follows ``worry`` (the
    review level when it is not answered: never required, so help is never held up).
    ``home_bp`` is judged by the core with the reported symptoms. One clinic alert per check-in.
    """

    def prepare() -> _Triaged:
        # "How worried are you?" left unanswered refuses nothing: a patient who typed in a panic gets
        # the answer and the numbers, never an error, and the clinic reads "not answered".
        validate_checkin(
            reports=reports, mood=mood, note=note, other_text=other_text, worry=worry, home_bp=home_bp
        )
        dose = last_dose_start(patient, now=now)
        minutes: float | None = None
        if dose is not None and dose.route in kb.ROUTES:
            route, minutes = dose.route, max((now - dose.started_at).total_seconds() / 60, 0.0)
            dose_started_at: dt.datetime | None = dose.started_at
        else:
            route, dose_started_at = NO_DOSE_ROUTE, None
        core_reports = []
        for r in reports:
            onset = onset_from_day(r, dose_started_at=dose_started_at, time_zone=patient.time_zone, now=now)
            core_reports.append(
                CoreReport(
                    symptom_id=r.symptom_id,
                    # validate_checkin has held each severity to SEVERITIES or NOT_GIVEN.
                    severity=cast(Severity, r.severity or "mild"),
                    # "About 4 hours after" is the patient's estimate: never later than now. Before any
                    # dose onset_from_day gives none.
                    onset_min=min(onset, minutes) if onset is not None and minutes is not None else None,
                )
            )
        result = triage(
            core_reports,
            route=route,
            minutes_since_dose=minutes,
            home_bp=validate_home_bp(home_bp),
            other_text=own_words(other_text, note),
            age_years=_age_years(patient, now),
            # The core takes the clinic's limits only beside a reading.
            bp_hold_limits=_clinic_bp_limits(patient) if home_bp is not None else None,
        )
        not_given = {r.symptom_id for r in reports if r.severity == NOT_GIVEN}
        # Sent with no start and not said to be still there: when it began is not known.
        unsaid = {r.symptom_id for r in reports if r.onset_min is None and r.onset_day is None}
        result = reported_without_a_start(result, unsaid - {r.symptom_id for r in reports if r.still_there})
        return _Triaged(_as_sent(result, not_given), route, minutes, dose_started_at)

    def create(triaged: _Triaged) -> SymptomCheckin:
        # The request's held audit row commits with the check-in: one write transaction. Already
        # inside create_once's transaction, whose rollback takes the row too: no savepoint of its own.
        with transaction_with_held_rows(savepoint=False):
            dose_started_at = triaged.dose_started_at
            checkin = SymptomCheckin.objects.create(
                clinic_id=patient.clinic_id,
                patient=patient,
                submitted_at=now,
                idempotency_key=idempotency_key,
                mood_0_10=mood,
                note=note,
                other_text=other_text,
                worry=worry,
                home_systolic_mmhg=home_bp.systolic_mmhg if home_bp else None,
                home_diastolic_mmhg=home_bp.diastolic_mmhg if home_bp else None,
                home_pulse_bpm=home_bp.pulse_bpm if home_bp else None,
                route=triaged.route if dose_started_at else "",
                dose_started_at=dose_started_at,
                minutes_since_dose=triaged.minutes,
                triage_level=triaged.result.level.value,
                triage_result=_with_what_was_told(triage_to_json(triaged.result), patient),
            )
            episodes = _record_symptoms(
                checkin,
                triaged.result,
                now=now,
                close_unticked=close_unticked,
                onset_days={r.symptom_id: r.onset_day for r in reports if r.onset_day is not None},
            )
            _raise_alerts(checkin, triaged.result)
            _raise_side_effect_alerts(checkin, triaged.result, episodes or {})
            return checkin

    checkin, created = create_once(
        SymptomCheckin,
        patient=patient,
        idempotency_key=idempotency_key,
        prepare=prepare,
        create=create,
        same_as=lambda c: _same_checkin(
            c, reports=reports, mood=mood, note=note, other_text=other_text, worry=worry
        ),
    )
    return CheckinOutcome(checkin, created=created)


def _as_sent(result: TriageResult, not_given: set[str]) -> TriageResult:
    """The triage with each strength as the patient gave it: one ``not_given`` (by symptom id) is stored
    as not given, in the check-in's result and its episode, though the core judged it as its default.
    So is a red flag found in the patient's own words (``matched_text``): they were asked no strength,
    and the core reads the words as its default, which would show as "mild" beside thoughts of suicide.
    """
    unsaid = cast(Severity, NOT_GIVEN)
    details = tuple(
        dataclasses.replace(d, report=dataclasses.replace(d.report, severity=unsaid))
        if d.matched_text is not None or d.report.symptom_id in not_given
        else d
        for d in result.details
    )
    return dataclasses.replace(result, details=details)


def _with_what_was_told(stored: dict[str, Any], patient: Patient) -> dict[str, Any]:
    """The stored result with the words of its answer's box as the patient reads them now: in the chair
    "tell a member of staff now", at home the triage's message (``answer_box.patient_was_told``). The
    check-in's alert quotes them, and the JSON API returns them for a client to show.

    Where the patient is changes the words only for an answer that sends them to someone; for the rest
    (an expected effect, most check-ins) it is not asked, so a check-in costs no query for it, and
    ``at_the_clinic`` is null."""
    here: bool | None = None
    if answer_box(stored, here=True) != answer_box(stored, here=False):
        here = at_the_clinic(patient)
    return {
        **stored,
        "patient_was_told": {"at_the_clinic": here, "words": patient_was_told(stored, here=bool(here))},
    }


def _clinic_bp_limits(patient: Patient) -> BpHoldLimits | None:
    """The clinic's own home blood-pressure limits, when it has set them (clinic settings)."""
    clinic = patient.clinic
    systolic, diastolic = clinic.home_bp_hold_systolic_mmhg, clinic.home_bp_hold_diastolic_mmhg
    if systolic is None or diastolic is None:
        return None
    return BpHoldLimits(float(systolic), float(diastolic))


def _age_years(patient: Patient, now: dt.datetime) -> int | None:
    born = patient.date_of_birth
    if born is None:  # pragma: no cover - required on the model
        return None
    today = now.date()
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    return age if 0 <= age <= 120 else None


def _same_checkin(
    checkin: SymptomCheckin,
    *,
    reports: Sequence[ReportIn],
    mood: int | None,
    note: str,
    other_text: str = "",
    worry: str = "",
) -> bool:
    # What the patient sent: the symptoms with their severities, the mood, the note and their own words
    # (red flags found in the words are stored as details without being sent as symptoms).
    stored = sorted(
        (d["symptom_id"], d["severity"])
        for d in checkin.triage_result.get("details", [])
        if not d.get("matched_text")
    )
    sent = sorted((r.symptom_id, r.severity) for r in reports)
    return (checkin.mood_0_10, checkin.note, checkin.other_text, checkin.worry, stored) == (
        mood,
        note,
        other_text,
        worry,
        sent,
    )


def tick_preparation(
    *,
    patient: Patient,
    session_key: str,
    item_id: str,
    done: bool,
    allowed_items: Sequence[str],
    now: dt.datetime,
) -> PreparationTick:
    """Record that the patient ticked (or unticked) one preparation item for a session."""
    if item_id not in allowed_items:
        raise CheckinError(
            "item_id", f"unknown checklist item {item_id[:60]!r}: allowed {', '.join(allowed_items)}"
        )
    with transaction.atomic():
        tick, _ = PreparationTick.objects.update_or_create(
            patient=patient,
            session_key=session_key[:40],
            item_id=item_id,
            defaults={"clinic_id": patient.clinic_id, "done": done, "ticked_at": now},
        )
    return tick
