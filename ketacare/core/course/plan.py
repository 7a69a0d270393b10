"""The session plan of a course: dates, phases, doses and the end-of-induction review, DST-safe.

:func:`plan_sessions` lays out the sessions of a protocol (protocols.toml) in the patient's time zone,
keeping the local wall-clock time of the first session across daylight-saving changes, with the
end-of-induction review point and the dose (or dose rule) of each session.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ketacare.core.course.checks import check_int_range, require_aware
from ketacare.core.course.dosing import SessionDoses, join_notes
from ketacare.core.course.steps import (
    PlanFinding,
    check_hepatic,
    check_prescriber_reasons,
    hepatic_findings,
    with_reason,
)
from ketacare.core.protocols import AGE_YEARS_RANGE, WEEKDAYS, Preset, Protocol, get_protocol

# Open-ended maintenance sessions laid out by one call (a software limit: about two years of weekly sessions).
MAX_MAINTENANCE_SESSIONS = 104

Phase = Literal["induction", "maintenance"]


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
    """The sessions of a course, its review point, plan-level notes and findings for the prescriber.

    ``findings`` (:class:`~ketacare.core.course.steps.PlanFinding`) are notes or ``requires_reason``
    findings: more sessions in 7 days than studied, severe liver impairment, no label dose for the
    patient's age. A plan with an unresolved finding is still laid out; the app must collect the
    prescriber's reason (``prescriber_reasons``) before the first affected session.
    """

    protocol_id: str
    preset_id: str
    tz: str
    sessions: tuple[PlannedSession, ...]
    review: PlannedReview
    notes: tuple[str, ...]
    findings: tuple[PlanFinding, ...] = ()

    @property
    def unresolved_findings(self) -> tuple[PlanFinding, ...]:
        """The findings that still need a prescriber's reason."""
        return tuple(finding for finding in self.findings if finding.unresolved)


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
    japanese_ancestry: bool = False,
    hepatic_impairment: str = "none",
    prescriber_reasons: Mapping[str, str] | None = None,
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
    or over; 84 mg is never a first dose; MDSI 84 mg under 65). ``japanese_ancestry`` selects the
    Japanese-ancestry start (28 mg, clinic practice until checked against the label). Later sessions
    say which doses the label steps allow (28 mg at a time, 84 mg only after 56 mg). ``weight_kg`` (with
    ``mg_per_kg``, default the protocol's standard) gives each session's dose for a weight-based protocol.

    ``hepatic_impairment`` (none, mild, moderate, severe) adds the protocol's liver findings (esketamine:
    moderate -> monitor longer, a note; severe -> not recommended, needs a reason). A plan with more
    sessions in any 7 days than the protocol's ``[protocol.frequency]`` (IV: 3, the most studied) carries
    the finding ``frequency_above_studied``. ``prescriber_reasons`` maps finding codes to the prescriber's
    reason; a finding with a reason is resolved.

    Raises ValueError naming the offending value and the allowed range.
    """
    protocol = get_protocol(protocol_id)
    chosen = protocol.preset(preset)
    zone = _zone(tz)
    require_aware("start", start)
    if age_years is not None:
        check_int_range("age_years", age_years, *AGE_YEARS_RANGE)
    check_int_range("maintenance_sessions", maintenance_sessions, 0, MAX_MAINTENANCE_SESSIONS)
    if not isinstance(japanese_ancestry, bool):
        raise ValueError(f"japanese_ancestry must be true or false, got {japanese_ancestry!r}")
    hepatic = check_hepatic(hepatic_impairment)
    reasons = check_prescriber_reasons(prescriber_reasons)

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

    populations = frozenset({"japanese_ancestry"}) if japanese_ancestry else frozenset()
    doses = SessionDoses(
        protocol, age_years=age_years, weight_kg=weight_kg, mg_per_kg=mg_per_kg, populations=populations
    )
    sessions = []
    for index, (phase, day) in enumerate(zip(phases, dates, strict=True)):
        number = index + 1
        amount, rule, note = doses.for_session(number)
        if phase == "maintenance" and number == induction_count + 1:
            note = join_notes(note, "After the end-of-induction review.")
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
    findings = [*doses.findings, *hepatic_findings(protocol, hepatic), *_frequency_findings(protocol, dates)]
    return CoursePlan(
        protocol_id=protocol.id,
        preset_id=chosen.id,
        tz=tz,
        sessions=tuple(sessions),
        review=review,
        notes=tuple(notes),
        findings=tuple(with_reason(finding, reasons) for finding in findings),
    )


def _frequency_findings(protocol: Protocol, dates: Sequence[date]) -> list[PlanFinding]:
    """A ``frequency_above_studied`` finding naming the sessions in any 7 days with too many sessions."""
    limit = protocol.frequency
    if limit is None:
        return []
    most = limit.max_sessions_per_7_days
    crowded: set[int] = set()
    busiest = 0
    for index, first in enumerate(dates):
        window = [j for j, day in enumerate(dates) if 0 <= (day - first).days < 7 and j >= index]
        busiest = max(busiest, len(window))
        if len(window) > most:
            crowded.update(j + 1 for j in window)
    if not crowded:
        return []
    numbers = sorted(crowded)
    return [
        PlanFinding(
            code="frequency_above_studied",
            kind="requires_reason",
            message=(
                f"Up to {busiest} sessions within 7 days (sessions {numbers[0]}-{numbers[-1]}); the most "
                f"studied is {most} in any 7 days. A prescriber's reason is needed."
            ),
            sources=limit.cited.sources,
            evidence=limit.cited.evidence,
            sessions=tuple(numbers),
        )
    ]


def _zone(tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ValueError(f"unknown time zone {tz!r}; expected an IANA name such as 'Europe/Berlin'") from None


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
        check_int_range("session_count", session_count, 1, preset.max_sessions)
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
