"""After a questionnaire the result page says what happens next, in plain words, and only what is true.

The care team sees the score (the staff progress page shows it); it is alerted, and contacts the
patient, only when the answers raised an alert; and the page says where to go if the patient feels
worse: a check-in, the clinic's phone, the crisis line for thoughts of suicide. No dosing advice.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.urls import reverse

from ketacare.alerts.models import Alert
from tests.support.cohort import add_scores
from tests.support.treatments import words

pytestmark = pytest.mark.django_db

FILL = reverse("questionnaires:fill", kwargs={"instrument": "phq9"})


def _send(client: Any, *, others: int, extra: int = 0) -> Any:
    """PHQ-9 answers: items 1-8 ``others`` (the first ``extra`` of them one more), item 9 "not at all"."""
    answers = {f"phq9.q{i}": str(others + (1 if i <= extra else 0)) for i in range(1, 9)}
    answers["phq9.q9"] = "0"
    sent = client.post(FILL, {"idempotency_key": uuid.uuid4().hex, **answers})
    assert sent.status_code == 303
    return client.get(sent["Location"])


def test_a_score_without_an_alert_says_the_care_team_sees_it_and_where_to_go_if_worse(
    personas: Any, client_for: Any
) -> None:
    page = _send(client_for("a1"), others=1, extra=6)  # 8 + 6 = 14, moderate
    body = page.content.decode()
    text = words(page)
    assert "your score is 14 (moderate)" in text
    assert "What happens next" in text
    assert "Your care team can see this score in your record." in text
    # No alert was raised, so no call is promised.
    assert not Alert.objects.filter(patient=personas.a1).exists()
    assert "do not wait for a call about them" in text and "will contact you" not in text
    assert f'href="{reverse("checkins:checkin")}"' in body and "do a check-in" in text
    assert f'href="tel:{personas.clinic_a.phone}"' in body
    assert "If you have thoughts of suicide or of harming yourself, call the crisis line" in text
    assert f'href="tel:{personas.clinic_a.crisis_line}"' in body
    assert "dose" not in text.lower()  # never dosing advice
    # What the page says is true: the patient's care team sees the score on the staff progress page.
    staff = client_for("clinician_a").get(
        reverse("companion:staff_progress", kwargs={"patient_id": str(personas.a1.public_id)})
    )
    assert staff.status_code == 200 and "<td>14</td>" in staff.content.decode()


def test_a_score_that_raises_a_course_alert_says_the_care_team_was_alerted(
    personas: Any, client_for: Any
) -> None:
    # PHQ-9 10, then 15: one more score 5 points above baseline completes the worsening rule.
    add_scores(personas.a1, [(0, 10), (7, 15)])
    page = _send(client_for("a1"), others=2)  # 16
    alert = Alert.objects.get(patient=personas.a1)
    assert alert.source == "worsening_trend"
    text = words(page)
    assert "your score is 16" in text
    assert "your care team has been alerted" in text and "contact you" in text
    assert "do not wait for a call" not in text
    assert "do a check-in" in text and "call the crisis line" in text
