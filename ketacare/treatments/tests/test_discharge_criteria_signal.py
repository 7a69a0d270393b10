"""`signals.discharge_criteria`: apps on higher floors add unmet discharge criteria without this app
importing them (the controlled-drug register's `controlled_drug_open`, docs/decisions/0021). What a
receiver returns keeps the session from "ready for discharge", refuses a discharge without a reason and
is overridable by a prescriber like the core's criteria; the run-sheet asks once per render."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from ketacare.alerts.models import Alert
from ketacare.core.monitoring import UnmetCriterion
from ketacare.treatments import selectors
from ketacare.treatments.errors import DischargeRefused
from ketacare.treatments.services import discharge_session
from ketacare.treatments.signals import discharge_criteria
from tests.support.treatments import make_session

pytestmark = pytest.mark.django_db

PAPERWORK = UnmetCriterion("paperwork_open", "Paperwork of this session is still open: finish it first.")


@contextmanager
def _receiver(found: tuple[UnmetCriterion, ...]) -> Iterator[list[dict[str, Any]]]:
    """Connect a receiver answering `found`; yields the keyword arguments of each call."""
    calls: list[dict[str, Any]] = []

    def receiver(sender: Any, **kwargs: Any) -> tuple[UnmetCriterion, ...]:
        calls.append(kwargs)
        return found

    discharge_criteria.connect(receiver, dispatch_uid="test.discharge_criteria")
    try:
        yield calls
    finally:
        discharge_criteria.disconnect(dispatch_uid="test.discharge_criteria")


def test_a_receivers_criterion_is_unmet_and_not_a_door_criterion(personas: Any) -> None:
    session = make_session(personas.a1, route="iv", state="observing", minutes_since_dose_end=70)
    now = timezone.now()
    before = selectors.readiness(session, now, ride_present=True, instructions_given=True)
    assert before is not None and before.ready and before.unmet == ()
    assert selectors.effective_state(session, now) == "ready_for_discharge"
    with _receiver((PAPERWORK,)) as calls:
        check = selectors.readiness(session, now, ride_present=True, instructions_given=True)
        assert check is not None and not check.ready
        assert check.unmet == (PAPERWORK,)
        assert check.required_observation_minutes == before.required_observation_minutes
        assert calls[0]["session"] == session and calls[0]["now"] == now
        assert selectors.effective_state(session, now) == "observing"
    with _receiver(()):
        assert selectors.readiness(session, now, ride_present=True, instructions_given=True) == before


def test_without_a_reason_discharge_is_refused_and_a_prescriber_overrides_it(
    personas: Any, client_for: Any
) -> None:
    session = make_session(personas.a1, route="iv", state="observing", minutes_since_dose_end=70)
    url = reverse("treatments:discharge", kwargs={"session_id": session.public_id})
    ready = {"ride_present": "on", "instructions_given": "on"}
    with _receiver((PAPERWORK,)):
        with pytest.raises(DischargeRefused) as refused:
            discharge_session(
                session=session, user=personas.clinician_a, ride_present=True, instructions_given=True
            )
        assert refused.value.unmet == [("paperwork_open", PAPERWORK.message)]
        page = client_for("admin_a").post(url, {**ready, "override_reason": "Stable"})
        assert page.status_code == 422 and PAPERWORK.message in page.content.decode()
        session.refresh_from_db()
        assert session.state == "observing"
        allowed = client_for("clinician_a").post(url, {**ready, "override_reason": "Patient stable"})
        assert allowed.status_code == 302
    session.refresh_from_db()
    assert session.state == "discharged" and session.discharge_overridden_criteria == ["paperwork_open"]
    alert = Alert.objects.get(source=Alert.Source.DISCHARGE_OVERRIDE, patient=personas.a1)
    assert alert.title == "Discharged with criteria overridden: paperwork open"  # a code in words


def test_the_run_sheet_asks_the_receivers_once_per_render(personas: Any, client_for: Any) -> None:
    session = make_session(personas.a1, route="iv", state="observing", minutes_since_dose_end=70)
    with _receiver((PAPERWORK,)) as calls:
        page = client_for("clinician_a").get(
            reverse("treatments:run_sheet", kwargs={"session_id": session.public_id})
        )
    body = page.content.decode()
    assert page.status_code == 200 and PAPERWORK.message in body
    assert 'data-testid="session-state">Observing<' in body
    assert len(calls) == 1
