"""Clinic outcomes computed in the database: rates, relapse times, side effects, the drop-out funnel.

Every number is a database aggregate (over the maintained course summary, one row per patient and
scale, see :mod:`ketacare.outcomes.course_sql`; over the maintained funnel rows, one per plan, see
:mod:`ketacare.outcomes.funnel_sql`; GROUP BYs for side effects); Python receives counts
(one row per instrument, condition, route, time-to-relapse day or side effect), never one row per
patient or score, so the page stays fast at 100,000 patients. The statistics on those counts
(Wilson intervals, Kaplan-Meier) and every clinical threshold come from the core.

Definitions (docs/decisions/0005-outcome-definitions.md):

- cohort: patients of the chosen clinics whose *baseline* (first valid score on the instrument: the
  patient's answer or the clinic's intake baseline, docs/decisions/0030) falls in the period;
- evaluable: a cohort patient with at least one later valid score within :data:`ENDPOINT_WINDOW`
  (8 weeks) of baseline; the *endpoint* is the latest of those;
- response / remission: the endpoint classified against the baseline by the instrument's change
  rules (``ketacare.core.instruments.classify_change``: thresholds and sources in the instrument
  data), translated here into SQL with the same thresholds;
- by route: the cohort patients with at least one valid dose by the route (the doses the exposure
  table counts), so a route's cohort never exceeds the patients it dosed; a patient dosed by two
  routes counts under each, one never dosed under "No dose recorded";
- relapse (Kaplan-Meier): among patients who responded, time from the first responding score to
  the second of :data:`ketacare.core.course.CONSECUTIVE_MEASUREMENTS_FOR_SIGNAL` consecutive
  non-responding scores (the core's ``loss_of_response`` rule); censored at the latest score;
- drop-out funnel: patients with a treatment plan created in the period by the number of
  completed induction appointments (completed when the session is discharged, never by the
  appointment's status alone), 1..6.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import (
    Count,
    Q,
    Sum,
)
from django.utils import timezone
from django.utils.text import capfirst

from ketacare.accounts.models import User
from ketacare.checkins.models import SymptomReport
from ketacare.clinics.models import Clinic
from ketacare.core.course import CONSECUTIVE_MEASUREMENTS_FOR_SIGNAL
from ketacare.core.display import route_name
from ketacare.core.episodes import turnbull
from ketacare.core.instruments import Instrument, get_instrument, instruments
from ketacare.core.knowledge import UnknownIdError, knowledge
from ketacare.core.stats import (
    KaplanMeier,
    Proportion,
    kaplan_meier_from_counts,
    wilson_interval,
)
from ketacare.intake.models import Indication
from ketacare.outcomes.course_sql import GroupCounts, course_counts
from ketacare.outcomes.durations import minutes_words, span_words
from ketacare.outcomes.funnel_sql import funnel_counts
from ketacare.treatments.models import DoseAdministration

FUNNEL_SESSIONS = 6
# The endpoint is the latest score within 8 weeks of baseline: long enough for an IV series (2-3
# weeks) and the esketamine induction (twice weekly for 4 weeks, weekly for weeks 5-8 [MIMS-HK]),
# short enough that a later relapse does not count against the response (clinic practice).
ENDPOINT_WINDOW = dt.timedelta(weeks=8)

if CONSECUTIVE_MEASUREMENTS_FOR_SIGNAL != 2:  # pragma: no cover - a guard for a future core change
    # course_sql encodes the loss-of-response run as "this score and the previous one" (LAG 1).
    raise ImportError("outcomes.course_sql encodes the loss-of-response rule for 2 consecutive measurements")


@dataclass(frozen=True)
class Period:
    """Baseline dates from ``start`` to ``end`` inclusive (None: open)."""

    start: dt.date | None = None
    end: dt.date | None = None

    def bounds(self) -> tuple[dt.datetime | None, dt.datetime | None]:
        """UTC instants: [start 00:00, end + 1 day 00:00)."""
        low = dt.datetime.combine(self.start, dt.time(), tzinfo=dt.UTC) if self.start else None
        high = (
            dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
            if self.end
            else None
        )
        return low, high

    def q(self, field_name: str) -> Q:
        low, high = self.bounds()
        q = Q()
        if low is not None:
            q &= Q(**{f"{field_name}__gte": low})
        if high is not None:
            q &= Q(**{f"{field_name}__lt": high})
        return q


@dataclass(frozen=True)
class Rate:
    """A response or remission rate for one group."""

    group: str
    label: str
    cohort: int  # patients with a baseline in the period
    evaluable: int  # ... and at least one later score
    responders: Proportion | None
    remitters: Proportion | None


@dataclass(frozen=True)
class SideEffectRow:
    """One side effect on one route: incidence, and durations estimated from interval-censored episodes.

    Each episode's end lies between its last sighting present and its first sighting gone (open ones
    are right-censored); ``median_low``/``median_high`` bound the median end time (minutes after the
    dose) under Turnbull's NPMLE (core.episodes.turnbull), None when too many are still open to say.
    ``beyond_expected`` counts episodes *seen present* after the threshold (never inferred from gaps).
    """

    symptom_id: str
    name: str
    route: str
    patients: int
    dosed_patients: int
    incidence: Proportion | None
    resolved_reports: int
    median_minutes: float | None
    expected_resolution_min: float | None
    longer_than_expected_after_min: float | None
    beyond_expected: int
    episodes: int = 0
    still_open: int = 0
    median_low: float | None = None
    median_high: float | None = None

    @property
    def route_name(self) -> str:
        """The route's plain name, as every table of the page names it (``route_label``)."""
        return route_label(self.route)

    @property
    def median_words(self) -> str:
        """The median end as a range of hours and days, rounded outwards ("between 21 h and 3 days 3 h")."""
        if self.median_low is None or self.median_high is None:
            return ""
        return span_words(self.median_low, self.median_high)

    @property
    def expected_words(self) -> str:
        """When the knowledge base expects the effect gone, in the same words ("4 h", "3 days")."""
        return "" if self.expected_resolution_min is None else minutes_words(self.expected_resolution_min)

    @property
    def threshold_words(self) -> str:
        """The route's "longer than expected" threshold in the same words ("12 h")."""
        if self.longer_than_expected_after_min is None:
            return ""
        return minutes_words(self.longer_than_expected_after_min)

    @property
    def share_open(self) -> float | None:
        """The share of episodes still open when last asked."""
        return self.still_open / self.episodes if self.episodes else None


