"""Clinical commands of the `ketacare` CLI: score, triage, plan, dose-steps (and the helpers every
clinical command shares; free-text, screen, cumulative-dose, vigilance-check and knowledge list are in
cli_knowledge.py).

Thin wrappers around ketacare.core: each command turns its options into plain values, calls one core
function and prints the result as text or, with `--json`, as a stable JSON object documented field by
field in docs/cli.md. Bad input (an unknown id, a value out of range, a malformed option) exits with
status 2 and one line on stderr naming the problem; no traceback.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated, Any, NoReturn
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer

# Typer vendors Click as typer._click (0.2x); UsageError is the parent of every command-line parse error
# (missing option, bad number, unknown option), which we turn into one line too.
from typer._click.exceptions import UsageError
from typer.core import TyperCommand

from ketacare.core import course, free_text, home_bp, instruments, protocols, triage
from ketacare.core.knowledge import UnknownIdError

EXIT_BAD_INPUT = 2
WEEKDAY_NAMES = protocols.WEEKDAYS  # "mon" .. "sun", index = datetime.weekday()
KNOWLEDGE_KINDS = ("side-effects", "red-flags", "instruments", "protocols", "screening", "sources")

JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON object (fields: docs/cli.md).")]


def _fail(command: str, message: str) -> NoReturn:
    """Print one line on stderr and exit with status 2."""
    one_line = " ".join(str(message).split())
    typer.echo(f"ketacare {command}: error: {one_line}", err=True)
    raise typer.Exit(EXIT_BAD_INPUT)


@contextmanager
def _bad_input(command: str, options: Mapping[str, str] | None = None) -> Iterator[None]:
    """Turn the core's input errors (ValueError and unknown-id lookups) into one line and exit 2.

    ``options`` maps the core's parameter names to the command's option names, so the message names
    the option the user typed (``systolic_mmhg 400 ...`` -> ``--systolic 400 ...``).
    """
    try:
        yield
    except (ValueError, UnknownIdError) as exc:
        message = str(exc)
        for name, option in (options or {}).items():
            message = message.replace(name, option)
        _fail(command, message)


def _check_range(command: str, option: str, value: float | None, low: float, high: float) -> None:
    """Exit 2 naming ``option`` and its range when ``value`` is outside ``low``-``high`` (inclusive)."""
    if value is not None and (not math.isfinite(value) or not low <= value <= high):
        _fail(command, f"{option} {value:g} is out of range; allowed {low:g}-{high:g}")


def _pairs(command: str, option: str, values: list[str]) -> dict[str, str]:
    """Parse repeated ``KEY=VALUE`` options; exit 2 naming the option when one has no ``=``."""
    out: dict[str, str] = {}
    for value in values:
        key, sep, rest = value.partition("=")
        if not sep or not key.strip() or not rest.strip():
            _fail(command, f"{option} {value!r} must be KEY=VALUE")
        out[key.strip()] = rest.strip()
    return out


def _per_symptom(command: str, option: str, values: list[Any], symptoms: list[str]) -> list[Any]:
    """One value for every symptom, or one per symptom in order; exit 2 on any other count."""
    if len(values) > 1 and len(values) != len(symptoms):
        _fail(
            command,
            f"{len(values)} {option} values for {len(symptoms)} --symptom values; give one for all, or one each",
        )
    return values * len(symptoms) if len(values) == 1 else values


class _OneLineErrors(TyperCommand):
    """A command whose command-line parse errors print one line and exit 2, like the core's errors."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except UsageError as exc:
            # command_path is "ketacare knowledge list": drop the program name, _fail adds it.
            _fail(" ".join(ctx.command_path.split()[1:]), exc.format_message())


def _emit(payload: dict[str, Any], as_json: bool, text: Callable[[dict[str, Any]], list[str]]) -> None:
    if as_json:
        typer.echo(json.dumps(payload, indent=2, ensure_ascii=False))
    else:
        typer.echo("\n".join(text(payload)))


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


# --------------------------------------------------------------------------------------------------------
# score
# --------------------------------------------------------------------------------------------------------


