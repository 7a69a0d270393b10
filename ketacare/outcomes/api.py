"""outcomes API router: the clinic's aggregate outcomes as JSON (staff of the active clinic)."""

from __future__ import annotations

from django.http import Http404
from ninja import Router, Schema
from ninja.errors import HttpError

from ketacare.accounts.http import AuthenticatedRequest
from ketacare.audit.services import record_access_event
from ketacare.clinics.selectors import active_clinic, active_membership
from ketacare.outcomes.selectors import Period, Rate, clinic_outcomes, outcome_instruments

router = Router(tags=["outcomes"])


class RateOut(Schema):
    group: str
    label: str
    cohort: int
    evaluable: int
    responders: int | None
    response_rate: float | None
    response_ci95: tuple[float, float] | None
    remitters: int | None
    remission_rate: float | None
    remission_ci95: tuple[float, float] | None


class RelapseStepOut(Schema):
    day: float
    at_risk: int
    events: int
    censored: int
    survival: float
    ci95: tuple[float, float]


class OutcomesOut(Schema):
    instrument_id: str
    by_instrument: list[RateOut]
    by_condition: list[RateOut]
    by_route: list[RateOut]
    relapse_median_days: float | None
    relapse_steps: list[RelapseStepOut]
    funnel_planned: int
    funnel: list[int]


def _rate(rate: Rate) -> RateOut:
    r, m = rate.responders, rate.remitters
    return RateOut(
        group=rate.group,
        label=rate.label,
        cohort=rate.cohort,
        evaluable=rate.evaluable,
        responders=r.successes if r else None,
        response_rate=r.estimate if r else None,
        response_ci95=(r.low, r.high) if r else None,
        remitters=m.successes if m else None,
        remission_rate=m.estimate if m else None,
        remission_ci95=(m.low, m.high) if m else None,
    )


@router.get("/outcomes/", response=OutcomesOut)
def outcomes_summary(request: AuthenticatedRequest, instrument: str = "phq9") -> OutcomesOut:
    """The active clinic's outcomes (all baseline dates) for one instrument."""
    clinic = active_clinic(request) if active_membership(request) is not None else None
    if clinic is None:
        raise Http404("Not found")
    allowed = [i.id for i in outcome_instruments()]
    if instrument not in allowed:
        raise HttpError(422, f"instrument {instrument[:40]!r} is not one of: {', '.join(allowed)}")
    o = clinic_outcomes(clinics=[clinic], period=Period(), instrument_id=instrument)
    record_access_event(action="read", outcome="granted", clinic=clinic, object_type="outcomes")
    return OutcomesOut(
        instrument_id=o.instrument_id,
        by_instrument=[_rate(r) for r in o.by_instrument],
        by_condition=[_rate(r) for r in o.by_condition],
        by_route=[_rate(r) for r in o.by_route],
        relapse_median_days=o.relapse.median,
        relapse_steps=[
            RelapseStepOut(
                day=s.time,
                at_risk=s.at_risk,
                events=s.events,
                censored=s.censored,
                survival=s.survival,
                ci95=(s.low, s.high),
            )
            for s in o.relapse.steps
        ],
        funnel_planned=o.funnel_planned,
        funnel=[s.patients for s in o.funnel],
    )
