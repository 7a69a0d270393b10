"""A timeline source that fails is never dropped silently: loud in tests, named on the page in production."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings

from ketacare.outcomes import timeline


def _broken(patient: Any, window: Any) -> list[timeline.Entry]:
    raise RuntimeError("vital signs table unreadable")


def test_it_raises_when_failing_loudly(personas: Any, client_for: Any, monkeypatch: Any) -> None:
    monkeypatch.setitem(timeline.SOURCES, "vitals", _broken)
    with override_settings(KETACARE_FAIL_LOUDLY=True), pytest.raises(RuntimeError, match="unreadable"):
        timeline.patient_timeline(patient=personas.a1)


def test_in_production_the_page_says_what_could_not_be_loaded(
    personas: Any, client_for: Any, monkeypatch: Any, caplog: Any
) -> None:
    monkeypatch.setitem(timeline.SOURCES, "vitals", _broken)
    with override_settings(KETACARE_FAIL_LOUDLY=False):
        response = client_for("clinician_a").get(f"/clinic/patients/{personas.a1.public_id}/timeline/")
    assert response.status_code == 200
    body = response.content.decode()
    assert f"Could not load {timeline.KINDS['vitals'].lower()}; the timeline below is incomplete" in body
    assert any("timeline source vitals failed" in r.getMessage() for r in caplog.records)


def test_every_kind_a_source_answers_has_a_display_name() -> None:
    assert set(timeline.SOURCES) <= set(timeline.KINDS)
