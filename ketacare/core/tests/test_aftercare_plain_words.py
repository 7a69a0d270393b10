"""Aftercare words patients read: trial jargon in plain words, and the timing of a mood change true
both during the series and after it (the companion shows the same items once the series is over)."""

from __future__ import annotations

import re

from ketacare.core import knowledge as kn


def _patient_items() -> dict[str, str]:
    return {
        item.id: item.text
        for phase in kn.aftercare_phases()
        for item in phase.items
        if item.audience == "patient"
    }


def test_no_patient_item_speaks_of_trial_phases() -> None:
    jargon = {
        item_id: text for item_id, text in _patient_items().items() if re.search(r"phase[- ]?\d", text, re.I)
    }
    assert jargon == {}
    assert "one small early trial of 96 people" in _patient_items()["relapse_prevention_therapy_aud"]


def test_the_timing_of_a_mood_change_also_speaks_to_someone_who_finished_the_series() -> None:
    text = _patient_items()["mood_change_timing"]
    assert "several sessions" in text
    assert "If you have finished your series, talk with your care team about how you feel." in text
