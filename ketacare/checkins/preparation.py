"""The route-specific preparation checklist, built from the core's protocol and knowledge data.

The checklist is ticked for one booked session (its appointment); without one it is only read
(docs/decisions/0026): "0 of 4 done" for no session reads as a failure to prepare.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from ketacare.core import dayrules
from ketacare.core import knowledge as kb
from ketacare.core.protocols import get_route, route_ids
from ketacare.core.triage import describe_minutes


@dataclass(frozen=True, slots=True)
class PrepItem:
    """One thing to do before a session, with where the rule comes from."""

    id: str
    text: str
    # The strength of the evidence behind the rule, from the same field Learn reads (each kind once);
    # empty for the clinic's own instruction, which is the clinic's and not a published rule.
    evidence: tuple[kb.Evidence, ...]
    sources: tuple[str, ...]
    # About the hours before the session (food, drink, a nasal spray): done only on its day, so it is
    # not offered for ticking, nor counted, on the days before.
    on_the_day: bool = False

    @property
    def evidence_words(self) -> str:
        """The strength of the evidence in the plain words Learn shows ("clinic practice, not tested in
        trials"); several kinds are each named."""
        return "; ".join(kind.plain for kind in self.evidence)

    @property
    def basis(self) -> str:
        """A short tag of where the rule comes from: the clinic's instruction, clinic practice or evidence."""
        if not self.evidence:
            return "your clinic's instruction"
        return "clinic practice" if set(self.evidence) == {kb.Evidence.PRACTICE} else "evidence"


@dataclass(frozen=True, slots=True)
class PrepProgress:
    """What the count says: ticked of those that can be ticked now, and those waiting for the day."""

    done: int
    tickable: int
    on_the_day: int


def before_session_day(starts_at: dt.datetime, *, clinic_zone: str, now: dt.datetime) -> bool:
    """Whether ``now`` is on an earlier calendar day than the session, at the clinic."""
    zone = ZoneInfo(clinic_zone)
    return now.astimezone(zone).date() < starts_at.astimezone(zone).date()


def progress(items: list[PrepItem], ticks: dict[str, bool], *, before_the_day: bool) -> PrepProgress:
    waiting = [i for i in items if i.on_the_day and before_the_day]
    now_items = [i for i in items if not (i.on_the_day and before_the_day)]
    return PrepProgress(sum(1 for i in now_items if ticks.get(i.id)), len(now_items), len(waiting))


# The medicine classes in a patient's words, by interaction id; a class not named here keeps its name
# from the knowledge data, which is written for clinicians ("Z-drugs", "gabapentinoids").
PLAIN_MEDICINE_WORDS = {
    "benzodiazepines": "anxiety or sleep medicines called benzodiazepines",
    "sedative_hypnotics": "sleeping tablets",
    "opioids": "opioid painkillers",
    "alcohol": "alcohol",
    "gabapentinoids": "medicines for nerve pain",
    "sedating_antipsychotics": "antipsychotic medicines that make you sleepy",
    "sedating_antihistamines": "antihistamines that make you sleepy (many sleep aids and allergy medicines)",
}
NO_EXAMPLES = frozenset({"alcohol"})  # its names in the data are drinks, not medicines to recognise
EXAMPLES_SHOWN = 2


def _medicine_words(interaction: Any) -> str:
    """'medicines for nerve pain (such as gabapentin or pregabalin)': plain words and the generic names
    the knowledge data recognises for that class."""
    words = PLAIN_MEDICINE_WORDS.get(interaction.id, interaction.name.lower())
    examples = interaction.names[:EXAMPLES_SHOWN] if interaction.id not in NO_EXAMPLES else ()
    return f"{words} (such as {' or '.join(examples)})" if examples else words


def _evidence(*kinds: str) -> tuple[kb.Evidence, ...]:
    """The evidence kinds of the facts behind one item, each once, in the order given."""
    return tuple(dict.fromkeys(kb.Evidence(kind) for kind in kinds))


def preparation_items(route: str, clinic: Any = None) -> list[PrepItem]:
    """The checklist for ``route`` (one of the core's routes); an unknown route gets the general items.

    The clinic's own fasting instruction (clinic settings), when set, comes first.
    """
    items: list[PrepItem] = []
    own = (getattr(clinic, "fasting_instructions", "") or "").strip() if clinic is not None else ""
    if own:
        items.append(PrepItem("clinic_fasting", own, (), ()))
    if route in route_ids():
        rules = get_route(route)
        fasting = rules.fasting
        fasting_evidence = _evidence(fasting.cited.evidence)
        if fasting.food_minutes_before:
            items.append(
                PrepItem(
                    "no_food",
                    f"No food for {describe_minutes(fasting.food_minutes_before)} before your session.",
                    fasting_evidence,
                    fasting.cited.sources,
                    on_the_day=True,
                )
            )
        if fasting.liquids_minutes_before:
            items.append(
                PrepItem(
                    "no_liquids",
                    f"Nothing to drink for {describe_minutes(fasting.liquids_minutes_before)} before your session.",
                    fasting_evidence,
                    fasting.cited.sources,
                    on_the_day=True,
                )
            )
        if fasting.nasal_steroid_minutes_before:
            items.append(
                PrepItem(
                    "nasal_spray_timing",
                    "If you use a nasal steroid or decongestant spray, use it at least "
                    f"{describe_minutes(fasting.nasal_steroid_minutes_before)} before your session.",
                    fasting_evidence,
                    fasting.cited.sources,
                    on_the_day=True,
                )
            )
        if not (fasting.food_minutes_before or fasting.liquids_minutes_before or own):
            items.append(
                PrepItem(
                    "fasting_instruction",
                    "There is no published fasting rule for this treatment and your clinic has not set its own "
                    "instruction yet: ask the clinic what to do about eating and drinking before your session.",
                    _evidence(kb.Evidence.PRACTICE),
                    fasting.cited.sources,
                )
            )
        # The route's own rule with its own evidence and sources (protocols.toml), as Learn shows it.
        cited = rules.driving.cited
        items.append(
            PrepItem(
                "ride_home", dayrules.driving_rule_words(route), _evidence(cited.evidence), cited.sources
            )
        )
    else:
        # Every route's rule under its name: Learn's driving entry, its evidence and sources.
        driving = kb.get_education_entry("driving")
        items.append(
            PrepItem(
                "ride_home",
                dayrules.driving_rule_words(),
                _evidence(driving.evidence),
                driving.sources,
            )
        )
    interacting = [i for i in kb.interactions() if i.level == "precaution"][:6]
    items.append(
        PrepItem(
            "medications",
            "Tell your clinic about every medicine you take, especially "
            + "; ".join(_medicine_words(i) for i in interacting)
            + ". Do not stop a prescribed medicine without asking.",
            _evidence(*(i.evidence for i in interacting)),
            tuple(dict.fromkeys(s for i in interacting for s in i.sources)),
        )
    )
    items.append(
        PrepItem(
            "support_person",
            "A support person knows about your session and can be reached afterwards.",
            _evidence(kb.Evidence.PRACTICE),
            (kb.CLINIC_PRACTICE,),
        )
    )
    return items


def session_day(starts_at: dt.datetime, *, clinic_zone: str, patient_zone: str) -> str:
    """'Tuesday 8 December': the calendar day of a session at the clinic, in the clinic's zone.

    When the patient's own zone is another one, the clinic's is named ("Tuesday 8 December (New York
    time)"), since the patient's pages show the appointment's time on their own clock.
    """
    local = starts_at.astimezone(ZoneInfo(clinic_zone))
    day = f"{local:%A} {local.day} {local:%B}"
    if clinic_zone == patient_zone:
        return day
    return f"{day} ({clinic_zone.rsplit('/', 1)[-1].replace('_', ' ')} time)"
