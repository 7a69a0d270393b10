"""Signals read from a course so far: loss of response, worsening, the next maintenance interval, drop-out.

Response and remission come from ``ketacare.core.instruments.classify_change``; the signal rules are
clinic practice, each citing ``clinic-practice``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from ketacare.core.course.checks import check_number, require_aware
from ketacare.core.course.plan import Phase
from ketacare.core.instruments import classify_change
from ketacare.core.knowledge import CLINIC_PRACTICE
from ketacare.core.protocols import get_protocol

# Clinic practice (no published rule): a course signal needs this many consecutive measurements, so one
# bad day does not raise it.
CONSECUTIVE_MEASUREMENTS_FOR_SIGNAL = 2
# Clinic practice: a session still "planned" this long after its start time counts as missed (unrecorded).
UNRECORDED_SESSION_GRACE = timedelta(hours=24)
# Clinic practice: this many consecutive missed or cancelled induction sessions is a drop-out, fewer a review.
DROPOUT_CONSECUTIVE_MISSES = 2

SessionStatus = Literal["planned", "attended", "missed", "cancelled"]
SESSION_STATUSES: tuple[SessionStatus, ...] = ("planned", "attended", "missed", "cancelled")


@dataclass(frozen=True)
class ScorePoint:
    """One instrument total at an aware time."""

    measured_at: datetime
    score: float


@dataclass(frozen=True)
class CourseSignal:
    """A review signal raised at ``measured_at`` (the measurement that completed it)."""

    code: Literal["loss_of_response", "worsening"]
    measured_at: datetime
    message: str
    sources: tuple[str, ...]
    evidence: str


_RESPONDING = frozenset({"response", "remission"})


def relapse_signals(instrument_id: str, baseline: float, series: Sequence[ScorePoint]) -> list[CourseSignal]:
    """Review signals in a score series against the pre-treatment ``baseline``, in time order.

    Each point is classified by ``ketacare.core.instruments.classify_change`` (response, remission,
    partial, no_change, worsening; thresholds and sources in the instrument's data). Two rules, both
    clinic practice (the trial relapse definition, e.g. SUSTAIN-1's, is unverified in the brief):

    - ``loss_of_response``: after a response or remission, :data:`CONSECUTIVE_MEASUREMENTS_FOR_SIGNAL`
      consecutive measurements that are neither (for PHQ-9: back above 50% of the baseline score);
    - ``worsening``: that many consecutive measurements classified ``worsening`` against baseline.

    A run raises its signal once, at the measurement that completes it; a new run raises it again.
    """
    points = sorted(series, key=lambda p: p.measured_at)
    for point in points:
        require_aware("measured_at", point.measured_at)
    signals: list[CourseSignal] = []
    responded = False
    not_responding_run = 0
    worsening_run = 0
    for point in points:
        change = classify_change(instrument_id, baseline, point.score)
        if change in _RESPONDING:
            responded = True
            not_responding_run = 0
        elif responded:
            not_responding_run += 1
            if not_responding_run == CONSECUTIVE_MEASUREMENTS_FOR_SIGNAL:
                signals.append(
                    CourseSignal(
                        code="loss_of_response",
                        measured_at=point.measured_at,
                        message=(
                            f"{instrument_id}: no longer responding on {CONSECUTIVE_MEASUREMENTS_FOR_SIGNAL} "
                            f"consecutive measurements after a response (latest {point.score:g}, baseline {baseline:g})"
                        ),
                        sources=(CLINIC_PRACTICE,),
                        evidence="practice",
                    )
                )
                responded = False
                not_responding_run = 0
        worsening_run = worsening_run + 1 if change == "worsening" else 0
        if worsening_run == CONSECUTIVE_MEASUREMENTS_FOR_SIGNAL:
            signals.append(
                CourseSignal(
                    code="worsening",
                    measured_at=point.measured_at,
                    message=(
                        f"{instrument_id}: worse than baseline on {CONSECUTIVE_MEASUREMENTS_FOR_SIGNAL} consecutive "
                        f"measurements (latest {point.score:g}, baseline {baseline:g})"
                    ),
                    sources=(CLINIC_PRACTICE,),
                    evidence="practice",
                )
            )
    return signals


@dataclass(frozen=True)
class MaintenanceSuggestion:
    """A suggested maintenance interval, with why; ``review`` asks for a clinician review of the plan."""

    interval_weeks: int
    change: Literal["shorten", "keep", "lengthen"]
    review: bool
    reason: str
    sources: tuple[str, ...]
    evidence: str


def suggest_maintenance_interval(
    protocol_id: str, *, current_interval_weeks: int, benefit_lasted_days: float | None
) -> MaintenanceSuggestion:
    """Suggest the next maintenance interval from the patient's own response.

    ``benefit_lasted_days``: days from the last session to the loss-of-response signal
    (:func:`relapse_signals`), or None when the response held until the next session.

    Rule (clinic practice; maintenance intervals are unverified): time the next session a little before
    the benefit is expected to wear off [Andrade2017], i.e. the longest allowed interval shorter than
    ``benefit_lasted_days``; when the response held, try the next longer allowed interval, the lowest
    frequency that maintains the response [MIMS-HK]. If even the shortest allowed interval is too long,
    keep it and ask for a review.
    """
    protocol = get_protocol(protocol_id)
    maintenance = protocol.maintenance
    if maintenance is None:
        raise ValueError(f"protocol {protocol.id!r} has no maintenance schedule")
    allowed = maintenance.interval_weeks
    if isinstance(current_interval_weeks, bool) or current_interval_weeks not in allowed:
        raise ValueError(
            f"current_interval_weeks {current_interval_weeks!r} is not allowed for protocol {protocol.id!r}; "
            f"expected one of: {', '.join(map(str, allowed))}"
        )
    sources = tuple(dict.fromkeys((CLINIC_PRACTICE, "Andrade2017", *maintenance.cited.sources)))

    def suggestion(
        weeks: int, change: Literal["shorten", "keep", "lengthen"], reason: str, review: bool = False
    ) -> MaintenanceSuggestion:
        return MaintenanceSuggestion(weeks, change, review, reason, sources, "practice")

    if benefit_lasted_days is None:
        longer = [w for w in allowed if w > current_interval_weeks]
        if longer:
            return suggestion(
                longer[0],
                "lengthen",
                f"Response held for {current_interval_weeks} week(s): try every {longer[0]} weeks, the lowest "
                "frequency that maintains response.",
            )
        return suggestion(
            current_interval_weeks, "keep", "Response held at the longest allowed interval: keep it."
        )
    days = check_number("benefit_lasted_days", benefit_lasted_days)
    if not 0 < days <= 365:
        raise ValueError(
            f"benefit_lasted_days {days:g} is out of range; expected more than 0 and at most 365"
        )
    fitting = [w for w in allowed if 7 * w < days]
    if not fitting:
        return suggestion(
            allowed[0],
            "shorten" if allowed[0] < current_interval_weeks else "keep",
            f"Benefit lasted {days:g} days, less than the shortest allowed interval ({allowed[0]} week(s)): "
            "review the treatment plan.",
            review=True,
        )
    best = fitting[-1]
    if best >= current_interval_weeks:
        return suggestion(
            current_interval_weeks,
            "keep",
            f"Benefit lasted {days:g} days, longer than the current {current_interval_weeks}-week interval: keep it.",
        )
    return suggestion(
        best,
        "shorten",
        f"Benefit lasted {days:g} days: every {best} week(s) brings the next session before it wears off.",
    )


@dataclass(frozen=True)
class SessionRecord:
    """A session of a course as recorded: number, phase, start and status."""

    number: int
    phase: Phase
    starts_at: datetime
    status: SessionStatus


@dataclass(frozen=True)
class DropoutFlag:
    """Missed or cancelled induction sessions: ``review`` for any, ``dropout`` for a run at the end."""

    level: Literal["review", "dropout"]
    missed_sessions: tuple[int, ...]
    message: str
    sources: tuple[str, ...]
    evidence: str


def flag_induction_dropout(sessions: Sequence[SessionRecord], *, now: datetime) -> DropoutFlag | None:
    """Flag missed or cancelled induction sessions up to ``now`` (aware), or None when there are none.

    A session still ``planned`` more than :data:`UNRECORDED_SESSION_GRACE` after its start counts as
    missed. Level ``dropout`` when the latest :data:`DROPOUT_CONSECUTIVE_MISSES` past induction sessions
    were all missed or cancelled, else ``review``. Clinic practice (no published drop-out rule); the point
    is to flag drop-out during induction early.
    """
    require_aware("now", now)
    past = []
    for record in sessions:
        require_aware("starts_at", record.starts_at)
        if record.status not in SESSION_STATUSES:
            raise ValueError(f"status {record.status!r} is not one of: {', '.join(SESSION_STATUSES)}")
        if record.phase == "induction" and record.starts_at <= now:
            past.append(record)
    past.sort(key=lambda r: r.starts_at)

    def lost(record: SessionRecord) -> bool:
        if record.status in ("missed", "cancelled"):
            return True
        return record.status == "planned" and record.starts_at + UNRECORDED_SESSION_GRACE < now

    missed = tuple(r.number for r in past if lost(r))
    if not missed:
        return None
    tail = past[-DROPOUT_CONSECUTIVE_MISSES:]
    dropout = len(tail) == DROPOUT_CONSECUTIVE_MISSES and all(lost(r) for r in tail)
    listed = ", ".join(str(n) for n in missed)
    if dropout:
        message = f"Possible drop-out: the last {DROPOUT_CONSECUTIVE_MISSES} induction sessions were missed or cancelled ({listed})."
    else:
        message = f"Induction session(s) missed or cancelled: {listed}. Contact the patient."
    return DropoutFlag(
        level="dropout" if dropout else "review",
        missed_sessions=missed,
        message=message,
        sources=(CLINIC_PRACTICE,),
        evidence="practice",
    )