@dataclass(frozen=True)
class FunnelStep:
    sessions: int
    patients: int
    share: float | None


@dataclass(frozen=True)
class Outcomes:
    instrument_id: str
    period: Period
    clinic_names: tuple[str, ...]
    by_instrument: tuple[Rate, ...]
    by_condition: tuple[Rate, ...]
    by_route: tuple[Rate, ...]
    relapse: KaplanMeier
    side_effects: tuple[SideEffectRow, ...]
    funnel_planned: int
    funnel: tuple[FunnelStep, ...]
    notes: tuple[str, ...] = field(default_factory=tuple)
    exposure: tuple[ExposureRow, ...] = ()


@dataclass(frozen=True)
class ExposureRow:
    """Cumulative ketamine or esketamine per patient dosed by one route in the last ``days`` days.

    No source gives a safe cumulative limit for therapeutic ketamine (docs/decisions/0012): the page
    shows the distribution so a clinic sees its heaviest exposures, and each patient's record has the
    detail.
    """

    route: str
    route_name: str
    days: int
    patients: int
    median_mg: float
    p90_mg: float
    max_mg: float
    median_sessions: float
    max_sessions: int


EXPOSURE_WINDOWS_DAYS = (90, 365)
NO_DOSE_LABEL = "No dose recorded"


def route_label(route: str) -> str:
    """A route as the page's tables name it: core.display's plain name, capitalised at the start of a
    cell ("IV ketamine infusion", "Esketamine nasal spray"), the same in every table and the timeline."""
    return capfirst(route_name(route)) or ""


def _percentile(sorted_values: Sequence[float], fraction: float) -> float:
    # Nearest-rank on the sorted values (no interpolation: a value some patient actually had).
    index = max(0, math.ceil(fraction * len(sorted_values)) - 1)
    return float(sorted_values[index])


