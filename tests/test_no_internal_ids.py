"""Display names come from the knowledge base and protocol data, never the raw id."""

from __future__ import annotations

from ketacare.core.display import (
    humanize,
    instrument_short,
    item_name,
    name_for,
    preset_name,
    protocol_name,
    replace_ids,
    route_name,
    vital_name,
)


def test_names_from_the_data() -> None:
    assert route_name("esketamine_in") == "esketamine nasal spray"
    assert protocol_name("iv_ketamine") == "IV racemic ketamine 0.5 mg/kg over 40 min"
    assert preset_name("iv_ketamine", "3_per_week_2_weeks") == "6 infusions, 3 per week over 2 weeks"
    assert instrument_short("phq9") == "PHQ-9" and instrument_short("gad7") == "GAD-7"
    assert item_name("phq9.q9") == "PHQ-9 question 9"
    assert vital_name("systolic_mmhg") == "systolic blood pressure (mmHg)"
    assert name_for("blurred_vision") == "Blurred vision" or "blurred" in name_for("blurred_vision").lower()
    assert humanize("some_new_id") == "some new id"
    assert (
        replace_ids("systolic_mmhg 900 is out of range")
        == "systolic blood pressure (mmHg) 900 is out of range"
    )
