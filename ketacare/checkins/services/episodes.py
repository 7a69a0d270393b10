"""Symptom episodes: open, continue or close them from a check-in, the patient's "is it gone?" answers,
and the alert when a side effect is seen past its window (docs/decisions/0014)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from django.db import transaction

from ketacare.alerts.models import HOLDS_NEXT_DOSE, Alert
from ketacare.alerts.services import raise_alert
from ketacare.checkins.alert_words import dose_words, longer_than_expected_words
from ketacare.checkins.models import (
    SymptomCheckin,
    SymptomReport,
)
from ketacare.checkins.onset import day_words
from ketacare.checkins.services.errors import CheckinError
from ketacare.checkins.strength import strength_words
from ketacare.core import knowledge as kb
from ketacare.core.knowledge import Level
from ketacare.core.triage import ReportTriage, TriageResult, describe_minutes
from ketacare.patients.models import Patient

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


def _threshold(symptom_id: str, route: str) -> float | None:
    effect = kb.knowledge().side_effects.get(symptom_id)
    if effect is None or route not in kb.ROUTES:
        return None
    return effect.course(route).longer_than_expected_after_min


@dataclass(frozen=True, slots=True)
class _Episode:
    """The open episode of one reported symptom and whether this check-in opened it."""

    report: SymptomReport
    opened: bool


def _record_symptoms(
    checkin: SymptomCheckin,
    result: TriageResult,
    *,
    now: dt.datetime,
    close_unticked: bool = True,
    onset_days: Mapping[str, dt.date] | None = None,
) -> dict[str, _Episode]:
    """Open, continue or close episodes (docs/decisions/0014); returns the reported symptoms' episodes.

    A reported symptom continues its open episode (last seen present now) or opens one; a new one keeps
    the day the patient said it began (``onset_days``, by symptom id), if they named one. An open side
    effect this check-in does not tick is closed by omission (seen gone now: its end lies between its
    last sighting and now), unless ``close_unticked`` is False (the check-in asked about it and got no
    answer: unknown, still open). An open red flag is never closed by omission.
    """
    patient = checkin.patient
    reported: dict[str, _Episode] = {}
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
            current.patient = patient
            reported[symptom_id] = _Episode(current, opened=False)
            continue
        if current is not None:
            # A new dose since it was first reported: that episode ends, a new one starts.
            current.resolved_at, current.resolved_by = now, checkin
            current.closed_by = SymptomReport.ClosedBy.NEW_DOSE
            current.save(update_fields=["resolved_at", "resolved_by", "closed_by"])
        # A side effect that began after its window is a new symptom (core rule 3): the dose's window
        # says nothing about how long it lasts, so it is never "longer than usual" by that window.
        new_symptom = _began_after_window(detail)
        threshold = (
            detail.longer_than_expected_after_min if checkin.dose_started_at and not new_symptom else None
        )
        onset = detail.report.onset_min
        reported[symptom_id] = _Episode(
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
                expected_resolution_min=detail.expected_window.resolution_min
                if detail.expected_window and not new_symptom
                else None,
                longer_after_min=threshold,
                onset_min=onset,
                onset_day=(onset_days or {}).get(symptom_id),
                started_at=now,
                last_seen_at=now,
                seen_after_window=bool(threshold is not None and minutes is not None and minutes > threshold),
            ),
            opened=True,
        )
    # Only the patient or a clinician closes a red flag; the other open episodes end in one statement.
    gone = [r.pk for r in open_reports.values() if r.kind != SymptomReport.Kind.RED_FLAG and close_unticked]
    if gone:
        SymptomReport.objects.filter(pk__in=gone).update(
            resolved_at=now, resolved_by=checkin, closed_by=SymptomReport.ClosedBy.OMISSION
        )
    return reported


def _began_after_window(detail: ReportTriage) -> bool:
    """Whether the patient's onset falls after the side effect's window: the core's late-onset rule."""
    onset, window = detail.report.onset_min, detail.expected_window
    return (
        detail.kind == "side_effect"
        and onset is not None
        and window is not None
        and onset > window.resolution_min
    )


def _max_severity(*severities: str) -> str:
    return max(severities, key=_SEVERITY_ORDER.index)


def _red_flags(result: TriageResult) -> list[ReportTriage]:
    return [d for d in result.details if d.red_flag_id is not None or d.level >= Level.URGENT]


def _strength_said(detail: ReportTriage) -> str:
    """A red flag as the clinician reads it, with how strong the patient said it was: "Mood getting worse
    (how strong: not given)". A flag found in their words, or an emergency, was asked no strength."""
    if detail.matched_text is not None:
        return f"{detail.name} (in their own words)"
    strength = strength_words(detail.report.symptom_id, detail.kind, detail.report.severity)
    return f"{detail.name} (how strong: {strength or 'not asked, an emergency'})"


