"""The safety-net rules of ``knowledge/data/safety_net.toml``, read once into frozen dataclasses.

These rules only ever make triage stricter (docs/decisions/0012-safety-net-rules.md):

- :class:`BpPeakRule` - a severe headache or raised blood pressure inside the route's blood-pressure
  window is urgent, an emergency with crisis signs;
- :class:`PsychoactiveRule` - one rule for dissociation, perceptual changes, drowsiness and euphoria that
  have not worn off (contact the clinic by 24 h at the latest; urgent with confusion or when the patient
  cannot look after themself);
- :class:`LateOnsetRule` - a symptom that starts after its window has ended is judged as new;
- :class:`HomeBpRules` - thresholds for a home blood-pressure reading entered as numbers;
- :class:`FreeTextRules` - the keyword screen of the patient's own words;
- :class:`HoldNextDoseRule` - red flags after which the next dose waits for a prescriber's review.

Every rule keeps its ``sources`` (ids in sources.toml) and ``evidence``. The file is validated against
the knowledge base on load: an unknown side-effect, red-flag or source id raises
:class:`SafetyNetDataError` naming the table and the key.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from ketacare.core.knowledge import Evidence, KnowledgeError, Level, knowledge, validate_source_ids
from ketacare.core.knowledge.search import words
from ketacare.core.tomlload import TomlTable, did_you_mean, parse_toml

DATA_FILE = Path(__file__).resolve().parent / "knowledge" / "data" / "safety_net.toml"
_LEVELS = tuple(level.value for level in Level)
_SEVERITIES = ("mild", "moderate", "severe")
# Sanity ceilings for the data file (not clinical limits).
_MAX_MINUTES = 7 * 24 * 60


class SafetyNetDataError(ValueError):
    """safety_net.toml is malformed; the message names the table and the key."""


@dataclass(frozen=True, slots=True)
class RuleSource:
    """Where a rule comes from: source ids (sources.toml) and the evidence tag."""

    sources: tuple[str, ...]
    evidence: Evidence

    @property
    def is_clinic_practice(self) -> bool:
        """True when the rule is an unverified clinic-practice default."""
        return self.evidence is Evidence.PRACTICE


@dataclass(frozen=True, slots=True)
class BpPeakRule:
    """A ``severity`` report of one of ``side_effects`` inside the window of ``window_from`` -> ``level``.

    With one of ``crisis_red_flags`` reported at the same time it is ``crisis_level`` instead.
    """

    window_from: str
    side_effects: frozenset[str]
    severity: str
    level: Level
    crisis_red_flags: frozenset[str]
    crisis_level: Level
    cited: RuleSource


@dataclass(frozen=True, slots=True)
class PsychoactiveRule:
    """Psychoactive effects past their route's threshold: contact the clinic from ``contact_clinic_after_min``.

    Past the threshold and reported together with one of ``combined_red_flags``: ``combined_level``.
    """

    side_effects: frozenset[str]
    contact_clinic_after_min: float
    combined_red_flags: frozenset[str]
    combined_level: Level
    cited: RuleSource


@dataclass(frozen=True, slots=True)
class LateOnsetRule:
    """A side effect whose onset is after its route's ``resolution_min`` is a new symptom at ``level``."""

    level: Level
    cited: RuleSource


@dataclass(frozen=True, slots=True)
class HomeBpCrisis:
    """Systolic >= ``systolic_at_least_mmhg`` or diastolic >= ``diastolic_at_least_mmhg``."""

    systolic_at_least_mmhg: float
    diastolic_at_least_mmhg: float
    with_symptoms_level: Level
    without_symptoms_level: Level
    symptom_red_flags: frozenset[str]
    symptom_severe_side_effects: frozenset[str]
    cited: RuleSource


@dataclass(frozen=True, slots=True)
class HomeBpRules:
    """Thresholds for a home reading: crisis, above the hold threshold, low systolic, pulse."""

    crisis: HomeBpCrisis
    hold_level: Level
    hold_cited: RuleSource
    low_systolic_below_mmhg: float
    low_level: Level
    low_cited: RuleSource
    pulse_above_bpm: float
    pulse_below_bpm: float
    pulse_level: Level
    pulse_cited: RuleSource


@dataclass(frozen=True, slots=True)
class NearRule:
    """A word of ``words`` and one of ``near_words`` at most ``within_words`` words apart, in either order.

    People put words between the two ("my chest feels tight", "tightness in my chest"), so a fixed
    phrase misses them. A word inside one of ``except_phrases`` ("chest of drawers") does not count.
    """

    red_flag_id: str
    words: frozenset[str]
    near_words: frozenset[str]
    within_words: int
    except_phrases: tuple[tuple[str, ...], ...]


