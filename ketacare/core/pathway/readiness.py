"""The go/no-go before a dose: every reason to hold, each with its severity for the prescriber's alert.

Inputs are plain values the app gathers (its own session rows, and facts other record apps keep:
red flags reported in check-ins, questionnaire answers, the screening's medicine classes). A hold is
cleared by fixing its cause (a re-measured blood pressure, a ride arranged) or by a prescriber's
override with a written reason; the function only says what holds.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from ketacare.core.display import name_for
from ketacare.core.monitoring import PreDoseReason, check_pre_dose
from ketacare.core.protocols import get_route
from ketacare.core.screening import match_medication

Severity = Literal["contact_clinic", "urgent"]

# A second dose within 24 hours of the last one is held for a prescriber's look. Clinic practice: the
# brief cites no minimum interval; the schedules it cites are at most 3 sessions a week [Murrough2013b].
MIN_HOURS_BETWEEN_DOSES = 24.0
CSSRS_RISKS = ("none", "low", "moderate", "high")


# Red flags (knowledge ids, red_flags.toml) the go/no-go weighs under their own heading.
URINARY_RED_FLAGS = frozenset({"urinary_symptoms"})
MANIA_PSYCHOSIS_RED_FLAGS = frozenset({"mania_signs", "hallucinations_agitation_past_window"})
SUICIDE_RED_FLAGS = frozenset({"suicidal_thoughts_without_plan", "suicidal_thoughts_with_plan"})


def split_red_flags(red_flag_ids: Sequence[str]) -> dict[str, object]:
    """Red-flag ids reported since the last session as :class:`ReadinessInput` fields."""
    special = URINARY_RED_FLAGS | MANIA_PSYCHOSIS_RED_FLAGS | SUICIDE_RED_FLAGS
    return {
        "red_flags_since_last": tuple(f for f in red_flag_ids if f not in special),
        "urinary_symptoms": any(f in URINARY_RED_FLAGS for f in red_flag_ids),
        "mania_or_psychosis": any(f in MANIA_PSYCHOSIS_RED_FLAGS for f in red_flag_ids),
        "suicide_item_positive": any(f in SUICIDE_RED_FLAGS for f in red_flag_ids),
    }


_UNITS = {"systolic_mmhg": "mmHg", "diastolic_mmhg": "mmHg", "heart_rate_bpm": "/min", "spo2_pct": "%"}


def reading_message(reason: PreDoseReason) -> str:
    """A pre-dose reason for people: the rule's words and the reading with its unit, no field names."""
    words = reason.message.rsplit(" (", 1)[0]
    return f"{words} (measured {reason.value:g} {_UNITS.get(reason.field, '')})".replace(" )", ")")


@dataclass(frozen=True)
class Hold:
    """One reason not to dose now: a stable ``code``, the run-sheet message and the alert severity."""

    code: str
    message: str
    severity: Severity


@dataclass(frozen=True)
class ReadinessInput:
    """What the go/no-go weighs; every field a plain value (see the module docstring).

    ``fasting_required`` is the route's label rule (esketamine) or the clinic's own policy; ``fasting``
    None means not asked. ``hours_since_last_dose`` None means no earlier dose. ``consent_valid`` is
    whether a valid consent the patient has not withdrawn covers the route now. ``paused_for_review`` is
    the plain-words reason of a pause that lasts until a prescriber resolves its alert, or None.
    """

    route: str
    age_years: int
    plan_active: bool = True
    not_eligible: bool = False
    consent_valid: bool = True
    due_today: bool = True
    checked_in: bool = True
    systolic_mmhg: float | None = None
    diastolic_mmhg: float | None = None
    heart_rate_bpm: float | None = None
    spo2_pct: float | None = None
    ride_home: bool = False
    fasting: bool | None = None
    fasting_required: bool = False
    new_medications: Sequence[str] = ()
    screened_drug_classes: Sequence[str] = ()
    red_flags_since_last: Sequence[str] = ()
    suicide_item_positive: bool = False
    cssrs_risk: str | None = None
    urinary_symptoms: bool = False
    mania_or_psychosis: bool = False
    pregnant: bool = False
    hours_since_last_dose: float | None = None
    paused_for_review: str | None = None


@dataclass(frozen=True)
class Readiness:
    """``go`` only when ``holds`` is empty."""

    go: bool
    holds: tuple[Hold, ...]

    @property
    def severity(self) -> Severity | None:
        """The highest severity among the holds (what the prescriber's alert carries), or None."""
        if not self.holds:
            return None
        return "urgent" if any(h.severity == "urgent" for h in self.holds) else "contact_clinic"


