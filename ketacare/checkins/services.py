"""Writes for check-ins: triage on the spot, symptom durations, and red-flag alerts in one transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from django.db import transaction

from ketacare.alerts.models import Alert
from ketacare.alerts.services import raise_alert
from ketacare.checkins.models import (
    MOOD_MAX,
    MOOD_MIN,
    NOTE_MAX_CHARS,
    OTHER_TEXT_MAX_CHARS,
    PreparationTick,
    SymptomCheckin,
    SymptomReport,
)
from ketacare.core import knowledge as kb
from ketacare.core.free_text import screen_free_text
from ketacare.core.home_bp import PULSE_RANGE_BPM, HomeBloodPressure
from ketacare.core.knowledge import Level
from ketacare.core.protocols import PHYSIOLOGICAL_RANGES
from ketacare.core.triage import SEVERITIES, Severity, TriageResult, describe_minutes, triage
from ketacare.core.triage import SymptomReport as CoreReport
from ketacare.lib.errors import FieldError
from ketacare.lib.idempotency import create_once
from ketacare.patients.facts import last_dose
from ketacare.patients.models import Patient

MAX_REPORTS = 30
# Without a recorded dose KetaCare cannot tell an expected after-effect from anything else, so a
# check-in is triaged as if the dose were long past: beyond the core's persistence limit every
# side effect goes to "contact your clinic" and every red flag keeps its own level (no new number
# here: it is the core's limit plus one day). The route then only selects windows that are all
# already passed, so "iv" serves as a neutral default when no route is known.
NO_DOSE_ROUTE = "iv"


def no_recent_dose_minutes() -> float:
    """The minutes-since-dose used when no dose is on record (the core's persistence limit + 1 day)."""
    return kb.persistence().contact_clinic_after_min + 24 * 60


class CheckinError(FieldError):
    """Invalid check-in input; ``field`` names the offending field, the message the allowed range."""


@dataclass(frozen=True, slots=True)
class ReportIn:
    """One symptom as submitted: a knowledge-base id and a severity."""

    symptom_id: str
    severity: str = "mild"
    onset_min: float | None = None  # "started about N minutes after the session" (optional)


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
# "How worried are you?" sets the severity of the care team's review of the patient's own words. The
# review is never below the core's review level (contact the clinic today); "very worried" is urgent.
WORRY_SEVERITY: dict[str, str] = {
    SymptomCheckin.Worry.A_LITTLE: Alert.Severity.CONTACT_CLINIC,
    SymptomCheckin.Worry.QUITE: Alert.Severity.CONTACT_CLINIC,
    SymptomCheckin.Worry.VERY: Alert.Severity.URGENT,
}
_SEVERITY_ORDER = list(Alert.Severity.values)
HOLD_TITLE = "Next dose paused until a prescriber reviews"
HOLD_DETAIL = (
    "Bladder or urinary symptoms were reported. The next dose is paused until a prescriber has reviewed "
    "the patient and resolved this alert."
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
        if report.severity not in SEVERITIES:
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
        if report.symptom_id in seen:
            raise CheckinError("symptom_id", f"symptom {report.symptom_id} is listed twice")
        seen.add(report.symptom_id)


def triage_to_json(result: TriageResult) -> dict[str, Any]:
    """The triage result as stored (plain JSON: the level, the message and each report's reasoning)."""
    words = result.free_text
    reading = result.home_bp
    return {
        "level": result.level.value,
        "patient_message": result.patient_message,
        "route": result.route,
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
    minutes: float
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
) -> CheckinOutcome:
    """Store a check-in triaged by the core; red flags raise a clinic alert in the same transaction.

    A retry with the same ``idempotency_key`` returns the original check-in untouched. Triage counts
    from the start of the patient's last dose; with no dose on record see ``no_recent_dose_minutes``.
    Open symptoms that this check-in no longer reports are closed at ``now``.

    ``other_text`` ("Something else? Describe it") goes to the core triage: an emergency phrase takes
    its red flag's path; any other words raise a review alert for the care team, whose severity follows
    ``worry`` (required then; never required for words that are a red flag, so help is never held up).
    ``home_bp`` is judged by the core with the reported symptoms. One clinic alert per check-in.
    """

    def prepare() -> _Triaged:
        validate_checkin(
            reports=reports, mood=mood, note=note, other_text=other_text, worry=worry, home_bp=home_bp
        )
        if other_text.strip() and not worry and screen_free_text(other_text).review_required:
            raise CheckinError(
                "worry",
                "How worried are you about what you described? Choose one: "
                + ", ".join(str(w.label) for w in SymptomCheckin.Worry),
            )
        dose = last_dose(patient, now=now)
        if dose is not None and dose.route in kb.ROUTES:
            route, minutes = dose.route, max((now - dose.started_at).total_seconds() / 60, 0.0)
            dose_started_at: dt.datetime | None = dose.started_at
        else:
            route, minutes, dose_started_at = NO_DOSE_ROUTE, no_recent_dose_minutes(), None
        result = triage(
            # validate_checkin has held each severity to SEVERITIES.
            [
                CoreReport(
                    symptom_id=r.symptom_id,
                    severity=cast(Severity, r.severity),
                    # "About 4 hours after" is the patient's estimate: never later than now.
                    onset_min=min(r.onset_min, minutes) if r.onset_min is not None else None,
                )
                for r in reports
            ],
            route=route,
            minutes_since_dose=minutes,
            home_bp=validate_home_bp(home_bp),
            other_text=other_text if other_text.strip() else None,
            age_years=_age_years(patient, now),
        )
        return _Triaged(result, route, minutes, dose_started_at)

    def create(triaged: _Triaged) -> SymptomCheckin:
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
            minutes_since_dose=triaged.minutes if dose_started_at else None,
            triage_level=triaged.result.level.value,
            triage_result=triage_to_json(triaged.result),
        )
        _record_symptoms(checkin, triaged.result, now=now)
        _raise_alerts(checkin, triaged.result)
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


def _threshold(symptom_id: str, route: str) -> float | None:
    effect = kb.knowledge().side_effects.get(symptom_id)
    if effect is None or route not in kb.ROUTES:
        return None
    return effect.course(route).longer_than_expected_after_min


def _record_symptoms(checkin: SymptomCheckin, result: TriageResult, *, now: dt.datetime) -> None:
    """Open, continue or close episodes (docs/decisions/0014).

    A reported symptom continues its open episode (last seen present now) or opens one. An open side
    effect this check-in does not tick is closed by omission (seen gone now: its end lies between its
    last sighting and now). An open red flag is never closed by omission.
    """
    patient = checkin.patient
    open_reports = {
        r.symptom_id: r for r in SymptomReport.objects.filter(patient=patient, resolved_at__isnull=True)
    }
    minutes = checkin.minutes_since_dose
    for detail in result.details:
        symptom_id = detail.report.symptom_id
        current = open_reports.pop(symptom_id, None)
        if current is not None and current.dose_started_at == checkin.dose_started_at:
            # Still there: the same episode continues, at the worst level seen.
            current.last_checkin = checkin
            current.last_seen_at = now
            if Level(detail.level) > Level(current.level):
                current.level = detail.level.value
            if SymptomReport.Severity.values.index(
                detail.report.severity
            ) > SymptomReport.Severity.values.index(current.severity):
                current.severity = detail.report.severity
            if (
                minutes is not None
                and current.longer_after_min is not None
                and minutes > current.longer_after_min
            ):
                current.seen_after_window = True
            current.save(
                update_fields=["last_checkin", "last_seen_at", "level", "severity", "seen_after_window"]
            )
            continue
        if current is not None:
            # A new dose since it was first reported: that episode ends, a new one starts.
            current.resolved_at, current.resolved_by = now, checkin
            current.closed_by = SymptomReport.ClosedBy.NEW_DOSE
            current.save(update_fields=["resolved_at", "resolved_by", "closed_by"])
        threshold = detail.longer_than_expected_after_min if checkin.dose_started_at else None
        onset = detail.report.onset_min
        SymptomReport.objects.create(
            clinic_id=checkin.clinic_id,
            patient=patient,
            checkin=checkin,
            last_checkin=checkin,
            symptom_id=symptom_id,
            kind=detail.kind,
            name=detail.name,
            severity=detail.report.severity,
            level=detail.level.value,
            route=checkin.route,
            dose_started_at=checkin.dose_started_at,
            expected_resolution_min=detail.expected_window.resolution_min if detail.expected_window else None,
            longer_after_min=threshold,
            onset_min=onset,
            started_at=now,
            last_seen_at=now,
            seen_after_window=bool(threshold is not None and minutes is not None and minutes > threshold),
        )
    for gone in open_reports.values():
        if gone.kind == SymptomReport.Kind.RED_FLAG:
            continue  # only the patient or a clinician closes a red flag
        gone.resolved_at, gone.resolved_by = now, checkin
        gone.closed_by = SymptomReport.ClosedBy.OMISSION
        gone.save(update_fields=["resolved_at", "resolved_by", "closed_by"])


def _max_severity(*severities: str) -> str:
    return max(severities, key=_SEVERITY_ORDER.index)


def _raise_alerts(checkin: SymptomCheckin, result: TriageResult) -> None:
    """One clinic alert per check-in (key ``checkin:<id>``) for red flags, a home reading that needs the
    clinic and the patient's own words; a hold on the next dose; side effects past their window."""
    red_flags = [d for d in result.details if d.red_flag_id is not None or d.level >= Level.URGENT]
    titles: list[str] = []
    details: list[str] = []
    severities: list[str] = []
    if red_flags:
        top = max(d.level for d in red_flags)
        names = ", ".join(dict.fromkeys(d.name for d in red_flags))
        titles.append(f"Red flag in check-in: {names}")
        details.append(result.patient_message)
        severities.append(top.value if top >= Level.CONTACT_CLINIC else Alert.Severity.CONTACT_CLINIC)
    reading = result.home_bp
    if reading is not None and reading.level >= Level.CONTACT_CLINIC:
        shown = f"{checkin.home_systolic_mmhg}/{checkin.home_diastolic_mmhg} mmHg"
        if checkin.home_pulse_bpm is not None:
            shown += f", pulse {checkin.home_pulse_bpm}"
        titles.append(f"Home blood pressure {shown}")
        details.append(" ".join(f.message for f in reading.findings) or reading.patient_message)
        severities.append(reading.level.value)
    if checkin.other_text.strip() and result.free_text is not None and result.free_text.outcome != "none":
        worry = SymptomCheckin.Worry(checkin.worry).label if checkin.worry else "not asked (a red flag)"
        details.append(f"The patient wrote: “{checkin.other_text.strip()}” How worried they are: {worry}.")
        if result.review_required:
            titles.append("Check-in words to review")
            severities.append(WORRY_SEVERITY.get(checkin.worry, Alert.Severity.CONTACT_CLINIC))
    if result.hold_next_dose:
        # Decision 0012 rule 9: the next dose waits for a prescriber (never advice to the patient). It
        # rides on the check-in's one alert; resolving that alert is the prescriber's review
        # (facts_provided.next_dose_hold).
        titles.append(HOLD_TITLE)
        details.append(HOLD_DETAIL)
        severities.append(Alert.Severity.URGENT)
    if titles:
        raise_alert(
            patient=checkin.patient,
            source=Alert.Source.RED_FLAG_CHECKIN,
            severity=_max_severity(*severities),
            title="; ".join(titles)[:200],
            detail="\n".join(details),
            dedupe_key=f"checkin:{checkin.public_id}",
        )
    # A side effect seen present past its window ("longer than expected, contact your clinic"): one
    # alert per episode at once, with the key the hourly job uses, so the cause raises one open alert.
    flagged = {d.report.symptom_id for d in red_flags}
    longer = [
        d
        for d in result.details
        if d.kind == "side_effect"
        and d.level >= Level.LONGER_THAN_EXPECTED
        and d.report.symptom_id not in flagged
    ]
    if not longer:
        return
    episodes = {
        r.symptom_id: r
        for r in SymptomReport.objects.filter(
            patient=checkin.patient,
            resolved_at__isnull=True,
            symptom_id__in=[d.report.symptom_id for d in longer],
        )
    }
    for detail in longer:
        episode = episodes.get(detail.report.symptom_id)
        if episode is None:  # pragma: no cover - _record_symptoms has just stored it
            continue
        _raise_longer_alert(episode, minutes=checkin.minutes_since_dose)


def _raise_longer_alert(episode: SymptomReport, *, minutes: float | None) -> Alert:
    seen = f"seen {describe_minutes(minutes)} after the dose" if minutes is not None else "still reported"
    usual = (
        f"; usually gone by about {describe_minutes(episode.expected_resolution_min)}"
        if episode.expected_resolution_min is not None
        else ""
    )
    return raise_alert(
        patient=episode.patient,
        source=Alert.Source.SIDE_EFFECT_OVERDUE,
        severity=Alert.Severity.CONTACT_CLINIC,
        title=f"{episode.name} lasting longer than expected",
        detail=f"{episode.name} {seen}{usual}. The patient was asked to contact the clinic today.",
        dedupe_key=f"side_effect_overdue:{episode.public_id}",
    )


@dataclass(frozen=True, slots=True)
class EpisodeAnswer:
    """The episode after the patient's answer, and the alert it raised (if any)."""

    episode: SymptomReport
    alert: Alert | None


def answer_episode(
    *,
    patient: Patient,
    episode_id: str,
    gone: bool,
    gone_minutes_ago: int | None = None,
    says_longer: bool = False,
    now: dt.datetime,
) -> EpisodeAnswer:
    """The patient's answer to "Is your headache gone?": "yes, about N minutes ago" or "still there".

    Still there after the expected window is seen present after it: "longer than usual", and the care
    team is alerted at once in this transaction (one open alert per episode). A red flag still there
    keeps its emergency guidance on the page; only the patient ("gone") or a clinician closes it.
    """
    if gone_minutes_ago is not None and not 0 <= gone_minutes_ago <= 7 * 24 * 60:
        raise CheckinError("gone_minutes_ago", "when it went: allowed from 0 minutes to 7 days ago")
    with transaction.atomic():
        episode = (
            SymptomReport.objects.select_for_update()
            .filter(patient=patient, public_id=episode_id)
            .select_related("patient")
            .first()
        )
        if episode is None:
            raise CheckinError("episode", "no such symptom for this patient")
        if episode.resolved_at is not None:
            return EpisodeAnswer(episode, None)  # already answered (a retry or a second tab)
        episode.last_asked_at = now
        alert = None
        if gone:
            episode.resolved_at = now
            episode.closed_by = SymptomReport.ClosedBy.PATIENT
            if gone_minutes_ago is not None:
                last = episode.last_seen_at or episode.started_at
                episode.ended_at = max(now - dt.timedelta(minutes=gone_minutes_ago), last)
            episode.says_longer = episode.says_longer or says_longer
            episode.save(
                update_fields=["last_asked_at", "resolved_at", "closed_by", "ended_at", "says_longer"]
            )
            return EpisodeAnswer(episode, None)
        episode.last_seen_at = now
        episode.says_longer = episode.says_longer or says_longer
        minutes = (
            (now - episode.dose_started_at).total_seconds() / 60
            if episode.dose_started_at is not None
            else None
        )
        if (
            minutes is not None
            and episode.longer_after_min is not None
            and minutes > episode.longer_after_min
        ):
            episode.seen_after_window = True
            if Level(episode.level) < Level.LONGER_THAN_EXPECTED:
                episode.level = Level.LONGER_THAN_EXPECTED.value
        episode.save(
            update_fields=["last_asked_at", "last_seen_at", "says_longer", "seen_after_window", "level"]
        )
        if episode.kind == SymptomReport.Kind.SIDE_EFFECT and (
            episode.seen_after_window or episode.says_longer
        ):
            alert = _raise_longer_alert(episode, minutes=minutes)
        return EpisodeAnswer(episode, alert)


def close_episode_by_clinician(*, episode: SymptomReport, now: dt.datetime) -> SymptomReport:
    """A clinician closes an open episode (the only way, besides the patient, to close a red flag)."""
    with transaction.atomic():
        locked = SymptomReport.objects.select_for_update().get(pk=episode.pk)
        if locked.resolved_at is None:
            locked.resolved_at = now
            locked.closed_by = SymptomReport.ClosedBy.CLINICIAN
            locked.save(update_fields=["resolved_at", "closed_by"])
        return locked


def open_episodes(*, patient: Patient) -> list[SymptomReport]:
    """The patient's open episodes, red flags first, oldest first within each kind."""
    rows = SymptomReport.objects.filter(patient=patient, resolved_at__isnull=True).order_by(
        "started_at", "id"
    )
    return sorted(rows, key=lambda r: r.kind != SymptomReport.Kind.RED_FLAG)


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
