"""An ongoing supporter (not a day companion) is often the relative who stays with the patient through the
days after a dose. Their page gives them what they need to get help: the emergency call first, the red
flags of the patient's discharge sheet with what to do (about the patient, not to them), the clinic's
phone and the crisis line, and, since a supporter cannot report in KetaCare, how to tell the clinic by
phone. It shows nothing more of the patient than before: the red flags are general guidance, the same
for every patient of the clinic, not the patient's records."""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils.html import strip_tags

from ketacare.core import knowledge
from ketacare.support.services import invite_support_person
from ketacare.treatments.instructions import tel
from ketacare.treatments.models import TreatmentSession

pytestmark = pytest.mark.django_db
NEW_YORK = ZoneInfo("America/New_York")
MONDAY = dt.datetime(2026, 12, 7, tzinfo=NEW_YORK)
READ_AT = MONDAY.replace(hour=13, minute=38)
YOU = re.compile(r"\byou(?:r|rs|rself)?\b", re.IGNORECASE)
# The sentences with "you" that speak to the supporter, not to the patient.
TO_THE_SUPPORTER = ("if you cannot reach anyone",)


def _supporter(patient: Any) -> Client:
    invitation = invite_support_person(
        patient=patient,
        name="Pat",
        email="pat@example.org",
        phone="",
        role="supporter",
        day=None,
        now=READ_AT,
    )
    client = Client()
    assert client.get(reverse("support:accept", kwargs={"token": invitation.token})).status_code == 302
    return client


def _main(response: Any) -> str:
    return response.content.decode().split('id="main"', 1)[1].split("</main>", 1)[0]


def _text(markup: str) -> str:
    return " ".join(html.unescape(strip_tags(markup)).split())


def _companion_red_flags(patient: Any, client_for: Any) -> list[str]:
    TreatmentSession.objects.create(
        clinic=patient.clinic,
        patient=patient,
        protocol_id="iv_ketamine",
        route="iv",
        scheduled_at=MONDAY.replace(hour=15),
    )
    with time_machine.travel(READ_AT, tick=False):
        page = client_for("companion_a1").get(reverse("support:page")).content.decode()
    return re.findall(r'<li[^>]*data-flag="([a-z_]+)"', page)


def test_the_supporter_gets_the_emergency_call_the_crisis_line_and_the_red_flags(
    personas: Any, client_for: Any
) -> None:
    clinic = personas.clinic_a
    with time_machine.travel(READ_AT, tick=False):
        page = _main(_supporter(personas.a1).get(reverse("support:page")))
    box = re.search(r'<section[^>]*data-testid="get-help-now"[^>]*>(.*?)</section>', page, re.S)
    assert box is not None, "the red-flag box"
    first_link = re.search(r"<a [^>]*>", page)
    assert first_link is not None and "emergency-call" in first_link.group(0)
    assert f'href="tel:{clinic.emergency_number}"' in first_link.group(0), "the emergency call comes first"
    assert f'href="tel:{clinic.crisis_line}"' in box.group(1) and "crisis line" in _text(box.group(1))
    assert f'href="tel:{clinic.phone}"' in box.group(1)
    flags = re.findall(r'<li[^>]*data-flag="([a-z_]+)"', box.group(1))
    # The same red flags, in the same order, as the companion's box (the patient's discharge sheet's).
    assert flags == _companion_red_flags(personas.a1, client_for)
    assert len(flags) >= 10 and set(flags) <= {f.id for f in knowledge.red_flags()}
    assert "Not able to look after themselves" in box.group(1)
    sentences = re.split(r"(?<=[.!?;:])\s+", _text(box.group(1)))
    assert [s for s in sentences if YOU.search(s) and not any(a in s.lower() for a in TO_THE_SUPPORTER)] == []


def test_the_supporter_is_told_to_call_the_clinic_since_they_cannot_report(personas: Any) -> None:
    clinic = personas.clinic_a
    with time_machine.travel(READ_AT, tick=False):
        supporter = _supporter(personas.a1)
        page = _main(supporter.get(reverse("support:page")))
        tell = re.search(r'<p data-testid="tell-the-clinic">(.*?)</p>', page, re.S)
        assert tell is not None
        told = _text(tell.group(1))
        assert f"To tell their clinic how they are, call it on {clinic.phone}" in told
        assert told.endswith("Reports cannot be sent from this page.")
        assert f'href="tel:{tel(clinic.phone)["href"]}"' in tell.group(1)
        # Reporting stays the companion's: the report form is not theirs.
        assert reverse("support:checkin") not in page
        assert supporter.get(reverse("support:checkin")).status_code == 404


def test_the_supporter_sees_no_more_of_the_patient_than_before(personas: Any) -> None:
    a1 = personas.a1
    # A session that day: the companion's page would show its discharge sheet; the supporter's does not.
    TreatmentSession.objects.create(
        clinic=a1.clinic,
        patient=a1,
        protocol_id="iv_ketamine",
        route="iv",
        scheduled_at=MONDAY.replace(hour=9),
        state=TreatmentSession.State.DISCHARGED,
        checked_in_at=MONDAY.replace(hour=9),
        dose_started_at=MONDAY.replace(hour=9, minute=15),
        dose_ended_at=MONDAY.replace(hour=9, minute=55),
        discharged_at=MONDAY.replace(hour=11),
    )
    with time_machine.travel(READ_AT, tick=False):
        text = _text(_main(_supporter(a1).get(reverse("support:page"))))
    for companions_only in (
        "Safety rules",
        "went home",
        "11:00",
        "What to expect",
        "infusion",
        "in the clinic",
    ):
        assert companions_only not in text, companions_only
    assert "Upcoming appointments" in text
