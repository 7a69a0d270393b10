"""What ``score`` accepts as answers and how it refuses everything else."""

from __future__ import annotations

import numpy as np
import pytest

from ketacare.core.instruments import InvalidAnswersError, UnknownInstrumentError, score

PHQ9_ZEROS = {f"phq9.q{n}": 0 for n in range(1, 10)}


def test_it_accepts_answers_as_a_mapping_of_item_ids_in_any_order():
    answers = dict(reversed(list({**PHQ9_ZEROS, "phq9.q3": 2}.items())))
    result = score("phq9", answers)
    assert result.total == 2
    assert list(result.answers) == [f"phq9.q{n}" for n in range(1, 10)]


def test_it_accepts_numpy_integers_and_stores_them_as_plain_ints():
    result = score("gad7", np.array([1, 2, 3, 0, 0, 0, 1]).tolist())
    assert result.total == 7
    result = score("gad7", [np.int64(3)] * 7)
    assert result.total == 21
    assert all(type(value) is int for value in result.answers.values())


def test_it_refuses_too_few_or_too_many_answers_saying_how_many_it_expects():
    with pytest.raises(InvalidAnswersError, match=r"phq9 expects 9 answers .* got 8"):
        score("phq9", [0] * 8)
    with pytest.raises(InvalidAnswersError, match=r"got 10"):
        score("phq9", [0] * 10)


def test_it_refuses_an_unknown_item_id_and_lists_the_allowed_ids():
    with pytest.raises(InvalidAnswersError) as refused:
        score("phq9", {**PHQ9_ZEROS, "phq9.q10": 1})
    assert "'phq9.q10'" in str(refused.value)
    assert "phq9.q1, phq9.q2" in str(refused.value)


def test_it_refuses_a_missing_item_naming_it():
    answers = dict(PHQ9_ZEROS)
    del answers["phq9.q9"]
    with pytest.raises(InvalidAnswersError, match=r"missing: phq9\.q9"):
        score("phq9", answers)


def test_it_refuses_booleans_floats_and_strings_as_answer_values():
    for bad in (True, 1.0, "1", None):
        with pytest.raises(
            InvalidAnswersError, match=r"phq9\.q1: answer must be an integer .* allowed values are 0, 1, 2, 3"
        ):
            score("phq9", {**PHQ9_ZEROS, "phq9.q1": bad})


def test_it_refuses_an_out_of_range_value_naming_the_item_and_the_allowed_values():
    with pytest.raises(
        InvalidAnswersError, match=r"^phq9\.q4: 4 is not an allowed answer; allowed values are 0, 1, 2, 3$"
    ):
        score("phq9", [0, 0, 0, 4, 0, 0, 0, 0, 0])
    with pytest.raises(InvalidAnswersError, match=r"madrs\.q1: 7 .* 0, 1, 2, 3, 4, 5, 6"):
        score("madrs", [7] + [0] * 9)


def test_it_refuses_a_string_or_other_non_sequence_as_the_answers():
    for bad in ("000000000", b"000000000", 0, {0, 1, 2}, None):
        with pytest.raises(
            InvalidAnswersError, match="must be a mapping of item id to value or a sequence of 9 values"
        ):
            score("phq9", bad)


def test_it_refuses_an_unknown_instrument_listing_the_allowed_ids():
    with pytest.raises(UnknownInstrumentError) as refused:
        score("phq10", [0] * 9)
    assert "'phq10'" in str(refused.value)
    assert "gad7" in str(refused.value) and "phq9" in str(refused.value)
    assert isinstance(refused.value, ValueError)


def test_invalid_answer_errors_are_value_errors():
    assert issubclass(InvalidAnswersError, ValueError)