def dose_readiness(data: ReadinessInput) -> Readiness:
    """Every hold that applies before a dose on ``data.route`` (never only the first).

    Raises ValueError naming the value for an unknown route, an out-of-range reading, age or interval,
    or an unknown C-SSRS risk level.
    """
    rules = get_route(data.route)
    holds: list[Hold] = []

    def add(code: str, message: str, severity: Severity = "contact_clinic") -> None:
        holds.append(Hold(code, message, severity))

    if not data.plan_active:
        add("no_active_plan", "The session is not part of an active treatment plan.")
    if data.not_eligible:
        add(
            "not_eligible",
            "The prescriber's current eligibility decision is \u201cnot eligible\u201d: no dose on this plan.",
            "urgent",
        )
    if not data.consent_valid:
        add(
            "no_consent",
            "No valid consent covers this route (withdrawn or entered in error): "
            "a new signed consent is needed before any dose.",
            "urgent",
        )
    if not data.due_today:
        add("not_due_today", "The session is not due today (clinic time zone).")
    if not data.checked_in:
        add("not_checked_in", "The check-in is not complete.")
    if data.systolic_mmhg is None or data.diastolic_mmhg is None:
        add("pre_dose_vitals_missing", "No pre-dose vital signs are recorded.")
    else:
        result = check_pre_dose(
            data.route,
            data.age_years,
            data.systolic_mmhg,
            data.diastolic_mmhg,
            data.heart_rate_bpm,
            data.spo2_pct,
        )
        for reason in result.reasons:
            if reason.level == "hold":
                add(f"pre_dose_{reason.code}", reading_message(reason), "urgent")
    if not data.ride_home:
        add("ride_home", f"No escort or ride home arranged. {rules.driving.rule}")
    if data.fasting_required and data.fasting is not True:
        food = rules.fasting.food_minutes_before
        liquids = rules.fasting.liquids_minutes_before
        if food is not None:
            why = f"the label asks for no food for {food} min and no liquids for {liquids} min before dosing"
        else:
            why = "the clinic's fasting policy applies to this route"
        add("fasting", f"Fasting is not confirmed; {why}.")
    new_classes: dict[str, str] = {}
    for text in data.new_medications:
        for interaction in match_medication(text):
            if interaction.id not in data.screened_drug_classes:
                new_classes.setdefault(interaction.id, interaction.name)
    if new_classes:
        add(
            "new_medication",
            "New interacting medicine since screening: " + ", ".join(new_classes.values()) + ".",
            "urgent",
        )
    if data.red_flags_since_last:
        add(
            "red_flags",
            "Red flags reported since the last session: "
            + ", ".join(name_for(flag).lower() for flag in data.red_flags_since_last)
            + ".",
            "urgent",
        )
    if data.suicide_item_positive:
        add("suicide_item", "A suicide-risk item was answered positively since the last session.", "urgent")
    if data.cssrs_risk is not None:
        if data.cssrs_risk not in CSSRS_RISKS:
            raise ValueError(f"cssrs_risk {data.cssrs_risk!r} is not one of {', '.join(CSSRS_RISKS)}")
        if data.cssrs_risk == "high":
            add("cssrs_high", "C-SSRS screening is high risk: urgent assessment before dosing.", "urgent")
    if data.urinary_symptoms:
        add("urinary_symptoms", "Urinary symptoms reported: review for ketamine-induced cystitis.", "urgent")
    if data.mania_or_psychosis:
        add("mania_or_psychosis", "Signs of mania or psychosis reported since the last session.", "urgent")
    if data.pregnant:
        add("pregnancy", "Pregnancy reported: treatment is not recommended in pregnancy.", "urgent")
    if data.paused_for_review:
        # A pause another record set (e.g. urinary symptoms in a check-in) until a prescriber reviews.
        add("paused_for_review", data.paused_for_review, "urgent")
    hours = data.hours_since_last_dose
    if hours is not None:
        if (
            isinstance(hours, bool)
            or not isinstance(hours, int | float)
            or not math.isfinite(hours)
            or hours < 0
        ):
            raise ValueError(f"hours_since_last_dose {hours!r} must be a number of hours, 0 or more")
        if hours < MIN_HOURS_BETWEEN_DOSES:
            add(
                "interval",
                f"The last dose was {hours:.1f} h ago; less than {MIN_HOURS_BETWEEN_DOSES:g} h "
                "(clinic practice).",
            )
    return Readiness(go=not holds, holds=tuple(holds))
