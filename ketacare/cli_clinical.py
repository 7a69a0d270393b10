"""Clinical commands of the `ketacare` CLI: score, triage, plan, screen, knowledge list.

Thin wrappers around ketacare.core: each command turns its options into plain values, calls one core
function and prints the result as text or, with `--json`, as a stable JSON object documented field by
field in docs/cli.md. Bad input (an unknown id, a value out of range, a malformed option) exits with
status 2 and one line on stderr naming the problem; no traceback.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, NoReturn
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer

# Typer vendors Click as typer._click (0.2x); UsageError is the parent of every command-line parse error
# (missing option, bad number, unknown option), which we turn into one line too.
from typer._click.exceptions import UsageError
from typer.core import TyperCommand

from ketacare.core import course, instruments, protocols, screening, triage
from ketacare.core import knowledge as kb
from ketacare.core.knowledge import UnknownIdError

EXIT_BAD_INPUT = 2
WEEKDAY_NAMES = protocols.WEEKDAYS  # "mon" .. "sun", index = datetime.weekday()
KNOWLEDGE_KINDS = ("side-effects", "red-flags", "instruments", "protocols", "sources")

JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON object (fields: docs/cli.md).")]


def _fail(command: str, message: str) -> NoReturn:
    """Print one line on stderr and exit with status 2."""
    one_line = " ".join(str(message).split())
    typer.echo(f"ketacare {command}: error: {one_line}", err=True)
    raise typer.Exit(EXIT_BAD_INPUT)


@contextmanager
def _bad_input(command: str) -> Iterator[None]:
    """Turn the core's input errors (ValueError and unknown-id lookups) into one line and exit 2."""
    try:
        yield
    except (ValueError, UnknownIdError) as exc:
        _fail(command, str(exc))


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
    as_json: JsonFlag = False,
) -> None:
    """Triage symptoms reported after a dose: expected ... emergency."""
    symptoms = symptom or []
    severities = severity or []
    if len(severities) > 1 and len(severities) != len(symptoms):
        _fail(
            "triage",
            f"{len(severities)} --severity values for {len(symptoms)} --symptom values; give one for all, or one each",
        )
    if len(severities) == 1:
        severities = severities * len(symptoms)
    reports = [
        triage.SymptomReport(symptom_id=s, severity=severities[i] if severities else "mild")  # type: ignore[arg-type]
        for i, s in enumerate(symptoms)
    ]
    with _bad_input("triage"):
        result = triage.triage(reports, route=route, minutes_since_dose=minutes_since)
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
            }
            for d in result.details
        ],
    }

    def text(p: dict[str, Any]) -> list[str]:
        lines = [f"level: {p['level']}", p["patient_message"]]
        lines += [f"- {r['symptom_id']} ({r['severity']}): {r['level']}" for r in p["reports"]]
        return lines

    _emit(payload, as_json, text)


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
    as_json: JsonFlag = False,
) -> None:
    """Plan a course of sessions in the patient's time zone."""
    begin = _start(start, tz)
    weekdays = _weekday_numbers(weekday) if weekday else None
    with _bad_input("plan"):
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
    }

    def text(p: dict[str, Any]) -> list[str]:
        lines = [f"{p['protocol_id']} ({p['preset_id']}), times in {p['tz']}"]
        for s in p["sessions"]:
            line = f"{s['number']:>3}  {s['starts_at'][:16].replace('T', ' ')} {s['weekday']}  week {s['week']:<2} {s['phase']:<11} {s['dose_rule']}"
            lines.append(line + (f"  ({s['note']})" if s["note"] else ""))
        lines.append(f"review after session {p['review']['after_session']}: {p['review']['note']}")
        lines += [f"note: {n}" for n in p["notes"]]
        return lines

    _emit(payload, as_json, text)


# --------------------------------------------------------------------------------------------------------
# screen
# --------------------------------------------------------------------------------------------------------


