"""Screening, long-term vigilance and knowledge commands of the `ketacare` CLI: free-text, screen, cumulative-dose,
vigilance-check, knowledge list (same conventions as cli_clinical: --json documented in docs/cli.md, exit 2 on bad input).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

import typer

from ketacare.cli_clinical import (
    KNOWLEDGE_KINDS,
    JsonFlag,
    _bad_input,
    _check_range,
    _emit,
    _fail,
    _free_text_json,
    _iso,
    _OneLineErrors,
    _pairs,
)
from ketacare.core import free_text, instruments, protocols, screening, vigilance
from ketacare.core import knowledge as kb

# --------------------------------------------------------------------------------------------------------
# free-text
# --------------------------------------------------------------------------------------------------------


def free_text_command(
    text: Annotated[str, typer.Argument(help="The patient's own words ('something else').")],
    as_json: JsonFlag = False,
) -> None:
    """Screen the patient's own words: red flag, review by the clinic, or nothing."""
    with _bad_input("free-text"):
        screen = free_text.screen_free_text(text)
    payload = _free_text_json(screen)

    def lines(p: dict[str, Any]) -> list[str]:
        out = [f"outcome: {p['outcome']} ({p['level']})", p["patient_message"]]
        out += [
            f"- {m['phrase']!r} -> {m['red_flag_id']}"
            + (" (after a negation: review)" if m["negated"] else "")
            for m in p["matches"]
        ]
        return out

    _emit(payload, as_json, lines)


# --------------------------------------------------------------------------------------------------------
# screen
# --------------------------------------------------------------------------------------------------------


def screen_command(
    condition: Annotated[
        list[str] | None, typer.Option(help="Condition id from screening data; repeatable.")
    ] = None,
    medication: Annotated[list[str] | None, typer.Option(help="Medication, free text; repeatable.")] = None,
    clinic_class: Annotated[
        list[str] | None,
        typer.Option(help="NAME=CLASS_ID or NAME=no_interaction: the clinic's classification; repeatable."),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Screen conditions and medications: contraindications, precautions, interactions."""
    classified = _pairs("screen", "--clinic-class", clinic_class or [])
    with _bad_input("screen", {"clinic classification": "--clinic-class"}):
        result = screening.screen(
            list(condition or []), list(medication or []), clinic_classifications=classified
        )
        each = [screening.classify_medication(text, classified) for text in medication or [] if text.strip()]
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
        "needs_prescriber_classification": list(result.needs_prescriber_classification),
        "medications": [
            {
                "text": m.text,
                "class_ids": list(m.class_ids),
                "classified_by": m.classified_by,
                "matched": list(m.matched),
            }
            for m in each
        ],
    }

    def text(p: dict[str, Any]) -> list[str]:
        lines = [f"eligibility: {p['eligibility']}"]
        lines += [f"- {r['level']}: {r['name']}" for r in p["reasons"]]
        if p["needs_prescriber_classification"]:
            lines.append(
                "needs the prescriber's classification: " + ", ".join(p["needs_prescriber_classification"])
            )
        if p["rems_form_items"]:
            lines.append("REMS form, tick yes: " + ", ".join(p["rems_form_items"]))
        return lines

    _emit(payload, as_json, text)


# --------------------------------------------------------------------------------------------------------
# cumulative-dose
# --------------------------------------------------------------------------------------------------------


def _aware_time(command: str, option: str, value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        _fail(
            command,
            f"{option} {value!r} must be an ISO 8601 time with its UTC offset, e.g. 2026-06-01T09:00+00:00",
        )
    return parsed


def cumulative_dose_command(
    now: Annotated[
        str, typer.Option(help="The time to count back from, with its offset: 2026-06-01T12:00+00:00.")
    ],
    dose: Annotated[
        list[str] | None,
        typer.Option(help="TIME=MG: a dose given, e.g. 2026-05-20T09:00+00:00=56; repeatable."),
    ] = None,
    limit_mg: Annotated[
        list[str] | None,
        typer.Option("--limit-mg", help="DAYS=MG: the clinic's own limit (30, 90 or 365 days)."),
    ] = None,
    limit_sessions: Annotated[
        list[str] | None,
        typer.Option("--limit-sessions", help="DAYS=N: the clinic's own session limit (30, 90 or 365 days)."),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Cumulative dose: mg and sessions in the last 30, 90 and 365 days."""
    command = "cumulative-dose"
    moment = _aware_time(command, "--now", now)
    doses = []
    for value in dose or []:
        when, sep, amount = value.rpartition("=")
        if not sep:
            _fail(command, f"--dose {value!r} must be TIME=MG")
        try:
            mg = float(amount)
        except ValueError:
            _fail(command, f"--dose {value!r}: {amount!r} is not a number of mg")
        _check_range(command, "--dose mg", mg, 0.001, vigilance.MAX_DOSE_MG)
        doses.append((_aware_time(command, "--dose", when), mg))

    def limits(option: str, values: list[str]) -> dict[int, float]:
        out = {}
        for key, value in _pairs(command, option, values).items():
            try:
                out[int(key)] = float(value)
            except ValueError:
                _fail(command, f"{option} {key}={value} must be DAYS=NUMBER")
        return out

    with _bad_input(
        command, {"clinic_limits_mg": "--limit-mg", "clinic_limits_sessions": "--limit-sessions"}
    ):
        exposure = vigilance.cumulative_exposure(
            doses,
            now=moment,
            clinic_limits_mg=limits("--limit-mg", limit_mg or []),
            clinic_limits_sessions=limits("--limit-sessions", limit_sessions or []),
        )
    payload = {
        "now": _iso(exposure.now),
        "windows": [
            {"days": w.days, "sessions": w.sessions, "total_mg": w.total_mg} for w in exposure.windows
        ],
        "lifetime_sessions": exposure.lifetime_sessions,
        "lifetime_mg": exposure.lifetime_mg,
        "first_dose_at": _iso(exposure.first_dose_at),
        "last_dose_at": _iso(exposure.last_dose_at),
        "flags": [
            {"days": f.days, "what": f.what, "value": f.value, "limit": f.limit, "message": f.message}
            for f in exposure.flags
        ],
    }

    def text(p: dict[str, Any]) -> list[str]:
        lines = [
            f"last {w['days']} days: {w['sessions']} sessions, {w['total_mg']:g} mg" for w in p["windows"]
        ]
        lines.append(f"in all: {p['lifetime_sessions']} sessions, {p['lifetime_mg']:g} mg")
        lines += [f"FLAG: {f['message']}" for f in p["flags"]]
        return lines

    _emit(payload, as_json, text)


# --------------------------------------------------------------------------------------------------------
# vigilance-check
# --------------------------------------------------------------------------------------------------------


def vigilance_check_command(
    check_id: Annotated[
        str, typer.Argument(help="luts_check (bladder) or misuse_check (cravings and other use).")
    ],
    answers: Annotated[list[str], typer.Argument(help="Answers in form order: 0 no, 1 yes.")],
    as_json: JsonFlag = False,
) -> None:
    """Evaluate a periodic bladder or misuse check: alert, level, pause of the next dose."""
    values = []
    for answer in answers:
        try:
            values.append(int(answer))
        except ValueError:
            _fail("vigilance-check", f"answer {answer!r} is not a whole number (0 no, 1 yes)")
    with _bad_input("vigilance-check"):
        outcome = vigilance.evaluate_check(check_id, values)
    payload = {
        "check_id": outcome.check_id,
        "instrument_id": outcome.score.instrument_id,
        "version": outcome.score.version,
        "total": outcome.score.total,
        "alert": outcome.alert,
        "level": str(outcome.level),
        "red_flag_id": outcome.red_flag_id,
        "alert_codes": list(outcome.alert_codes),
        "clinician_messages": list(outcome.clinician_messages),
        "hold_next_dose": outcome.hold_next_dose,
        "patient_message": outcome.patient_message,
        "sources": list(outcome.sources),
    }

    def text(p: dict[str, Any]) -> list[str]:
        lines = [
            f"{p['check_id']}: {'ALERT ' + p['level'] if p['alert'] else 'no alert'}",
            p["patient_message"],
        ]
        lines += [f"- {m}" for m in p["clinician_messages"]]
        if p["hold_next_dose"]:
            lines.append("next dose: waits for a prescriber's review")
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
                "max_sessions_per_7_days": p.frequency.max_sessions_per_7_days if p.frequency else None,
            }
        )
    return out