def exposure_rows(clinics: Sequence[Clinic], now: dt.datetime) -> tuple[ExposureRow, ...]:
    """Per route and window: how much each patient dosed in the window received, as a distribution.

    One grouped query per window (patients x route): its cost follows the doses in the window, not
    each patient's whole history.
    """
    rows: list[ExposureRow] = []
    for days in EXPOSURE_WINDOWS_DAYS:
        per_patient = (
            DoseAdministration.objects.filter(
                clinic__in=clinics, entered_in_error=False, started_at__gte=now - dt.timedelta(days=days)
            )
            .values("patient_id", "route")
            .annotate(mg=Sum("dose_mg"), sessions=Count("session_id", distinct=True))
        )
        by_route: dict[str, list[tuple[float, int]]] = {}
        for row in per_patient:
            by_route.setdefault(row["route"], []).append((float(row["mg"]), int(row["sessions"])))
        for route, values in sorted(by_route.items()):
            mg = sorted(v[0] for v in values)
            sessions = sorted(v[1] for v in values)
            rows.append(
                ExposureRow(
                    route=route,
                    route_name=route_label(route),
                    days=days,
                    patients=len(values),
                    median_mg=_percentile(mg, 0.5),
                    p90_mg=_percentile(mg, 0.9),
                    max_mg=mg[-1],
                    median_sessions=_percentile(sessions, 0.5),
                    max_sessions=sessions[-1],
                )
            )
    return tuple(sorted(rows, key=lambda r: (r.route_name, r.days)))


def outcome_instruments() -> tuple[Instrument, ...]:
    """Symptom scales with response and remission rules (higher is worse), e.g. PHQ-9, GAD-7, MADRS."""
    return tuple(i for i in instruments() if i.has_change_rules and i.higher_is_worse)


def _rate(group: str, label: str, counts: GroupCounts | None) -> Rate:
    counts = counts or GroupCounts(0, 0, 0, 0)
    n = counts.evaluable
    return Rate(
        group=group,
        label=label,
        cohort=counts.cohort,
        evaluable=n,
        responders=wilson_interval(counts.responders, n) if n else None,
        remitters=wilson_interval(counts.remitters, n) if n else None,
    )


def _course(
    clinics: Sequence[Clinic], period: Period, instrument: Instrument
) -> tuple[tuple[Rate, ...], tuple[Rate, ...], tuple[Rate, ...], KaplanMeier]:
    """Rates by instrument, by route and condition for ``instrument``, and its relapse curve: one query."""

    low, high = period.bounds()
    table, km_rows = course_counts(
        instruments=outcome_instruments(),
        km_instrument=instrument,
        clinic_ids=[c.pk for c in clinics],
        low=low,
        high=high,
        window_days=ENDPOINT_WINDOW.days,
        conditions=Indication.values,
    )
    by_instrument = []
    for each in outcome_instruments():
        counts = table.by_instrument.get(each.id) or GroupCounts(0, 0, 0, 0)
        if counts.cohort or each.id == instrument.id:
            by_instrument.append(_rate(each.id, each.title, counts))
    # Patients dosed by each route (a patient dosed by two counts under each), then those never dosed.
    by_route = tuple(
        _rate(route or "none", route_label(route) if route else NO_DOSE_LABEL, counts)
        for (i, route), counts in sorted(table.by_route.items(), key=lambda item: (not item[0][1], item[0]))
        if i == instrument.id
    )
    by_condition = tuple(
        _rate(value or "none", label, table.by_condition[(instrument.id, value)])
        for value, label in [*Indication.choices, ("", "No condition recorded")]
        if (instrument.id, value) in table.by_condition
    )
    # Kaplan-Meier from counts grouped by day (days from first response to loss of response).
    relapse = kaplan_meier_from_counts(
        [r[0] for r in km_rows], [r[1] for r in km_rows], [r[2] for r in km_rows]
    )
    return tuple(by_instrument), by_route, by_condition, relapse


