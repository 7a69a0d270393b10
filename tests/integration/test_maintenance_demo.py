"""A demo patient the list shows at Maintenance has a maintenance plan with sessions booked ahead.

Every page a person would look at agrees: the patient list says Maintenance; the treatment plan shows
the completed induction, the maintenance policy and the maintenance sessions to come (not "Before a
plan"); the Today board of the day of the next session lists it; and the patient, signed in, sees it
under "My appointments". Read through the pages of the demo seeded once for the session.
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
from ketacare.patients.models import Patient
from ketacare.treatments.models import Appointment

pytestmark = pytest.mark.django_db

# A row of the patient list (patients/templatetags/patient_rows.py): link, name, birth, record, stage.
LIST_ROW = re.compile(
    r'<tr><td><a href="/clinic/patients/(?P<id>[^/"]+)/">(?P<name>[^<]*)</a></td>'
    r"<td>[^<]*</td><td>[^<]*</td><td>(?P<stage>[^<]*)</td>"
)
# A row of the plan page's appointment table (treatments/plan.html).
APPOINTMENT_ROW = re.compile(
    r"<tr><td>\d+</td><td>(?P<when>\w{3} \d{1,2} \w{3} \d{4}, \d{2}:\d{2})(?P<outside>[^<]*<strong>)?"
    r"[^\n]*?</td><td>(?P<phase>\w+) \(week \d+\)</td><td>(?P<dose>[^<]*)</td>"
    r"<td>(?P<status>[^<]*)</td>\s*<td>(?:<a href=\"(?P<sheet>[^\"]+)\">Open</a>)?</td>"
)
PRESCRIBERS = {"Harbor Ketamine Clinic": "prescriber", "Cascade Mood Center": "prescriber-b"}


def _listed_at_maintenance(client: Client) -> list[tuple[str, str]]:
    """(public id, name) of every patient the list shows at the Maintenance stage, page after page."""
    found: list[tuple[str, str]] = []
    page = 1
    while True:
        text = client.get(reverse("patients:list"), {"sort": "stage", "page": str(page)}).content.decode()
        found += [(m["id"], m["name"]) for m in LIST_ROW.finditer(text) if m["stage"] == "Maintenance"]
        if 'rel="next"' not in text:
            return found
        page += 1


def test_every_maintenance_patient_has_maintenance_booked_ahead_on_every_page(demo: Any) -> None:
    now = timezone.now()
    checked = 0
    for clinic_name, prescriber in PRESCRIBERS.items():
        clinic = Clinic.objects.get(name=clinic_name)
        zone = zoneinfo.ZoneInfo(clinic.time_zone)
        client = login(Client(), User.objects.get(email=f"{prescriber}@demo.ketacare.org"))
        maintenance = _listed_at_maintenance(client)
        assert maintenance, f"{clinic_name}: the demo lists no patient at Maintenance"
        for public_id, name in maintenance:
            who = f"{clinic_name}: {html.unescape(name)}"
            page = client.get(reverse("treatments:plan", kwargs={"patient_id": public_id}))
            text = page.content.decode()
            assert page.status_code == 200, who
            assert "Before a plan" not in text, f"{who} is listed at Maintenance but has no plan"
            policy = re.search(r"<dt>Maintenance</dt><dd>([^<]*)</dd>", text)
            assert policy is not None and policy[1] in {"Weekly", "Every 2 weeks"}, (who, policy)
            rows = list(APPOINTMENT_ROW.finditer(text))
            induction = [r for r in rows if r["phase"] == "Induction"]
            # Each induction appointment held, its session discharged ("Completed · Discharged").
            assert induction and all(r["status"].startswith("Completed") for r in induction), (who, induction)
            ahead = [
                (dt.datetime.strptime(r["when"], "%a %d %b %Y, %H:%M").replace(tzinfo=zone), r)
                for r in rows
                if r["phase"] == "Maintenance" and r["status"] == "Scheduled"
            ]
            ahead = [(when, r) for when, r in ahead if when > now]
            assert ahead, f"{who} is listed at Maintenance with no maintenance session booked ahead"
            assert all(r["dose"].strip() and not r["outside"] for _, r in ahead), (who, ahead)
            assert 'data-testid="outside-hours"' not in text, who
            # The Today board of the next session's day lists that very session.
            when, row = min(ahead, key=lambda pair: pair[0])
            board = client.get(reverse("treatments:day"), {"day": when.date().isoformat()})
            assert row["sheet"] and f'href="{row["sheet"]}"' in board.content.decode(), who
            checked += 1
    assert checked >= 10, checked


def test_a_maintenance_patient_signed_in_sees_the_booked_maintenance_session(demo: Any) -> None:
    now = timezone.now()
    for clinic in Clinic.objects.filter(name__in=PRESCRIBERS):
        patient = Patient.objects.filter(clinic=clinic, stage="maintenance").order_by("pk").first()
        assert patient is not None, clinic.name
        # An account for the patient, as an accepted invitation leaves (rolled back with the test).
        patient.user = User.objects.create_user(f"maintenance-{clinic.pk}@example.org", "x" * 16)
        patient.save(update_fields=["user"])
        client = login(Client(), patient.user)
        text = html.unescape(client.get(reverse("treatments:my_appointments")).content.decode())
        booked = Appointment.objects.filter(
            patient=patient, phase="maintenance", status="scheduled", starts_at__gt=now
        ).order_by("starts_at")
        assert booked.exists(), patient.medical_record_number
        local = booked[0].starts_at.astimezone(zoneinfo.ZoneInfo(patient.time_zone))
        assert f"{local:%A} {local.day} {local:%B}, {local:%H:%M}" in text, (patient.full_name, local)
