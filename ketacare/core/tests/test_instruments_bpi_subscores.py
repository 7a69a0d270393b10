"""BPI short form: severity is the mean of the four intensity ratings, interference the mean of seven."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ketacare.core.instruments import get_instrument, score


def test_severity_and_interference_are_the_means_of_their_items():
    result = score("bpi_sf", [8, 2, 5, 4] + [1, 2, 3, 4, 5, 6, 7])
    assert result.subscores == {"severity": 4.75, "interference": 4.0}


def test_the_total_is_the_severity_score_and_there_is_no_band():
    result = score("bpi_sf", [10, 10, 10, 10] + [0] * 7)
    assert result.total == 10.0
    assert result.subscores["interference"] == 0
    assert result.band is None


def test_an_interference_mean_is_stored_to_two_decimals():
    assert score("bpi_sf", [0] * 4 + [1, 0, 0, 0, 0, 0, 0]).subscores["interference"] == 0.14
    assert score("bpi_sf", [0] * 4 + [1, 1, 0, 0, 0, 0, 0]).subscores["interference"] == 0.29


@given(
    st.lists(st.integers(0, 10), min_size=4, max_size=4),
    st.lists(st.integers(0, 10), min_size=7, max_size=7),
)
def test_the_subscores_match_the_published_means_for_any_answers(severity, interference):
    result = score("bpi_sf", severity + interference)
    assert result.subscores["severity"] == sum(severity) / 4  # quarters are exact in binary
    assert abs(result.subscores["interference"] - sum(interference) / 7) <= 0.005
    assert result.total == result.subscores["severity"]


def test_the_severity_and_interference_items_are_the_ones_the_brief_names():
    bpi = get_instrument("bpi_sf")
    subscales = {s.id: s for s in bpi.subscales}
    assert len(subscales["severity"].items) == 4
    assert len(subscales["interference"].items) == 7
    texts = " ".join(bpi.items_by_id[i].text for i in subscales["interference"].items).lower()
    for domain in ("general activity", "mood", "walking", "work", "relations", "sleep", "enjoyment"):
        assert domain in texts
