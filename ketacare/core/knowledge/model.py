"""The knowledge base's types: frozen dataclasses built once from the packaged TOML files.

Times are minutes after the start of dosing (the start of an IV infusion, the first nasal device, the
oral or sublingual dose, the IM injection). Every clinical entry cites source ids that resolve in
``sources.toml``; ``evidence`` is the strength of the evidence behind that entry.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from typing import Literal

# The routes KetaCare knows, in display order. esketamine_in is esketamine nasal spray (SPRAVATO); the
# others are racemic ketamine.
ROUTES: tuple[str, ...] = ("iv", "esketamine_in", "oral", "sublingual", "im")

# The id every KetaCare default cites when the clinical brief marks a value unverified or does not source it
# (listed in docs/clinical-sources.md).
CLINIC_PRACTICE = "clinic-practice"


class KnowledgeError(ValueError):
    """A knowledge data file is malformed; the message names the file and the entry id."""


class UnknownIdError(LookupError):
    """A lookup named an id the knowledge base does not hold; the message lists the allowed ids."""


class Evidence(enum.StrEnum):
    """Strength of the evidence behind a fact: the clinical brief's tags plus a few for non-trial sources."""

    RCT = "rct"
    MA = "ma"
    OL = "ol"
    OBS = "obs"
    CONS = "cons"
    LABEL = "label"
    PRACTICE = "practice"
    PRECLIN = "preclin"
    REVIEW = "review"
    VALIDATION = "validation"
    INSTRUMENT = "instrument"
    STANDARD = "standard"

    @property
    def plain(self) -> str:
        """A short plain-language description for patients and reviewers."""
        return _EVIDENCE_PLAIN[self]


_EVIDENCE_PLAIN: dict[Evidence, str] = {
    Evidence.RCT: "randomised controlled trial",
    Evidence.MA: "meta-analysis of several studies",
    Evidence.OL: "open-label study or case series (no control group)",
    Evidence.OBS: "observational study",
    Evidence.CONS: "expert consensus or guideline",
    Evidence.LABEL: "official product label or its regulatory programme",
    Evidence.PRACTICE: "clinic practice, not tested in trials",
    Evidence.PRECLIN: "laboratory or animal research",
    Evidence.REVIEW: "review of published studies",
    Evidence.VALIDATION: "questionnaire validation study",
    Evidence.INSTRUMENT: "questionnaire text or scoring manual",
    Evidence.STANDARD: "terminology or data standard",
}


class Level(enum.StrEnum):
    """A triage level, ordered from least to most urgent (comparisons follow that order).

    expected < longer_than_expected < contact_clinic < urgent < emergency.
    """

    EXPECTED = "expected"
    LONGER_THAN_EXPECTED = "longer_than_expected"
    CONTACT_CLINIC = "contact_clinic"
    URGENT = "urgent"
    EMERGENCY = "emergency"

    @property
    def rank(self) -> int:
        """Position in the order, 0 (expected) to 4 (emergency)."""
        return _LEVEL_ORDER.index(self)

    # str's own comparisons are alphabetical; these follow the clinical order instead.
    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Level):
            return NotImplemented
        return self.rank < other.rank

    def __le__(self, other: object) -> bool:
        if not isinstance(other, Level):
            return NotImplemented
        return self.rank <= other.rank

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, Level):
            return NotImplemented
        return self.rank > other.rank

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, Level):
            return NotImplemented
        return self.rank >= other.rank

    def raised(self) -> Level:
        """The next level up (emergency stays emergency)."""
        return _LEVEL_ORDER[min(self.rank + 1, len(_LEVEL_ORDER) - 1)]


_LEVEL_ORDER: tuple[Level, ...] = tuple(Level)

# The levels a red flag may carry: a red flag is never merely expected.
RED_FLAG_LEVELS: tuple[Level, ...] = (Level.CONTACT_CLINIC, Level.URGENT, Level.EMERGENCY)


@dataclass(frozen=True, slots=True)
class Source:
    """One citable source from sources.toml (ids are the clinical brief's bracket labels, verbatim)."""

    id: str
    group: str
    citation: str
    year: int | None
    url: str | None
    mirrors: tuple[str, ...]
    evidence: Evidence
    secondary: bool
    note: str
    # How a patient page names the source when the citation is written for the clinic (the clinic-practice
    # default says "unverified, to be reviewed by the clinic": true, but an instruction to staff).
    patient_citation: str = ""

    @property
    def for_patients(self) -> str:
        """The citation as a patient page shows it."""
        return self.patient_citation or self.citation


@dataclass(frozen=True, slots=True)
class Window:
    """When an effect is expected, in minutes after the start of dosing (onset <= peak <= resolution)."""

    onset_min: float
    peak_min: float
    resolution_min: float

    def contains(self, minutes_since_dose: float) -> bool:
        """Whether ``minutes_since_dose`` falls between onset and resolution, both inclusive."""
        return self.onset_min <= minutes_since_dose <= self.resolution_min


