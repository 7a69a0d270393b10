"""The knowledge loader refuses malformed data with a message naming the file and the entry.

Each test writes a small, valid data set to a temporary directory, breaks one thing, and loads it
with ``load_knowledge(tmp_path)``; the packaged data is not touched.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ketacare.core.knowledge import KnowledgeError, Level, load_knowledge, validate_source_ids

ROUTE_BLOCK = """
[side_effect.course.{route}]
onset_min = 0
peak_min = 40
resolution_min = 90
evidence = "rct"
sources = ["TrialA"]
longer_than_expected_after_min = 120
threshold_evidence = "practice"
threshold_sources = ["clinic-practice"]
"""

VALID = {
    "sources.toml": """
[[source]]
id = "TrialA"
group = "Trials"
citation = "Trial A"
year = 2020
url = "https://example.org/a"
evidence = "rct"
secondary = false

[[source]]
id = "ClinicB"
group = "Other"
citation = "Clinic B page"
evidence = "practice"
secondary = false

[[source]]
id = "clinic-practice"
group = "KetaCare"
citation = "KetaCare default clinic practice"
evidence = "practice"
secondary = false
""",
    "side_effects.toml": """
[persistence]
contact_clinic_after_min = 4320
evidence = "practice"
sources = ["clinic-practice"]

[[side_effect]]
id = "nausea"
name = "Nausea"
description = "Feeling sick."
synonyms = ["queasy"]
how_common = "Common."
evidence = "rct"
sources = ["TrialA"]
self_care = ["Sip water."]
self_care_evidence = "practice"
self_care_sources = ["ClinicB"]
"""
    + "".join(
        ROUTE_BLOCK.format(route=route) for route in ("iv", "esketamine_in", "oral", "sublingual", "im")
    ),
    "red_flags.toml": """
[[red_flag]]
id = "chest_pain"
name = "Chest pain"
synonyms = ["chest pain"]
level = "emergency"
patient_message = "Call the emergency number."
evidence = "rct"
sources = ["TrialA"]
""",
    "screening.toml": """
[[condition]]
id = "avm"
name = "AVM"
description = "Arteriovenous malformation."
synonyms = ["avm"]
level = "contraindication"
evidence = "rct"
sources = ["TrialA"]

[[interaction]]
id = "benzodiazepines"
name = "Benzodiazepines"
level = "precaution"
names = ["lorazepam"]
effect = "More sedation."
action = "Monitor."
evidence = "rct"
sources = ["TrialA"]
""",
    "aftercare.toml": "".join(
        f"""
[[phase]]
id = "{phase}"
title = "Phase {phase}"
when = "Some time"

[[phase.item]]
id = "rest"
kind = "do"
audience = "patient"
text = "Rest."
evidence = "practice"
sources = ["ClinicB"]
"""
        for phase in ("in_clinic", "first_hours", "rest_of_day", "24_72h", "following_weeks")
    ),
    "education.toml": """
