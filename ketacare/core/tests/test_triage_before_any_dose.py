"""Before any dose (no dose on record) triage keeps its levels and speaks no word about a dose."""

from __future__ import annotations

import re
from itertools import product

import pytest

from ketacare.core.knowledge import Level, knowledge, persistence
from ketacare.core.triage import SEVERITIES, SymptomReport, TriageError, triage

# Words that would tell a patient with no dose on record something untrue about one.
UNTRUE = re.compile(r"dose|after (?:your |the )?(?:session|treatment)|longer than|usually passes|still there")


def _long_past_a_dose_min() -> float:
    # An effect still present after the persistence limit: the longest anyone can be past a dose.
    return persistence().contact_clinic_after_min + 24 * 60


@pytest.mark.parametrize(
    ("symptom_id", "severity", "with_flags"),
    list(
        product(
            knowledge().side_effects,
            SEVERITIES,
            [(), ("persistent_confusion",), ("unable_to_care_for_self",), ("worsening_mood",)],
        )
    ),
)
def test_every_side_effect_before_any_dose_keeps_the_level_of_one_long_past_a_dose(
    symptom_id: str, severity: str, with_flags: tuple[str, ...]
) -> None:
    reports = [SymptomReport(symptom_id, severity), *(SymptomReport(f) for f in with_flags)]  # type: ignore[arg-type]
    before = triage(reports, route="iv", minutes_since_dose=None)
    long_past = triage(reports, route="iv", minutes_since_dose=_long_past_a_dose_min())
    assert before.details[0].level is long_past.details[0].level
    assert before.level is long_past.level
    detail = before.details[0]
    assert detail.level >= Level.CONTACT_CLINIC
    assert "not an effect of treatment" in detail.patient_message
    assert not UNTRUE.search(detail.patient_message.lower()), detail.patient_message
    assert detail.expected_window is None and detail.longer_than_expected_after_min is None
    assert detail.self_care == () and "clinic-practice" in detail.sources


def test_mild_nausea_before_any_dose_says_so_and_asks_to_contact_the_clinic_today() -> None:
    result = triage([SymptomReport("nausea")], route="iv", minutes_since_dose=None)
    assert result.level is Level.CONTACT_CLINIC
    assert result.patient_message == (
        "Feeling sick (nausea): you have not had a treatment session with us yet, so this is not an effect "
        "of treatment. Please contact your clinic today."
    )
    assert result.minutes_since_dose is None
    assert any("no dose on record" in rule for rule in result.details[0].rules)


def test_severe_nausea_before_any_dose_is_urgent_as_it_says() -> None:
    result = triage([SymptomReport("nausea", "severe")], route="iv", minutes_since_dose=None)
    assert result.level is Level.URGENT
    assert result.patient_message.endswith(
        "As you rate it as severe: You need to be seen today: call your "
        "clinic now, or out-of-hours or urgent care if it is closed."
    )


@pytest.mark.parametrize("flag_id", list(knowledge().red_flags))
def test_a_red_flag_before_any_dose_keeps_its_level_and_its_own_message(flag_id: str) -> None:
    """Its own message, or, for a flag whose words assume a dose, its words for no dose."""
    flag = knowledge().red_flags[flag_id]
    before = triage([SymptomReport(flag_id)], route="iv", minutes_since_dose=None)
    after = triage([SymptomReport(flag_id)], route="iv", minutes_since_dose=120)
    assert before.level is after.level and before.level is flag.level
    assert after.patient_message == flag.patient_message and after.details[0].name == flag.name
    assert before.patient_message == (flag.before_any_dose_message or flag.patient_message)
    assert before.details[0].name == (flag.before_any_dose_name or flag.name)
    assert before.red_flag_ids == (flag_id,)


@pytest.mark.parametrize("severity", SEVERITIES)
def test_hallucinations_before_any_dose_speak_of_no_dose_wearing_off_and_stay_urgent(severity: str) -> None:
    flag_id = "hallucinations_agitation_past_window"
    reported = triage([SymptomReport(flag_id, severity)], route="iv", minutes_since_dose=None)  # type: ignore[arg-type]
    in_words = triage([], route="iv", minutes_since_dose=None, other_text="I keep hearing voices")
    for result in (reported, in_words):
        detail = result.details[0]
        assert detail.name == "Seeing or hearing things that are not there, or agitation"
        assert detail.red_flag_id == flag_id and detail.level >= Level.URGENT
        assert "worn off" not in detail.name + detail.patient_message
        assert not UNTRUE.search(detail.patient_message.lower()), detail.patient_message
        assert detail.patient_message.startswith("Seeing or hearing things that are not there")
    assert reported.level is (Level.EMERGENCY if severity == "severe" else Level.URGENT)


def test_chest_pain_before_any_dose_is_an_emergency() -> None:
    result = triage(
        [SymptomReport("chest_pain"), SymptomReport("nausea")], route="iv", minutes_since_dose=None
    )
    assert result.level is Level.EMERGENCY
    assert "Call your local emergency number now." in result.patient_message


def test_an_onset_in_minutes_after_a_dose_is_refused_when_there_is_none() -> None:
    with pytest.raises(TriageError, match=r"onset_min 30 of 'nausea' counts from a dose.*none is on record"):
        triage([SymptomReport("nausea", onset_min=30)], route="iv", minutes_since_dose=None)
