"""`ketacare screen`: eligibility from conditions and medications."""

from __future__ import annotations


def test_intracerebral_haemorrhage_history_makes_a_patient_not_eligible(run_json):
    data = run_json("screen", "--condition", "intracerebral_hemorrhage_history")
    # The last two fields were added with the safety net (decision 0012); the earlier ones keep their order.
    assert list(data) == [
        "eligibility",
        "reasons",
        "unrecognised_medications",
        "rems_form_items",
        "needs_prescriber_classification",
        "medications",
    ]
    assert data["eligibility"] == "not_eligible"
    (reason,) = data["reasons"]
    assert list(reason) == ["kind", "id", "name", "level", "detail", "evidence", "sources", "medications"]
    assert (reason["kind"], reason["level"]) == ("condition", "contraindication")


def test_a_benzodiazepine_is_a_precaution_and_ticks_the_rems_box(run_json):
    data = run_json("screen", "--medication", "Xanax 0.5 mg at night", "--medication", "vitamin D")
    assert data["eligibility"] == "eligible_with_precautions"
    assert data["reasons"][0]["medications"] == ["Xanax 0.5 mg at night"]
    assert data["rems_form_items"] == ["benzodiazepines"]
    assert data["unrecognised_medications"] == ["vitamin D"]


def test_nothing_recorded_is_eligible(run_json):
    assert run_json("screen")["eligibility"] == "eligible"


def test_the_text_output_names_the_eligibility(run):
    result = run("screen", "--condition", "aneurysmal_vascular_disease")
    assert result.exit_code == 0
    assert result.stdout.startswith("eligibility: not_eligible")


def test_an_unknown_condition_exits_2(run, assert_bad_input):
    assert_bad_input(run("screen", "--condition", "bad_knee"), "ketacare screen: error:", "'bad_knee'")