@dataclass(frozen=True, slots=True)
class FreeTextRules:
    """The keyword screen: phrases (as word tuples) and near-word rules per red flag, negations,
    "nothing" answers."""

    review_level: Level
    phrases: Mapping[str, tuple[tuple[str, ...], ...]]  # red flag id -> phrases as word tuples
    near: tuple[NearRule, ...]
    negation_words: frozenset[str]
    negation_window_words: int
    nothing_texts: frozenset[tuple[str, ...]]
    cited: RuleSource
    # Red flag id -> what its phrase list is drawn from, for a list that cites it (the warning signs of
    # suicide); the others rest on the table's own clinic practice.
    phrase_sources: Mapping[str, RuleSource]


@dataclass(frozen=True, slots=True)
class HoldNextDoseRule:
    """Red flags after which the next dose waits until a prescriber has reviewed the patient."""

    red_flags: frozenset[str]
    cited: RuleSource


@dataclass(frozen=True, slots=True)
class SafetyNet:
    """Every rule of safety_net.toml."""

    bp_peak: BpPeakRule
    psychoactive: PsychoactiveRule
    late_onset: LateOnsetRule
    home_bp: HomeBpRules
    free_text: FreeTextRules
    hold_next_dose: HoldNextDoseRule


@functools.cache
def safety_net() -> SafetyNet:
    """The packaged rules, loaded and validated once per process."""
    return load_safety_net(DATA_FILE.read_text(encoding="utf-8"))


class _Table(TomlTable):
    error_type = SafetyNetDataError

    def cited(self) -> RuleSource:
        evidence = self.text("evidence", choices=[e.value for e in Evidence])
        sources = self.texts("sources")
        try:
            validate_source_ids(sources, file=self.file, where=self.where, evidence=evidence)
        except KnowledgeError as exc:
            raise SafetyNetDataError(str(exc)) from None
        return RuleSource(sources=sources, evidence=Evidence(evidence))

    def level(self, key: str) -> Level:
        return Level(self.text(key, choices=_LEVELS))

    def ids(self, key: str, known: Mapping[str, object], kind: str) -> frozenset[str]:
        found = self.texts(key)
        for item in found:
            if item not in known:
                raise self.error(f"{key}: unknown {kind} id {item!r}{did_you_mean(item, known)}")
        return frozenset(found)


def load_safety_net(text: str) -> SafetyNet:
    """Parse and validate the text of safety_net.toml (SafetyNetDataError naming the table on a problem)."""
    kb = knowledge()
    root = _Table(parse_toml(text, DATA_FILE.name, SafetyNetDataError), file=DATA_FILE.name)
    root.only(
        ["schema_version", "bp_peak", "psychoactive", "late_onset", "home_bp", "free_text", "hold_next_dose"]
    )
    root.whole("schema_version", 1, 1)

    bp = root.table("bp_peak")
    window_from = bp.text("window_from", choices=list(kb.side_effects))
    bp_peak = BpPeakRule(
        window_from=window_from,
        side_effects=bp.ids("side_effects", kb.side_effects, "side effect"),
        severity=bp.text("severity", choices=_SEVERITIES),
        level=bp.level("level"),
        crisis_red_flags=bp.ids("crisis_red_flags", kb.red_flags, "red flag"),
        crisis_level=bp.level("crisis_level"),
        cited=bp.cited(),
    )
    bp.finish()

    ps = root.table("psychoactive")
    psychoactive = PsychoactiveRule(
        side_effects=ps.ids("side_effects", kb.side_effects, "side effect"),
        contact_clinic_after_min=ps.number("contact_clinic_after_min", 0, _MAX_MINUTES, unit=" min"),
        combined_red_flags=ps.ids("combined_red_flags", kb.red_flags, "red flag"),
        combined_level=ps.level("combined_level"),
        cited=ps.cited(),
    )
    ps.finish()
    if psychoactive.contact_clinic_after_min > kb.persistence.contact_clinic_after_min:
        raise ps.error(
            "contact_clinic_after_min must not be later than [persistence] in side_effects.toml: "
            "the rule may only make triage stricter"
        )

    lo = root.table("late_onset")
    late_onset = LateOnsetRule(level=lo.level("level"), cited=lo.cited())
    lo.finish()

    home_bp = _parse_home_bp(root.table("home_bp"), kb.red_flags, kb.side_effects)
    free_text = _parse_free_text(root.table("free_text"), kb.red_flags)

    hn = root.table("hold_next_dose")
    hold = HoldNextDoseRule(red_flags=hn.ids("red_flags", kb.red_flags, "red flag"), cited=hn.cited())
    hn.finish()
    root.finish()
    return SafetyNet(
        bp_peak=bp_peak,
        psychoactive=psychoactive,
        late_onset=late_onset,
        home_bp=home_bp,
        free_text=free_text,
        hold_next_dose=hold,
    )


