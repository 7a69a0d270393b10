"""What the Protocols page shows of each dosing protocol that comes with the installation.

The protocols are the core's (``core/knowledge/data/protocols.toml``): the same at every clinic, read
here and never edited per clinic. Each protocol becomes plain facts (dose range, infusion, sessions,
observation, pre-dose holds...), each fact citing its sources by number; the numbers lead to the
protocol's own list of sources, named by their titles and links from ``sources.toml`` (the titles of
docs/clinical-sources.md), never by the core's keys for them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ketacare.core import knowledge
from ketacare.core.display import VITAL_NAMES, humanize
from ketacare.core.knowledge import Evidence
from ketacare.core.protocols import (
    Cited,
    FirstDoseRule,
    Phase,
    Preset,
    Protocol,
    RouteRules,
    VitalRule,
    catalog,
)

# How the page names the core's clinic-practice source: a KetaCare default no published study backs
# (the words intake and the plan page use for it).
CLINIC_PRACTICE_WORDS = "Usual clinic practice, not from a published study"
_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
# A source key written inside a note ("[AlShirawi2017]").
_INLINE_KEY = re.compile(r"\s*\[([A-Za-z0-9][A-Za-z0-9.\-]*)\]")
# Units of the vital-sign fields as a reading is written ("140 mmHg", "92%", "110/min").
_UNITS = {"systolic_mmhg": " mmHg", "diastolic_mmhg": " mmHg", "heart_rate_bpm": "/min", "spo2_pct": "%"}
_POPULATIONS = {"japanese_ancestry": "Japanese ancestry"}
_HEPATIC = {
    "none": "no change",
    "longer_monitoring": "monitor for longer than the minimum observation",
    "not_recommended": "not recommended",
}


@dataclass(frozen=True)
class SourceRef:
    """One entry of a protocol's numbered list of sources."""

    number: int
    title: str
    url: str
    anchor: str


@dataclass(frozen=True)
class Cite:
    """What a line rests on: its numbered sources and the evidence in words."""

    refs: tuple[SourceRef, ...]
    evidence: str


@dataclass(frozen=True)
class Line:
    """One statement of a fact; ``title`` is said first, in bold (a preset's name)."""

    text: str
    cite: Cite | None = None
    title: str = ""
    note: str = ""


@dataclass(frozen=True)
class Fact:
    label: str
    key: str  # the row's test id, never shown
    lines: tuple[Line, ...]


@dataclass(frozen=True)
class Hold:
    """A pre-dose threshold of the protocol's route."""

    reading: str
    who: str
    action: str
    cite: Cite


@dataclass(frozen=True)
class ProtocolView:
    number: int
    anchor: str
    name: str
    about: Line
    facts: tuple[Fact, ...]
    holds: tuple[Hold, ...]
    sources: tuple[SourceRef, ...]


@dataclass
class _Sources:
    """A protocol's sources, numbered in the order the page first cites them."""

    anchor: str
    numbers: dict[str, int] = field(default_factory=dict)

    def number(self, source_id: str) -> int:
        return self.numbers.setdefault(source_id, len(self.numbers) + 1)

    def ref(self, source_id: str) -> SourceRef:
        number = self.number(source_id)
        anchor = f"{self.anchor}-source-{number}"
        if source_id == knowledge.CLINIC_PRACTICE:
            return SourceRef(number=number, title=CLINIC_PRACTICE_WORDS, url="", anchor=anchor)
        source = knowledge.get_source(source_id)
        return SourceRef(number=number, title=source.citation, url=source.url or "", anchor=anchor)

    def cite(self, cited: Cited) -> Cite:
        known = knowledge.source_ids()
        refs = sorted(
            (self.ref(s) for s in dict.fromkeys(cited.sources) if s in known), key=lambda r: r.number
        )
        return Cite(refs=tuple(refs), evidence=Evidence(cited.evidence).plain)

    def note(self, text: str) -> str:
        """``text`` with each source key written in it replaced by that source's number ("[3]")."""
        known = knowledge.source_ids()
        return _INLINE_KEY.sub(lambda m: f" [{self.number(m[1])}]" if m[1] in known else m[0], text).strip()

    def listed(self) -> tuple[SourceRef, ...]:
        return tuple(self.ref(source_id) for source_id in self.numbers)


def protocol_views() -> list[ProtocolView]:
    """Every protocol of the installation, in the order of the data file."""
    data = catalog()
    return [
        _view(number, protocol, data.route(protocol.route))
        for number, protocol in enumerate(data.protocols.values(), start=1)
    ]


