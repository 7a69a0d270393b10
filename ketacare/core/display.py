"""Display names for the ids people must never see: routes, protocols, presets, instruments, vital signs,
symptoms and field names in error messages.

Every name is generated from the knowledge base and the protocol data (their ``name``/``title``), so a
new route or instrument gets its name where it is defined. ``humanize`` is the fallback for an id no
table knows: it never returns the raw ``snake_case`` token.
"""

from __future__ import annotations

import re
from functools import cache

from ketacare.core import knowledge as kb
from ketacare.core.instruments import instruments
from ketacare.core.protocols import catalog, route_ids

# Vital-sign fields carry their units in their ids (core.monitoring); these are their plain names.
VITAL_NAMES: dict[str, str] = {
    "systolic_mmhg": "systolic blood pressure (mmHg)",
    "diastolic_mmhg": "diastolic blood pressure (mmHg)",
    "heart_rate_bpm": "heart rate (beats per minute)",
    "spo2_pct": "oxygen saturation (%)",
}

# Form fields whose ids reach staff in error messages built by the services.
FORM_FIELD_NAMES: dict[str, str] = {
    "measured_at": "time of the reading",
    "observed_at": "time of the observation",
    "moaas_score": "MOAA/S score",
}

# The discharge checklist's criteria (core.monitoring.discharge_readiness, core.pathway.discharge_check
# and the register's controlled_drug_open), named where an override lists them.
DISCHARGE_CRITERION_NAMES: dict[str, str] = {
    "observation_time": "minimum observation time",
    "sedation_not_assessed": "sedation not assessed",
    "sedation": "still sedated",
    "dissociation_not_assessed": "dissociation not assessed",
    "dissociation": "dissociation not resolved",
    "baseline_vitals_missing": "no pre-dose vital signs",
    "vitals_not_recorded": "no vital signs after the dose",
    "spo2_not_recorded": "no oxygen saturation after the dose",
    "vitals_out_of_range": "vital signs out of range",
    "ride_home": "ride home",
    "instructions": "discharge instructions",
    "bp_above_hold": "blood pressure above the pre-dose hold level",
    "vital_checks_missed": "vital-sign checks missed",
    "controlled_drug_open": "controlled drug not accounted for",
    "severe_adverse_event": "severe adverse event not reviewed by a prescriber",
}

# Short names for the routes, for table cells and sentences ("after your esketamine nasal spray").
ROUTE_SHORT: dict[str, str] = {
    "iv": "IV ketamine infusion",
    "esketamine_in": "esketamine nasal spray",
    "oral": "oral ketamine",
    "sublingual": "sublingual ketamine",
    "im": "IM ketamine injection",
}

# The conditions a patient is referred for (intake's indications), for pages outside intake: the record
# apps do not import each other, so the names live here; tests/test_no_internal_ids.py keeps them equal
# to intake's choice labels.
CONDITION_NAMES: dict[str, str] = {
    "treatment_resistant_depression": "Treatment-resistant depression",
    "major_depression": "Major depression",
    "bipolar_depression": "Bipolar depression",
    "anxiety": "Anxiety",
    "ptsd": "PTSD",
    "ocd": "OCD",
    "chronic_pain": "Chronic pain",
    "other": "Other",
}

_TOKEN = re.compile(r"[a-z0-9]+(?:_[a-z0-9]+)+")


def humanize(identifier: str) -> str:
    """'blurred_vision' -> 'blurred vision'; for ids without a table entry (never the raw token)."""
    return identifier.replace("_", " ").replace(".", " ").strip()


@cache
def _names() -> dict[str, str]:
    names: dict[str, str] = {}
    names.update(VITAL_NAMES)
    names.update(FORM_FIELD_NAMES)
    names.update(DISCHARGE_CRITERION_NAMES)
    for effect in kb.side_effects():
        names[effect.id] = effect.name
    for flag in kb.red_flags():
        names[flag.id] = flag.name
    for instrument in instruments():
        names[instrument.id] = instrument.title
    for protocol in catalog().protocols.values():
        names[protocol.id] = protocol.name
    return names