[[entry]]
id = "what_happens"
topic = "session"
question = "What happens?"
answer = "You rest."
evidence = "rct"
sources = ["TrialA"]
""",
}


def write_data(directory: Path, **overrides: str) -> Path:
    """Write the valid fixture files, with ``overrides`` (file stem -> full text) replacing some."""
    for name, text in VALID.items():
        (directory / name).write_text(overrides.get(name.removesuffix(".toml"), text), encoding="utf-8")
    return directory


def broken(directory: Path, file: str, old: str, new: str, *, count: int = 1) -> Path:
    """Write the fixture with the first ``count`` occurrences of ``old`` in ``file`` replaced by ``new``."""
    text = VALID[file]
    assert old in text, f"fixture text {old!r} not found in {file}"
    return write_data(directory, **{file.removesuffix(".toml"): text.replace(old, new, count)})


def load_error(directory: Path) -> str:
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(directory)
    return str(caught.value)


def test_the_fixture_data_loads(tmp_path: Path) -> None:
    kb = load_knowledge(write_data(tmp_path))
    assert list(kb.side_effects) == ["nausea"]
    assert kb.side_effects["nausea"].course("oral").window.resolution_min == 90
    assert kb.red_flags["chest_pain"].level is Level.EMERGENCY


def test_the_packaged_data_loads() -> None:
    kb = load_knowledge()
    assert kb.side_effects and kb.red_flags and kb.conditions and kb.interactions and kb.education


def test_it_rejects_an_unknown_source_id(tmp_path: Path) -> None:
    message = load_error(broken(tmp_path, "education.toml", 'sources = ["TrialA"]', 'sources = ["TrailA"]'))
    assert "education.toml" in message
    assert "'what_happens'" in message
    assert "unknown source id 'TrailA'" in message
    assert "did you mean 'TrialA'" in message


def test_it_rejects_an_unknown_source_id_in_a_route_threshold(tmp_path: Path) -> None:
    message = load_error(
        broken(
            tmp_path,
            "side_effects.toml",
            'threshold_sources = ["clinic-practice"]',
            'threshold_sources = ["Nope"]',
        )
    )
    assert (
        "side_effects.toml" in message and "'nausea'" in message and "'iv'" in message and "'Nope'" in message
    )


def test_it_rejects_an_entry_that_cites_no_source(tmp_path: Path) -> None:
    message = load_error(broken(tmp_path, "red_flags.toml", 'sources = ["TrialA"]', "sources = []"))
    assert "red_flags.toml" in message and "'chest_pain'" in message


def test_it_rejects_clinic_practice_cited_as_trial_evidence(tmp_path: Path) -> None:
    message = load_error(
        broken(tmp_path, "side_effects.toml", 'threshold_evidence = "practice"', 'threshold_evidence = "rct"')
    )
    assert "'nausea'" in message and "clinic-practice" in message and "'practice'" in message


def test_it_rejects_practice_evidence_without_a_practice_level_source(tmp_path: Path) -> None:
    message = load_error(
        broken(
            tmp_path,
            "education.toml",
            'evidence = "rct"\nsources = ["TrialA"]',
            'evidence = "practice"\nsources = ["TrialA"]',
        )
    )
    assert "education.toml" in message and "'what_happens'" in message and "practice-level" in message


def test_it_rejects_an_unknown_evidence_tag(tmp_path: Path) -> None:
    message = load_error(broken(tmp_path, "red_flags.toml", 'evidence = "rct"', 'evidence = "anecdote"'))
    assert "'chest_pain'" in message and "'anecdote'" in message and "rct" in message


def test_it_rejects_a_negative_window(tmp_path: Path) -> None:
    message = load_error(broken(tmp_path, "side_effects.toml", "onset_min = 0", "onset_min = -5"))
    assert (
        "side_effects.toml" in message
        and "'nausea'" in message
        and "onset_min" in message
        and "-5" in message
    )


def test_it_rejects_a_peak_before_the_onset(tmp_path: Path) -> None:
    message = load_error(broken(tmp_path, "side_effects.toml", "onset_min = 0", "onset_min = 50"))
    assert "'nausea'" in message and "inverted window" in message


def test_it_rejects_a_resolution_before_the_peak(tmp_path: Path) -> None:
    message = load_error(broken(tmp_path, "side_effects.toml", "resolution_min = 90", "resolution_min = 30"))
    assert "'nausea'" in message and "inverted window" in message


def test_it_rejects_a_longer_than_expected_threshold_before_resolution(tmp_path: Path) -> None:
    message = load_error(
        broken(
            tmp_path,
            "side_effects.toml",
            "longer_than_expected_after_min = 120",
            "longer_than_expected_after_min = 60",
        )
    )
    assert (
        "'nausea'" in message and "longer_than_expected_after_min" in message and "resolution_min" in message
    )


def test_it_rejects_a_boolean_where_minutes_belong(tmp_path: Path) -> None:
    message = load_error(broken(tmp_path, "side_effects.toml", "peak_min = 40", "peak_min = true"))
    assert "'nausea'" in message and "peak_min" in message


def test_it_rejects_an_implausibly_long_window(tmp_path: Path) -> None:
    message = load_error(
        broken(tmp_path, "side_effects.toml", "resolution_min = 90", "resolution_min = 99999")
    )
    assert "'nausea'" in message and "allowed range" in message


def test_it_rejects_a_missing_route(tmp_path: Path) -> None:
    text = VALID["side_effects.toml"]
    without_im = text[: text.index("[side_effect.course.im]")]
    message = load_error(write_data(tmp_path, side_effects=without_im))
    assert "side_effects.toml" in message and "'nausea'" in message and "missing route(s) im" in message


def test_it_rejects_an_unknown_route(tmp_path: Path) -> None:
    message = load_error(
        broken(tmp_path, "side_effects.toml", "[side_effect.course.im]", "[side_effect.course.rectal]")
    )
    assert "'nausea'" in message and "im" in message


def test_it_rejects_a_duplicate_id(tmp_path: Path) -> None:
    text = VALID["red_flags.toml"]
    message = load_error(write_data(tmp_path, red_flags=text + text))
    assert "red_flags.toml" in message and "'chest_pain'" in message and "duplicate id" in message


def test_it_rejects_a_duplicate_source_id(tmp_path: Path) -> None:
    message = load_error(broken(tmp_path, "sources.toml", 'id = "ClinicB"', 'id = "TrialA"'))
    assert "sources.toml" in message and "'TrialA'" in message and "duplicate id" in message


def test_it_rejects_an_entry_without_an_id(tmp_path: Path) -> None:
    message = load_error(broken(tmp_path, "education.toml", 'id = "what_happens"\n', ""))
    assert "education.toml" in message and "entry #1" in message and "'id'" in message


def test_it_rejects_words_for_no_dose_without_their_message(tmp_path: Path) -> None:
    message = load_error(
        broken(
            tmp_path,
            "red_flags.toml",
            'patient_message = "Call the emergency number."\n',
            'patient_message = "Call the emergency number."\nbefore_any_dose_name = "Chest hurts"\n',
        )
    )
    assert "'chest_pain'" in message and "before_any_dose_message go together" in message


def test_it_rejects_a_misspelt_field(tmp_path: Path) -> None:
    message = load_error(
        broken(tmp_path, "side_effects.toml", "peak_min = 40\n", "peak_min = 40\npeek_min = 40\n")
    )
    assert "'nausea'" in message and "'peek_min'" in message


def test_it_rejects_a_missing_field(tmp_path: Path) -> None:
    message = load_error(
        broken(tmp_path, "red_flags.toml", 'patient_message = "Call the emergency number."\n', "")
    )
    assert "'chest_pain'" in message and "'patient_message'" in message


def test_it_rejects_a_red_flag_at_the_expected_level(tmp_path: Path) -> None:
    message = load_error(broken(tmp_path, "red_flags.toml", 'level = "emergency"', 'level = "expected"'))
    assert "'chest_pain'" in message and "contact_clinic, urgent, emergency" in message


def test_it_rejects_a_side_effect_id_that_is_also_a_red_flag(tmp_path: Path) -> None:
    message = load_error(broken(tmp_path, "red_flags.toml", 'id = "chest_pain"', 'id = "nausea"'))
    assert "'nausea'" in message and "red flag" in message


def test_it_rejects_a_past_window_red_flag_that_does_not_exist(tmp_path: Path) -> None:
    message = load_error(
        broken(
            tmp_path,
            "side_effects.toml",
            'self_care_sources = ["ClinicB"]',
            'self_care_sources = ["ClinicB"]\npast_window_red_flag = "chest_pian"',
        )
    )
    assert "'nausea'" in message and "'chest_pian'" in message and "did you mean 'chest_pain'" in message


def test_it_rejects_a_medicine_name_listed_under_two_classes(tmp_path: Path) -> None:
    extra = VALID["screening.toml"] + VALID["screening.toml"][
        VALID["screening.toml"].index("[[interaction]]") :
    ].replace('id = "benzodiazepines"', 'id = "sleeping_pills"')
    message = load_error(write_data(tmp_path, screening=extra))
    assert "'sleeping_pills'" in message and "'lorazepam'" in message and "'benzodiazepines'" in message


def test_it_rejects_an_upper_case_medicine_name(tmp_path: Path) -> None:
    message = load_error(broken(tmp_path, "screening.toml", 'names = ["lorazepam"]', 'names = ["Lorazepam"]'))
    assert "'benzodiazepines'" in message and "'Lorazepam'" in message


def test_it_rejects_an_unknown_condition_level(tmp_path: Path) -> None:
    message = load_error(broken(tmp_path, "screening.toml", 'level = "contraindication"', 'level = "maybe"'))
    assert "screening.toml" in message and "'avm'" in message and "'maybe'" in message


def test_it_rejects_aftercare_phases_out_of_order(tmp_path: Path) -> None:
    message = load_error(broken(tmp_path, "aftercare.toml", 'id = "in_clinic"', 'id = "in_the_clinic"'))
    assert (
        "aftercare.toml" in message
        and "in_clinic, first_hours, rest_of_day, 24_72h, following_weeks" in message
    )


def test_it_names_the_phase_of_a_broken_aftercare_item(tmp_path: Path) -> None:
    message = load_error(broken(tmp_path, "aftercare.toml", 'kind = "do"', 'kind = "maybe"'))
    assert "aftercare.toml" in message and "phase 'in_clinic'" in message and "'rest'" in message


def test_it_rejects_an_unknown_education_topic(tmp_path: Path) -> None:
    message = load_error(broken(tmp_path, "education.toml", 'topic = "session"', 'topic = "gossip"'))
    assert "'what_happens'" in message and "'gossip'" in message


def test_it_rejects_sources_without_the_clinic_practice_entry(tmp_path: Path) -> None:
    text = VALID["sources.toml"]
    message = load_error(write_data(tmp_path, sources=text[: text.rindex("[[source]]")]))
    assert "sources.toml" in message and "clinic-practice" in message


def test_it_reports_invalid_toml_with_the_file_name(tmp_path: Path) -> None:
    message = load_error(write_data(tmp_path, education="[[entry]\nid = "))
    assert message.startswith("education.toml: invalid TOML")


def test_it_reports_a_missing_file(tmp_path: Path) -> None:
    write_data(tmp_path)
    (tmp_path / "red_flags.toml").unlink()
    assert load_error(tmp_path).startswith("red_flags.toml: file not found")


def test_other_modules_can_validate_their_citations() -> None:
    assert validate_source_ids(["HCP-Dose3"], file="protocols.toml", where="entry 'x'", evidence="LABEL") == (
        "HCP-Dose3",
    )
    with pytest.raises(KnowledgeError, match=r"protocols.toml: entry 'x'.*unknown source id 'HCP-Dose9'"):
        validate_source_ids(["HCP-Dose9"], file="protocols.toml", where="entry 'x'")
    with pytest.raises(KnowledgeError, match="clinic-practice"):
        validate_source_ids(["clinic-practice"], file="protocols.toml", where="entry 'x'", evidence="label")