def _raise_alerts(checkin: SymptomCheckin, result: TriageResult) -> None:
    """One clinic alert per check-in (key ``checkin:<id>``) for red flags, a home reading that needs the
    clinic and the patient's own words; a hold on the next dose."""
    red_flags = _red_flags(result)
    titles: list[str] = []
    details: list[str] = []
    severities: list[str] = []
    if red_flags:
        top = max(d.level for d in red_flags)
        names = ", ".join(dict.fromkeys(d.name for d in red_flags))
        titles.append(f"Red flag in check-in: {names}")
        # The advice is the patient's; labelled, so the clinician does not read it as their instruction.
        # What the answer's box said, as stored with the check-in: in the chair, to tell the staff.
        told = (checkin.triage_result.get("patient_was_told") or {}).get("words") or result.patient_message
        details.append(f"The patient was told: “{told}”")
        details.append(f"Reported: {'; '.join(dict.fromkeys(_strength_said(d) for d in red_flags))}.")
        severities.append(top.value if top >= Level.CONTACT_CLINIC else Alert.Severity.CONTACT_CLINIC)
    reading = result.home_bp
    if reading is not None and reading.level >= Level.CONTACT_CLINIC:
        shown = f"{checkin.home_systolic_mmhg}/{checkin.home_diastolic_mmhg} mmHg"
        if checkin.home_pulse_bpm is not None:
            shown += f", pulse {checkin.home_pulse_bpm}"
        titles.append(f"Home blood pressure {shown}")
        details.append(" ".join(f.message for f in reading.findings) or reading.patient_message)
        severities.append(reading.level.value)
    words = result.free_text
    if words is not None and words.outcome != "none":
        # The words screened are "Something else?" and the note (submission.own_words): both quoted.
        if checkin.worry:
            worry = SymptomCheckin.Worry(checkin.worry).label
        elif words.outcome == "red_flag":
            worry = "not asked (a red flag)"
        elif checkin.other_text.strip():
            # Asked, and left unanswered: the words are taken all the same (submit_checkin).
            worry = "not answered"
        else:
            worry = "not asked (a note)"
        wrote = " ".join(
            f"{label}: “{text.strip()}”"
            for label, text in (("The patient wrote", checkin.other_text), ("Their note", checkin.note))
            if text.strip()
        )
        details.append(f"{wrote} How worried they are: {worry}.")
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
    flagged = sorted(
        {d.red_flag_id for d in red_flags if d.red_flag_id}
        | set(result.free_text.red_flag_ids if result.free_text is not None else ())
    )
    if titles:
        # One alert per check-in; its source names the most serious cause, so the inbox can filter it.
        if red_flags:
            source = Alert.Source.RED_FLAG_CHECKIN
        elif result.hold_next_dose:
            source = Alert.Source.DOSING_HOLD
        elif reading is not None and reading.level >= Level.CONTACT_CLINIC:
            source = Alert.Source.HOME_BLOOD_PRESSURE
        else:
            source = Alert.Source.CHECKIN_REVIEW
        raise_alert(
            patient=checkin.patient,
            source=source,
            severity=_max_severity(*severities),
            title="; ".join(titles)[:200],
            detail="\n".join(details),
            dedupe_key=f"checkin:{checkin.public_id}",
            new_cause=True,  # the check-in was created in this transaction
            # Which red flags, by id: closing an alert about thoughts of suicide needs a note (alerts);
            # and whether it holds the next dose: only a prescriber resolves it then (alerts).
            evidence=(
                ({"red_flags": flagged} if flagged else {})
                | ({HOLDS_NEXT_DOSE: True} if result.hold_next_dose else {})
            )
            or None,
        )


def _raise_side_effect_alerts(
    checkin: SymptomCheckin, result: TriageResult, episodes: dict[str, _Episode]
) -> None:
    """A side effect seen present past its window ("longer than expected, contact your clinic"), begun
    after it, or reported before any dose: one alert per episode at once, with the key the hourly job
    uses, so the cause raises one open alert. ``episodes`` are the reported symptoms' episodes as
    ``_record_symptoms`` left them."""
    flagged = {d.report.symptom_id for d in _red_flags(result)}
    longer = [
        d
        for d in result.details
        if d.kind == "side_effect"
        and d.level >= Level.LONGER_THAN_EXPECTED
        and d.report.symptom_id not in flagged
    ]
    if not longer:
        return
    for detail in longer:
        episode = episodes.get(detail.report.symptom_id)
        if episode is None:  # pragma: no cover - _record_symptoms has just stored it
            continue
        if checkin.dose_started_at is None:
            _raise_before_any_dose_alert(episode.report, new_cause=episode.opened)
        elif _began_after_window(detail):
            _raise_new_symptom_alert(episode.report, detail, new_cause=episode.opened)
        else:
            _raise_longer_alert(episode.report, minutes=checkin.minutes_since_dose, new_cause=episode.opened)