@dataclass(frozen=True, slots=True)
class Course:
    """The expected time course of one side effect after one route.

    ``window`` is backed by ``evidence``/``sources``; the longer-than-expected threshold (minutes after
    the start of dosing, >= ``window.resolution_min``) by ``threshold_evidence``/``threshold_sources``.
    """

    route: str
    window: Window
    evidence: Evidence
    sources: tuple[str, ...]
    longer_than_expected_after_min: float
    threshold_evidence: Evidence
    threshold_sources: tuple[str, ...]
    note: str


@dataclass(frozen=True, slots=True)
class SideEffect:
    """An expected side effect, with what helps and its time course for every route."""

    id: str
    name: str
    description: str
    synonyms: tuple[str, ...]
    how_common: str
    evidence: Evidence
    sources: tuple[str, ...]
    self_care: tuple[str, ...]
    self_care_evidence: Evidence
    self_care_sources: tuple[str, ...]
    courses: tuple[Course, ...]
    # Past its threshold this effect is no longer expected: it becomes this red flag (or None).
    past_window_red_flag: str | None

    def course(self, route: str) -> Course:
        """The time course after ``route`` (UnknownIdError naming the allowed routes if unknown)."""
        for course in self.courses:
            if course.route == route:
                return course
        raise UnknownIdError(f"unknown route {route!r}; allowed: {', '.join(ROUTES)}")


@dataclass(frozen=True, slots=True)
class Persistence:
    """How long after the dose any expected effect that is still present calls for the clinic."""

    contact_clinic_after_min: float
    evidence: Evidence
    sources: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RedFlag:
    """A symptom that is never expected: it always needs action at ``level`` or higher."""

    id: str
    name: str
    synonyms: tuple[str, ...]
    level: Level
    patient_message: str
    evidence: Evidence
    sources: tuple[str, ...]
    # What the signs are, in the patient_message's own words, for a name that only says "Signs of ...":
    # a list or a printout that shows the name alone then says what to look for.
    signs: str = ""
    # The name and patient_message for a patient with no dose on record, for a flag whose own words
    # assume one ("that have not worn off"); both or neither. Level, guidance and sources stay the same.
    before_any_dose_name: str = ""
    before_any_dose_message: str = ""

    @property
    def described(self) -> str:
        """The name, with its signs when the name does not say them ("Signs of mania (racing ...)")."""
        return f"{self.name} ({self.signs})" if self.signs else self.name

    def worded(self, *, before_any_dose: bool) -> RedFlag:
        """The flag in the words the patient reads: with no dose on record, its words that speak of no
        dose where it has them (the same id, level and sources); otherwise itself."""
        if not before_any_dose or not self.before_any_dose_name:
            return self
        return replace(self, name=self.before_any_dose_name, patient_message=self.before_any_dose_message)


ConditionLevel = Literal["contraindication", "precaution"]
InteractionLevel = Literal["precaution", "note"]


@dataclass(frozen=True, slots=True)
class Condition:
    """A screening condition: a contraindication or a precaution."""

    id: str
    name: str
    description: str
    synonyms: tuple[str, ...]
    level: ConditionLevel
    evidence: Evidence
    sources: tuple[str, ...]
    note: str


@dataclass(frozen=True, slots=True)
class Interaction:
    """A class of medicines (or alcohol) that interacts with ketamine or esketamine.

    ``names`` are the generic and brand names recognised in free text, lower case.
    ``rems_form_item`` is the yes/no box it fills on the SPRAVATO REMS patient monitoring form, if any.
    """

    id: str
    name: str
    level: InteractionLevel
    names: tuple[str, ...]
    effect: str
    action: str
    evidence: Evidence
    sources: tuple[str, ...]
    rems_form_item: str | None


GuidanceKind = Literal["do", "avoid", "watch", "integration", "complementary"]
Audience = Literal["patient", "clinician"]


@dataclass(frozen=True, slots=True)
class GuidanceItem:
    """One piece of aftercare or integration guidance, with the strength of the evidence behind it."""

    id: str
    kind: GuidanceKind
    audience: Audience
    text: str
    evidence: Evidence
    sources: tuple[str, ...]
    note: str


@dataclass(frozen=True, slots=True)
class AftercarePhase:
    """A phase after a dosing session (in_clinic ... following_weeks) and its guidance."""

    id: str
    title: str
    when: str
    items: tuple[GuidanceItem, ...]


@dataclass(frozen=True, slots=True)
class EducationEntry:
    """A short patient-facing answer to one question."""

    id: str
    topic: str
    question: str
    answer: str
    keywords: tuple[str, ...]
    evidence: Evidence
    sources: tuple[str, ...]
    note: str


SymptomKind = Literal["side_effect", "red_flag"]


@dataclass(frozen=True, slots=True)
class SymptomMatch:
    """A search hit: a side effect or a red flag whose name or synonym matched the query."""

    kind: SymptomKind
    id: str
    name: str
    matched: str  # the name or synonym that matched
    exact: bool  # the whole query equals the name or a synonym