def _parse_home_bp(
    table: _Table, red_flags: Mapping[str, Any], side_effects: Mapping[str, Any]
) -> HomeBpRules:
    table.only(["crisis", "hold", "low", "pulse"])
    cr = table.table("crisis")
    crisis = HomeBpCrisis(
        systolic_at_least_mmhg=cr.number("systolic_at_least_mmhg", 100, 300),
        diastolic_at_least_mmhg=cr.number("diastolic_at_least_mmhg", 60, 200),
        with_symptoms_level=cr.level("with_symptoms_level"),
        without_symptoms_level=cr.level("without_symptoms_level"),
        symptom_red_flags=cr.ids("symptom_red_flags", red_flags, "red flag"),
        symptom_severe_side_effects=cr.ids("symptom_severe_side_effects", side_effects, "side effect"),
        cited=cr.cited(),
    )
    cr.finish()
    ho = table.table("hold")
    hold_level, hold_cited = ho.level("level"), ho.cited()
    ho.finish()
    lw = table.table("low")
    low_below = lw.number("systolic_below_mmhg", 50, 150)
    low_level, low_cited = lw.level("level"), lw.cited()
    lw.finish()
    pu = table.table("pulse")
    above, below = pu.number("above_bpm", 60, 250), pu.number("below_bpm", 20, 100)
    if below >= above:
        raise pu.error(f"below_bpm {below:g} must be under above_bpm {above:g}")
    pulse_level, pulse_cited = pu.level("level"), pu.cited()
    pu.finish()
    table.finish()
    return HomeBpRules(
        crisis=crisis,
        hold_level=hold_level,
        hold_cited=hold_cited,
        low_systolic_below_mmhg=low_below,
        low_level=low_level,
        low_cited=low_cited,
        pulse_above_bpm=above,
        pulse_below_bpm=below,
        pulse_level=pulse_level,
        pulse_cited=pulse_cited,
    )


def _parse_free_text(table: _Table, red_flags: Mapping[str, Any]) -> FreeTextRules:
    review_level = table.level("review_level")
    negations = table.texts("negation_words")
    window = table.whole("negation_window_words", 0, 5)
    nothing = table.texts("nothing_texts")
    cited = table.cited()
    phrases: dict[str, tuple[tuple[str, ...], ...]] = {}
    phrase_sources: dict[str, RuleSource] = {}
    owner: dict[tuple[str, ...], str] = {}
    for entry in table.tables("phrase", required=True):
        flag_id = entry.text("red_flag")
        if flag_id not in red_flags:
            raise entry.error(f"unknown red flag id {flag_id!r}{did_you_mean(flag_id, red_flags)}")
        if flag_id in phrases:
            raise entry.error(f"red flag {flag_id!r} has a second [[free_text.phrase]] table")
        if entry.has("sources") or entry.has("evidence"):
            phrase_sources[flag_id] = entry.cited()
        found = []
        for phrase in entry.texts("phrases"):
            phrase_words = words(phrase)
            if " ".join(phrase_words) != phrase:
                raise entry.error(
                    f"phrase {phrase!r} must be lower-case words without punctuation: {' '.join(phrase_words)!r}"
                )
            if phrase_words in owner:
                raise entry.error(f"phrase {phrase!r} is already listed under {owner[phrase_words]!r}")
            owner[phrase_words] = flag_id
            found.append(phrase_words)
        phrases[flag_id] = tuple(found)
        entry.finish()
    near = tuple(_parse_near(entry, red_flags) for entry in table.tables("near"))
    table.finish()
    return FreeTextRules(
        review_level=review_level,
        phrases=MappingProxyType(phrases),
        near=near,
        negation_words=frozenset(negations),
        negation_window_words=window,
        nothing_texts=frozenset(words(text) for text in nothing),
        cited=cited,
        phrase_sources=MappingProxyType(phrase_sources),
    )


def _plain_words(table: _Table, key: str, *, required: bool = True) -> tuple[str, ...]:
    """``key``'s texts, each already as the screen reads text (lower case, no punctuation)."""
    found = table.texts(key, required=required)
    for text in found:
        if " ".join(words(text)) != text:
            raise table.error(f"{key}: {text!r} must be lower-case words without punctuation")
    return found


def _parse_near(entry: _Table, red_flags: Mapping[str, Any]) -> NearRule:
    flag_id = entry.text("red_flag")
    if flag_id not in red_flags:
        raise entry.error(f"unknown red flag id {flag_id!r}{did_you_mean(flag_id, red_flags)}")
    anchors = _plain_words(entry, "words")
    partners = _plain_words(entry, "near_words")
    for key, listed in (("words", anchors), ("near_words", partners)):
        for word in listed:
            if " " in word:
                raise entry.error(f"{key}: {word!r} must be one word")
    both = sorted(set(anchors) & set(partners))
    if both:
        raise entry.error(f"words and near_words both list {', '.join(map(repr, both))}")
    rule = NearRule(
        red_flag_id=flag_id,
        words=frozenset(anchors),
        near_words=frozenset(partners),
        within_words=entry.whole("within_words", 0, 5),
        except_phrases=tuple(words(text) for text in _plain_words(entry, "except_phrases", required=False)),
    )
    entry.finish()
    return rule
