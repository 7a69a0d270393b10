"""Safe-pathway commands of the `ketacare` CLI: plan-gate, readiness (the dose go/no-go), discharge-check.

Thin wrappers around ``ketacare.core.pathway`` (docs/decisions/0013): plain values in, the core's
answer out as text or, with ``--json``, one JSON object documented in docs/cli.md. Bad input exits 2
with one line on stderr.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

import typer

from ketacare.cli_clinical import JsonFlag, _bad_input, _emit, _fail, _OneLineErrors
from ketacare.core import pathway
from ketacare.core.monitoring import VitalSigns
from ketacare.core.protocols import get_route

_BP = re.compile(r"^\s*(\d{2,3})\s*/\s*(\d{2,3})\s*$")
_YES = {"yes": True, "y": True, "true": True, "no": False, "n": False, "false": False}


def _yes_no(command: str, name: str, value: str | None, *, unknown: bool = False) -> bool | None:
    if value is None:
        return None
    key = value.strip().lower()
    if unknown and key == "unknown":
        return None
    if key not in _YES:
        allowed = "yes or no" + (" or unknown" if unknown else "")
        _fail(command, f"--{name} {value!r} is not {allowed}")
    return _YES[key]


def _bp(command: str, name: str, value: str | None) -> tuple[int, int] | None:
    if value is None:
        return None
    match = _BP.match(value)
    if not match:
        _fail(
            command, f"--{name} {value!r} is not a blood pressure; expected SYSTOLIC/DIASTOLIC, e.g. 130/80"
        )
    return int(match.group(1)), int(match.group(2))


def _vitals(command: str, name: str, bp: tuple[int, int] | None, hr: float | None, spo2: float | None) -> Any:
    if bp is None:
        if hr is not None or spo2 is not None:
            _fail(command, f"--{name} is required with the heart rate or SpO2 it belongs to")
        return None
    with _bad_input(command):
        return VitalSigns(bp[0], bp[1], hr, spo2)


Age = Annotated[
    int, typer.Option("--age", help="Patient age in whole years (the pre-dose rule differs over 65).")
]
Route = Annotated[str, typer.Option("--route", help="iv, esketamine_in, oral, sublingual or im.")]


def plan_gate_command(
    route: Route,
    screening: Annotated[
        str, typer.Option("--screening", help="yes: a completed screening is on file.")
    ] = "no",
    decision: Annotated[
        str | None,
        typer.Option(
            "--decision", help="The prescriber's decision: eligible, eligible_with_precautions, not_eligible."
        ),
    ] = None,
    consent_route: Annotated[
        list[str] | None, typer.Option("--consent-route", help="A route a valid consent covers; repeatable.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Whether a plan on ROUTE may be created, and every missing step."""
    done = _yes_no("plan-gate", "screening", screening)
    with _bad_input("plan-gate"):
        gate = pathway.plan_gate(
            route, screening_completed=bool(done), decision=decision, consent_routes=list(consent_route or [])
        )
    payload = {
        "route": route,
        "ok": gate.ok,
        "blocked": gate.blocked,
        "missing": [
            {"code": m.code, "step": m.step, "message": m.message, "overridable": m.overridable}
            for m in gate.missing
        ],
    }

    def text(p: dict[str, Any]) -> list[str]:
        head = "plan: ok" if p["ok"] else ("plan: blocked" if p["blocked"] else "plan: steps missing")
        return [head] + [
            f"- {m['code']}: {m['message']}{'' if m['overridable'] else ' (no override)'}"
            for m in p["missing"]
        ]

    _emit(payload, as_json, text)


