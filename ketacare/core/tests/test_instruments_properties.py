"""Properties every instrument must have: totals in range, bands that partition the range, bad values refused."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketacare.core.instruments import Instrument, InvalidAnswersError, instruments, score

ALL = instruments()
# The two instruments with no published cutpoints (brief §5a has none for BPI means or a daily mood rating).
WITHOUT_BANDS = {"bpi_sf", "daily_mood"}


def answer_vectors(instrument: Instrument) -> st.SearchStrategy[tuple[int, ...]]:
    """Any complete answer vector, in form order."""
    return st.tuples(*(st.sampled_from(item.allowed_values) for item in instrument.items))


def possible_totals(instrument: Instrument) -> list[int]:
    """Every whole-number total from min_score to max_score."""
    return list(range(int(instrument.min_score), int(instrument.max_score) + 1))


@pytest.mark.parametrize("instrument", ALL, ids=lambda i: i.id)
@given(data=st.data())
def test_every_total_lies_within_the_declared_range_and_gets_the_band_that_contains_it(instrument, data):
    answers = data.draw(answer_vectors(instrument))
    result = score(instrument.id, answers)
    assert instrument.min_score <= result.total <= instrument.max_score
    containing = [band.label for band in instrument.bands if band.low <= result.total <= band.high]
    assert [result.band] == (containing or [None])
    assert result.instrument_id == instrument.id
    assert result.version == instrument.version
    assert result.answers == dict(zip(instrument.item_ids, answers, strict=True))


@pytest.mark.parametrize("instrument", [i for i in ALL if i.scoring == "sum_items"], ids=lambda i: i.id)
@given(data=st.data())
def test_a_summed_instruments_total_is_the_sum_of_its_answers(instrument, data):
    answers = data.draw(answer_vectors(instrument))
    assert score(instrument.id, answers).total == sum(answers)


@pytest.mark.parametrize("instrument", ALL, ids=lambda i: i.id)
def test_the_extreme_answers_reach_exactly_the_declared_minimum_and_maximum(instrument):
    lowest = [min(item.allowed_values) for item in instrument.items]
    highest = [max(item.allowed_values) for item in instrument.items]
    assert score(instrument.id, lowest).total == instrument.min_score
    assert score(instrument.id, highest).total == instrument.max_score


@pytest.mark.parametrize("instrument", ALL, ids=lambda i: i.id)
def test_the_bands_cover_every_possible_total_exactly_once(instrument):
    if instrument.id in WITHOUT_BANDS:
        assert instrument.bands == ()
        return
    for total in possible_totals(instrument):
        holders = [band.label for band in instrument.bands if band.low <= total <= band.high]
        assert len(holders) == 1, f"{instrument.id} total {total} is in bands {holders}"
    outside = [instrument.min_score - 1, instrument.max_score + 1]
    assert not [band for band in instrument.bands for total in outside if band.low <= total <= band.high]
    assert instrument.band_sources


@pytest.mark.parametrize("instrument", ALL, ids=lambda i: i.id)
@given(data=st.data())
def test_a_value_outside_an_items_options_is_refused_naming_the_item_and_its_allowed_values(instrument, data):
    answers = list(data.draw(answer_vectors(instrument)))
    position = data.draw(st.integers(0, len(answers) - 1))
    item = instrument.items[position]
    answers[position] = data.draw(st.integers(-1000, 1000).filter(lambda v: v not in item.allowed_values))
    with pytest.raises(InvalidAnswersError) as refused:
        score(instrument.id, answers)
    message = str(refused.value)
    assert item.id in message
    assert ", ".join(str(v) for v in item.allowed_values) in message


@pytest.mark.parametrize("instrument", ALL, ids=lambda i: i.id)
@given(data=st.data())
def test_an_answer_that_is_not_an_integer_is_refused_even_when_it_looks_like_one(instrument, data):
    answers: list[object] = list(data.draw(answer_vectors(instrument)))
    position = data.draw(st.integers(0, len(answers) - 1))
    answers[position] = data.draw(
        st.one_of(st.booleans(), st.floats(allow_nan=True), st.text(max_size=3), st.none())
    )
    with pytest.raises(InvalidAnswersError, match=instrument.items[position].id):
        score(instrument.id, answers)


@pytest.mark.parametrize("instrument", ALL, ids=lambda i: i.id)
@given(data=st.data())
def test_mapping_and_sequence_answers_score_identically(instrument, data):
    answers = data.draw(answer_vectors(instrument))
    by_id = dict(zip(instrument.item_ids, answers, strict=True))
    assert score(instrument.id, by_id) == score(instrument.id, answers)
