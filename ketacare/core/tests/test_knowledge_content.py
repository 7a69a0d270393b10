"""The packaged knowledge holds what the clinical brief asks for, and cites it honestly."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from ketacare.core import knowledge as kn
from ketacare.core.knowledge import CLINIC_PRACTICE, ROUTES, Evidence, Level

# Every bracket label in the Sources list of the clinical brief, verbatim (docs/clinical-sources.md).
BRIEF_SOURCE_IDS = """
LabelText LabelText2 WCM-Label Blog-Label REMS-FDA REMS-PMF REMS-Inpt JNJ-REMSvid HCP-Dose HCP-Dose2 HCP-Dose3
HCP-MDSI SPR-Pat SPR-Safety SPR-TRD JNJ-BP JNJ-CV MIMS-HK EU-SmPC openFDA-NDC News-Mono MNT-Dose
Healthline-Dose Mayo-Esk MedicineNet Joomag-MedGuide Sanacora2017 Swainson2021 Zarate2021c Phelps2022 ASKP3
McIntyre2021 Yip2022 Parikh2021 RCEM Murrough2013a Murrough2013a-abs Murrough2013b Avyia Phillips2019 Zheng2019
Anand2023 Ekstrand2022 Fava2018 Diazgranados2010 Han2016 Kishimoto2016 Newport2015 Wilkinson2019 Alnefeesi2022
Springer-Review Particle-News Short2018 Emory2018 Yale2024 Szarmach2020 DelSant2020 Andrade2017 Andrade2019
AlShirawi2017 Lara2013 KheirAbadi2023 Andrashko2020 Feeney2023 Scite-ASPIRE Anand2000 Wilkinson2017
Wilkinson2021 Grabski2022 TrialExcl RPA2024 UnityHealth Daly2019 SUSTAIN1-poster Popova2019 ASPIRE-pooled
ASPIRE-II Esk-n24 SUSTAIN3 GarciaRomeu Kroenke2001 Spitzer2006 cliot GAD7-skill PsychServ2020 P4QM Simon2013
Louzon2016 Uebelacker2011 Iatrox MADRS-Snaith Muller2003 Muller2000 Rush2003 IDS-QIDS QIDS-interp PCL5-AU
PCL5-QxMD YBOCS-bands DrOracle-YBOCS CSSRS-Screen CSSRS-Triage CSSRS MOAAS NRS ePPOC BPI-Wiki SRALab FHIR-VS
USCore-PHQ9 BH-PHQ9 MII-PHQ9 MII-GAD7 Code-PHQ9 Code-SpO2 Code-Labs KIC-Review KIC-Case KIC-Taiwan Nervana
ZenPsych WellsMed Curbside DrOracle-CI DrOracle-IV ForHims GoodRx Greenbrook Clinic-Neuro PEPID PatientEd
""".split()

REQUIRED_SIDE_EFFECTS = [
    "dissociation",
    "perceptual_changes",
    "dizziness",
    "vertigo",
    "nausea",
    "vomiting",
    "headache",
    "fatigue",
    "drowsiness",
    "blurred_vision",
    "anxiety",
    "dysgeusia",
    "numbness_tingling",
    "euphoria",
    "raised_blood_pressure",
    "fast_heartbeat",
]

REQUIRED_RED_FLAGS = {
    "chest_pain": Level.EMERGENCY,
    "difficulty_breathing": Level.EMERGENCY,
    "persistent_confusion": Level.EMERGENCY,
    "unrousable_or_fainting": Level.EMERGENCY,
    "seizure": Level.EMERGENCY,
    "hypertensive_crisis_signs": Level.EMERGENCY,
    "face_throat_swelling": Level.EMERGENCY,
    "suicidal_thoughts_without_plan": Level.URGENT,
    "suicidal_thoughts_with_plan": Level.EMERGENCY,
    "urinary_symptoms": Level.URGENT,
    "hallucinations_agitation_past_window": Level.URGENT,
}


def citations() -> Iterator[tuple[str, Evidence, tuple[str, ...]]]:
    """Every (where, evidence, cited ids) in the packaged knowledge files."""
    kb = kn.knowledge()
    yield "[persistence]", kb.persistence.evidence, kb.persistence.sources
    for effect in kb.side_effects.values():
        yield effect.id, effect.evidence, effect.sources
        yield f"{effect.id} self-care", effect.self_care_evidence, effect.self_care_sources
        for course in effect.courses:
            yield f"{effect.id}/{course.route} window", course.evidence, course.sources
            yield f"{effect.id}/{course.route} threshold", course.threshold_evidence, course.threshold_sources
    for flag in kb.red_flags.values():
        yield flag.id, flag.evidence, flag.sources
    for condition in kb.conditions.values():
        yield condition.id, condition.evidence, condition.sources
    for interaction in kb.interactions.values():
        yield interaction.id, interaction.evidence, interaction.sources
    for phase in kb.aftercare:
        for item in phase.items:
            yield f"{phase.id}/{item.id}", item.evidence, item.sources
    for entry in kb.education.values():
        yield entry.id, entry.evidence, entry.sources


# Sources found after the brief with the search tool for the safety-net rules (decision 0012); each sits
# in its own group of sources.toml so a reader can tell them from the brief's.
LOOKED_UP_SOURCE_IDS = """
LabelText-8.6 MIMS-PH-DDI FDA-Gabapentinoids2019 FDA-MAOI-2011 Memantine-SmPC Andrade2017-DDI Peltoniemi2012
HTN-Crisis Chilukuri2014 Loo2016 Harihar2013
USCore-PHQ9-item9 USCore-PulseOx FHIR-RouteCodes RxNorm-Esketamine
NIMH-WarningSigns
""".split()


def test_sources_hold_every_source_of_the_brief_under_its_verbatim_id() -> None:
    assert sorted(set(BRIEF_SOURCE_IDS) - kn.source_ids()) == []
    assert kn.source_ids() == frozenset(BRIEF_SOURCE_IDS) | frozenset(LOOKED_UP_SOURCE_IDS) | {
        CLINIC_PRACTICE
    }


def test_sources_looked_up_after_the_brief_are_grouped_apart() -> None:
    for source_id in LOOKED_UP_SOURCE_IDS:
        assert kn.get_source(source_id).group == "Looked up after the brief (decision 0012)", source_id
    assert not set(LOOKED_UP_SOURCE_IDS) & set(BRIEF_SOURCE_IDS)


def test_every_source_has_a_citation_and_every_url_is_a_web_address() -> None:
    for source in kn.sources():
        assert source.citation.strip(), source.id
        for url in (source.url, *source.mirrors):
            assert url is None or url.startswith(("https://", "http://")), source.id


def test_the_clinic_practice_source_says_it_is_unverified() -> None:
    source = kn.get_source(CLINIC_PRACTICE)
    assert source.citation == "KetaCare default clinic practice — unverified, to be reviewed by the clinic"
    assert source.evidence is Evidence.PRACTICE


def test_a_source_with_an_unverified_year_has_no_year() -> None:
    # The clinical brief: "first author and year not verified here".
    assert kn.get_source("Emory2018").year is None
    assert kn.get_source("Kroenke2001").year == 2001


def test_get_source_names_the_unknown_id() -> None:
    with pytest.raises(kn.UnknownIdError, match="unknown source id 'Nobody2099'"):
        kn.get_source("Nobody2099")


def test_every_cited_source_id_resolves() -> None:
    known = kn.source_ids()
    unresolved = [(where, s) for where, _, cited in citations() for s in cited if s not in known]
    assert unresolved == []


def test_every_clinic_practice_citation_carries_evidence_practice() -> None:
    wrong = [
        where for where, evidence, cited in citations() if CLINIC_PRACTICE in cited and evidence != "practice"
    ]
    assert wrong == []


def test_every_practice_claim_cites_a_practice_level_source() -> None:
    wrong = [
        where
        for where, evidence, cited in citations()
        if evidence is Evidence.PRACTICE
        and not any(kn.get_source(s).evidence is Evidence.PRACTICE for s in cited)
    ]
    assert wrong == []


@pytest.mark.parametrize("route", ["oral", "sublingual", "im"])
def test_windows_for_routes_the_brief_does_not_describe_are_clinic_practice(route: str) -> None:
    for effect in kn.side_effects():
        course = effect.course(route)
        assert course.evidence is Evidence.PRACTICE and CLINIC_PRACTICE in course.sources, effect.id
        assert course.threshold_evidence is Evidence.PRACTICE, effect.id


def test_unverified_facts_of_the_brief_are_shipped_as_clinic_practice() -> None:
    # The maintenance interval of 2-4 weeks for IV ketamine (brief 1a), the neuroplasticity window (6),
    # sleep/hydration/journaling advice (6) and the hypertensive-encephalopathy signs (3c) are UNVERIFIED.
    unverified = [
        kn.get_education_entry("maintenance"),
        next(item for item in kn.get_aftercare_phase("24_72h").items if item.id == "neuroplasticity_window"),
        kn.get_red_flag("hypertensive_crisis_signs"),
        kn.get_red_flag("seizure"),
    ]
    for entry in unverified:
        assert entry.evidence is Evidence.PRACTICE
        assert CLINIC_PRACTICE in entry.sources


def test_it_holds_every_required_side_effect_with_a_course_for_every_route() -> None:
    ids = [effect.id for effect in kn.side_effects()]
    assert set(REQUIRED_SIDE_EFFECTS) <= set(ids)
    for effect in kn.side_effects():
        assert tuple(course.route for course in effect.courses) == ROUTES
        assert effect.synonyms and effect.self_care
        for course in effect.courses:
            window = course.window
            assert 0 <= window.onset_min <= window.peak_min <= window.resolution_min
            assert course.longer_than_expected_after_min >= window.resolution_min


def test_it_holds_every_required_red_flag_at_its_level() -> None:
    for flag_id, level in REQUIRED_RED_FLAGS.items():
        assert kn.get_red_flag(flag_id).level is level, flag_id


def test_the_esketamine_dissociation_threshold_is_the_rems_two_hours() -> None:
    # REMS: sedation, dissociation or confusion not resolved at 2 h -> keep monitoring [REMS-FDA].
    course = kn.get_side_effect("dissociation").course("esketamine_in")
    assert course.longer_than_expected_after_min == 120
    assert course.threshold_sources == ("REMS-FDA",)


def test_the_esketamine_blood_pressure_course_follows_the_label() -> None:
    # Peak ~40 min, back to baseline within 2 h in trials, lasting ~4 h per the US label [JNJ-CV] [JNJ-BP].
    course = kn.get_side_effect("raised_blood_pressure").course("esketamine_in")
    assert (course.window.peak_min, course.window.resolution_min, course.longer_than_expected_after_min) == (
        40,
        120,
        240,
    )
    assert course.evidence is Evidence.LABEL


def test_aftercare_has_the_five_phases_in_order() -> None:
    assert [phase.id for phase in kn.aftercare_phases()] == [
        "in_clinic",
        "first_hours",
        "rest_of_day",
        "24_72h",
        "following_weeks",
    ]
    assert all(phase.items for phase in kn.aftercare_phases())


def test_complementary_practices_are_never_presented_as_evidence_based() -> None:
    complementary = [
        item for phase in kn.aftercare_phases() for item in phase.items if item.kind == "complementary"
    ]
    assert len(complementary) >= 4
    assert all(item.evidence is Evidence.PRACTICE for item in complementary)


def test_patient_education_says_about_half_respond_and_never_promises_sixty_to_seventy_percent() -> None:
    assert "About half" in kn.get_education_entry("success_rates").answer
    promise = re.compile(r"\b(60|70)\s*(%|per ?cent|[-–]\s*70)")
    offenders = [e.id for e in kn.education_entries() if promise.search(e.question + " " + e.answer)]
    assert offenders == []


def test_education_covers_the_topics_patients_ask_about() -> None:
    topics = {entry.topic for entry in kn.education_entries()}
    assert {
        "session",
        "how_it_works",
        "success",
        "maintenance",
        "risks",
        "preparation",
        "aftercare",
        "faq",
    } <= topics


def test_lookups_of_unknown_ids_list_the_allowed_ids() -> None:
    with pytest.raises(kn.UnknownIdError, match=r"unknown side effect id 'hiccups'; allowed: dissociation"):
        kn.get_side_effect("hiccups")
    with pytest.raises(kn.UnknownIdError, match="unknown red flag id"):
        kn.get_red_flag("nausea")
    with pytest.raises(kn.UnknownIdError, match="unknown route 'nasal'; allowed: iv, esketamine_in"):
        kn.get_side_effect("nausea").course("nasal")


def test_the_knowledge_base_is_loaded_once() -> None:
    assert kn.knowledge() is kn.knowledge()


def test_levels_are_ordered_from_expected_to_emergency() -> None:
    assert Level.EXPECTED < Level.LONGER_THAN_EXPECTED < Level.CONTACT_CLINIC < Level.URGENT < Level.EMERGENCY
    assert max(Level.URGENT, Level.CONTACT_CLINIC, Level.EXPECTED) is Level.URGENT
    assert Level.EMERGENCY.raised() is Level.EMERGENCY