def _screening() -> list[dict[str, Any]]:
    conditions = [
        {
            "kind": "condition",
            "id": c.id,
            "name": c.name,
            "level": c.level,
            "evidence": str(c.evidence),
            "sources": list(c.sources),
            "names": list(c.synonyms),
            "rems_form_item": None,
        }
        for c in kb.conditions()
    ]
    classes = [
        {
            "kind": "class",
            "id": i.id,
            "name": i.name,
            "level": i.level,
            "evidence": str(i.evidence),
            "sources": list(i.sources),
            "names": list(i.names),
            "rems_form_item": i.rems_form_item,
        }
        for i in kb.interactions()
    ]
    return conditions + classes


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
    "screening": _Listing(_screening, lambda i: f"{i['kind']} {i['id']} [{i['level']}]: {i['name']}"),
    "sources": _Listing(_sources, lambda i: f"{i['id']} [{i['evidence']}]: {i['citation']}"),
}


def knowledge_list_command(
    kind: Annotated[
        str, typer.Argument(help="side-effects, red-flags, instruments, protocols, screening or sources.")
    ],
    as_json: JsonFlag = False,
) -> None:
    """List the entries of one part of the knowledge base."""
    listing = _LISTINGS.get(kind)
    if listing is None:
        _fail("knowledge list", f"unknown kind {kind!r}; expected one of: {', '.join(KNOWLEDGE_KINDS)}")
    payload = {"kind": kind, "items": listing.items()}
    _emit(payload, as_json, lambda p: [listing.label(item) for item in p["items"]])


def register(app: typer.Typer) -> None:
    """Attach this module's commands to the main app (a second call does nothing)."""
    if any(info.name == "cumulative-dose" for info in app.registered_commands):
        return
    app.command("free-text", cls=_OneLineErrors)(free_text_command)
    app.command("screen", cls=_OneLineErrors)(screen_command)
    app.command("cumulative-dose", cls=_OneLineErrors)(cumulative_dose_command)
    app.command("vigilance-check", cls=_OneLineErrors)(vigilance_check_command)
    knowledge_app = typer.Typer(help="Browse the clinical knowledge base.", no_args_is_help=True)
    knowledge_app.command("list", cls=_OneLineErrors)(knowledge_list_command)
    app.add_typer(knowledge_app, name="knowledge")
