"""Label dose steps and the findings a plan must show the prescriber.

- :func:`next_dose_options` answers "what may the next esketamine dose be?" from the doses given so far:
  the first dose by age and patient group, then 28 mg steps with 84 mg only after 56 mg
  ([HCP-Dose3] [MIMS-HK]; protocols.toml ``[protocol.device] max_increase_steps``).
- :class:`PlanFinding` is something a plan carries for the prescriber: a ``note``, or a
  ``requires_reason`` finding (beyond the evidence or the label) that stays unresolved until the
  prescriber gives a reason. Findings never block a plan; the app shows them and keeps the reason.

Nothing here gives a patient dosing advice: the options are the label's bounds for the prescriber.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from ketacare.core.course.checks import check_int_range
from ketacare.core.protocols import (
    AGE_YEARS_RANGE,
    HEPATIC_IMPAIRMENT,
    FirstDoseRule,
    Protocol,
    get_protocol,
)

FindingKind = Literal["requires_reason", "note"]

# Every finding code a plan or a dose-step answer may carry (a prescriber reason must name one of them).
FINDING_CODES: tuple[str, ...] = (
    "frequency_above_studied",
    "hepatic_severe_not_recommended",
    "hepatic_moderate_longer_monitoring",
    "no_label_dose_for_age",
    "start_dose_unverified",
)
MAX_REASON_CHARS = 2000
_MAX_PREVIOUS_DOSES = 1000


@dataclass(frozen=True)
class PlanFinding:
    """Something the prescriber must see; ``requires_reason`` findings need a reason before dosing.

    ``code`` is one of :data:`FINDING_CODES`; ``sessions`` the session numbers concerned (empty for the
    whole plan); ``reason`` the prescriber's reason when one was given (None otherwise).
    """

    code: str
    kind: FindingKind
    message: str
    sources: tuple[str, ...]
    evidence: str
    sessions: tuple[int, ...] = ()
    reason: str | None = None

    @property
    def unresolved(self) -> bool:
        """True for a ``requires_reason`` finding that has no reason yet."""
        return self.kind == "requires_reason" and not self.reason


@dataclass(frozen=True)
class DoseOptions:
    """The doses the label allows next, for the prescriber (never for the patient).

    ``allowed_mg`` in increasing order; ``first_dose`` True when no dose was given yet; ``rule`` says why
    in plain words; ``findings`` are as for a plan (e.g. severe liver impairment: not recommended).
    """

    protocol_id: str
    allowed_mg: tuple[int, ...]
    first_dose: bool
    rule: str
    sources: tuple[str, ...]
    evidence: str
    findings: tuple[PlanFinding, ...]


def check_prescriber_reasons(reasons: Mapping[str, str] | None) -> dict[str, str]:
    """Validate ``reasons`` (finding code -> reason text); ValueError naming a bad code or an empty text."""
    if reasons is None:
        return {}
    checked: dict[str, str] = {}
    for code, text in reasons.items():
        if code not in FINDING_CODES:
            raise ValueError(
                f"prescriber reason for unknown finding {code!r}; allowed: {', '.join(FINDING_CODES)}"
            )
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_REASON_CHARS:
            raise ValueError(
                f"prescriber reason for {code!r} must be 1-{MAX_REASON_CHARS} characters of text"
            )
        checked[code] = text.strip()
    return checked


def with_reason(finding: PlanFinding, reasons: Mapping[str, str]) -> PlanFinding:
    """``finding`` with the prescriber's reason attached when one was given for its code."""
    reason = reasons.get(finding.code)
    if reason is None or finding.kind != "requires_reason":
        return finding
    return PlanFinding(
        code=finding.code,
        kind=finding.kind,
        message=finding.message,
        sources=finding.sources,
        evidence=finding.evidence,
        sessions=finding.sessions,
        reason=reason,
    )


def check_hepatic(value: object) -> str:
    """Return ``value`` if it is one of :data:`HEPATIC_IMPAIRMENT`, else ValueError naming the allowed values."""
    if value not in HEPATIC_IMPAIRMENT:
        raise ValueError(f"hepatic_impairment {value!r} is not one of: {', '.join(HEPATIC_IMPAIRMENT)}")
    return str(value)


