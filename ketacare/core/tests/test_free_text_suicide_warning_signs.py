"""The free-text screen knows the everyday ways people say they are thinking of suicide.

A walkthrough on a phone typed "I don't want to wake up tomorrow", "I'm a burden to everyone" and "I feel
hopeless" and got only "If in doubt, call", with no crisis line. The warning signs of suicide listed by
the NIMH and the 988 Suicide & Crisis Lifeline are talking about wanting to die, feeling hopeless or
having no reason to live, being a burden to others, feeling trapped or in unbearable pain
[NIMH-WarningSigns]. The phrase list drawn from those signs is KetaCare practice (safety_net.toml); the
red flag's level and message are cited in red_flags.toml. It errs on the side of flagging: "hopeless
about my taxes" is flagged too, and a person at the clinic calls.
"""

from __future__ import annotations

import pytest

from ketacare.core.free_text import screen_free_text
from ketacare.core.knowledge import get_source
from ketacare.core.safety_net import DATA_FILE, SafetyNetDataError, load_safety_net, safety_net

WITHOUT_PLAN = "suicidal_thoughts_without_plan"

# Each as typed, with the apostrophe a phone puts in (curly), a keyboard's (straight) or none.
SAID = [
    "I don't want to wake up",
    "I don't want to wake up tomorrow",
    "I dont want to wake up tomorrow",
    "I don\u2019t want to wake up tomorrow",
    "I do not want to wake up",
    "I hope I don't wake up",
    "I wish I hadn't woken up",
    "I wish I hadnt woken up this morning",
    "I just want to go to sleep and never wake up",
    "I can't go on like this",
    "I cant go on like this",
    "I can\u2019t go on anymore",
    "I can't take it any more",
    "I can't do this anymore",
    "there's no point in living",
    "theres no point living",
    "what's the point of living",
    "I have nothing to live for",
    "nothing left to live for",
    "no reason to live",
    "there is no reason to go on",
    "I'm a burden to everyone",
    "Im a burden",
    "I am such a burden to my family",
    "I feel like a burden",
    "I just want to disappear",
    "I wish I could just disappear",
    "I want to sleep forever",
    "I don't want to be here",
    "I dont want to be here",
    "I don't want to be here anymore",
    "I do not want to be here",
    "thinking about ending things",
    "I want to end it all",
    "I feel hopeless",
    "everything is hopeless",
    "I have lost all hope",
    "I don't want to live",
    "I do not want to live any more",
    "I don't want to exist",
    "I want it all to end",
]


@pytest.mark.parametrize("text", SAID)
def test_a_warning_sign_in_the_patients_words_is_thoughts_of_suicide(text: str) -> None:
    screen = screen_free_text(text)
    assert screen.outcome == "red_flag", (text, screen.matches)
    assert screen.red_flag_ids == (WITHOUT_PLAN,)
    assert screen.level.value == "urgent"


@pytest.mark.parametrize("text", ["kill myself", "I want to kill myself", "I'll kill myself"])
def test_kill_myself_stays_the_emergency_of_a_plan(text: str) -> None:
    screen = screen_free_text(text)
    assert screen.red_flag_ids == ("suicidal_thoughts_with_plan",)
    assert screen.level.value == "emergency"


# The negation is part of these phrases: the negation rule reads only the words before a phrase, so it
# must not drop them, whatever stands before them in the sentence.
@pytest.mark.parametrize(
    "text",
    [
        "I don't want to live",
        "I really don't want to live",
        "No, I don't want to live",
        "not sure why but I dont want to wake up",
        "I'm not suicidal, I just don't want to wake up",
        "I don't want to die but I don't want to live either",
        "honestly I do not want to wake up tomorrow",
    ],
)
def test_a_phrase_that_holds_its_own_negation_is_not_read_as_a_denial(text: str) -> None:
    screen = screen_free_text(text)
    assert screen.outcome == "red_flag", (text, screen.matches)
    assert WITHOUT_PLAN in screen.red_flag_ids


# A denial stays what the rule has always made it: review by a person (never the crisis screen, and
# never dropped), with the denied phrase named for the clinician.
@pytest.mark.parametrize(
    ("text", "negated"),
    [
        ("I don't want to die", "want to die"),
        ("I do not want to die", "want to die"),
        ("I'm not hopeless", "hopeless"),
        ("I don't feel hopeless any more", "hopeless"),
        ("I don't feel like a burden", "feel like a burden"),
        ("I don't want to disappear", "want to disappear"),
        ("not suicidal", "suicidal"),
    ],
)
def test_a_denial_of_a_warning_sign_goes_to_review(text: str, negated: str) -> None:
    screen = screen_free_text(text)
    assert screen.outcome == "review", (text, screen.matches)
    assert negated in screen.negated


def test_it_errs_on_the_side_of_flagging() -> None:
    # Hopeless about anything is read as hopeless: a person calls, which costs less than a miss.
    assert screen_free_text("I feel hopeless about my taxes").red_flag_ids == (WITHOUT_PLAN,)


@pytest.mark.parametrize(
    "text",
    [
        "I could sleep forever after the session",
        "I can't go on Thursday, can we move it?",
        "the headache disappeared by lunch",
        "I want to wake up earlier for my walk",
        "I hope I wake up in time for the appointment",
        "is there any point in taking it with food?",
    ],
)
def test_everyday_sentences_that_only_share_a_word_stay_a_review(text: str) -> None:
    assert screen_free_text(text).outcome == "review", screen_free_text(text).matches


def test_the_phrases_cite_the_warning_signs_and_are_clinic_practice() -> None:
    source = get_source("NIMH-WarningSigns")
    assert source.url == "https://www.nimh.nih.gov/health/publications/warning-signs-of-suicide"
    cited = safety_net().free_text.phrase_sources[WITHOUT_PLAN]
    assert cited.is_clinic_practice
    assert cited.sources == ("NIMH-WarningSigns", "clinic-practice")
    screen = screen_free_text("I'm a burden to everyone")
    assert {"NIMH-WarningSigns", "clinic-practice", "CSSRS-Triage"} <= set(screen.sources)
    # A screen that matched another red flag does not cite the suicide warning signs.
    assert "NIMH-WarningSigns" not in screen_free_text("chest pain").sources


def test_the_loader_refuses_a_phrase_table_citing_an_unknown_source() -> None:
    text = DATA_FILE.read_text(encoding="utf-8").replace('"NIMH-WarningSigns"', '"NIMH-Warning"', 1)
    with pytest.raises(SafetyNetDataError, match="unknown source id 'NIMH-Warning'"):
        load_safety_net(text)
