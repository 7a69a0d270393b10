"""Short names of questionnaires as staff read them in alerts, outcomes, intake and timelines."""

from __future__ import annotations

import pytest

from ketacare.core.display import instrument_short, item_name
from ketacare.core.instruments import instruments


def test_a_ketacare_check_is_called_by_its_own_name_not_its_publisher() -> None:
    assert instrument_short("luts_check") == "Bladder and urine check"
    assert instrument_short("misuse_check") == "Cravings and other use check"


def test_a_ketacare_check_item_is_named_after_the_check() -> None:
    assert item_name("luts_check.q4") == "Bladder and urine check question 4"
    assert item_name("misuse_check.q1") == "Cravings and other use check question 1"


def test_published_abbreviations_and_numeric_ranges_are_unchanged() -> None:
    assert instrument_short("phq9") == "PHQ-9"
    assert instrument_short("cssrs_screener") == "C-SSRS Screener"
    assert instrument_short("daily_mood") == "Daily mood rating (0-10)"
    assert item_name("phq9.q9") == "PHQ-9 question 9"


@pytest.mark.parametrize("instrument_id", [i.id for i in instruments()])
def test_no_short_name_is_a_publisher_tag_or_shared(instrument_id: str) -> None:
    short = instrument_short(instrument_id)
    assert short != "KetaCare"
    others = [instrument_short(i.id) for i in instruments() if i.id != instrument_id]
    assert short not in others