def hepatic_findings(protocol: Protocol, hepatic_impairment: str) -> list[PlanFinding]:
    """The protocol's liver-impairment findings for ``hepatic_impairment`` (none, mild, moderate, severe)."""
    rule = protocol.hepatic
    if rule is None or hepatic_impairment in ("none", "mild"):
        return []
    action = rule.moderate if hepatic_impairment == "moderate" else rule.severe
    sources, evidence = rule.cited.sources, rule.cited.evidence
    if action == "not_recommended":
        return [
            PlanFinding(
                code="hepatic_severe_not_recommended",
                kind="requires_reason",
                message=(
                    f"{hepatic_impairment.capitalize()} liver impairment: {protocol.name} has not been studied "
                    "and is not recommended; a prescriber's reason is needed to go ahead."
                ),
                sources=sources,
                evidence=evidence,
            )
        ]
    if action == "longer_monitoring":
        return [
            PlanFinding(
                code="hepatic_moderate_longer_monitoring",
                kind="note",
                message=(
                    f"{hepatic_impairment.capitalize()} liver impairment: monitor for adverse reactions for "
                    "longer than the usual minimum; the label gives no figure, so the prescriber sets the "
                    "observation time."
                ),
                sources=sources,
                evidence=evidence,
            )
        ]
    return []


def first_dose_rule(
    protocol: Protocol, age_years: int, populations: frozenset[str]
) -> tuple[FirstDoseRule | None, list[PlanFinding]]:
    """The day-1 rule for the patient and the findings it brings (unverified start, no label dose)."""
    rule = protocol.first_dose_for(age_years, populations)
    findings: list[PlanFinding] = []
    if rule is None and protocol.first_doses:
        cited = protocol.first_doses[0].cited
        findings.append(
            PlanFinding(
                code="no_label_dose_for_age",
                kind="requires_reason",
                message=(
                    f"No label dose for a patient aged {age_years} in {protocol.name}; the prescriber sets the "
                    "dose and gives a reason."
                ),
                sources=cited.sources,
                evidence=cited.evidence,
            )
        )
    elif rule is not None and rule.cited.is_clinic_practice:
        findings.append(
            PlanFinding(
                code="start_dose_unverified",
                kind="note",
                message=f"{rule.cited.note} (clinic practice)",
                sources=rule.cited.sources,
                evidence=rule.cited.evidence,
            )
        )
    return rule, findings


def step_limit_mg(protocol: Protocol) -> int | None:
    """The largest increase from one dose to the next, in mg (None: no limit)."""
    device = protocol.device
    if device is None or device.max_increase_steps is None:
        return None
    return device.step_mg * device.max_increase_steps


def allowed_at_session(protocol: Protocol, rule: FirstDoseRule, number: int) -> tuple[int, ...]:
    """The doses reachable at session ``number`` (1-based) from the first dose when the history is unknown."""
    if number == 1:
        return (rule.first_dose_mg,)
    limit = step_limit_mg(protocol)
    if limit is None:
        return rule.later_doses_mg
    highest = rule.first_dose_mg + limit * (number - 1)
    return tuple(dose for dose in rule.later_doses_mg if dose <= highest)


def describe_doses(doses: Sequence[int]) -> str:
    """The doses in plain words: "56 mg", "28 mg or 56 mg", "28 mg or 56 mg or 84 mg"."""
    return " or ".join(f"{dose} mg" for dose in doses)


def step_note(protocol: Protocol) -> str:
    """The plain-words step rule for a dose rule ("" when the protocol has none)."""
    device = protocol.device
    if device is None or device.max_increase_steps is None:
        return ""
    step = device.step_mg * device.max_increase_steps
    text = f"up at most {step} mg from the previous dose"
    if device.never_first_dose_mg is not None:
        text += f"; {device.never_first_dose_mg} mg only after {device.never_first_dose_mg - step} mg"
    return text


