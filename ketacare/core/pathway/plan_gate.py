"""The plan gate: screening completed, a current eligible decision, consent for the route."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from ketacare.core.protocols import get_route

DECISIONS = ("eligible", "eligible_with_precautions", "not_eligible")


@dataclass(frozen=True)
class PlanGateItem:
    """One missing step: ``step`` names the intake section that fixes it (screening, decision, consent).

    ``overridable`` False means no written reason lets a plan past it: a "not eligible" decision must
    itself be changed by a prescriber (audited), never overridden from the plan page.
    """

    code: str
    step: str
    message: str
    overridable: bool


@dataclass(frozen=True)
class PlanGate:
    """``ok`` when nothing is missing; ``blocked`` when a missing item cannot be overridden."""

    ok: bool
    missing: tuple[PlanGateItem, ...]

    @property
    def blocked(self) -> bool:
        """Whether an item no override can pass is missing."""
        return any(not item.overridable for item in self.missing)


def plan_gate(
    route: str,
    *,
    screening_completed: bool,
    decision: str | None,
    consent_routes: Collection[str],
) -> PlanGate:
    """What a patient still lacks before a plan on ``route`` may be created (every item, never the first).

    ``decision`` is the prescriber's decision on the current screening ("" or None when none is made);
    ``consent_routes`` the routes the patient's valid consents cover. An unknown route or decision
    raises ValueError naming the allowed values.
    """
    rules = get_route(route)  # raises ValueError for an unknown route
    if decision and decision not in DECISIONS:
        raise ValueError(f"decision {decision!r} is not one of {', '.join(DECISIONS)}")
    missing: list[PlanGateItem] = []
    if not screening_completed:
        missing.append(
            PlanGateItem("screening_missing", "screening", "No completed screening is on file.", True)
        )
    if decision == "not_eligible":
        missing.append(
            PlanGateItem(
                "not_eligible",
                "decision",
                "The prescriber's decision on the current screening is \u201cnot eligible\u201d; a plan "
                "needs that decision changed (a prescriber, audited), not an override.",
                False,
            )
        )
    elif not decision:
        missing.append(
            PlanGateItem(
                "decision_missing",
                "decision",
                "No prescriber eligibility decision is recorded on the current screening.",
                True,
            )
        )
    if route not in consent_routes:
        missing.append(
            PlanGateItem("consent_missing", "consent", f"No valid consent covers {rules.name}.", True)
        )
    return PlanGate(ok=not missing, missing=tuple(missing))
