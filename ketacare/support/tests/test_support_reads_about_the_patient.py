"""A support person reads about the patient, never to them: the red flags, the side effects and what to
do speak of the patient ("Not able to look after themselves"), since "If you have thoughts of harming
yourself" read by a frightened relative could be about them. The red-flag box is read fast on a phone:
the emergency call first, then each red flag of the patient's own sheet as a list item, its name and one
line of what to do. The patient's own pages still speak to the patient."""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils.html import strip_tags

from ketacare.core import knowledge
from ketacare.treatments.models import TreatmentSession

pytestmark = pytest.mark.django_db
NEW_YORK = ZoneInfo("America/New_York")
# Monday 7 December 2026 in New York (patient A1's zone); dosed in the morning, read in the afternoon.
MONDAY = dt.datetime(2026, 12, 7, tzinfo=NEW_YORK)
READ_AT = MONDAY.replace(hour=13, minute=38)

YOU = re.compile(r"\byou(?:r|rs|rself)?\b", re.IGNORECASE)
# The only sentences with "you" a support person may read in these sections: those that speak to them.
TO_THE_SUPPORT_PERSON = ("or you are worried", "if you cannot reach anyone")
# Where one sentence or item ends in the markup: a list item or a cell is a sentence of its own.
_ENDS = re.compile(r"</(?:li|p|h[1-6]|td|th|strong|div)>", re.IGNORECASE)


def _session(patient: Any, *, discharged: bool) -> TreatmentSession:
    """A1's IV session that Monday: checked in at 09:00, dosed 09:15 to 09:55, home at 11:00 or not yet."""
    checked_in = MONDAY.replace(hour=9)
    return TreatmentSession.objects.create(
        clinic=patient.clinic,
        patient=patient,
        protocol_id="iv_ketamine",
        route="iv",
        scheduled_at=checked_in,
        state=TreatmentSession.State.DISCHARGED if discharged else TreatmentSession.State.OBSERVING,
        checked_in_at=checked_in,
        dose_started_at=checked_in + dt.timedelta(minutes=15),
        dose_ended_at=checked_in + dt.timedelta(minutes=55),
        discharged_at=MONDAY.replace(hour=11) if discharged else None,
    )


def _section(page: str, heading_id: str) -> str:
    found = re.search(rf'<section[^>]*aria-labelledby="{heading_id}"[^>]*>(.*?)</section>', page, re.S)
    assert found, f"no section {heading_id}"
    return found.group(1)


def _sentences(markup: str) -> list[str]:
    """What a person reads in ``markup``, one sentence (or list item, or cell) at a time."""
    text = html.unescape(strip_tags(_ENDS.sub(" ¶ ", markup)))
    parts = re.split(r"¶|(?<=[.!?;:])\s+", " ".join(text.split()))
    return [p.strip() for p in parts if p.strip()]


def _to_the_patient(markup: str) -> list[str]:
    """The sentences that speak to the patient as "you" rather than of them."""
    return [
        s
        for s in _sentences(markup)
        if YOU.search(s) and not any(allowed in s.lower() for allowed in TO_THE_SUPPORT_PERSON)
    ]


def _sheet_red_flag_ids(patient_client: Any) -> list[str]:
    """The red flags the patient's own discharge sheet lists (by id; the sheet shows their names)."""
    page = patient_client.get(reverse("companion:instructions")).content.decode()
    names = [
        html.unescape(strip_tags(n)).strip()
        for n in re.findall(r"<li>(.*?)</li>", _section(page, "red-h"), re.S)
    ]
    by_name = {flag.described: flag.id for flag in knowledge.red_flags()}
    assert names and all(n in by_name for n in names), names
    return [by_name[n] for n in names]


def _support_red_flags(page: str) -> list[str]:
    return re.findall(r'<li[^>]*data-flag="([a-z_]+)"', _section(page, "red-h"))


def _emergency_first(box: str, emergency_number: str) -> None:
    """The first link in the box is the emergency call, large, and it comes before the list."""
    first_link = re.search(r"<a [^>]*>", box)
    assert first_link is not None and f'href="tel:{emergency_number}"' in first_link.group(0)
    assert "emergency-call" in first_link.group(0), "the emergency link is the large one"
    assert first_link.start() < box.index("<ul"), "the emergency call comes before the list"
    # A list of the red flags, each its own item with its name in bold and what to do.
    items = re.findall(r"<li[^>]*data-flag[^>]*>(.*?)</li>", box, re.S)
    assert items
    for item in items:
        assert re.match(r"\s*<strong[^>]*>[^<]+</strong>", item), item
        assert strip_tags(item.split("</strong>", 1)[1]).strip(), f"no action for {item}"