def next_dose_options(
    protocol_id: str,
    *,
    age_years: int,
    previous_doses_mg: Sequence[int] = (),
    japanese_ancestry: bool = False,
    hepatic_impairment: str = "none",
) -> DoseOptions:
    """The label doses allowed next for a fixed-dose protocol with a device (esketamine).

    ``previous_doses_mg`` are the doses given so far in this course, oldest first (each a whole number
    of mg within the protocol's bounds). With none, the answer is the day-1 dose for the patient's age
    and group (56 mg under 65; 28 mg at 65 or over [MIMS-HK]; 28 mg for Japanese ancestry, clinic
    practice). After that, the later doses of that rule that are at most one 28 mg step above the last
    dose: 28 -> 28 or 56; 56 -> 56 or 84 (84 mg only after 56 mg [HCP-Dose3]); a decrease is always
    among the options. MDSI: 84 mg, or 56 mg for tolerability [HCP-MDSI].

    Raises ValueError naming the value and the allowed range for an unknown protocol, a protocol
    without label dose steps, an age out of range or under the protocol's minimum, or a previous dose
    outside the bounds or not a whole number of devices.
    """
    protocol = get_protocol(protocol_id)
    if protocol.device is None or not protocol.first_doses:
        raise ValueError(
            f"protocol {protocol.id!r} has no label dose steps; next_dose_options applies to "
            "esketamine_trd and esketamine_mdsi"
        )
    check_int_range("age_years", age_years, *AGE_YEARS_RANGE)
    minimum = protocol.dose.min_age_years
    if minimum is not None and age_years < minimum:
        raise ValueError(
            f"age_years {age_years} is below {minimum}, the minimum for protocol {protocol.id!r}"
        )
    if not isinstance(japanese_ancestry, bool):
        raise ValueError(f"japanese_ancestry must be true or false, got {japanese_ancestry!r}")
    hepatic = check_hepatic(hepatic_impairment)
    previous = _check_previous(protocol, previous_doses_mg)

    populations = frozenset({"japanese_ancestry"}) if japanese_ancestry else frozenset()
    rule, findings = first_dose_rule(protocol, age_years, populations)
    findings += hepatic_findings(protocol, hepatic)
    device = protocol.device
    if rule is None:
        low, high = protocol.dose_bounds.min_mg, protocol.dose_bounds.max_mg
        assert low is not None and high is not None  # noqa: S101 - fixed-dose protocols have mg bounds
        allowed = tuple(range(int(low), int(high) + 1, device.mg_per_device))
        return DoseOptions(
            protocol_id=protocol.id,
            allowed_mg=allowed,
            first_dose=not previous,
            rule=f"no label dose for this patient: the prescriber chooses within {describe_doses(allowed)}",
            sources=protocol.dose.cited.sources,
            evidence=protocol.dose.cited.evidence,
            findings=tuple(findings),
        )
    if not previous:
        return DoseOptions(
            protocol_id=protocol.id,
            allowed_mg=(rule.first_dose_mg,),
            first_dose=True,
            rule=f"{rule.first_dose_mg} mg (day 1)",
            sources=rule.cited.sources,
            evidence=rule.cited.evidence,
            findings=tuple(findings),
        )
    last = previous[-1]
    limit = step_limit_mg(protocol)
    allowed = tuple(dose for dose in rule.later_doses_mg if limit is None or dose <= last + limit)
    if not allowed:
        allowed = (min(rule.later_doses_mg),)
    note = step_note(protocol)
    return DoseOptions(
        protocol_id=protocol.id,
        allowed_mg=allowed,
        first_dose=False,
        rule=f"{describe_doses(allowed)} after {last} mg (prescriber decides"
        + (f"; {note})" if note else ")"),
        sources=tuple(dict.fromkeys((*rule.cited.sources, *device.cited.sources))),
        evidence=rule.cited.evidence,
        findings=tuple(findings),
    )


def _check_previous(protocol: Protocol, doses: Sequence[int]) -> tuple[int, ...]:
    if isinstance(doses, str) or not isinstance(doses, Sequence) or len(doses) > _MAX_PREVIOUS_DOSES:
        raise ValueError(f"previous_doses_mg must be a list of at most {_MAX_PREVIOUS_DOSES} whole mg values")
    device = protocol.device
    low, high = protocol.dose_bounds.min_mg, protocol.dose_bounds.max_mg
    assert device is not None and low is not None and high is not None  # noqa: S101 - checked by the caller
    allowed = ", ".join(str(n) for n in range(device.mg_per_device, int(high) + 1, device.mg_per_device))
    out = []
    for dose in doses:
        if (
            isinstance(dose, bool)
            or not isinstance(dose, int)
            or dose % device.mg_per_device
            or not device.mg_per_device <= dose <= high
        ):
            raise ValueError(f"previous dose {dose!r} mg is not a label dose; allowed: {allowed}")
        out.append(dose)
    return tuple(out)
