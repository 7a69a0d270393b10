"""A demo patient the list shows at Induction is part-way through a planned induction.

Every page a person would look at agrees with the patient list: the treatment plan shows the plan (not
"Before a plan"), made through the plan gate, with induction sessions done and the next ones booked
inside the clinic's opening hours; the record's "Now" names the next appointment; the Today board of
that day lists it; the intake page holds the intake a plan needs. A patient the list shows at
Screening, Completed or Discontinued has nothing booked, and one at Screening has no plan. Read
through the pages of the demo seeded once for the session.
"""

from __future__ import annotations

import datetime as dt
import html
import re
import zoneinfo
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import login
from ketacare.accounts.models import User
from ketacare.clinics.models import Clinic
from tests.integration.test_maintenance_demo import APPOINTMENT_ROW, LIST_ROW, PRESCRIBERS

pytestmark = pytest.mark.django_db

# A session held longer ago than this is done; a later one may still be under way or about to start
# (ketacare/demo/treatments.py SESSION_DONE_AFTER).
DONE_AFTER = dt.timedelta(hours=4)
NEXT_APPOINTMENT = re.compile(r'<li data-testid="now-next-appointment">Next appointment: ([^<]*)')


def _listed(client: Client) -> list[tuple[str, str, str]]:
    """(public id, name, stage) of every patient on the list, page after page."""
    found: list[tuple[str, str, str]] = []
    page = 1
    while True:
        text = client.get(reverse("patients:list"), {"sort": "stage", "page": str(page)}).content.decode()
        found += [(m["id"], html.unescape(m["name"]), m["stage"]) for m in LIST_ROW.finditer(text)]
        if 'rel="next"' not in text:
            return found
        page += 1


def _next_appointment(client: Client, public_id: str) -> str:
    page = client.get(reverse("patients:detail", kwargs={"patient_id": public_id})).content.decode()
    found = NEXT_APPOINTMENT.search(page)
    assert found is not None, public_id
    return found[1]


def test_every_induction_patient_has_sessions_done_and_the_next_booked_on_every_page(demo: Any) -> None:
    now = timezone.now()
    checked = 0
    for clinic_name, prescriber in PRESCRIBERS.items():
        clinic = Clinic.objects.get(name=clinic_name)
        zone = zoneinfo.ZoneInfo(clinic.time_zone)
        client = login(Client(), User.objects.get(email=f"{prescriber}@demo.ketacare.org"))
        induction = [(i, name) for i, name, stage in _listed(client) if stage == "Induction"]
        assert len(induction) > 3, f"{clinic_name}: the demo lists only its login patients at Induction"
        for public_id, name in induction:
            who = f"{clinic_name}: {name}"
            page = client.get(reverse("treatments:plan", kwargs={"patient_id": public_id}))
            text = page.content.decode()
            assert page.status_code == 200, who
            assert "Before a plan" not in text, f"{who} is listed at Induction but has no plan"
            assert 'data-testid="gate-override"' not in text, f"{who}: planned past a missing intake step"
            assert 'data-testid="outside-hours"' not in text, who
            intake = client.get(reverse("intake:page", kwargs={"patient_id": public_id})).content.decode()
            assert "No intake recorded yet." not in intake, f"{who} is in induction without an intake"
            rows = [
                (dt.datetime.strptime(r["when"], "%a %d %b %Y, %H:%M").replace(tzinfo=zone), r)
                for r in APPOINTMENT_ROW.finditer(text)
            ]
            induction_rows = [(when, r) for when, r in rows if r["phase"] == "Induction"]
            # A session done reads "Completed · Discharged" (the appointment, then its run-sheet).
            done = [r for _, r in induction_rows if r["status"] == "Completed · Discharged"]
            assert done, f"{who}: no induction session done yet"
            held = [r["status"] for when, r in induction_rows if when < now - DONE_AFTER]
            assert all(status == "Completed · Discharged" for status in held), (who, held)
            ahead = [(when, r) for when, r in induction_rows if when > now and r["status"] == "Scheduled"]
            if not ahead:
                # The induction series is over: the prescriber's review comes next, nothing is booked.
                assert len(done) == len(induction_rows), (who, induction_rows)
                assert _next_appointment(client, public_id) == "none booked", who
                continue
            assert all(r["dose"].strip() and not r["outside"] for _, r in ahead), (who, ahead)
            when, row = min(ahead, key=lambda pair: pair[0])
            assert _next_appointment(client, public_id).startswith(f"{when:%Y-%m-%d %H:%M}"), who
            # The Today board of the next session's day lists that very session.
            board = client.get(reverse("treatments:day"), {"day": when.date().isoformat()})
            assert row["sheet"] and f'href="{row["sheet"]}"' in board.content.decode(), who
            checked += 1
    assert checked >= 10, checked


def test_a_patient_at_screening_has_no_plan_and_no_one_past_induction_is_booked(demo: Any) -> None:
    stages: dict[str, int] = {}
    for clinic_name, prescriber in PRESCRIBERS.items():
        client = login(Client(), User.objects.get(email=f"{prescriber}@demo.ketacare.org"))
        for public_id, name, stage in _listed(client):
            if stage not in {"Screening", "Completed", "Discontinued"}:
                continue
            who = f"{clinic_name}: {name} ({stage})"
            assert _next_appointment(client, public_id) == "none booked", who
            if stage == "Screening":
                plan = client.get(reverse("treatments:plan", kwargs={"patient_id": public_id}))
                assert "Before a plan" in plan.content.decode(), who
            stages[stage] = stages.get(stage, 0) + 1
    assert set(stages) == {"Screening", "Completed", "Discontinued"}, stages