def test_before_discharge_the_red_flags_speak_of_the_patient_and_start_with_the_emergency_call(
    personas: Any, client_for: Any
) -> None:
    clinic = personas.clinic_a
    _session(personas.a1, discharged=False)
    with time_machine.travel(MONDAY.replace(hour=10), tick=False):
        page = client_for("companion_a1").get(reverse("support:page")).content.decode()
        listed = _sheet_red_flag_ids(client_for("a1"))
    assert "Alice is in the clinic now" in html.unescape(strip_tags(page))
    box = _section(page, "red-h")
    assert _to_the_patient(box) == []
    assert "Not able to look after themselves" in box
    _emergency_first(box, clinic.emergency_number)
    assert _support_red_flags(page) == listed


def test_after_discharge_the_companion_sheet_speaks_of_the_patient_and_starts_with_the_emergency_call(
    personas: Any, client_for: Any
) -> None:
    clinic = personas.clinic_a
    _session(personas.a1, discharged=True)
    with time_machine.travel(READ_AT, tick=False):
        page = client_for("companion_a1").get(reverse("support:page")).content.decode()
        listed = _sheet_red_flag_ids(client_for("a1"))
    # The red flags, what is normal, the day's rules and whom to call: all of the patient, in the
    # third person; "you" only where the sheet speaks to the support person.
    for heading in ("red-h", "expect-h", "rules-h", "call-h"):
        assert _to_the_patient(_section(page, heading)) == [], heading
    box = _section(page, "red-h")
    _emergency_first(box, clinic.emergency_number)
    assert _support_red_flags(page) == listed
    expect = _section(page, "expect-h")
    assert "Changes in what they see or hear" in expect
    assert "or you are worried: call" in html.unescape(strip_tags(_section(page, "call-h")))


def test_the_patients_own_sheet_still_speaks_to_them(personas: Any, client_for: Any) -> None:
    _session(personas.a1, discharged=True)
    with time_machine.travel(READ_AT, tick=False):
        page = client_for("a1").get(reverse("companion:instructions")).content.decode()
    box = _section(page, "red-h")
    assert "Not able to look after yourself" in box and "a sudden change in your vision" in box
    assert "Changes in what you see or hear" in _section(page, "expect-h")


def test_the_report_form_names_every_sign_of_the_patient(personas: Any, client_for: Any) -> None:
    _session(personas.a1, discharged=True)  # a companion is invited for the day of a session
    with time_machine.travel(READ_AT, tick=False):
        form = client_for("companion_a1").get(reverse("support:checkin")).content.decode()
    names = re.findall(r'name="symptom" value="[a-z_]+"> ([^<]+)</label>', form)
    assert len(names) == len(knowledge.red_flags()) + len(knowledge.side_effects())
    assert [n for n in names if YOU.search(n)] == []
    assert "Not able to look after themselves" in names and "Changes in what they see or hear" in names


@pytest.mark.parametrize(
    ("ticked", "level", "action"),
    [
        (["suicidal_thoughts_with_plan"], "emergency", "Call 911 now."),
        (["suicidal_thoughts_without_plan"], "urgent", "or the crisis line 988 when it is closed."),
        (["unable_to_care_for_self", "nausea"], "contact_clinic", "Tell the clinic today on +1 555 0100."),
    ],
)
def test_the_answer_to_a_companions_report_speaks_of_the_patient(
    personas: Any, client_for: Any, ticked: list[str], level: str, action: str
) -> None:
    _session(personas.a1, discharged=True)
    with time_machine.travel(READ_AT, tick=False):
        answer = client_for("companion_a1").post(
            reverse("support:checkin"), {"idempotency_key": "k", "symptom": ticked}
        )
    assert answer.status_code == 200
    page = answer.content.decode()
    main = page.split('id="main"', 1)[1].split("</main>", 1)[0]
    to_the_support_person = ("what you told us about alice", "do not wait for them to call you")
    assert [s for s in _to_the_patient(main) if not any(a in s.lower() for a in to_the_support_person)] == []
    # The core's message to the patient is not the companion's.
    flag = knowledge.get_red_flag(ticked[0])
    assert html.escape(flag.patient_message, quote=True) not in page
    item = re.search(rf'<li data-level="{level}">(.*?)</li>', page, re.S)
    assert item is not None
    assert action in " ".join(html.unescape(strip_tags(item.group(1))).split())
