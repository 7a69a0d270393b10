"""A support person (docs/decisions/0020): a day-of-treatment companion sees that day's discharge
instructions and nothing else, and loses access after the day after; the patient can end access at any time."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from ketacare.audit.models import AccessEvent
from ketacare.journal.services import write_journal_entry
from ketacare.messaging.services import send_patient_message
from ketacare.support.models import SupportGrant
from tests.support.checkins import make_dose
from tests.support.cohort import add_scores

pytestmark = pytest.mark.django_db
# 11:00 in New York (Clinic A's and A1's zone) on a Monday.
T0 = dt.datetime(2026, 3, 2, 16, 0, tzinfo=dt.UTC)


def _invite(patient_client: Any, **data: str) -> str:
    response = patient_client.post(reverse("support:manage"), {"action": "invite", **data})
    assert response.status_code == 200, response.content.decode()[:500]
    match = re.search(r'value="(https?://[^"]+/support/open/[^"]+/)"', response.content.decode())
    assert match, "the link is shown to the patient once"
    return match.group(1).split("testserver", 1)[1]


def test_a_companion_sees_that_days_instructions_and_nothing_else_and_loses_access_after_the_next_day(
    personas: Any, client_for: Any
) -> None:
    a1 = personas.a1
    with time_machine.travel(T0, tick=False):
        make_dose(a1, started_at=T0 - dt.timedelta(hours=3))
        write_journal_entry(
            patient=a1,
            text="JOURNALSECRET",
            shared_with_clinic=True,
            prompt_id="",
            idempotency_key="j",
            now=T0,
        )
        send_patient_message(patient=a1, body="MESSAGESECRET", idempotency_key="m", now=T0)
        add_scores(a1, [(0, 19.0)])
        link = _invite(
            client_for("a1"), name="Sam", phone="+1 555 0102", role="day_companion", day="2026-03-02"
        )
        companion = Client()
        opened = companion.get(link)
        assert opened.status_code == 302 and opened["Location"] == reverse("support:page")
        page = companion.get(reverse("support:page"))
        assert page.status_code == 200
        text = page.content.decode()
        assert "Safety rules until they end" in text and "When to get help now" in text
        assert "What to expect" in text
        for secret in ("JOURNALSECRET", "MESSAGESECRET", "PHQ", "score", "Journal"):
            assert secret not in text, f"the companion sees {secret}"
        assert "<title>Shared with you" in text and a1.full_name not in text.split("</title>")[0]
        # Everywhere else the companion is a stranger.
        for name in ("companion:home", "journal:journal", "messaging:thread", "companion:progress"):
            response = companion.get(reverse(name))
            assert response.status_code == 302 and "/accounts/login/" in response["Location"]
        grant = SupportGrant.objects.get(patient=a1)
        assert (
            AccessEvent.objects.filter(object_type="support_grant", object_id=str(grant.public_id)).count()
            == 2
        )
    # The first night and the next morning (09:00 in New York) the rules still apply: the link works.
    with time_machine.travel(dt.datetime(2026, 3, 3, 14, 0, tzinfo=dt.UTC), tick=False):
        # Hours idle end the browser session (as any session's); the link opens the page again.
        assert companion.get(link).status_code == 302
        morning = companion.get(reverse("support:page"))
        assert morning.status_code == 200 and "When to get help now" in morning.content.decode()
    # Midnight in New York at the end of the day after: the companion's link is over.
    with time_machine.travel(dt.datetime(2026, 3, 4, 5, 0, tzinfo=dt.UTC), tick=False):
        ended = companion.get(reverse("support:page"))
        assert ended.status_code == 404 and "not available" in ended.content.decode()
        assert Client().get(link).status_code == 404
    with time_machine.travel(dt.datetime(2026, 3, 4, 4, 59, tzinfo=dt.UTC), tick=False):
        # The session was dropped at the first refusal: going back in time does not revive it.
        assert companion.get(reverse("support:page")).status_code == 404


def test_the_link_shown_once_can_be_copied_and_the_form_promises_no_message(
    personas: Any, client_for: Any
) -> None:
    patient = client_for("a1")
    page = patient.post(
        reverse("support:manage"),
        {"action": "invite", "name": "Sam", "email": "s@example.org", "role": "supporter"},
    ).content.decode()
    assert 'id="support-link-text"' in page and 'data-copy-from="support-link-text"' in page
    form = patient.get(reverse("support:manage")).content.decode()
    assert "so you know who has the link" in form and "(or a phone number below)" not in form


def test_a_companion_invited_for_a_later_day_sees_nothing_before_it(personas: Any, client_for: Any) -> None:
    from ketacare.treatments.models import TreatmentSession

    # A session booked that Thursday at 10:00 in New York: a companion is invited for a session's day.
    TreatmentSession.objects.create(
        clinic=personas.a1.clinic,
        patient=personas.a1,
        protocol_id="iv_ketamine",
        route="iv",
        scheduled_at=dt.datetime(2026, 3, 5, 15, 0, tzinfo=dt.UTC),
    )
    with time_machine.travel(T0, tick=False):
        link = _invite(
            client_for("a1"), name="Sam", email="sam@example.org", role="day_companion", day="2026-03-05"
        )
        assert Client().get(link).status_code == 404
    with time_machine.travel(T0 + dt.timedelta(days=3), tick=False):
        companion = Client()
        assert companion.get(link).status_code == 302
        page = companion.get(reverse("support:page")).content.decode()
        assert "appear here when" in page and "Red flags" in page


def test_the_patient_ends_a_supporters_access_at_once(personas: Any, client_for: Any) -> None:
    patient = client_for("a1")
    link = _invite(patient, name="Pat", email="pat@example.org", role="supporter")
    supporter = Client()
    assert supporter.get(link).status_code == 302
    page = supporter.get(reverse("support:page"))
    assert page.status_code == 200 and "Upcoming appointments" in page.content.decode()
    assert "Safety rules" not in page.content.decode()
    grant = SupportGrant.objects.get(patient=personas.a1)
    # Another patient cannot end it.
    client_for("a2").post(reverse("support:manage"), {"action": "revoke", "grant": str(grant.public_id)})
    assert supporter.get(reverse("support:page")).status_code == 200
    patient.post(reverse("support:manage"), {"action": "revoke", "grant": str(grant.public_id)})
    assert supporter.get(reverse("support:page")).status_code == 404
    assert "ended by you" in patient.get(reverse("support:manage")).content.decode()


@pytest.mark.parametrize(
    ("data", "field_text"),
    [
        (
            {"name": "Sam", "role": "supporter"},
            "e-mail address or mobile number, so you know who has the link",
        ),
        ({"name": "Sam", "email": "not-an-address", "role": "supporter"}, "not a valid address"),
        ({"name": "Sam", "phone": "call me", "role": "supporter"}, "Digits, spaces, brackets and dashes"),
        (
            {"name": "Sam", "email": "s@example.org", "role": "day_companion", "day": "2020-01-01"},
            "The treatment day, from today",
        ),
        (
            {"name": "", "email": "s@example.org", "role": "supporter"},
            "Their name: write the name of the person",
        ),
    ],
)
def test_bad_invitations_name_the_field_and_write_nothing(
    personas: Any, client_for: Any, data: dict[str, str], field_text: str
) -> None:
    response = client_for("a1").post(reverse("support:manage"), {"action": "invite", **data})
    assert response.status_code == 400 and field_text in response.content.decode()
    assert not SupportGrant.objects.exists()


def test_a_companion_reports_a_red_flag_on_the_patients_behalf(personas: Any, client_for: Any) -> None:
    from ketacare.alerts.models import Alert
    from ketacare.checkins.models import SymptomCheckin

    a1 = personas.a1
    with time_machine.travel(T0, tick=False):
        make_dose(a1, started_at=T0 - dt.timedelta(hours=3))
        link = _invite(
            client_for("a1"), name="Sam", phone="+1 555 0102", role="day_companion", day="2026-03-02"
        )
        companion = Client()
        companion.get(link)
        form = companion.get(reverse("support:checkin"))
        assert form.status_code == 200 and "on their behalf" in form.content.decode()
        answer = companion.post(
            reverse("support:checkin"), {"idempotency_key": "c1", "symptom": "difficulty_breathing"}
        )
        assert answer.status_code == 200 and "Get help now" in answer.content.decode()
        checkin = SymptomCheckin.objects.get(patient=a1)
        assert checkin.note == "Reported on behalf of the patient by Sam (day-of-treatment companion)."
        alert = Alert.objects.get(patient=a1)
        assert alert.source == "red_flag_checkin" and alert.severity in ("urgent", "emergency")
        # The same submission again is the same check-in.
        companion.post(
            reverse("support:checkin"), {"idempotency_key": "c1", "symptom": "difficulty_breathing"}
        )
        assert SymptomCheckin.objects.filter(patient=a1).count() == 1
        bad = companion.post(reverse("support:checkin"), {"idempotency_key": "c2", "symptom": "made_up"})
        assert bad.status_code == 400 and SymptomCheckin.objects.filter(patient=a1).count() == 1
        # An ongoing supporter cannot report.
        supporter_link = _invite(client_for("a1"), name="Pat", email="pat@example.org", role="supporter")
        supporter = Client()
        supporter.get(supporter_link)
        assert supporter.get(reverse("support:checkin")).status_code == 404
    with time_machine.travel(dt.datetime(2026, 3, 4, 5, 0, tzinfo=dt.UTC), tick=False):
        late = companion.post(reverse("support:checkin"), {"idempotency_key": "c3", "symptom": "headache"})
        assert late.status_code == 404 and SymptomCheckin.objects.filter(patient=a1).count() == 1