def side_effect_rows(clinics: Sequence[Clinic], period: Period) -> tuple[SideEffectRow, ...]:
    """Incidence per side effect and route among dosed patients; median recorded duration vs window."""

    dosed = dict(
        DoseAdministration.objects.filter(clinic__in=clinics, entered_in_error=False)
        .filter(period.q("started_at"))
        .values("route")
        .annotate(n=Count("patient", distinct=True))
        .values_list("route", "n")
    )
    reports = SymptomReport.objects.filter(clinic__in=clinics, kind=SymptomReport.Kind.SIDE_EFFECT).filter(
        period.q("started_at")
    )
    groups = (
        reports.values("symptom_id", "route")
        .annotate(
            patients=Count("patient", distinct=True),
            resolved=Count("pk", filter=Q(resolved_at__isnull=False, dose_started_at__isnull=False)),
        )
        .order_by("symptom_id", "route")
    )
    intervals = _episode_intervals(reports)
    effects = knowledge().side_effects
    out = []
    for group in groups:
        symptom_id, route = group["symptom_id"], group["route"] or ""
        effect = effects.get(symptom_id)
        window_end = threshold = None
        if effect is not None and route:
            try:
                course = effect.course(route)
                window_end, threshold = course.window.resolution_min, course.longer_than_expected_after_min
            except UnknownIdError:
                pass
        counted = intervals.get((symptom_id, group["route"]), {})
        estimate = turnbull(list(counted), weights=[n for n, _ in counted.values()]) if counted else None
        median = estimate.median_bounds() if estimate is not None else None
        n_dosed = dosed.get(route, 0)
        out.append(
            SideEffectRow(
                symptom_id=symptom_id,
                name=effect.name if effect else symptom_id,
                route=route,
                patients=group["patients"],
                dosed_patients=n_dosed,
                incidence=wilson_interval(min(group["patients"], n_dosed), n_dosed) if n_dosed else None,
                resolved_reports=group["resolved"],
                median_minutes=(median[0] + median[1]) / 2 if median else None,
                expected_resolution_min=window_end,
                longer_than_expected_after_min=threshold,
                beyond_expected=sum(seen for _, seen in counted.values()),
                episodes=estimate.n if estimate else 0,
                still_open=estimate.still_open if estimate else 0,
                median_low=median[0] if median else None,
                median_high=median[1] if median else None,
            )
        )
    return tuple(out)


# The report widens each episode's interval to this grid (down for L, up for R) so that identical
# intervals are estimated once; the page says so. Reporting granularity, not a clinical number.
INTERVAL_GRID_MIN = 15


def _episode_intervals(reports: Any) -> dict[tuple[str, str], dict[tuple[float, float], tuple[int, int]]]:
    """(symptom, route) -> {(L, R) in minutes after the dose on the grid: (episodes, seen after window)}."""
    out: dict[tuple[str, str], dict[tuple[float, float], tuple[int, int]]] = {}
    rows = reports.filter(dose_started_at__isnull=False).values_list(
        "symptom_id",
        "route",
        "dose_started_at",
        "started_at",
        "last_seen_at",
        "resolved_at",
        "ended_at",
        "seen_after_window",
    )
    grid = INTERVAL_GRID_MIN
    for symptom_id, route, dose, started, last_seen, resolved, ended, seen in rows.iterator(chunk_size=5000):
        last = last_seen or started
        low = max((last - dose).total_seconds() / 60, 0.0)
        high = math.inf if resolved is None else (resolved - dose).total_seconds() / 60
        if ended is not None and resolved is not None:
            low = high = min(max((ended - dose).total_seconds() / 60, low), high)
        key = (math.floor(low / grid) * grid, high if math.isinf(high) else math.ceil(high / grid) * grid)
        key = (key[0], max(key[1], key[0]))
        bucket = out.setdefault((symptom_id, route), {})
        n, s_after = bucket.get(key, (0, 0))
        bucket[key] = (n + 1, s_after + (1 if seen else 0))
    return out


