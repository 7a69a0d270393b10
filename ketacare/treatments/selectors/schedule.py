"""What the plan page says about a plan's schedule, apart from the prescriber's own notes.

The core's notes on a protocol and its preset are guidance from the knowledge base, not what the
prescriber wrote: the page shows them under "About this schedule", in plain words first (built here
from the preset's numbers), then what the sources say, each source named by its title and link rather
than by its key in docs/clinical-sources.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ketacare.core import knowledge
from ketacare.core.protocols import Preset, Protocol, get_protocol
from ketacare.treatments.models import TreatmentPlan

# How the page names the core's clinic-practice source: a KetaCare default no published study backs.
CLINIC_PRACTICE_WORDS = "Usual clinic practice, not from a published study"
_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
# A source key written inside a note ("[AlShirawi2017]").
_INLINE_KEY = re.compile(r"\s*\[([A-Za-z0-9][A-Za-z0-9.\-]*)\]")


@dataclass(frozen=True)
class Reference:
    number: int
    title: str
    url: str


@dataclass(frozen=True)
class ScheduleGuidance:
    """The page's "About this schedule": ``plain`` sentences, the sources' own notes (their keys
    replaced by the numbers of ``references``) and the references themselves."""

    plain: tuple[str, ...]
    notes: tuple[str, ...]
    references: tuple[Reference, ...] = ()


def day_names(weekdays: tuple[int, ...] | list[int]) -> str:
    """(0, 2, 4) -> 'Mon, Wed, Fri'."""
    return ", ".join(_DAY_NAMES[day] for day in weekdays)


def core_notes(protocol: Protocol, preset: Preset) -> tuple[str, ...]:
    """The notes the core gives a plan of ``preset`` (course.plan_sessions: an experimental protocol's
    note, then the preset's)."""
    notes = []
    if protocol.experimental:
        notes.append(f"Experimental: {protocol.cited.note}")
    if preset.cited.note:
        notes.append(preset.cited.note)
    return tuple(notes)


def prescriber_notes(plan: TreatmentPlan) -> str:
    """The plan's notes as the prescriber wrote them: a stored line that is one of the core's notes on
    the schedule is guidance, shown under "About this schedule", not the prescriber's words."""
    found = _protocol_and_preset(plan)
    if found is None:
        return str(plan.notes or "").strip()
    guidance = set(core_notes(*found))
    return "\n".join(line for line in str(plan.notes or "").splitlines() if line not in guidance).strip()


def schedule_guidance(plan: TreatmentPlan) -> ScheduleGuidance | None:
    """What the page says about the plan's schedule (None for a protocol or preset no longer known)."""
    found = _protocol_and_preset(plan)
    if found is None:
        return None
    protocol, preset = found
    plain: list[str] = []
    cited: list[str] = []
    if protocol.experimental:
        plain.append("Experimental: only small studies or case reports support this protocol.")
        cited += protocol.cited.sources
    if preset.custom:
        plain.append(
            "The prescriber chose the weekdays and the number of sessions for this plan, at most "
            f"{preset.max_sessions} in one plan."
        )
    else:
        total = sum(phase.session_count for phase in preset.phases)
        blocks = ", then ".join(
            f"{phase.sessions_per_week} a week in {_weeks(phase.first_week, phase.last_week)}"
            for phase in preset.phases
        )
        plain.append(f"{total} sessions: {blocks}.")
    cited += preset.cited.sources
    if protocol.frequency is not None:
        most = protocol.frequency.max_sessions_per_7_days
        plain.append(
            f"The sources give at most {most} sessions in any 7 days; more needs a prescriber's reason."
        )
        cited += protocol.frequency.cited.sources
    numbers: dict[str, int] = {}

    def number(source_id: str) -> int:
        return numbers.setdefault(source_id, len(numbers) + 1)

    for source_id in cited:
        number(source_id)
    known = knowledge.source_ids()
    notes = tuple(
        _INLINE_KEY.sub(lambda m: f" [{number(m[1])}]" if m[1] in known else m[0], note)
        for note in core_notes(protocol, preset)
    )
    references = tuple(
        _reference(source_id, index) for source_id, index in numbers.items() if source_id in known
    )
    return ScheduleGuidance(plain=tuple(plain), notes=notes, references=references)


def _weeks(first: int, last: int) -> str:
    return f"week {first}" if first == last else f"weeks {first}–{last}"


def _reference(source_id: str, number: int) -> Reference:
    if source_id == knowledge.CLINIC_PRACTICE:
        return Reference(number=number, title=CLINIC_PRACTICE_WORDS, url="")
    source = knowledge.get_source(source_id)
    return Reference(number=number, title=source.citation, url=source.url or "")


def _protocol_and_preset(plan: TreatmentPlan) -> tuple[Protocol, Preset] | None:
    try:
        protocol = get_protocol(plan.protocol_id)
        return protocol, protocol.preset(plan.preset_id or None)
    except ValueError:
        return None