def route_name(route: str) -> str:
    """The short plain name of a route ('' for none)."""
    if not route:
        return ""
    rules = catalog().routes.get(route)
    return ROUTE_SHORT.get(route) or (rules.name if rules is not None else humanize(route))


def protocol_name(protocol_id: str) -> str:
    """A protocol's name from the protocol data."""
    return _names().get(protocol_id) or humanize(protocol_id)


def preset_name(protocol_id: str, preset_id: str) -> str:
    """A preset's name ('6 infusions, 3 per week over 2 weeks') from the protocol data."""
    protocol = catalog().protocols.get(protocol_id)
    for preset in protocol.presets if protocol is not None else ():
        if preset.id == preset_id:
            return preset.name
    return humanize(preset_id)


def instrument_name(instrument_id: str) -> str:
    """An instrument's title from its data file ('PHQ-9' style titles, never 'phq9')."""
    return _names().get(instrument_id) or humanize(instrument_id)


# Brackets that name who wrote a check rather than abbreviate it: KetaCare's own checks are titled
# "Bladder and urine check (KetaCare)", and "KetaCare" names none of them (nor tells staff which one).
PUBLISHER_TAGS: frozenset[str] = frozenset({"KetaCare"})


def instrument_short(instrument_id: str) -> str:
    """The instrument's abbreviation from its title ('PHQ-9' from '... (PHQ-9)'), else its title; a
    publisher's tag is dropped, so a KetaCare check is called by its own name ('Bladder and urine check')."""
    title = instrument_name(instrument_id)
    match = re.search(r"\s*\(([^()]*)\)\s*$", title)
    if match is None or match.group(1)[:1].isdigit():
        return title
    if match.group(1).strip() in PUBLISHER_TAGS:
        return title[: match.start()].strip() or title
    return match.group(1)


# A reading as staff say it, for flag messages ("SpO2 89%").
_VITAL_READING: dict[str, str] = {
    "systolic_mmhg": "systolic {value} mmHg",
    "diastolic_mmhg": "diastolic {value} mmHg",
    "heart_rate_bpm": "heart rate {value}/min",
    "spo2_pct": "SpO2 {value}%",
}


def vital_reading(field: str, value: float) -> str:
    """'spo2_pct', 89 -> 'SpO2 89%'; an unknown field reads as its display name and the value."""
    template = _VITAL_READING.get(field)
    return template.format(value=f"{value:g}") if template else f"{vital_name(field)} {value:g}"


def condition_name(condition: str) -> str:
    """'chronic_pain' -> 'Chronic pain'; an unknown condition reads humanized, never as its id."""
    return CONDITION_NAMES.get(condition) or humanize(condition).capitalize()


def vital_name(field: str) -> str:
    """A vital sign's plain name ('systolic blood pressure (mmHg)')."""
    return VITAL_NAMES.get(field) or humanize(field)


def name_for(identifier: str) -> str:
    """Any known id's display name, else a humanized form."""
    if identifier in route_ids() or identifier in ROUTE_SHORT:
        return route_name(identifier)
    return _names().get(identifier) or humanize(identifier)


def item_name(item_ref: str) -> str:
    """'phq9.q9' -> 'PHQ-9 question 9' (the instrument's title and the item's number)."""
    instrument_id, _, item = item_ref.partition(".")
    number = item.lstrip("q")
    title = instrument_short(instrument_id)
    return f"{title} question {number}" if number.isdigit() else f"{title} {humanize(item)}"


def replace_ids(text: str) -> str:
    """Replace every known snake_case id in ``text`` by its display name (for messages built elsewhere)."""
    return _TOKEN.sub(lambda m: name_for(m.group(0)) if m.group(0) in _names() else m.group(0), text)