def score_command(
    instrument_id: Annotated[
        str, typer.Argument(help="Instrument id, e.g. phq9 (see `knowledge list instruments`).")
    ],
    answers: Annotated[list[str], typer.Argument(help="Answer values in form order, one per item.")],
    baseline: Annotated[
        float | None, typer.Option(help="Baseline total: adds the change class (response, remission ...).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Score a questionnaire from its answers in form order."""
    values = []
    for answer in answers:
        try:
            values.append(int(answer))
        except ValueError:
            _fail("score", f"answer {answer!r} is not a whole number")
    with _bad_input("score"):
        result = instruments.score(instrument_id, values)
        instrument = instruments.get_instrument(instrument_id)
        change = (
            None if baseline is None else instruments.classify_change(instrument_id, baseline, result.total)
        )
    payload = {
        "instrument_id": result.instrument_id,
        "version": result.version,
        "total": result.total,
        "min_score": instrument.min_score,
        "max_score": instrument.max_score,
        "band": result.band,
        "subscores": result.subscores,
        "alerts": [
            {"code": a.code, "item_id": a.item_id, "value": a.value, "message": a.message, "level": a.level}
            for a in result.alerts
        ],
        "answers": result.answers,
        "baseline": baseline,
        "change": change,
    }

    def text(p: dict[str, Any]) -> list[str]:
        lines = [
            f"{p['instrument_id']} total {p['total']} of {p['max_score']}"
            + (f" ({p['band']})" if p["band"] else "")
        ]
        if p["change"]:
            lines.append(f"change from baseline {p['baseline']:g}: {p['change']}")
        lines += [f"ALERT {a['code']}: {a['message']}" for a in p["alerts"]]
        return lines

    _emit(payload, as_json, text)


# --------------------------------------------------------------------------------------------------------
# triage
# --------------------------------------------------------------------------------------------------------


def triage_command(
    route: Annotated[str, typer.Option(help="Route: iv, esketamine_in, oral, sublingual or im.")],
    minutes_since: Annotated[
        float, typer.Option("--minutes-since", help="Minutes since the start of dosing.")
    ],
    symptom: Annotated[
        list[str] | None, typer.Option("--symptom", help="Symptom id (side effect or red flag); repeatable.")
    ] = None,
    severity: Annotated[
        list[str] | None,
        typer.Option(help="mild, moderate or severe: once for all symptoms, or once per --symptom in order."),
    ] = None,
    onset_minutes: Annotated[
        list[float] | None,
        typer.Option(
            "--onset-minutes",
            help="Minutes after the start of dosing when the symptom began (0 to --minutes-since): once for all, or once per --symptom.",
        ),
    ] = None,
    systolic: Annotated[
        float | None, typer.Option(help="Home blood pressure: systolic, mmHg (50-300).")
    ] = None,
    diastolic: Annotated[
        float | None, typer.Option(help="Home blood pressure: diastolic, mmHg (20-200).")
    ] = None,
    pulse: Annotated[float | None, typer.Option(help="Home reading: pulse, beats a minute (20-250).")] = None,
    age: Annotated[int | None, typer.Option(help="Age in whole years (selects the hold threshold).")] = None,
    hold_systolic: Annotated[
        float | None, typer.Option(help="The clinic's own systolic hold threshold, mmHg (100-220).")
    ] = None,
    hold_diastolic: Annotated[
        float | None, typer.Option(help="The clinic's own diastolic hold threshold, mmHg (60-130).")
    ] = None,
    other_text: Annotated[
        str | None, typer.Option("--other-text", help="'Something else' in the patient's own words.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Triage symptoms reported after a dose: expected ... emergency."""
    symptoms = symptom or []
    severities = _per_symptom("triage", "--severity", severity or [], symptoms)
    onsets = _per_symptom("triage", "--onset-minutes", onset_minutes or [], symptoms)
    for symptom_id, onset in zip(symptoms, onsets, strict=False):
        if not math.isfinite(onset) or not 0 <= onset <= minutes_since:
            _fail(
                "triage",
                f"--onset-minutes {onset:g} for {symptom_id!r} is out of range; allowed 0-{minutes_since:g} "
                "(0 to --minutes-since)",
            )
    reports = [
        triage.SymptomReport(
            symptom_id=s,
            severity=severities[i] if severities else "mild",  # type: ignore[arg-type]
            onset_min=onsets[i] if onsets else None,
        )
        for i, s in enumerate(symptoms)
    ]
    reading = _home_reading(systolic, diastolic, pulse)
    limits = None
    if hold_systolic is not None or hold_diastolic is not None:
        if hold_systolic is None or hold_diastolic is None or reading is None:
            _fail(
                "triage", "--hold-systolic and --hold-diastolic go together, with --systolic and --diastolic"
            )
        _check_range("triage", "--hold-systolic", hold_systolic, 100, 220)
        _check_range("triage", "--hold-diastolic", hold_diastolic, 60, 130)
        limits = home_bp.BpHoldLimits(hold_systolic, hold_diastolic)
    if age is not None:
        _check_range("triage", "--age", age, *protocols.AGE_YEARS_RANGE)
    with _bad_input("triage"):
        result = triage.triage(
            reports,
            route=route,
            minutes_since_dose=minutes_since,
            home_bp=reading,
            other_text=other_text,
            age_years=age,
            bp_hold_limits=limits,
        )
    payload = {
        "level": str(result.level),
        "patient_message": result.patient_message,
        "route": result.route,
        "minutes_since_dose": result.minutes_since_dose,
        "red_flag_ids": list(result.red_flag_ids),
        "reports": [
            {
                "symptom_id": d.report.symptom_id,
                "severity": d.report.severity,
                "kind": d.kind,
                "entry_id": d.entry_id,
                "name": d.name,
                "level": str(d.level),
                "rules": list(d.rules),
                "expected_window": None
                if d.expected_window is None
                else {
                    "onset_min": d.expected_window.onset_min,
                    "peak_min": d.expected_window.peak_min,
                    "resolution_min": d.expected_window.resolution_min,
                },
                "longer_than_expected_after_min": d.longer_than_expected_after_min,
                "red_flag_id": d.red_flag_id,
                "patient_message": d.patient_message,
                "self_care": list(d.self_care),
                "sources": list(d.sources),
                "onset_min": d.report.onset_min,
                "matched_text": d.matched_text,
            }
            for d in result.details
        ],
        "hold_next_dose": result.hold_next_dose,
        "review_required": result.review_required,
        "home_bp": None if result.home_bp is None else _home_bp_json(result.home_bp),
        "free_text": None if result.free_text is None else _free_text_json(result.free_text),
    }

    def text(p: dict[str, Any]) -> list[str]:
        lines = [f"level: {p['level']}", p["patient_message"]]
        lines += [f"- {r['symptom_id']} ({r['severity']}): {r['level']}" for r in p["reports"]]
        if p["home_bp"] is not None:
            lines.append(f"- home blood pressure: {p['home_bp']['level']}")
        if p["review_required"]:
            lines.append("- the patient's own words: review by the clinic")
        if p["hold_next_dose"]:
            lines.append("next dose: waits for a prescriber's review")
        return lines

    _emit(payload, as_json, text)


def _home_reading(
    systolic: float | None, diastolic: float | None, pulse: float | None
) -> home_bp.HomeBloodPressure | None:
    if systolic is None and diastolic is None and pulse is None:
        return None
    if systolic is None or diastolic is None:
        _fail("triage", "a home reading needs both --systolic and --diastolic (--pulse is optional)")
    ranges = protocols.PHYSIOLOGICAL_RANGES
    _check_range("triage", "--systolic", systolic, *ranges["systolic_mmhg"])
    _check_range("triage", "--diastolic", diastolic, *ranges["diastolic_mmhg"])
    _check_range("triage", "--pulse", pulse, *home_bp.PULSE_RANGE_BPM)
    with _bad_input(
        "triage", {"systolic_mmhg": "--systolic", "diastolic_mmhg": "--diastolic", "pulse_bpm": "--pulse"}
    ):
        return home_bp.HomeBloodPressure(systolic, diastolic, pulse)


def _home_bp_json(assessment: home_bp.HomeBpAssessment) -> dict[str, Any]:
    reading = assessment.reading
    return {
        "level": str(assessment.level),
        "patient_message": assessment.patient_message,
        "systolic_mmhg": reading.systolic_mmhg,
        "diastolic_mmhg": reading.diastolic_mmhg,
        "pulse_bpm": reading.pulse_bpm,
        "hold_limits": {
            "systolic_mmhg": assessment.hold_limits.systolic_mmhg,
            "diastolic_mmhg": assessment.hold_limits.diastolic_mmhg,
            "from": assessment.hold_limits_from,
        },
        "findings": [
            {
                "code": f.code,
                "level": str(f.level),
                "message": f.message,
                "evidence": f.evidence,
                "sources": list(f.sources),
            }
            for f in assessment.findings
        ],
    }


def _free_text_json(screen: free_text.FreeTextScreen) -> dict[str, Any]:
    return {
        "outcome": screen.outcome,
        "level": str(screen.level),
        "review_required": screen.review_required,
        "red_flag_ids": list(screen.red_flag_ids),
        "matches": [
            {"red_flag_id": m.red_flag_id, "phrase": m.phrase, "negated": m.negated} for m in screen.matches
        ],
        "patient_message": screen.patient_message,
        "sources": list(screen.sources),
    }


# --------------------------------------------------------------------------------------------------------
# plan
# --------------------------------------------------------------------------------------------------------


def _start(start: str, tz: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(start)
    except ValueError:
        _fail("plan", f"--start {start!r} is not an ISO 8601 date-time such as 2026-12-01T09:00")
    if parsed.tzinfo is not None:
        return parsed
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        _fail("plan", f"unknown time zone {tz!r}; expected an IANA name such as 'America/New_York'")
    # A wall time in the clinic's zone; course.plan_sessions resolves DST gaps and folds.
    return parsed.replace(tzinfo=zone)


def _weekday_numbers(names: list[str]) -> list[int]:
    numbers = []
    for name in names:
        key = name.strip().lower()[:3]
        if key not in WEEKDAY_NAMES:
            _fail("plan", f"--weekday {name!r} is not a weekday; expected one of: {', '.join(WEEKDAY_NAMES)}")
        numbers.append(WEEKDAY_NAMES.index(key))
    return numbers


def plan_command(
    protocol: Annotated[str, typer.Option(help="Protocol id (see `knowledge list protocols`).")],
    start: Annotated[str, typer.Option(help="First session, local wall time in --tz: 2026-12-01T09:00.")],
    tz: Annotated[str, typer.Option(help="IANA time zone of the patient or clinic, e.g. America/New_York.")],
    age: Annotated[int | None, typer.Option(help="Age in whole years (required for esketamine).")] = None,
    preset: Annotated[
        str | None, typer.Option(help="Schedule preset id (default: the protocol's first).")
    ] = None,
    weight_kg: Annotated[float | None, typer.Option(help="Body weight in kg, for a mg/kg dose.")] = None,
    mg_per_kg: Annotated[
        float | None, typer.Option(help="Dose in mg/kg (default: the protocol's standard).")
    ] = None,
    weekday: Annotated[
        list[str] | None, typer.Option(help="Session weekday (mon ... sun); repeatable.")
    ] = None,
    sessions: Annotated[int | None, typer.Option(help="Number of sessions, for the custom preset.")] = None,
    maintenance_sessions: Annotated[int, typer.Option(help="Open-ended maintenance sessions to add.")] = 0,
    maintenance_interval_weeks: Annotated[
        int | None, typer.Option(help="Weeks between maintenance sessions (allowed values per protocol).")
    ] = None,
    japanese_ancestry: Annotated[
        bool, typer.Option("--japanese-ancestry", help="Japanese ancestry (esketamine: 28 mg start).")
    ] = False,
    hepatic_impairment: Annotated[
        str, typer.Option(help="Liver impairment: none, mild, moderate or severe.")
    ] = "none",
    prescriber_reason: Annotated[
        list[str] | None,
        typer.Option(help="FINDING_CODE=reason: the prescriber's reason for a finding; repeatable."),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Plan a course of sessions in the patient's time zone."""
    begin = _start(start, tz)
    weekdays = _weekday_numbers(weekday) if weekday else None
    reasons = _pairs("plan", "--prescriber-reason", prescriber_reason or [])
    options = {
        "hepatic_impairment": "--hepatic-impairment",
        "prescriber reason": "--prescriber-reason",
        "session_count": "--sessions",
    }
    with _bad_input("plan", options):
        plan = course.plan_sessions(
            protocol,
            start=begin,
            tz=tz,
            preset=preset,
            age_years=age,
            weight_kg=weight_kg,
            mg_per_kg=mg_per_kg,
            weekdays=weekdays,
            session_count=sessions,
            maintenance_sessions=maintenance_sessions,
            maintenance_interval_weeks=maintenance_interval_weeks,
            japanese_ancestry=japanese_ancestry,
            hepatic_impairment=hepatic_impairment,
            prescriber_reasons=reasons,
        )
    payload = {
        "protocol_id": plan.protocol_id,
        "preset_id": plan.preset_id,
        "tz": plan.tz,
        "sessions": [
            {
                "number": s.number,
                "phase": s.phase,
                "week": s.week,
                "starts_at": _iso(s.starts_at),
                "weekday": WEEKDAY_NAMES[s.starts_at.weekday()],
                "dose_mg": s.dose_mg,
                "dose_rule": s.dose_rule,
                "note": s.note,
            }
            for s in plan.sessions
        ],
        "review": {
            "after_session": plan.review.after_session,
            "not_before": _iso(plan.review.not_before),
            "due_before": _iso(plan.review.due_before),
            "note": plan.review.note,
            "sources": list(plan.review.sources),
            "evidence": plan.review.evidence,
        },
        "notes": list(plan.notes),
        "findings": [_finding_json(f) for f in plan.findings],
    }

    def text(p: dict[str, Any]) -> list[str]:
        lines = [f"{p['protocol_id']} ({p['preset_id']}), times in {p['tz']}"]
        for s in p["sessions"]:
            line = f"{s['number']:>3}  {s['starts_at'][:16].replace('T', ' ')} {s['weekday']}  week {s['week']:<2} {s['phase']:<11} {s['dose_rule']}"
            lines.append(line + (f"  ({s['note']})" if s["note"] else ""))
        lines.append(f"review after session {p['review']['after_session']}: {p['review']['note']}")
        lines += [f"note: {n}" for n in p["notes"]]
        lines += _finding_lines(p["findings"])
        return lines

    _emit(payload, as_json, text)


def _finding_json(finding: course.PlanFinding) -> dict[str, Any]:
    return {
        "code": finding.code,
        "kind": finding.kind,
        "message": finding.message,
        "sessions": list(finding.sessions),
        "reason": finding.reason,
        "unresolved": finding.unresolved,
        "evidence": finding.evidence,
        "sources": list(finding.sources),
    }


def _finding_lines(findings: list[dict[str, Any]]) -> list[str]:
    lines = []
    for f in findings:
        state = (
            "NEEDS A PRESCRIBER REASON" if f["unresolved"] else ("reason given" if f["reason"] else "note")
        )
        lines.append(f"finding {f['code']} ({state}): {f['message']}")
    return lines


# --------------------------------------------------------------------------------------------------------
# dose-steps
# --------------------------------------------------------------------------------------------------------


def dose_steps_command(
    protocol: Annotated[str, typer.Option(help="esketamine_trd or esketamine_mdsi.")],
    age: Annotated[int, typer.Option(help="Age in whole years.")],
    previous: Annotated[
        list[int] | None,
        typer.Option(help="A dose given so far in this course, mg, oldest first; repeatable."),
    ] = None,
    japanese_ancestry: Annotated[
        bool, typer.Option("--japanese-ancestry", help="Japanese ancestry (28 mg start).")
    ] = False,
    hepatic_impairment: Annotated[
        str, typer.Option(help="Liver impairment: none, mild, moderate or severe.")
    ] = "none",
    as_json: JsonFlag = False,
) -> None:
    """The label doses allowed next (28 mg steps, 84 mg only after 56 mg), for the prescriber."""
    options = {
        "previous dose": "--previous",
        "age_years": "--age",
        "hepatic_impairment": "--hepatic-impairment",
    }
    with _bad_input("dose-steps", options):
        found = course.next_dose_options(
            protocol,
            age_years=age,
            previous_doses_mg=list(previous or []),
            japanese_ancestry=japanese_ancestry,
            hepatic_impairment=hepatic_impairment,
        )
    payload = {
        "protocol_id": found.protocol_id,
        "allowed_mg": list(found.allowed_mg),
        "first_dose": found.first_dose,
        "rule": found.rule,
        "previous_doses_mg": list(previous or []),
        "evidence": found.evidence,
        "sources": list(found.sources),
        "findings": [_finding_json(f) for f in found.findings],
    }

    def text(p: dict[str, Any]) -> list[str]:
        return [f"next dose: {p['rule']}", *_finding_lines(p["findings"])]

    _emit(payload, as_json, text)


# --------------------------------------------------------------------------------------------------------
# registration
# --------------------------------------------------------------------------------------------------------


def register(app: typer.Typer) -> None:
    """Attach this module's commands to the main app (a second call does nothing)."""
    if any(info.name == "plan" for info in app.registered_commands):
        return
    app.command("score", cls=_OneLineErrors)(score_command)
    app.command("triage", cls=_OneLineErrors)(triage_command)
    app.command("plan", cls=_OneLineErrors)(plan_command)
    app.command("dose-steps", cls=_OneLineErrors)(dose_steps_command)
    # free-text, screen, cumulative-dose, vigilance-check and knowledge list live in ketacare/cli_knowledge.py.