def readiness_command(
    route: Route,
    age: Age,
    bp: Annotated[
        str | None, typer.Option("--bp", help="Pre-dose blood pressure SYS/DIA, e.g. 165/95.")
    ] = None,
    hr: Annotated[float | None, typer.Option("--hr", help="Pre-dose heart rate, /min.")] = None,
    spo2: Annotated[float | None, typer.Option("--spo2", help="Pre-dose SpO2, %.")] = None,
    baseline_bp: Annotated[
        str | None,
        typer.Option(
            "--baseline-bp", help="The patient's usual BP, SYS/DIA (echoed; the hold rule is absolute)."
        ),
    ] = None,
    ride: Annotated[str, typer.Option("--ride", help="yes: an escort or ride home is arranged.")] = "no",
    fasting: Annotated[str, typer.Option("--fasting", help="yes, no or unknown.")] = "unknown",
    fasting_required: Annotated[
        str | None,
        typer.Option(
            "--fasting-required",
            help="yes/no: the clinic's fasting policy (default: the route's label rule).",
        ),
    ] = None,
    plan_active: Annotated[
        str, typer.Option("--plan-active", help="yes: the session is on an active plan.")
    ] = "yes",
    not_eligible: Annotated[
        str, typer.Option("--not-eligible", help="yes: the current eligibility decision is not eligible.")
    ] = "no",
    consent: Annotated[
        str, typer.Option("--consent", help="yes: a valid, unwithdrawn consent covers the route.")
    ] = "yes",
    due_today: Annotated[str, typer.Option("--due-today", help="yes: the session is due today.")] = "yes",
    checked_in: Annotated[str, typer.Option("--checked-in", help="yes: the check-in is complete.")] = "yes",
    new_medication: Annotated[
        list[str] | None,
        typer.Option("--new-medication", help="A medicine started since screening, free text; repeatable."),
    ] = None,
    screened_class: Annotated[
        list[str] | None,
        typer.Option("--screened-class", help="An interacting class the screening saw; repeatable."),
    ] = None,
    red_flag: Annotated[
        list[str] | None,
        typer.Option("--red-flag", help="A red-flag id reported since the last session; repeatable."),
    ] = None,
    suicide_item: Annotated[
        str, typer.Option("--suicide-item", help="yes: a suicide-risk item was positive.")
    ] = "no",
    cssrs: Annotated[
        str | None, typer.Option("--cssrs", help="C-SSRS risk: none, low, moderate, high.")
    ] = None,
    urinary: Annotated[str, typer.Option("--urinary", help="yes: urinary symptoms reported.")] = "no",
    mania: Annotated[str, typer.Option("--mania", help="yes: signs of mania or psychosis.")] = "no",
    pregnant: Annotated[str, typer.Option("--pregnant", help="yes: pregnancy reported.")] = "no",
    hours_since_last_dose: Annotated[
        float | None, typer.Option("--hours-since-last-dose", help="Hours since the last dose started.")
    ] = None,
    paused_for_review: Annotated[
        str | None, typer.Option("--paused-for-review", help="Why the next dose is paused for a prescriber.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """The go/no-go before a dose: every hold, each with its alert severity."""
    cmd = "readiness"
    pressure = _bp(cmd, "bp", bp)
    _vitals(cmd, "bp", pressure, hr, spo2)
    baseline = _bp(cmd, "baseline-bp", baseline_bp)
    with _bad_input(cmd):
        rules = get_route(route)
    required = _yes_no(cmd, "fasting-required", fasting_required)
    if required is None:
        required = (
            rules.fasting.food_minutes_before is not None or rules.fasting.liquids_minutes_before is not None
        )
    flags = pathway.split_red_flags(list(red_flag or []))
    with _bad_input(cmd):
        result = pathway.dose_readiness(
            pathway.ReadinessInput(
                route=route,
                age_years=age,
                plan_active=bool(_yes_no(cmd, "plan-active", plan_active)),
                not_eligible=bool(_yes_no(cmd, "not-eligible", not_eligible)),
                consent_valid=bool(_yes_no(cmd, "consent", consent)),
                due_today=bool(_yes_no(cmd, "due-today", due_today)),
                checked_in=bool(_yes_no(cmd, "checked-in", checked_in)),
                systolic_mmhg=pressure[0] if pressure else None,
                diastolic_mmhg=pressure[1] if pressure else None,
                heart_rate_bpm=hr,
                spo2_pct=spo2,
                ride_home=bool(_yes_no(cmd, "ride", ride)),
                fasting=_yes_no(cmd, "fasting", fasting, unknown=True),
                fasting_required=required,
                new_medications=tuple(new_medication or ()),
                screened_drug_classes=tuple(screened_class or ()),
                red_flags_since_last=flags["red_flags_since_last"],  # type: ignore[arg-type]
                suicide_item_positive=bool(_yes_no(cmd, "suicide-item", suicide_item))
                or bool(flags["suicide_item_positive"]),
                cssrs_risk=cssrs,
                urinary_symptoms=bool(_yes_no(cmd, "urinary", urinary)) or bool(flags["urinary_symptoms"]),
                mania_or_psychosis=bool(_yes_no(cmd, "mania", mania)) or bool(flags["mania_or_psychosis"]),
                pregnant=bool(_yes_no(cmd, "pregnant", pregnant)),
                hours_since_last_dose=hours_since_last_dose,
                paused_for_review=paused_for_review,
            )
        )
    payload = {
        "route": route,
        "go": result.go,
        "severity": result.severity,
        "holds": [{"code": h.code, "message": h.message, "severity": h.severity} for h in result.holds],
        "baseline_bp": f"{baseline[0]}/{baseline[1]}" if baseline else None,
    }

    def text(p: dict[str, Any]) -> list[str]:
        if p["go"]:
            return ["go: every pre-dose item holds"]
        return [f"no-go ({p['severity']})"] + [f"- {h['code']}: {h['message']}" for h in p["holds"]]

    _emit(payload, as_json, text)


def discharge_check_command(
    route: Route,
    age: Age,
    minutes_since_dose: Annotated[
        float, typer.Option("--minutes-since-dose", help="Minutes since the end of dosing.")
    ],
    bp: Annotated[str | None, typer.Option("--bp", help="Latest blood pressure SYS/DIA.")] = None,
    hr: Annotated[float | None, typer.Option("--hr", help="Latest heart rate, /min.")] = None,
    spo2: Annotated[float | None, typer.Option("--spo2", help="Latest SpO2, %.")] = None,
    baseline_bp: Annotated[
        str | None, typer.Option("--baseline-bp", help="Pre-dose blood pressure SYS/DIA.")
    ] = None,
    moaas: Annotated[int | None, typer.Option("--moaas", help="Latest MOAA/S, 0-5.")] = None,
    dissociation: Annotated[
        str, typer.Option("--dissociation", help="resolved, unresolved or not_assessed.")
    ] = "not_assessed",
    ride: Annotated[str, typer.Option("--ride", help="yes: the ride home is here.")] = "no",
    instructions: Annotated[str, typer.Option("--instructions", help="yes: instructions given.")] = "no",
    clinic_min_observation: Annotated[
        int | None,
        typer.Option("--clinic-min-observation", help="The clinic's minimum observation, minutes."),
    ] = None,
    bp_margin: Annotated[
        int | None, typer.Option("--bp-margin", help="The clinic's margin over the baseline BP, mmHg (0-40).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Whether the patient may go home: every unmet criterion, including BP above the hold threshold."""
    cmd = "discharge-check"
    states = {"resolved": True, "unresolved": False, "not_assessed": None}
    if dissociation not in states:
        _fail(cmd, f"--dissociation {dissociation!r} is not one of {', '.join(states)}")
    latest = _vitals(cmd, "bp", _bp(cmd, "bp", bp), hr, spo2)
    base_bp = _bp(cmd, "baseline-bp", baseline_bp)
    baseline = _vitals(cmd, "baseline-bp", base_bp, None, None)
    with _bad_input(cmd):
        result = pathway.discharge_check(
            route,
            age_years=age,
            minutes_since_dose=minutes_since_dose,
            moaas_score=moaas,
            dissociation_resolved=states[dissociation],
            baseline_vitals=baseline,
            latest_vitals=latest,
            ride_home_confirmed=bool(_yes_no(cmd, "ride", ride)),
            instructions_given=bool(_yes_no(cmd, "instructions", instructions)),
            clinic_min_observation_min=clinic_min_observation,
            bp_margin_mmhg=bp_margin,
        )
    payload = {
        "route": route,
        "ready": result.ready,
        "required_observation_minutes": result.required_observation_minutes,
        "unmet": [{"code": c.code, "message": c.message} for c in result.unmet],
    }

    def text(p: dict[str, Any]) -> list[str]:
        if p["ready"]:
            return ["ready for discharge"]
        return ["not ready for discharge"] + [f"- {c['code']}: {c['message']}" for c in p["unmet"]]

    _emit(payload, as_json, text)


def register(app: typer.Typer) -> None:
    """Attach this module's commands to the main app (a second call does nothing)."""
    if any(info.name == "readiness" for info in app.registered_commands):
        return
    app.command("plan-gate", cls=_OneLineErrors)(plan_gate_command)
    app.command("readiness", cls=_OneLineErrors)(readiness_command)
    app.command("discharge-check", cls=_OneLineErrors)(discharge_check_command)