def _view(number: int, protocol: Protocol, route: RouteRules) -> ProtocolView:
    anchor = f"protocol-{number}"
    sources = _Sources(anchor=anchor)
    about = Line(text=sources.note(protocol.cited.note), cite=sources.cite(protocol.cited))
    facts = [
        Fact("Route", "route", (Line(route.name),)),
        Fact("Drug", "drug", (Line(protocol.drug),)),
        Fact("Status", "status", (Line(f"{_status(protocol)}."),)),
        _dose_range(protocol, sources),
        _dose(protocol, sources),
        _infusion(protocol, sources),
        _sessions(protocol, sources),
        _maintenance(protocol, sources),
        _review(protocol, sources),
        _observation(route, sources),
    ]
    if protocol.hepatic is not None:
        hepatic = protocol.hepatic
        # The source's own words when the data gives them (they say why); else the rule in plain words.
        text = sources.note(hepatic.cited.note) or (
            f"Moderate: {_HEPATIC[hepatic.moderate]}. Severe: {_HEPATIC[hepatic.severe]}."
        )
        facts.append(Fact("Liver impairment", "liver", (Line(text, sources.cite(hepatic.cited)),)))
    holds = tuple(_hold(rule, sources) for rule in route.pre_dose_rules)
    return ProtocolView(
        number=number,
        anchor=anchor,
        name=protocol.name,
        about=about,
        facts=tuple(facts),
        holds=holds,
        sources=sources.listed(),
    )


def _status(protocol: Protocol) -> str:
    status = "Approved for this use" if protocol.regulatory_status == "approved" else "Off-label"
    return f"{status}, experimental" if protocol.experimental else status


def _number(value: float) -> str:
    return f"{value:g}"


def _dose_range(protocol: Protocol, sources: _Sources) -> Fact:
    bounds = protocol.dose_bounds
    parts = []
    if bounds.min_mg_per_kg is not None and bounds.max_mg_per_kg is not None:
        parts.append(f"{_number(bounds.min_mg_per_kg)}–{_number(bounds.max_mg_per_kg)} mg/kg")
    if bounds.min_mg is not None and bounds.max_mg is not None:
        total = f"{_number(bounds.min_mg)}–{_number(bounds.max_mg)} mg"
        parts.append(f"{total} in all" if parts else total)
    text = f"{', and '.join(parts)}: what a plan accepts, not a recommended dose."
    return Fact("Dose range", "dose-range", (Line(text, sources.cite(bounds.cited)),))


def _dose(protocol: Protocol, sources: _Sources) -> Fact:
    dose = protocol.dose
    said = []
    if dose.standard_mg_per_kg is not None:
        said.append(f"Standard dose {_number(dose.standard_mg_per_kg)} mg/kg.")
    elif dose.standard_mg is not None:
        said.append(f"Standard dose {_number(dose.standard_mg)} mg.")
    elif not protocol.first_doses:
        said.append("The prescriber sets the dose within the range.")
    if dose.min_age_years is not None:
        said.append(f"For patients aged {dose.min_age_years} and over.")
    lines = [Line(" ".join(said), sources.cite(dose.cited), note=sources.note(dose.cited.note))]
    lines += [_first_dose(rule, sources) for rule in protocol.first_doses]
    if protocol.device is not None:
        device = protocol.device
        text = (
            f"Each nasal spray device gives {device.mg_per_device} mg in {device.sprays_per_device} sprays, "
            f"{device.wait_between_devices_minutes} minutes between devices; the dose changes in "
            f"{device.step_mg} mg steps"
        )
        if device.max_increase_steps is not None:
            text += f", at most {device.max_increase_steps * device.step_mg} mg more than the dose before"
        if device.never_first_dose_mg is not None:
            text += f"; {device.never_first_dose_mg} mg is never the first dose"
        lines.append(Line(f"{text}.", sources.cite(device.cited)))
    return Fact("Dose", "dose", tuple(lines))


def _first_dose(rule: FirstDoseRule, sources: _Sources) -> Line:
    who = _who(rule.age_above_years, rule.age_at_most_years, rule.population)
    later = _either([f"{mg}" for mg in rule.later_doses_mg])
    text = f"{who}: {rule.first_dose_mg} mg on day 1, later doses {later} mg."
    return Line(text, sources.cite(rule.cited), note=sources.note(rule.cited.note))


def _who(above: int | None, at_most: int | None, population: str | None = None) -> str:
    ages = []
    if above is not None:
        ages.append(f"{above + 1} and over")
    if at_most is not None:
        ages.append(f"{at_most} and under")
    age = f"aged {' and '.join(ages)}" if ages else ""
    if population is not None:
        group = _POPULATIONS.get(population) or humanize(population).capitalize()
        return f"{group}, {age}" if age else group
    return age.capitalize() if age else "Everyone"


