"""QIDS-SR16 scoring by Rush 2003: nine domains, each the highest of its items, summed to 0-27."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketacare.core.instruments import InvalidAnswersError, get_instrument, score

# Rush et al. 2003, written out by item number independently of the data file.
RUSH_DOMAINS = {
    "sleep": (1, 2, 3, 4),
    "sad_mood": (5,),
    "appetite_weight": (6, 7, 8, 9),
    "concentration": (10,),
    "self_view": (11,),
    "suicidal_ideation": (12,),
    "interest": (13,),
    "energy": (14,),
    "psychomotor": (15, 16),
}


def qids(**values: int) -> dict[str, int]:
    """A complete QIDS-SR16 answer mapping: every item 0 except those given as q<n>=value."""
    answers = {f"qids_sr16.q{n}": 0 for n in range(1, 17)}
    answers.update({f"qids_sr16.{name}": value for name, value in values.items()})
    return answers


@given(st.lists(st.integers(0, 3), min_size=16, max_size=16))
def test_the_total_is_the_sum_of_the_highest_item_in_each_of_the_nine_domains(values):
    expected = {domain: max(values[n - 1] for n in numbers) for domain, numbers in RUSH_DOMAINS.items()}
    result = score("qids_sr16", values)
    assert result.subscores == expected
    assert result.total == sum(expected.values())


def test_the_domains_cover_the_16_items_exactly_as_rush_2003_groups_them():
    instrument = get_instrument("qids_sr16")
    assert {
        s.id: tuple(int(i.rsplit("q", 1)[1]) for i in s.items) for s in instrument.subscales
    } == RUSH_DOMAINS
    assert all(s.aggregate == "max" for s in instrument.subscales)


def test_all_items_at_3_score_27_not_48():
    assert score("qids_sr16", [3] * 16).total == 27


def test_four_bad_sleep_items_count_once_as_the_worst_of_them():
    result = score("qids_sr16", qids(q1=3, q2=2, q3=3, q4=1))
    assert result.subscores["sleep"] == 3
    assert result.total == 3


def test_appetite_and_weight_count_once_whichever_direction_was_answered():
    assert score("qids_sr16", qids(q6=1, q7=0, q8=2, q9=0)).total == 2
    assert score("qids_sr16", qids(q6=0, q7=3, q8=0, q9=1)).total == 3


def test_slowed_and_restless_count_once_as_the_worse_of_the_two():
    assert score("qids_sr16", qids(q15=1, q16=2)).total == 2


def test_a_worked_example_adds_up_domain_by_domain():
    # sleep max(1,3,0,0)=3, sad 2, appetite/weight max(0,2,1,0)=2, concentration 1, self 0,
    # suicide 0, interest 2, energy 1, psychomotor max(0,1)=1 -> 12 (moderate).
    values = [1, 3, 0, 0, 2, 0, 2, 1, 0, 1, 0, 0, 2, 1, 0, 1]
    result = score("qids_sr16", values)
    assert result.total == 12
    assert result.band == "moderate"


def test_the_form_lets_one_item_of_each_appetite_and_weight_pair_be_left_out():
    answers = qids(q6=2, q8=1)
    del answers["qids_sr16.q7"], answers["qids_sr16.q9"]
    result = score("qids_sr16", answers)
    assert result.total == 2
    assert "qids_sr16.q7" not in result.answers


def test_leaving_out_both_items_of_a_pair_is_refused():
    answers = qids()
    del answers["qids_sr16.q6"], answers["qids_sr16.q7"]
    with pytest.raises(InvalidAnswersError, match=r"at least one of qids_sr16\.q6, qids_sr16\.q7"):
        score("qids_sr16", answers)


def test_leaving_out_a_required_item_is_refused():
    answers = qids()
    del answers["qids_sr16.q5"]
    with pytest.raises(InvalidAnswersError, match=r"missing: qids_sr16\.q5"):
        score("qids_sr16", answers)


def test_a_positive_death_or_suicide_item_raises_a_suicide_risk_alert():
    assert score("qids_sr16", qids(q12=1)).has_alert("suicide_risk")
    assert not score("qids_sr16", qids(q5=3)).alerts