def screen_command(
    condition: Annotated[
        list[str] | None, typer.Option(help="Condition id from screening data; repeatable.")
    ] = None,
    medication: Annotated[list[str] | None, typer.Option(help="Medication, free text; repeatable.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Screen conditions and medications: contraindications, precautions, interactions."""
    with _bad_input("screen"):
        result = screening.screen(list(condition or []), list(medication or []))
    payload = {
        "eligibility": result.eligibility,
        "reasons": [
            {
                "kind": r.kind,
                "id": r.id,
                "name": r.name,
                "level": r.level,
                "detail": r.detail,
                "evidence": str(r.evidence),
                "sources": list(r.sources),
                "medications": list(r.medications),
            }
            for r in result.reasons
        ],
        "unrecognised_medications": list(result.unrecognised_medications),
        "rems_form_items": sorted(result.rems_form_items),
    }

    def text(p: dict[str, Any]) -> list[str]:
        lines = [f"eligibility: {p['eligibility']}"]
        lines += [f"- {r['level']}: {r['name']}" for r in p["reasons"]]
        if p["unrecognised_medications"]:
            lines.append("not recognised (check by hand): " + ", ".join(p["unrecognised_medications"]))
        if p["rems_form_items"]:
            lines.append("REMS form, tick yes: " + ", ".join(p["rems_form_items"]))
        return lines

    _emit(payload, as_json, text)


# --------------------------------------------------------------------------------------------------------
# knowledge list
# --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Listing:
    items: Callable[[], list[dict[str, Any]]]
    label: Callable[[dict[str, Any]], str]


def _side_effects() -> list[dict[str, Any]]:
    return [
        {
            "id": e.id,
            "name": e.name,
            "how_common": e.how_common,
            "evidence": str(e.evidence),
            "sources": list(e.sources),
            "routes": [c.route for c in e.courses],
        }
        for e in kb.side_effects()
    ]


def _red_flags() -> list[dict[str, Any]]:
    return [
        {
            "id": f.id,
            "name": f.name,
            "level": str(f.level),
            "patient_message": f.patient_message,
            "evidence": str(f.evidence),
            "sources": list(f.sources),
        }
        for f in kb.red_flags()
    ]


def _instruments() -> list[dict[str, Any]]:
    return [
        {
            "id": i.id,
            "title": i.title,
            "version": i.version,
            "completed_by": i.completed_by,
            "items": len(i.items),
            "min_score": i.min_score,
            "max_score": i.max_score,
            "loinc_total": i.loinc_total,
        }
        for i in instruments.instruments()
    ]


def _protocols() -> list[dict[str, Any]]:
    out = []
    for p in protocols.catalog().protocols.values():
        route = protocols.get_route(p.route)
        out.append(
            {
                "id": p.id,
                "name": p.name,
                "drug": p.drug,
                "route": p.route,
                "regulatory_status": p.regulatory_status,
                "experimental": p.experimental,
                "evidence": p.cited.evidence,
                "sources": list(p.cited.sources),
                "presets": [preset.id for preset in p.presets],
                "maintenance_interval_weeks": list(p.maintenance.interval_weeks) if p.maintenance else [],
                "observation_min_minutes": route.observation.min_minutes,
                "observation_default_minutes": route.observation.default_minutes,
                "observation_overridable": route.observation.overridable,
            }
        )
    return out


def _sources() -> list[dict[str, Any]]:
    return [
        {
            "id": s.id,
            "citation": s.citation,
            "year": s.year,
            "url": s.url,
            "evidence": str(s.evidence),
            "secondary": s.secondary,
        }
        for s in kb.sources()
    ]


_LISTINGS: dict[str, _Listing] = {
    "side-effects": _Listing(_side_effects, lambda i: f"{i['id']}: {i['name']}"),
    "red-flags": _Listing(_red_flags, lambda i: f"{i['id']} [{i['level']}]: {i['name']}"),
    "instruments": _Listing(
        _instruments, lambda i: f"{i['id']}: {i['title']} ({i['min_score']}-{i['max_score']})"
    ),
    "protocols": _Listing(
        _protocols,
        lambda i: f"{i['id']}: {i['name']}" + (" [experimental]" if i["experimental"] else ""),
    ),
    "sources": _Listing(_sources, lambda i: f"{i['id']} [{i['evidence']}]: {i['citation']}"),
}


def knowledge_list_command(
    kind: Annotated[str, typer.Argument(help="side-effects, red-flags, instruments, protocols or sources.")],
    as_json: JsonFlag = False,
) -> None:
    """List the entries of one part of the knowledge base."""
    listing = _LISTINGS.get(kind)
    if listing is None:
        _fail("knowledge list", f"unknown kind {kind!r}; expected one of: {', '.join(KNOWLEDGE_KINDS)}")
    payload = {"kind": kind, "items": listing.items()}
    _emit(payload, as_json, lambda p: [listing.label(item) for item in p["items"]])


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
    app.command("screen", cls=_OneLineErrors)(screen_command)
    knowledge_app = typer.Typer(help="Browse the clinical knowledge base.", no_args_is_help=True)
    knowledge_app.command("list", cls=_OneLineErrors)(knowledge_list_command)
    app.add_typer(knowledge_app, name="knowledge")
