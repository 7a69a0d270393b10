"""The free-text screen knows the everyday ways people say a red flag, and ordinary sentences stay ordinary.

A walkthrough sent the message "My chest feels tight since I got home, is that normal?" at night and got
only "Message sent": the screen knew "chest tightness" and "tight chest" but not words in between, while
the check-in's symptom search already read "chest tight" as chest pain. The red flags and their levels
are cited in red_flags.toml; the phrase lists and near-word rules are clinic practice (safety_net.toml).
"""

from __future__ import annotations

import pytest

from ketacare.core.free_text import screen_free_text
from ketacare.core.knowledge import Level, knowledge
from ketacare.core.safety_net import DATA_FILE, SafetyNetDataError, load_safety_net, safety_net


@pytest.mark.parametrize(
    ("text", "red_flag"),
    [
        # Chest pain [JNJ-BP] [Nervana]: the words around "chest" vary.
        ("My chest feels tight since I got home, is that normal?", "chest_pain"),
        ("chest tight", "chest_pain"),
        ("my chest is really tight tonight", "chest_pain"),
        ("there is a tightness in my chest", "chest_pain"),
        ("a heavy feeling in my chest", "chest_pain"),
        ("heavy chest since lunch", "chest_pain"),
        ("pressure on my chest when I lie down", "chest_pain"),
        ("my chest hurts", "chest_pain"),
        ("pain across the chest", "chest_pain"),
        # Difficulty breathing [JNJ-BP] [REMS-FDA] [Nervana], misspelt as people type on a phone.
        ("I cant breath", "difficulty_breathing"),
        ("can barely breathe", "difficulty_breathing"),
        ("I get out of breath just sitting", "difficulty_breathing"),
        ("I can't catch my breath", "difficulty_breathing"),
        # Urinary symptoms [KIC-Review] [KIC-Case].
        ("cant pee since yesterday", "urinary_symptoms"),
        ("pee hurts", "urinary_symptoms"),
        ("it burns when I pee", "urinary_symptoms"),
        ("there was blood in my wee", "urinary_symptoms"),
        ("peeing blood", "urinary_symptoms"),
        # Fainting [LabelText] [REMS-FDA] [Nervana].
        ("I passed out in the kitchen", "unrousable_or_fainting"),
        ("he keeps passing out", "unrousable_or_fainting"),
        ("I fainted twice", "unrousable_or_fainting"),
        # Seizure [JNJ-BP].
        ("she had a seizure", "seizure"),
        ("he had a fit on the sofa", "seizure"),
        ("I was shaking uncontrollably", "seizure"),
        # Hallucinations that have not worn off [REMS-FDA].
        ("I am hearing voices", "hallucinations_agitation_past_window"),
        ("still seeing things that aren't there", "hallucinations_agitation_past_window"),
        # Thoughts of suicide [Iatrox] [CSSRS-Triage] [CSSRS].
        ("I want to die", "suicidal_thoughts_without_plan"),
        ("honestly I dont want to be here anymore", "suicidal_thoughts_without_plan"),
        ("I keep thinking I would be better off dead", "suicidal_thoughts_without_plan"),
        ("sometimes I want to end it all", "suicidal_thoughts_without_plan"),
        ("I have been hurting myself again", "suicidal_thoughts_without_plan"),
        ("I am going to kill myself", "suicidal_thoughts_with_plan"),
        # Throat swelling [Nervana] [WCM-Label].
        ("my throat feels tight", "face_throat_swelling"),
    ],
)
def test_everyday_words_for_a_red_flag_take_its_path(text: str, red_flag: str) -> None:
    screen = screen_free_text(text)
    assert screen.outcome == "red_flag", screen
    assert red_flag in screen.red_flag_ids
    assert screen.level >= knowledge().red_flags[red_flag].level


