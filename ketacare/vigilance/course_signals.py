"""Course signals: when a new score arrives, run the core's relapse rules and raise an alert.

The series of an instrument is the patient's valid answers with the clinic's intake baseline of that
instrument among them (``score_series``): the first is the baseline, whoever filed it.

``evaluate_course_signals(patient=..., now=...)`` runs when a questionnaire response is stored (the
questionnaires app's ``response_stored`` signal, in the submission's transaction) and from the hourly
job; it is idempotent. It runs
:func:`ketacare.core.course.relapse_signals` on each instrument with change rules and raises one
"worsening trend" alert per signal completed by the latest score, with the rule and the evidence
(the scores and how each compares with baseline) stored on the alert.

``evaluate_dropout_risk(patient=..., now=...)`` runs :func:`ketacare.core.course.flag_induction_dropout`
on the patient's induction appointments and raises a "drop-out risk" alert.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from ketacare.alerts.models import Alert
from ketacare.alerts.services import raise_alert
from ketacare.core.course import (
    CONSECUTIVE_MEASUREMENTS_FOR_SIGNAL,
    ScorePoint,
    SessionRecord,
    SessionStatus,
    flag_induction_dropout,
    relapse_signals,
)
from ketacare.core.instruments import classify_change, get_instrument, instruments
from ketacare.intake.models import BaselineScore
from ketacare.patients.models import Patient
from ketacare.questionnaires.models import QuestionnaireResponse
from ketacare.questionnaires.signals import course_alert_key
from ketacare.treatments.models import Appointment

RULES = {
    "loss_of_response": (
        "Loss of response: after a response or remission, {n} consecutive scores that are neither "
        "(the instrument's response and remission thresholds against the baseline score)."
    ),
    "worsening": "Worsening: {n} consecutive scores worse than baseline by the instrument's worsening threshold.",
}
EVIDENCE_ROWS = 6  # how many of the latest scores the alert shows


def on_response_stored(sender: Any, *, patient: Patient, now: dt.datetime, **kwargs: Any) -> None:
    """Receiver of ``questionnaires.signals.response_stored``: run the course rules on the new score."""
    evaluate_course_signals(patient=patient, now=now)


def evaluate_course_signals(
    *, patient: Patient, now: dt.datetime, whole_history: bool = False
) -> list[Alert]:
    """Raise an alert for each course signal completed by the patient's latest score (idempotent).

    ``whole_history=True`` raises every signal of the stored series instead, each with the scores up
    to the one that completed it, as one call after each score would have (the rules look only
    backwards): for scores stored in a batch without announcing each one (the demo's past courses).
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    raised: list[Alert] = []
    series = score_series(patient=patient, now=now)
    with transaction.atomic():
        for instrument_id, scores in series.items():
            if len(scores) < 1 + CONSECUTIVE_MEASUREMENTS_FOR_SIGNAL:
                continue
            baseline = scores[0][1]
            points = [ScorePoint(at, total) for at, total in scores[1:]]
            latest = points[-1].measured_at
            for signal in relapse_signals(instrument_id, baseline, points):
                if whole_history:
                    until = [score for score in scores if score[0] <= signal.measured_at]
                    raised.append(_raise(patient, instrument_id, baseline, until, signal))
                elif signal.measured_at == latest:
                    # An earlier signal was raised when its score was new; a replay raises nothing.
                    raised.append(_raise(patient, instrument_id, baseline, scores, signal))
    return raised


def score_series(*, patient: Patient, now: dt.datetime) -> dict[str, list[tuple[dt.datetime, float]]]:
    """The patient's valid scores up to ``now`` on each instrument with change rules, oldest first.

    The clinic's intake baselines count with the patient's own answers: the first score is the
    pre-treatment baseline whoever filed it (docs/decisions/0030). At the same time, the intake
    score comes first.
    """
    ids = [i.id for i in instruments() if i.has_change_rules]
    answered = QuestionnaireResponse.objects.filter(
        patient=patient,
        clinic_id=patient.clinic_id,
        status="valid",
        instrument_id__in=ids,
        submitted_at__lte=now,
    ).values_list("instrument_id", "submitted_at", "id", "total")
    taken = BaselineScore.objects.filter(
        patient=patient,
        clinic_id=patient.clinic_id,
        status="valid",
        instrument_id__in=ids,
        completed_at__lte=now,
    ).values_list("instrument_id", "completed_at", "id", "total")
    rows = sorted(
        [(instrument_id, at, 0, pk, float(total)) for instrument_id, at, pk, total in taken]
        + [(instrument_id, at, 1, pk, float(total)) for instrument_id, at, pk, total in answered]
    )
    series: dict[str, list[tuple[dt.datetime, float]]] = {}
    for instrument_id, at, _, _, total in rows:
        series.setdefault(instrument_id, []).append((at, total))
    return series


def _raise(
    patient: Patient,
    instrument_id: str,
    baseline: float,
    scores: list[tuple[dt.datetime, float]],
    signal: Any,
) -> Alert:
    instrument = get_instrument(instrument_id)
    alert = raise_alert(
        patient=patient,
        source=Alert.Source.WORSENING_TREND,
        severity=Alert.Severity.CONTACT_CLINIC,
        title=("Possible relapse" if signal.code == "loss_of_response" else "Worsening")
        + f" on {instrument.title}",
        detail=signal.message,
        dedupe_key=course_alert_key(instrument_id, signal.code, signal.measured_at),
    )
    if not alert.evidence:
        alert.evidence = {
            "rule": RULES[signal.code].format(n=CONSECUTIVE_MEASUREMENTS_FOR_SIGNAL),
            "code": signal.code,
            "sources": list(signal.sources),
            "evidence": signal.evidence,
            "instrument": instrument.title,
            "baseline": f"{baseline:g}",
            "scores": [
                {
                    "at": at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M"),
                    "score": f"{total:g}",
                    "change": classify_change(instrument_id, baseline, total).replace("_", " "),
                }
                for at, total in scores[-EVIDENCE_ROWS:]
            ],
            "suggestion": (
                "Review with the patient; consider a maintenance session or an earlier one."
                if signal.code == "loss_of_response"
                else "Review with the patient and the treatment plan."
            ),
        }
        alert.save(update_fields=["evidence"])
    return alert


_APPOINTMENT_STATUS: dict[str, SessionStatus] = {
    "scheduled": "planned",
    "completed": "attended",
    "cancelled": "cancelled",
}


def evaluate_dropout_risk(*, patient: Patient, now: dt.datetime) -> Alert | None:
    """Raise a drop-out-risk alert when induction sessions were missed or cancelled (core rule)."""
    records = [
        SessionRecord(
            number=a.number,
            phase="induction",  # the filter below
            starts_at=a.starts_at,
            status=_APPOINTMENT_STATUS.get(a.status, "planned"),
        )
        for a in Appointment.objects.filter(patient=patient, clinic_id=patient.clinic_id, phase="induction")
    ]
    flag = flag_induction_dropout(records, now=now)
    if flag is None:
        return None
    missed = "-".join(str(n) for n in flag.missed_sessions)
    with transaction.atomic():
        alert = raise_alert(
            patient=patient,
            source=Alert.Source.DROPOUT_RISK,
            severity=Alert.Severity.CONTACT_CLINIC if flag.level == "dropout" else Alert.Severity.INFO,
            title="Possible drop-out during induction"
            if flag.level == "dropout"
            else "Missed induction session",
            detail=flag.message,
            dedupe_key=f"dropout:{flag.level}:{missed}"[:120],
        )
        if not alert.evidence:
            alert.evidence = {
                "rule": flag.message,
                "sources": list(flag.sources),
                "evidence": flag.evidence,
            }
            alert.save(update_fields=["evidence"])
    return alert
