"""Two check-ins a minute apart: the symptom left out of the second is gone at one time, said once.

Nausea ticked 60.6 minutes after the dose and left out of a check-in 36 seconds later closes by omission
(docs/decisions/0014). The patient reads "gone when you checked in, 61 minutes after the session", not
"last reported 61 minutes ...; gone ... at 61 minutes"; the clinician's timeline says "gone by 61 min"
and shows no "(0 min)" duration: a gap between check-ins is not how long a symptom lasted.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

import pytest
from django.utils import timezone
from django.utils.html import strip_tags

from ketacare.checkins.services import ReportIn, submit_checkin
from tests.support.checkins import make_dose

pytestmark = pytest.mark.django_db


def _text(page: str) -> str:
    return " ".join(html.unescape(strip_tags(page)).split())


def test_a_symptom_left_out_a_minute_later_is_gone_by_one_time(personas: Any, client_for: Any) -> None:
    dosed = timezone.now() - dt.timedelta(hours=3)
    make_dose(personas.a1, started_at=dosed)
    for key, reports, minutes in (("first", [ReportIn("nausea")], 60.6), ("second", [], 61.2)):
        submit_checkin(
            patient=personas.a1,
            idempotency_key=key,
            reports=reports,
            mood=None,
            note="",
            now=dosed + dt.timedelta(minutes=minutes),
        )
    progress = _text(client_for("a1").get("/me/progress/").content.decode())
    assert "gone when you checked in, 61 minutes after the session" in progress
    assert "last reported 61 minutes" not in progress  # the two times read the same: said once
    timeline = _text(
        client_for("clinician_a").get(f"/clinic/patients/{personas.a1.public_id}/timeline/").content.decode()
    )
    assert "Feeling sick (nausea) (mild)" in timeline
    assert "gone by 61 minutes after the dose" in timeline
    assert "gone between 60 and 61" not in timeline and "between 61 and 61" not in timeline
    assert not re.search(r"\(0 min\)", timeline)