@pytest.mark.parametrize(
    "text",
    [
        "my chest of drawers is heavy",
        "I tightened the strap on my bag",
        "I need to get this off my chest, I feel so heavy",
        "the chest freezer is full",
        "my blood pressure was fine and my chest is ok",
        "my back hurts a bit",
        "I had blood and urine tests today",
        "the breathing exercises helped a lot",
        "I can't sleep well",
        "the trousers don't fit",
        "I am a bit confused about Thursday's appointment",
        "the app is not responding",
        "I was craving chocolate all evening",
        "we took a deep breath and laughed",
    ],
)
def test_ordinary_sentences_are_not_red_flags(text: str) -> None:
    # Still read by a person (review): nothing the patient writes falls through.
    assert screen_free_text(text).outcome == "review"


@pytest.mark.parametrize(
    ("text", "negated"),
    [
        ("no chest pain", "chest pain"),
        ("my chest is not tight", "chest is not tight"),
        ("chest doesn't hurt any more", "chest doesnt hurt"),
        ("no tightness in my chest", "tightness in my chest"),
        ("I don't have pain when I pee", "pain when i pee"),
        ("never passed out", "passed out"),
    ],
)
def test_a_denial_stays_a_denial(text: str, negated: str) -> None:
    screen = screen_free_text(text)
    assert screen.outcome == "review"
    assert negated in screen.negated


@pytest.mark.parametrize(
    "text",
    [
        # A negation in an earlier clause denies nothing here.
        "No, my chest feels tight",
        "Not great, chest feels tight",
        # One denial does not hide a symptom said next to it.
        "no pain, but my chest feels tight",
        "No. I can't breathe",
    ],
)
def test_a_negation_elsewhere_does_not_hide_the_red_flag(text: str) -> None:
    assert screen_free_text(text).outcome == "red_flag"


# A check-in synonym (red_flags.toml) the screen leaves to a person's review: alone it says too little
# to send the patient to the emergency number, or it is an expected side effect. Everything else the
# check-in search understands, the screen understands as that red flag or a stricter one.
LEFT_TO_REVIEW = {
    "fit",  # "it doesn't fit"
    "jerking",
    "confused",  # "confused about the appointment"
    "confusion",
    "not making sense",
    "cannot think straight",
    "can't think straight",
    "muddled",
    "mixed up",
    "not responding",  # "the app is not responding"
    "vision change",  # blurred vision is an expected side effect
    "can't see properly",
    "swelling",
    "hives",
    "rash all over",
    "urgency",
    "agitated",
    "agitation",
    "paranoid",
    "paranoia",
    "out of control",
    "aggressive",
    "craving",  # "craving chocolate"
    "cravings",
}


def test_the_screen_knows_every_check_in_synonym_of_the_red_flags_it_screens() -> None:
    rules = safety_net().free_text
    screened = set(rules.phrases) | {rule.red_flag_id for rule in rules.near}
    missed = []
    for flag in knowledge().red_flags.values():
        if flag.id not in screened:
            continue
        for synonym in flag.synonyms:
            if synonym in LEFT_TO_REVIEW:
                continue
            screen = screen_free_text(synonym)
            if screen.outcome != "red_flag" or screen.level < flag.level:
                missed.append((flag.id, synonym))
    assert missed == []


def test_the_loader_refuses_a_near_rule_whose_two_lists_share_a_word() -> None:
    text = DATA_FILE.read_text(encoding="utf-8").replace('words = ["chest"]', 'words = ["chest", "tight"]')
    with pytest.raises(SafetyNetDataError, match="words and near_words both list 'tight'"):
        load_safety_net(text)


def test_the_loader_refuses_a_near_rule_for_an_unknown_red_flag() -> None:
    text = DATA_FILE.read_text(encoding="utf-8").replace(
        '[[free_text.near]]\nred_flag = "chest_pain"', '[[free_text.near]]\nred_flag = "chest_pains"'
    )
    with pytest.raises(SafetyNetDataError, match="unknown red flag id 'chest_pains'"):
        load_safety_net(text)


def test_the_screen_is_clinic_practice_on_top_of_the_red_flags_own_sources() -> None:
    screen = screen_free_text("My chest feels tight since I got home, is that normal?")
    assert screen.level is Level.EMERGENCY
    assert "clinic-practice" in screen.sources
    assert set(knowledge().red_flags["chest_pain"].sources) <= set(screen.sources)
