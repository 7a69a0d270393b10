"""A treatment course: the session plan, doses, and the signals read from a patient's scores.

- :func:`plan_sessions` lays out the sessions of a protocol (protocols.toml) in the patient's time zone,
  keeping the local wall-clock time of the first session across daylight-saving changes, with the
  end-of-induction review point and the dose (or dose rule) of each session.
- :func:`dose_mg` and :func:`esketamine_devices` turn a prescription into an amount and a device count.
- :func:`relapse_signals`, :func:`suggest_maintenance_interval` and :func:`flag_induction_dropout` read the
  course so far. Response and remission come from ``ketacare.core.instruments.classify_change``.

Time: every datetime in and out is timezone-aware; ``now`` is always a parameter. Calendar reasoning
(which day, which week) happens in the patient's IANA zone; durations are absolute.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ketacare.core.instruments import classify_change
from ketacare.core.knowledge import CLINIC_PRACTICE
from ketacare.core.protocols import AGE_YEARS_RANGE, WEEKDAYS, Preset, Protocol, get_protocol

# Plausible body weight, for input validation only (not a clinical limit): catches pounds typed as kilograms
# and missing digits.
WEIGHT_KG_RANGE = (20.0, 350.0)
# Open-ended maintenance sessions laid out by one call (a software limit: about two years of weekly sessions).
MAX_MAINTENANCE_SESSIONS = 104
# Clinic practice (no published rule): a course signal needs this many consecutive measurements, so one
# bad day does not raise it.
CONSECUTIVE_MEASUREMENTS_FOR_SIGNAL = 2
# Clinic practice: a session still "planned" this long after its start time counts as missed (unrecorded).
UNRECORDED_SESSION_GRACE = timedelta(hours=24)
# Clinic practice: this many consecutive missed or cancelled induction sessions is a drop-out, fewer a review.
DROPOUT_CONSECUTIVE_MISSES = 2

Phase = Literal["induction", "maintenance"]
SessionStatus = Literal["planned", "attended", "missed", "cancelled"]
SESSION_STATUSES: tuple[SessionStatus, ...] = ("planned", "attended", "missed", "cancelled")


# --------------------------------------------------------------------------------------------------------
# Plan
# --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedSession:
    """One planned dosing session.

    ``week`` is the course week (week 1 is the 7 days starting on the day of session 1). ``starts_at`` is
    aware, in the plan's zone. ``dose_mg`` is set when the dose is known in advance (esketamine day 1, a
    weight-based IV dose, a fixed sublingual dose); ``dose_rule`` always says what may be given.
    """

    number: int
    phase: Phase
    week: int
    starts_at: datetime
    dose_mg: float | None
    dose_rule: str
    note: str = ""


@dataclass(frozen=True)
class PlannedReview:
    """The end-of-induction review: after session ``after_session``, before ``due_before`` (if planned)."""

    after_session: int
    not_before: datetime
    due_before: datetime | None
    note: str
    sources: tuple[str, ...]
    evidence: str


@dataclass(frozen=True)
class CoursePlan:
    """The sessions of a course, its review point and plan-level notes."""

    protocol_id: str
    preset_id: str
    tz: str
    sessions: tuple[PlannedSession, ...]
    review: PlannedReview
    notes: tuple[str, ...]


def plan_sessions(
    protocol_id: str,
    *,
    start: datetime,
    tz: str,
    preset: str | None = None,
    age_years: int | None = None,
    weight_kg: float | None = None,
    mg_per_kg: float | None = None,
    weekdays: Sequence[int] | None = None,
    session_count: int | None = None,
    maintenance_sessions: int = 0,
    maintenance_interval_weeks: int | None = None,
) -> CoursePlan:
    """Lay out the sessions of ``protocol_id`` from ``start`` in the IANA zone ``tz``.

    ``start`` must be timezone-aware (any zone: a UTC value from the database is fine); it is converted to
    ``tz`` and its local wall-clock time there becomes the time of every session, whatever the UTC offset
    on the day (a 09:00 course stays at 09:00 across a DST change). A wall time that does not exist on a
    given day (spring-forward gap) moves forward by the gap; an ambiguous one (fall-back) is the first
    occurrence.

    Sessions fall on ``weekdays`` (``datetime.weekday()`` numbers, Monday = 0); session 1 is on the first
    such weekday on or after ``start``'s local date. Without ``weekdays``, session 1 is on the start date
    and the preset's default weekdays (clinic practice) give the spacing: mon/wed/fri from a Tuesday start
    is tue/thu/sat.
    A fixed preset places its phases in course weeks (esketamine ``label``: 2 a week in weeks 1-4, weekly
    in weeks 5-8, on session 1's weekday); the ``custom`` preset needs ``weekdays`` and ``session_count``
    (at most the preset's ``max_sessions``). ``maintenance_sessions`` open-ended sessions follow, one every
    ``maintenance_interval_weeks`` (one of the protocol's allowed intervals) on session 1's weekday; the
    first is one interval after the last fixed session, never before the protocol's first maintenance week.

    ``age_years`` is required where the first dose depends on age (esketamine: 56 mg under 65, 28 mg at 65
    or over; 84 mg is never a first dose). ``weight_kg`` (with ``mg_per_kg``, default the protocol's
    standard) gives each session's dose for a weight-based protocol.

    Raises ValueError naming the offending value and the allowed range.
    """
    protocol = get_protocol(protocol_id)
    chosen = protocol.preset(preset)
    zone = _zone(tz)
    _require_aware("start", start)
    if age_years is not None:
        _check_int_range("age_years", age_years, *AGE_YEARS_RANGE)
    _check_int_range("maintenance_sessions", maintenance_sessions, 0, MAX_MAINTENANCE_SESSIONS)

    local_start = start.astimezone(zone)
    pattern = _weekday_pattern(chosen, weekdays, local_start.weekday())
    wall = local_start.time().replace(tzinfo=None, fold=0)
    first_day = _first_on_or_after(local_start.date(), pattern)

    days = _fixed_days(chosen, pattern, first_day, session_count)
    phases: list[Phase] = [phase for phase, _ in days]
    dates = [day for _, day in days]
    induction_count = sum(1 for phase in phases if phase == "induction")

    if maintenance_sessions:
        maintenance = protocol.maintenance
        if maintenance is None:
            raise ValueError(
                f"protocol {protocol.id!r} has no maintenance schedule; maintenance_sessions must be 0"
            )
        allowed = ", ".join(str(w) for w in maintenance.interval_weeks)
        if (
            isinstance(maintenance_interval_weeks, bool)
            or maintenance_interval_weeks not in maintenance.interval_weeks
        ):
            raise ValueError(
                f"maintenance_interval_weeks {maintenance_interval_weeks!r} is not allowed for protocol "
                f"{protocol.id!r}; expected one of: {allowed}"
            )
        assert maintenance_interval_weeks is not None  # noqa: S101 - checked just above
        week = _week_of(first_day, dates[-1]) + maintenance_interval_weeks
        week = max(week, maintenance.first_week or 0)
        for _ in range(maintenance_sessions):
            phases.append("maintenance")
            dates.append(first_day + timedelta(weeks=week - 1))
            week += maintenance_interval_weeks
    elif maintenance_interval_weeks is not None:
        raise ValueError("maintenance_interval_weeks given without maintenance_sessions")

    doses = _DosePlanner(protocol, age_years=age_years, weight_kg=weight_kg, mg_per_kg=mg_per_kg)
    sessions = []
    for index, (phase, day) in enumerate(zip(phases, dates, strict=True)):
        number = index + 1
        amount, rule, note = doses.for_session(number)
        if phase == "maintenance" and number == induction_count + 1:
            note = _join(note, "After the end-of-induction review.")
        sessions.append(
            PlannedSession(
                number=number,
                phase=phase,
                week=_week_of(first_day, day),
                starts_at=_at_local(day, wall, zone),
                dose_mg=amount,
                dose_rule=rule,
                note=note,
            )
        )

    last_induction = sessions[induction_count - 1]
    following = sessions[induction_count] if induction_count < len(sessions) else None
    review = PlannedReview(
        after_session=last_induction.number,
        not_before=last_induction.starts_at,
        due_before=following.starts_at if following else None,
        note=protocol.review.note,
        sources=protocol.review.sources,
        evidence=protocol.review.evidence,
    )
    notes = []
    if protocol.experimental:
        notes.append(f"Experimental: {protocol.cited.note}")
    if chosen.cited.note:
        notes.append(chosen.cited.note)
    if maintenance_sessions and protocol.maintenance is not None:
        notes.append(protocol.maintenance.cited.note)
    return CoursePlan(
        protocol_id=protocol.id,
        preset_id=chosen.id,
        tz=tz,
        sessions=tuple(sessions),
        review=review,
        notes=tuple(notes),
    )


def _zone(tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ValueError(f"unknown time zone {tz!r}; expected an IANA name such as 'Europe/Berlin'") from None


def _require_aware(name: str, value: datetime) -> None:
    if not isinstance(value, datetime):
        raise ValueError(f"{name} must be a datetime, got {value!r}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} {value.isoformat()} is naive; give a timezone-aware datetime")


def _check_int_range(name: str, value: object, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{name} {value!r} is out of range; expected a whole number {low}-{high}")


def _weekday_pattern(preset: Preset, weekdays: Sequence[int] | None, start_weekday: int) -> tuple[int, ...]:
    if weekdays is None:
        if preset.custom:
            raise ValueError(f"preset {preset.id!r} needs weekdays (Monday = 0 ... Sunday = 6)")
        # The preset's default days give the spacing (mon/wed/fri: 2, 2, 3 days); shifted so that
        # session 1 falls on the start day itself.
        first = preset.default_weekdays[0]
        return tuple(sorted((start_weekday + day - first) % 7 for day in preset.default_weekdays))
    pattern = tuple(weekdays)
    for day in pattern:
        if isinstance(day, bool) or not isinstance(day, int) or not 0 <= day <= 6:
            raise ValueError(f"weekday {day!r} is out of range; expected 0-6 (Monday = 0)")
    if len(set(pattern)) != len(pattern) or not pattern:
        raise ValueError(f"weekdays {list(pattern)!r} must be distinct and non-empty")
    needed = preset.sessions_per_week
    if needed is not None and len(pattern) != needed:
        names = ", ".join(WEEKDAYS[d] for d in pattern)
        raise ValueError(
            f"preset {preset.id!r} has {needed} sessions a week but {len(pattern)} weekday(s) were given ({names})"
        )
    return tuple(sorted(pattern))


def _first_on_or_after(day: date, pattern: tuple[int, ...]) -> date:
    while day.weekday() not in pattern:
        day += timedelta(days=1)
    return day


def _week_of(first_day: date, day: date) -> int:
    return (day - first_day).days // 7 + 1


def _days_in_week(first_day: date, week: int, pattern: tuple[int, ...]) -> list[date]:
    """The pattern's days in course week ``week``, in date order (session 1's weekday first)."""
    week_start = first_day + timedelta(weeks=week - 1)
    return [
        week_start + timedelta(days=offset)
        for offset in range(7)
        if (week_start.weekday() + offset) % 7 in pattern
    ]


def _fixed_days(
    preset: Preset, pattern: tuple[int, ...], first_day: date, session_count: int | None
) -> list[tuple[Phase, date]]:
    if preset.custom:
        assert preset.max_sessions is not None  # noqa: S101 - enforced by the loader
        if session_count is None:
            raise ValueError(f"preset {preset.id!r} needs session_count (1-{preset.max_sessions})")
        _check_int_range("session_count", session_count, 1, preset.max_sessions)
        days: list[tuple[Phase, date]] = []
        week = 1
        while len(days) < session_count:
            for day in _days_in_week(first_day, week, pattern):
                if len(days) < session_count:
                    days.append(("induction", day))
            week += 1
        return days
    if session_count is not None:
        raise ValueError(f"session_count is only for a custom preset; preset {preset.id!r} fixes the number")
    days = []
    for phase in preset.phases:
        for week in range(phase.first_week, phase.last_week + 1):
            # Fewer sessions than pattern days (weekly weeks 5-8): the earliest, i.e. session 1's weekday.
            for day in _days_in_week(first_day, week, pattern)[: phase.sessions_per_week]:
                days.append((phase.name, day))  # type: ignore[arg-type]  # loader restricts names to Phase
    return days


def _at_local(day: date, wall: time, zone: ZoneInfo) -> datetime:
    """``day`` at wall time ``wall`` in ``zone``, aware.

    fold=0 picks the first of two ambiguous times; the UTC round trip moves a time that falls in a
    spring-forward gap forward by the gap (02:30 on a 02:00->03:00 night becomes 03:30).
    """
    candidate = datetime.combine(day, wall, tzinfo=zone)
    return candidate.astimezone(UTC).astimezone(zone)


def _join(first: str, second: str) -> str:
    return f"{first} {second}".strip()


class _DosePlanner:
    """The dose, dose rule and note of each session number, for one protocol and patient."""

    def __init__(
        self, protocol: Protocol, *, age_years: int | None, weight_kg: float | None, mg_per_kg: float | None
    ) -> None:
        self.protocol = protocol
        self.first_dose = None
        if protocol.dose.min_age_years is not None or protocol.first_doses:
            if age_years is None:
                raise ValueError(
                    f"age_years is required for protocol {protocol.id!r} (the first dose depends on age)"
                )
            minimum = protocol.dose.min_age_years
            if minimum is not None and age_years < minimum:
                raise ValueError(
                    f"age_years {age_years} is below {minimum}, the minimum for protocol {protocol.id!r}"
                )
            self.first_dose = protocol.first_dose_for_age(age_years)
        self.per_kg: float | None = None
        self.amount: float | None = None
        if protocol.dose.basis == "mg_per_kg":
            self.per_kg = mg_per_kg if mg_per_kg is not None else protocol.dose.standard_mg_per_kg
            if self.per_kg is not None and weight_kg is not None:
                self.amount = dose_mg(self.per_kg, weight_kg, protocol_id=protocol.id)
            elif self.per_kg is not None:
                _check_mg_per_kg(protocol, self.per_kg)
            elif weight_kg is not None:
                _check_weight(weight_kg)
        else:
            if mg_per_kg is not None or weight_kg is not None:
                raise ValueError(
                    f"protocol {protocol.id!r} has fixed doses in mg; mg_per_kg and weight_kg do not apply"
                )
            self.amount = protocol.dose.standard_mg

    def for_session(self, number: int) -> tuple[float | None, str, str]:
        protocol = self.protocol
        if self.first_dose is not None:
            device = protocol.device
            later = " or ".join(f"{d} mg" for d in self.first_dose.later_doses_mg)
            if number == 1:
                rule = f"{self.first_dose.first_dose_mg} mg (day 1)"
                note = self.first_dose.cited.note
                if device is not None:
                    note = _join(
                        note, _device_note(self.first_dose.first_dose_mg, device.wait_between_devices_minutes)
                    )
                return float(self.first_dose.first_dose_mg), rule, note
            return None, f"{later} (prescriber decides)", ""
        if protocol.dose.basis == "mg_per_kg":
            if self.per_kg is None:
                return None, "mg/kg dose set by the prescriber", ""
            rule = f"{self.per_kg:g} mg/kg"
            if protocol.dose.infusion_minutes is not None:
                rule += f" over {protocol.dose.infusion_minutes} min"
            return self.amount, rule, ""
        if self.amount is not None:
            return self.amount, f"{self.amount:g} mg", ""
        return None, "dose in mg set by the prescriber", ""


def _device_note(amount_mg: int, wait_minutes: int) -> str:
    devices = esketamine_devices(amount_mg)
    plural = "s" if devices > 1 else ""
    if devices == 1:
        return f"{devices} device{plural}."
    return f"{devices} device{plural}, {wait_minutes} min between devices."


# --------------------------------------------------------------------------------------------------------
# Doses
# --------------------------------------------------------------------------------------------------------


def dose_mg(mg_per_kg: float, weight_kg: float, *, protocol_id: str = "iv_ketamine") -> float:
    """Weight-based dose in mg: ``mg_per_kg * weight_kg``, rounded to 0.01 mg.

    ``mg_per_kg`` must lie in the protocol's dose bounds (IV ketamine 0.1-1.0 mg/kg [Andrade2017]
    [Fava2018]); ``weight_kg`` in the plausible range :data:`WEIGHT_KG_RANGE`. 0.5 mg/kg for 70 kg is 35 mg
    [Murrough2013a]. Raises ValueError naming the value and the allowed range.
    """
    protocol = get_protocol(protocol_id)
    if protocol.dose.basis != "mg_per_kg":
        raise ValueError(f"protocol {protocol.id!r} is dosed in fixed mg, not mg/kg")
    _check_mg_per_kg(protocol, mg_per_kg)
    _check_weight(weight_kg)
    return round(mg_per_kg * weight_kg, 2)


def _check_number(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return float(value)


def _check_mg_per_kg(protocol: Protocol, mg_per_kg: float) -> None:
    value = _check_number("mg_per_kg", mg_per_kg)
    low, high = protocol.dose_bounds.min_mg_per_kg, protocol.dose_bounds.max_mg_per_kg
    assert low is not None and high is not None  # noqa: S101 - the loader requires them for mg/kg protocols
    if not low <= value <= high:
        raise ValueError(
            f"mg_per_kg {value:g} is out of range for protocol {protocol.id!r}; expected {low:g}-{high:g}"
        )


def _check_weight(weight_kg: float) -> None:
    value = _check_number("weight_kg", weight_kg)
    low, high = WEIGHT_KG_RANGE
    if not low <= value <= high:
        raise ValueError(f"weight_kg {value:g} is out of range; expected {low:g}-{high:g}")


def esketamine_devices(dose_mg: float) -> int:
    """Number of 28-mg nasal spray devices for an esketamine dose (each device is 2 sprays) [HCP-Dose3].

    56 mg is 2 devices, 84 mg is 3. Raises ValueError for a dose that is not a multiple of 28 mg or is
    outside the label's 28-84 mg.
    """
    protocol = get_protocol("esketamine_trd")
    device = protocol.device
    low, high = protocol.dose_bounds.min_mg, protocol.dose_bounds.max_mg
    assert device is not None and low is not None and high is not None  # noqa: S101 - present in the data
    value = _check_number("dose_mg", dose_mg)
    allowed = ", ".join(str(n) for n in range(int(low), int(high) + 1, device.mg_per_device))
    if value % device.mg_per_device:
        raise ValueError(
            f"dose_mg {value:g} is not a multiple of {device.mg_per_device} mg (one device); allowed: {allowed}"
        )
    if not low <= value <= high:
        raise ValueError(f"dose_mg {value:g} is out of range {low:g}-{high:g} mg; allowed: {allowed}")
    return int(value // device.mg_per_device)


# --------------------------------------------------------------------------------------------------------
# Course signals
# --------------------------------------------------------------------------------------------------------


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
        _require_aware("measured_at", point.measured_at)
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
    days = _check_number("benefit_lasted_days", benefit_lasted_days)
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
    _require_aware("now", now)
    past = []
    for record in sessions:
        _require_aware("starts_at", record.starts_at)
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
