"""The safe pathway: what must be true before a plan, before a dose and before the patient goes home.

Three pure functions the treatments services call and the CLI answers (docs/decisions/0013):

- :func:`plan_gate` — a plan needs a completed screening, a current "eligible" (or "eligible with
  precautions") prescriber decision and a consent that covers the plan's route;
- :func:`dose_readiness` — the go/no-go before a dose: the session's plan and day, check-in, the
  pre-dose vital signs (``monitoring.check_pre_dose``), the route's readiness items (ride home,
  fasting, new interacting medicines) and what happened since the last session;
- :func:`discharge_check` — ``monitoring.discharge_readiness`` plus blood pressure back below the
  pre-dose hold threshold (or within the clinic's margin of baseline);
- :func:`dose_plausibility` — the dosing entries that need a written reason (early stop of an
  infusion, a total outside the protocol's range or not allowed by the esketamine label for the patient).

Nothing here reads the clock or a database: the app passes plain values in.
"""

from ketacare.core.pathway.discharge import DischargeCheck, discharge_check
from ketacare.core.pathway.dosing import (
    EARLY_STOP_FRACTION,
    Plausibility,
    delivered_mg,
    dose_plausibility,
)
from ketacare.core.pathway.plan_gate import PlanGate, PlanGateItem, plan_gate
from ketacare.core.pathway.readiness import (
    MIN_HOURS_BETWEEN_DOSES,
    Hold,
    Readiness,
    ReadinessInput,
    dose_readiness,
    split_red_flags,
)

__all__ = [
    "EARLY_STOP_FRACTION",
    "MIN_HOURS_BETWEEN_DOSES",
    "DischargeCheck",
    "Hold",
    "PlanGate",
    "PlanGateItem",
    "Plausibility",
    "Readiness",
    "ReadinessInput",
    "delivered_mg",
    "discharge_check",
    "dose_plausibility",
    "dose_readiness",
    "plan_gate",
    "split_red_flags",
]