def _raise_new_symptom_alert(episode: SymptomReport, detail: ReportTriage, *, new_cause: bool) -> Alert:
    """A side effect that began after its window: not "lasting longer", a new symptom (core rule 3).

    The key is the one the hourly job uses for the episode, so the episode keeps one open alert.
    """
    window = detail.expected_window
    assert window is not None and detail.report.onset_min is not None  # noqa: S101 - _began_after_window
    assert episode.dose_started_at is not None  # noqa: S101 - a window counts from a dose
    dose = dose_words(episode.dose_started_at, time_zone=episode.patient.clinic.time_zone)
    return raise_alert(
        patient=episode.patient,
        source=Alert.Source.SIDE_EFFECT_OVERDUE,
        severity=Alert.Severity.CONTACT_CLINIC,
        title=f"{episode.name} began after its usual window: a new symptom",
        detail=(
            f"The patient says {episode.name.lower()} began about {describe_minutes(detail.report.onset_min)} "
            f"after {dose} (a day they named counts from its start, the earliest it can have begun), "
            f"after its usual window of about {describe_minutes(window.resolution_min)}: it may have "
            "another cause. The patient was asked to contact the clinic today."
        ),
        dedupe_key=f"side_effect_overdue:{episode.public_id}",
        new_cause=new_cause,
    )


def _raise_before_any_dose_alert(episode: SymptomReport, *, new_cause: bool) -> Alert:
    """A side effect reported with no dose on record: no window to be past, not an after-effect of
    treatment (the core's triage before any dose), so a source of its own. The key is the episode's, as
    for "longer than expected": one open alert per episode. The day it began is worded as the patient's
    choices word it (``onset.day_words``), as a date: the alert is read on later days too."""
    began = (
        f" The patient says it began on {day_words(episode.onset_day)}."
        if episode.onset_day is not None
        else ""
    )
    return raise_alert(
        patient=episode.patient,
        source=Alert.Source.SYMPTOM_BEFORE_DOSE,
        severity=Alert.Severity.CONTACT_CLINIC,
        title=f"{episode.name} reported before any dose",
        detail=(
            f"No dose is on record for this patient, so {episode.name.lower()} "
            f"({episode.get_severity_display().lower()}) is not an after-effect of treatment: it may have "
            f"another cause.{began} The patient was asked to contact the clinic today."
        ),
        dedupe_key=f"side_effect_overdue:{episode.public_id}",
        new_cause=new_cause,
    )


def _raise_longer_alert(episode: SymptomReport, *, minutes: float | None, new_cause: bool = False) -> Alert:
    title, detail = longer_than_expected_words(
        episode, minutes=minutes, time_zone=episode.patient.clinic.time_zone
    )
    return raise_alert(
        patient=episode.patient,
        source=Alert.Source.SIDE_EFFECT_OVERDUE,
        severity=Alert.Severity.CONTACT_CLINIC,
        title=title,
        detail=detail,
        dedupe_key=f"side_effect_overdue:{episode.public_id}",
        new_cause=new_cause,  # an episode this check-in opened has no alert yet
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
    team is alerted at once in this transaction (one open alert per episode). A side effect reported
    before any dose has no usual time: still there, it is the alert of its check-in ("reported before
    any dose"), raised if it is not yet. A red flag still there keeps its emergency guidance on the
    page; only the patient ("gone") or a clinician closes it.
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
        if before_any_dose(episode):
            episode.save(update_fields=["last_asked_at", "last_seen_at"])
            return EpisodeAnswer(episode, _raise_before_any_dose_alert(episode, new_cause=False))
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


def before_any_dose(episode: SymptomReport) -> bool:
    """Whether the episode is a side effect reported with no dose on record (no usual time to pass)."""
    return episode.kind == SymptomReport.Kind.SIDE_EFFECT and episode.dose_started_at is None


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
    """The patient's open episodes, the most urgent first: red flags before side effects, then by the
    level reached (an emergency before a "contact the clinic"), then the newest first."""
    rows = SymptomReport.objects.filter(patient=patient, resolved_at__isnull=True).order_by(
        "-started_at", "-id"
    )
    # sorted() is stable: within one kind and level the newest-first order of the query stays.
    return sorted(rows, key=lambda r: (r.kind != SymptomReport.Kind.RED_FLAG, -Level(r.level).rank))
