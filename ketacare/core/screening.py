"""Screening before ketamine or esketamine: conditions and medicines in, an eligibility decision out.

The conditions, interacting medicine classes and their sources live in
``knowledge/data/screening.toml`` (brief section 4; classes extended in decision 0012: CNS depressants
including gabapentinoids, sedating antipsychotics and antihistamines, opioids, cannabis and alcohol;
MAOIs including linezolid and methylene blue; stimulants; lamotrigine; memantine and other NMDA
antagonists; CYP3A4 inducers). :func:`screen` is a decision aid for the prescriber, not a decision:
"not_eligible" means a label contraindication was recorded, and "eligible_with_precautions" means
something must be weighed before treating.

A medicine that names no known class is never silently passed: it is reported as needing the
prescriber's classification (``ScreeningResult.needs_prescriber_classification``). The app asks the
prescriber once, keeps the clinic's answer, and passes it back in as ``clinic_classifications``
(a medicine name -> a class id, or :data:`NO_INTERACTION`).

The patient's age is screened too when the caller passes the date of birth and the screening date
(the core reads no clock): under 18 is a precaution (esketamine is licensed for adults only; ketamine
for depression under 18 is outside the evidence KetaCare cites), and 65 or over is a note (the
esketamine label's day-1 dose changes at 65).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from ketacare.core.knowledge import Condition, Evidence, Interaction, knowledge
from ketacare.core.knowledge.search import contains_phrase, words
from ketacare.core.protocols import AGE_YEARS_RANGE

Eligibility = Literal["eligible", "eligible_with_precautions", "not_eligible"]
ReasonLevel = Literal["contraindication", "precaution", "note"]

_LEVEL_ORDER: dict[ReasonLevel, int] = {"contraindication": 0, "precaution": 1, "note": 2}

# The clinic's answer for a medicine that interacts with nothing KetaCare lists.
NO_INTERACTION = "no_interaction"
# A clinic classification's name is at most this long (a software limit).
MAX_CLASSIFIED_NAME_CHARS = 200

ClassifiedBy = Literal["knowledge", "clinic", "unclassified"]

# Esketamine is licensed for adults only: the label's doses start at 18 [HCP-Dose] [HCP-Dose3] [MIMS-HK],
# the same limit as the esketamine protocols' ``min_age_years`` (protocols.toml).
ADULT_AGE_YEARS = 18
ESKETAMINE_ADULTS_SOURCES = ("HCP-Dose", "HCP-Dose3", "MIMS-HK")
# Racemic ketamine for depression under 18: every protocol, trial and guideline KetaCare cites is in
# adults (e.g. the CANMAT recommendations are "in Adults" [Swainson2021]); no source says what to do for a
# minor, so flagging it for the prescriber is clinic practice.
KETAMINE_ADULTS_SOURCES = ("clinic-practice", "Swainson2021")
# From 65 the esketamine label's day-1 dose is 28 mg rather than 56 mg and the MDSI regimen gives no dose
# [MIMS-HK]; the phase 3 trials held doses over 65 above 150 mmHg systolic [JNJ-CV] (protocols.toml).
OLDER_ADULT_AGE_YEARS = 65
OLDER_ADULT_SOURCES = ("MIMS-HK", "JNJ-CV")


# The boxes of the SPRAVATO REMS patient monitoring form as the form names them [REMS-PMF].
REMS_FORM_ITEM_NAMES: dict[str, str] = {
    "benzodiazepines": "Benzodiazepines",
    "non_benzodiazepine_sedative_hypnotics": "Non-benzodiazepine sedative hypnotics",
    "psychostimulants": "Psychostimulants",
    "maois": "Monoamine oxidase inhibitors (MAOIs)",
}


def rems_form_item_name(item: str) -> str:
    """The REMS form box in words ("Non-benzodiazepine sedative hypnotics"), never the id."""
    return REMS_FORM_ITEM_NAMES.get(item) or item.replace("_", " ").capitalize()


class ScreeningError(ValueError):
    """The screening input names something the knowledge base does not know."""


@dataclass(frozen=True, slots=True)
class Reason:
    """One finding behind the eligibility result: a condition, an interacting medicine class or the age."""

    kind: Literal["condition", "interaction", "age"]
    id: str
    name: str
    level: ReasonLevel
    detail: str  # what it means and what to do, for the prescriber
    evidence: Evidence
    sources: tuple[str, ...]
    medications: tuple[str, ...]  # the medication texts that matched (interactions only)


@dataclass(frozen=True, slots=True)
class ScreeningResult:
    """The eligibility decision, the reasons behind it (most serious first) and what was not recognised.

    ``rems_form_items`` are the SPRAVATO REMS patient-monitoring-form boxes to tick yes
    (benzodiazepines, non_benzodiazepine_sedative_hypnotics, psychostimulants, maois) [REMS-PMF].
    ``unrecognised_medications`` are the texts that named no class and that the clinic has not
    classified: each needs the prescriber's classification.
    """

    eligibility: Eligibility
    reasons: tuple[Reason, ...]
    unrecognised_medications: tuple[str, ...]
    rems_form_items: frozenset[str]
    # Medicines the clinic has classified (text, class id or "no_interaction"), in input order.
    clinic_classified: tuple[tuple[str, str], ...] = ()
    # The patient's age in whole years on the screening date (None when no date of birth was given).
    age_years: int | None = None

    @property
    def needs_prescriber_classification(self) -> tuple[str, ...]:
        """The medication texts no class and no clinic classification covers: the prescriber must classify."""
        return self.unrecognised_medications

    @property
    def classification_complete(self) -> bool:
        """True when every medicine was recognised or classified by the clinic."""
        return not self.unrecognised_medications

    @property
    def contraindications(self) -> tuple[Reason, ...]:
        """The reasons that make the patient not eligible."""
        return tuple(reason for reason in self.reasons if reason.level == "contraindication")

    @property
    def precautions(self) -> tuple[Reason, ...]:
        """The reasons that must be weighed before treating."""
        return tuple(reason for reason in self.reasons if reason.level == "precaution")


def _condition_reason(condition: Condition) -> Reason:
    detail = condition.description + (f" {condition.note}" if condition.note else "")
    return Reason(
        kind="condition",
        id=condition.id,
        name=condition.name,
        level=condition.level,
        detail=detail,
        evidence=condition.evidence,
        sources=condition.sources,
        medications=(),
    )


def _interaction_reason(interaction: Interaction, medications: Iterable[str]) -> Reason:
    return Reason(
        kind="interaction",
        id=interaction.id,
        name=interaction.name,
        level=interaction.level,
        detail=f"{interaction.effect} {interaction.action}",
        evidence=interaction.evidence,
        sources=interaction.sources,
        medications=tuple(medications),
    )


def age_years_on(date_of_birth: dt.date, on: dt.date) -> int:
    """The age in whole years on the date ``on`` (a birthday counts from its day; 29 February from 1 March).

    ScreeningError when ``on`` is before the date of birth or the age is outside ``AGE_YEARS_RANGE``.
    """
    for name, value in (("date_of_birth", date_of_birth), ("on", on)):
        if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
            raise ScreeningError(f"{name} must be a date, not {type(value).__name__}")
    if on < date_of_birth:
        raise ScreeningError(
            f"date_of_birth {date_of_birth.isoformat()} is after the screening date {on.isoformat()}"
        )
    age = on.year - date_of_birth.year - ((on.month, on.day) < (date_of_birth.month, date_of_birth.day))
    low, high = AGE_YEARS_RANGE
    if not low <= age <= high:
        raise ScreeningError(f"age {age} years is out of range; expected {low}-{high}")
    return age


def _years(age: int) -> str:
    return f"{age} year{'s' if age != 1 else ''} old"


def age_reasons(age: int) -> tuple[Reason, ...]:
    """The findings for a patient of ``age`` whole years: under 18 two precautions, 65 or over a note."""
    if age < ADULT_AGE_YEARS:
        return (
            Reason(
                kind="age",
                id="under_18_esketamine",
                name="Under 18: esketamine is licensed for adults only",
                level="precaution",
                detail=(
                    f"The patient is {_years(age)} on the screening date. Esketamine (SPRAVATO) is licensed "
                    f"for adults ({ADULT_AGE_YEARS} and over) only: the label gives no dose under "
                    f"{ADULT_AGE_YEARS}, and KetaCare plans no esketamine course for a patient under "
                    f"{ADULT_AGE_YEARS}."
                ),
                evidence=Evidence.LABEL,
                sources=ESKETAMINE_ADULTS_SOURCES,
                medications=(),
            ),
            Reason(
                kind="age",
                id="under_18_ketamine",
                name="Under 18: ketamine for depression is outside the evidence KetaCare cites",
                level="precaution",
                detail=(
                    f"The patient is {_years(age)} on the screening date. The protocols, studies and "
                    "guidelines KetaCare cites for ketamine are for adults. Treating a patient under "
                    f"{ADULT_AGE_YEARS} is the prescriber's own decision, and a parent or legal guardian "
                    "signs the consent (clinic practice)."
                ),
                evidence=Evidence.PRACTICE,
                sources=KETAMINE_ADULTS_SOURCES,
                medications=(),
            ),
        )
    if age >= OLDER_ADULT_AGE_YEARS:
        return (
            Reason(
                kind="age",
                id="age_65_or_over",
                name=f"Age {OLDER_ADULT_AGE_YEARS} or over",
                level="note",
                detail=(
                    f"The patient is {_years(age)} on the screening date. Esketamine: the day-1 dose at "
                    f"{OLDER_ADULT_AGE_YEARS} or over is 28 mg rather than 56 mg, and the twice-weekly MDSI "
                    "regimen gives no dose at this age. In the esketamine phase 3 trials, a dose was held "
                    f"for a patient over {OLDER_ADULT_AGE_YEARS} whose systolic blood pressure was above "
                    "150 mmHg."
                ),
                evidence=Evidence.LABEL,
                sources=OLDER_ADULT_SOURCES,
                medications=(),
            ),
        )
    return ()


@dataclass(frozen=True, slots=True)
class MedicationClassification:
    """How one free-text medication entry was classified.

    ``class_ids`` are the interacting classes (empty for a medicine with no interaction);
    ``classified_by`` is "knowledge" (a name KetaCare knows), "clinic" (the clinic's classification) or
    "unclassified" (the prescriber must classify it); ``matched`` the names or clinic keys that matched.
    """

    text: str
    class_ids: tuple[str, ...]
    classified_by: ClassifiedBy
    matched: tuple[str, ...]

    @property
    def needs_prescriber_classification(self) -> bool:
        """True when neither KetaCare nor the clinic knows this medicine."""
        return self.classified_by == "unclassified"


def normalise_medication_name(text: str) -> str:
    """The key a clinic classification is stored under: lower-case words ("Brand-X 5mg" -> "brand x 5mg")."""
    return " ".join(words(text))


def check_clinic_classifications(classifications: Mapping[str, str] | None) -> dict[tuple[str, ...], str]:
    """Validate the clinic's classifications (name -> class id or "no_interaction"); keyed by name words.

    ScreeningError names a bad entry and lists the allowed values.
    """
    if classifications is None:
        return {}
    allowed = [*knowledge().interactions, NO_INTERACTION]
    out: dict[tuple[str, ...], str] = {}
    for name, class_id in classifications.items():
        key = words(name) if isinstance(name, str) else ()
        if not key or len(name) > MAX_CLASSIFIED_NAME_CHARS:
            raise ScreeningError(
                f"clinic classification name {name!r} must be 1-{MAX_CLASSIFIED_NAME_CHARS} characters with a word"
            )
        if class_id not in allowed:
            raise ScreeningError(
                f"clinic classification {class_id!r} for {name!r} is not a class; allowed: {', '.join(allowed)}"
            )
        out[key] = class_id
    return out


def match_medication(text: str) -> tuple[Interaction, ...]:
    """The interacting medicine classes named in one free-text medication entry (case-insensitive).

    Names match as whole words, so "Xanax 0.5 mg at night" finds benzodiazepines and "Percocet and
    Valium" finds both opioids and benzodiazepines.
    """
    text_words = words(text)
    return tuple(
        interaction
        for interaction in knowledge().interactions.values()
        if any(contains_phrase(text_words, words(name)) for name in interaction.names)
    )


def classify_medication(
    text: str, clinic_classifications: Mapping[str, str] | None = None
) -> MedicationClassification:
    """Classify one free-text medication entry: by KetaCare's class names, else by the clinic's answers.

    A clinic classification applies when its name occurs in the text as whole words. KetaCare's own
    classes always stand: a clinic cannot mark a recognised medicine as not interacting, but it may add
    a class. Raises ScreeningError for a malformed clinic classification.
    """
    clinic = check_clinic_classifications(clinic_classifications)
    return _classify(text, clinic)


def _classify(text: str, clinic: Mapping[tuple[str, ...], str]) -> MedicationClassification:
    text_words = words(text)
    known: list[str] = []
    matched: list[str] = []
    for interaction in knowledge().interactions.values():
        names = [name for name in interaction.names if contains_phrase(text_words, words(name))]
        if names:
            known.append(interaction.id)
            matched += names
    clinic_ids = [class_id for key, class_id in clinic.items() if contains_phrase(text_words, key)]
    clinic_keys = [" ".join(key) for key in clinic if contains_phrase(text_words, key)]
    if known:
        extra = [class_id for class_id in clinic_ids if class_id not in known and class_id != NO_INTERACTION]
        return MedicationClassification(text, (*known, *extra), "knowledge", tuple(matched))
    if clinic_ids:
        classes = tuple(dict.fromkeys(c for c in clinic_ids if c != NO_INTERACTION))
        return MedicationClassification(text, classes, "clinic", tuple(clinic_keys))
    return MedicationClassification(text, (), "unclassified", ())


def screen(
    conditions: list[str],
    medications: list[str],
    *,
    clinic_classifications: Mapping[str, str] | None = None,
    date_of_birth: dt.date | None = None,
    screened_on: dt.date | None = None,
) -> ScreeningResult:
    """Screen a patient's condition ids and free-text medications against the knowledge base.

    ``conditions`` are ids from screening.toml (see ``ketacare.core.knowledge.conditions()``); an
    unknown id raises ScreeningError naming it and listing the allowed ids. ``medications`` are free
    text as the patient or clinician wrote them. ``clinic_classifications`` (optional) are the clinic's
    answers for medicines KetaCare does not know: a name -> an interaction class id, or
    ``"no_interaction"``. Text that names no known class and that the clinic has not classified is
    returned in ``unrecognised_medications`` (= ``needs_prescriber_classification``): not an error, but
    the prescriber must classify it before treating.

    ``date_of_birth`` and ``screened_on`` (the screening's calendar date, from the caller's clock) go
    together: with them the patient's age is screened as well (:func:`age_reasons`), so a patient under
    18 is never "eligible" without the prescriber's review. Without them the age is not screened.
    """
    kb = knowledge()
    if (date_of_birth is None) != (screened_on is None):
        raise ScreeningError("date_of_birth and screened_on go together: give both or neither")
    age = (
        age_years_on(date_of_birth, screened_on)
        if date_of_birth is not None and screened_on is not None
        else None
    )
    unknown = [condition_id for condition_id in conditions if condition_id not in kb.conditions]
    if unknown:
        raise ScreeningError(
            f"unknown condition id(s) {', '.join(map(repr, unknown))}; allowed: {', '.join(kb.conditions)}"
        )
    clinic = check_clinic_classifications(clinic_classifications)

    # The age first: for a minor it is what the prescriber must weigh before anything else on the list.
    reasons = list(age_reasons(age)) if age is not None else []
    reasons += [_condition_reason(kb.conditions[condition_id]) for condition_id in dict.fromkeys(conditions)]

    matched: dict[str, list[str]] = {}
    unrecognised: list[str] = []
    by_clinic: list[tuple[str, str]] = []
    for text in medications:
        if not text.strip():
            continue
        found = _classify(text, clinic)
        if found.classified_by == "unclassified":
            unrecognised.append(text)
        elif found.classified_by == "clinic":
            by_clinic.append((text, ", ".join(found.class_ids) or NO_INTERACTION))
        for class_id in found.class_ids:
            matched.setdefault(class_id, []).append(text)
    reasons += [_interaction_reason(kb.interactions[class_id], texts) for class_id, texts in matched.items()]

    # Stable sort: most serious first, input order within a level.
    reasons.sort(key=lambda reason: _LEVEL_ORDER[reason.level])
    levels = {reason.level for reason in reasons}
    eligibility: Eligibility
    if "contraindication" in levels:
        eligibility = "not_eligible"
    elif "precaution" in levels:
        eligibility = "eligible_with_precautions"
    else:
        eligibility = "eligible"
    rems_items = frozenset(
        item for class_id in matched if (item := kb.interactions[class_id].rems_form_item) is not None
    )
    return ScreeningResult(
        eligibility=eligibility,
        reasons=tuple(reasons),
        unrecognised_medications=tuple(unrecognised),
        rems_form_items=rems_items,
        clinic_classified=tuple(by_clinic),
        age_years=age,
    )