def _either(items: list[str], word: str = "or") -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} {word} {items[-1]}"


def _infusion(protocol: Protocol, sources: _Sources) -> Fact:
    minutes = protocol.dose.infusion_minutes
    if minutes is None:
        return Fact("Infusion duration", "infusion", (Line("None: not an infusion."),))
    return Fact(
        "Infusion duration", "infusion", (Line(f"{minutes} minutes", sources.cite(protocol.dose.cited)),)
    )


def _sessions(protocol: Protocol, sources: _Sources) -> Fact:
    lines = [_preset(preset, sources) for preset in protocol.presets]
    if protocol.frequency is not None:
        most = protocol.frequency.max_sessions_per_7_days
        lines.append(
            Line(
                f"At most {most} sessions in any 7 days; more needs a prescriber's reason.",
                sources.cite(protocol.frequency.cited),
            )
        )
    return Fact("Sessions and spacing", "sessions", tuple(lines))


def _preset(preset: Preset, sources: _Sources) -> Line:
    cite = sources.cite(preset.cited)
    note = sources.note(preset.cited.note)
    if preset.custom:
        text = f"The prescriber chooses the weekdays and the number of sessions, at most {preset.max_sessions} in one plan."
        return Line(text, cite, title=preset.name, note=note)
    induction = [phase for phase in preset.phases if phase.name == "induction"]
    later = [phase for phase in preset.phases if phase.name != "induction"]
    count = sum(phase.session_count for phase in induction)
    text = f"{count} induction sessions: {_spacing(induction)}"
    if later:
        text += f"; then {sum(p.session_count for p in later)} maintenance sessions: {_spacing(later)}"
    days = ", ".join(_DAY_NAMES[day] for day in preset.default_weekdays)
    return Line(f"{text}. Default days {days}.", cite, title=preset.name, note=note)


def _spacing(phases: list[Phase]) -> str:
    return ", then ".join(
        f"{p.sessions_per_week} a week in {_weeks(p.first_week, p.last_week)}" for p in phases
    )


def _weeks(first: int, last: int) -> str:
    return f"week {first}" if first == last else f"weeks {first}–{last}"


def _maintenance(protocol: Protocol, sources: _Sources) -> Fact:
    maintenance = protocol.maintenance
    if maintenance is None:
        return Fact("Maintenance", "maintenance", (Line("None in this protocol."),))
    intervals = maintenance.interval_weeks
    every = "week" if intervals == (1,) else f"{_either([str(weeks) for weeks in intervals])} weeks"
    start = f"From week {maintenance.first_week}, one" if maintenance.first_week else "One"
    text = f"{start} session every {every}."
    line = Line(text, sources.cite(maintenance.cited), note=sources.note(maintenance.cited.note))
    return Fact("Maintenance", "maintenance", (line,))


def _review(protocol: Protocol, sources: _Sources) -> Fact:
    review = protocol.review
    return Fact("Review", "review", (Line(sources.note(review.note), sources.cite(review)),))


def _observation(route: RouteRules, sources: _Sources) -> Fact:
    rule = route.observation
    text = f"At least {rule.min_minutes} minutes after the end of dosing"
    if rule.overridable:
        text += (
            f"; {rule.default_minutes} minutes unless the clinic has set its own time, never under "
            f"{rule.min_minutes} minutes."
        )
    else:
        text += ": a fixed minimum, which no override shortens."
    return Fact(
        "Minimum observation",
        "observation",
        (Line(text, sources.cite(rule.cited), note=sources.note(rule.cited.note)),),
    )


def _hold(rule: VitalRule, sources: _Sources) -> Hold:
    name = re.sub(r"\s*\([^)]*\)$", "", VITAL_NAMES.get(rule.field, humanize(rule.field)))
    unit = _UNITS.get(rule.field, "")
    if rule.comparison in ("above", "below"):
        reading = f"{name.capitalize()} {rule.comparison} {_number(rule.value)}{unit}"
    else:
        direction = "above" if rule.comparison == "rise_above_baseline" else "below"
        reading = f"{name.capitalize()} more than {_number(rule.value)}{unit} {direction} the baseline"
    action = (
        "Dose held until a prescriber decides"
        if rule.level == "hold"
        else "Shown to staff; the dose is not held"
    )
    return Hold(
        reading=reading,
        who=_who(rule.age_above_years, rule.age_at_most_years),
        action=action,
        cite=sources.cite(rule.cited),
    )