def dropout_funnel(clinics: Sequence[Clinic], period: Period) -> tuple[int, tuple[FunnelStep, ...]]:
    """Patients with a plan created in the period, by completed induction appointments 1..6.

    An appointment is completed when its session is discharged (treatments services). One query over
    the clinics' plans and their maintained counts (``outcomes.models.PlanFunnel``), never the
    appointments; a patient's plans in the period are counted together.
    """
    low, high = period.bounds()
    total, reached = funnel_counts(
        clinic_ids=[c.pk for c in clinics], low=low, high=high, sessions=FUNNEL_SESSIONS
    )
    steps = tuple(FunnelStep(k, n, n / total if total else None) for k, n in enumerate(reached, start=1))
    return total, steps


def clinic_outcomes(*, clinics: Sequence[Clinic], period: Period, instrument_id: str = "phq9") -> Outcomes:
    """Everything on the outcomes page for these clinics and baseline period."""
    instrument = get_instrument(instrument_id)
    by_instrument, by_route, by_condition, relapse = _course(clinics, period, instrument)
    planned, funnel = dropout_funnel(clinics, period)
    return Outcomes(
        instrument_id=instrument.id,
        period=period,
        clinic_names=tuple(c.name for c in clinics),
        by_instrument=by_instrument,
        by_condition=by_condition,
        by_route=by_route,
        relapse=relapse,
        side_effects=side_effect_rows(clinics, period),
        funnel_planned=planned,
        funnel=funnel,
        exposure=exposure_rows(clinics, timezone.now()),
    )


def outcome_clinics(user: User, active: Clinic | None, *, scope: str) -> list[Clinic]:
    """The clinics whose outcomes this user sees: the active one, or all they administer."""
    if scope == "all":
        administered = list(
            Clinic.objects.filter(
                memberships__user=user, memberships__is_active=True, memberships__role="clinic_admin"
            )
            .distinct()
            .order_by("name")
        )
        if administered:
            return administered
    return [active] if active is not None else []


def administered_clinic_count(user: User) -> int:
    return (
        Clinic.objects.filter(
            memberships__user=user, memberships__is_active=True, memberships__role="clinic_admin"
        )
        .distinct()
        .count()
    )


def csv_rows(outcomes: Outcomes) -> Iterable[list[str]]:
    """The page's tables as CSV rows (aggregates only: no patient appears in an export)."""

    def pct(p: Proportion | None) -> list[str]:
        return (
            ["", "", "", ""]
            if p is None
            else [str(p.successes), f"{p.estimate:.4f}", f"{p.low:.4f}", f"{p.high:.4f}"]
        )

    yield ["section", "group", "label", "n", "count", "estimate", "ci95_low", "ci95_high", "extra"]
    for section, rates in (
        ("by_instrument", outcomes.by_instrument),
        ("by_condition", outcomes.by_condition),
        ("by_route", outcomes.by_route),
    ):
        for rate in rates:
            yield [
                f"{section}:response",
                rate.group,
                rate.label,
                str(rate.evaluable),
                *pct(rate.responders),
                f"cohort={rate.cohort}",
            ]
            yield [
                f"{section}:remission",
                rate.group,
                rate.label,
                str(rate.evaluable),
                *pct(rate.remitters),
                f"cohort={rate.cohort}",
            ]
    for step in outcomes.relapse.steps:
        yield [
            "relapse_km",
            f"{step.time:g}",
            "days from first response",
            str(step.at_risk),
            str(step.events),
            f"{step.survival:.4f}",
            f"{step.low:.4f}",
            f"{step.high:.4f}",
            f"censored={step.censored}",
        ]
    for row in outcomes.side_effects:
        yield [
            "side_effect",
            f"{row.symptom_id}:{row.route}",
            row.name,
            str(row.dosed_patients),
            *pct(row.incidence),
            f"median_min={'' if row.median_low is None else f'{row.median_low:.0f}-{row.median_high:.0f}'};"
            f"still_open={row.still_open}/{row.episodes};"
            f"expected_min={'' if row.expected_resolution_min is None else f'{row.expected_resolution_min:g}'}",
        ]
    for funnel_step in outcomes.funnel:
        yield [
            "dropout_funnel",
            str(funnel_step.sessions),
            "completed sessions",
            str(outcomes.funnel_planned),
            str(funnel_step.patients),
            "" if funnel_step.share is None else f"{funnel_step.share:.4f}",
            "",
            "",
            "",
        ]
