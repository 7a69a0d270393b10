"""The companion's report (/support/checkin/) is filled in by a frightened person on a phone. The emergency
call comes first, large, then the serious signs, before the everyday ones; no strength is preset (a
preset "mild" would tell the clinic what the companion never said): a serious sign is sent with its
strength "not given", and an everyday one left at "How strong? Choose" is asked again, clearly, with
every tick kept and nothing stored. On the companion's page the emergency call comes before the button
to report."""

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

from ketacare.alerts.models import Alert
from ketacare.checkins.models import SymptomCheckin, SymptomReport
from ketacare.core import knowledge
from ketacare.treatments.models import TreatmentSession

pytestmark = pytest.mark.django_db
NEW_YORK = ZoneInfo("America/New_York")
MONDAY = dt.datetime(2026, 12, 7, tzinfo=NEW_YORK)
READ_AT = MONDAY.replace(hour=13, minute=38)


def _session(patient: Any, *, discharged: bool) -> TreatmentSession:
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


def _text(markup: str) -> str:
    return " ".join(html.unescape(strip_tags(markup)).split())


def _main(response: Any) -> str:
    return response.content.decode().split('id="main"', 1)[1].split("</main>", 1)[0]


@pytest.fixture
def companion(personas: Any, client_for: Any) -> Any:
    _session(personas.a1, discharged=True)
    with time_machine.travel(READ_AT, tick=False):
        yield client_for("companion_a1")


def test_the_emergency_call_and_the_serious_signs_come_first(personas: Any, companion: Any) -> None:
    with time_machine.travel(READ_AT, tick=False):
        page = _main(companion.get(reverse("support:checkin")))
    emergency = re.search(r'<a [^>]*class="call emergency-call"[^>]*href="tel:911"', page)
    assert emergency is not None, "a large emergency call button"
    first_sign = page.index('name="symptom"')
    assert emergency.start() < first_sign, "the emergency call comes before the form"
    serious = page.index("Something serious?")
    everyday = page.index("What they feel now")
    assert serious < everyday
    flags = [re.search(rf'value="{f.id}"', page) for f in knowledge.red_flags()]
    assert all(m is not None and m.start() < everyday for m in flags), "every serious sign comes first"


def test_no_strength_is_preset(companion: Any) -> None:
    with time_machine.travel(READ_AT, tick=False):
        page = _main(companion.get(reverse("support:checkin")))
    selects = re.findall(r'<select id="sev-[a-z_]+"[^>]*>(.*?)</select>', page, re.S)
    assert len(selects) == len(knowledge.side_effects())
    for options in selects:
        first = re.search(r"<option[^>]*>([^<]*)</option>", options)
        assert first is not None and first.group(0).startswith('<option value="" selected')
        assert first.group(1) == "How strong? Choose"
        assert options.count("selected") == 1


def test_a_serious_sign_is_sent_with_its_strength_not_given(personas: Any, companion: Any) -> None:
    with time_machine.travel(READ_AT, tick=False):
        answer = companion.post(
            reverse("support:checkin"),
            # A serious sign, and an everyday one whose strength is left to choose: nothing is held back.
            {"idempotency_key": "k1", "symptom": ["chest_pain", "nausea"], "severity_nausea": ""},
        )
    assert answer.status_code == 200 and "Get help now" in answer.content.decode()
    reports = dict(
        SymptomReport.objects.filter(checkin__patient=personas.a1).values_list("symptom_id", "severity")
    )
    assert reports == {"chest_pain": "", "nausea": ""}, "stored as not given, never as mild"
    assert Alert.objects.filter(patient=personas.a1, source="red_flag_checkin").exists()


def test_an_everyday_sign_without_its_strength_is_asked_again_and_nothing_is_stored(
    personas: Any, companion: Any
) -> None:
    with time_machine.travel(READ_AT, tick=False):
        refused = companion.post(
            reverse("support:checkin"),
            {
                "idempotency_key": "k2",
                "symptom": ["nausea", "headache"],
                "severity_nausea": "",
                "severity_headache": "moderate",
            },
        )
    assert refused.status_code == 400
    page = _main(refused)
    summary = re.search(r'<div class="error-summary" role="alert".*?</div>', page, re.S)
    assert summary is not None, "the refusal is said at the top of the form"
    assert 'href="#sev-nausea"' in summary.group(0)
    assert "How strong (Feeling sick (nausea)): choose mild, moderate or severe" in _text(summary.group(0))
    # The row itself says it, and its field is marked for a screen reader.
    assert 'id="sev-nausea" name="severity_nausea" aria-invalid="true"' in page
    assert re.search(r'id="sev-nausea_error"[^>]*>.*?How strong \(Feeling sick', page, re.S)
    # What was sent is kept: both ticks and the strength chosen.
    assert 'id="sym-nausea" checked' in page and 'id="sym-headache" checked' in page
    assert '<option value="moderate" selected>Moderate</option>' in page
    assert re.search(r'name="idempotency_key" value="k2"', page)
    assert not SymptomCheckin.objects.filter(patient=personas.a1).exists()


def test_an_empty_report_is_refused_and_nothing_is_stored(personas: Any, companion: Any) -> None:
    with time_machine.travel(READ_AT, tick=False):
        refused = companion.post(reverse("support:checkin"), {"idempotency_key": "k3"})
    assert refused.status_code == 400
    assert "Tick at least one sign you see, then send" in _text(_main(refused))
    assert not SymptomCheckin.objects.filter(patient=personas.a1).exists()


@pytest.mark.parametrize("discharged", [False, True])
def test_on_the_companions_page_the_emergency_call_comes_before_the_report_button(
    personas: Any, client_for: Any, discharged: bool
) -> None:
    _session(personas.a1, discharged=discharged)
    with time_machine.travel(READ_AT, tick=False):
        page = _main(client_for("companion_a1").get(reverse("support:page")))
    emergency = page.index('data-testid="emergency-call"')
    report = page.index(f'href="{reverse("support:checkin")}"')
    assert emergency < report
    assert page.count(f'href="{reverse("support:checkin")}"') == 1


def test_a_companions_report_leaves_the_patients_other_open_symptoms_open(
    personas: Any, companion: Any, client_for: Any
) -> None:
    """The companion is not asked about the patient's open symptoms: one they did not tick is unknown to
    them, not gone (the patient's own check-in asks "Still there / Gone" for each)."""
    with time_machine.travel(READ_AT - dt.timedelta(minutes=30), tick=False):
        sent = client_for("a1").post(
            reverse("checkins:checkin"),
            {"idempotency_key": "own", "symptom": ["nausea"], "severity_nausea": "mild"},
        )
    assert sent.status_code == 303, sent.content
    with time_machine.travel(READ_AT, tick=False):
        companion.post(reverse("support:checkin"), {"idempotency_key": "k9", "symptom": ["chest_pain"]})
    open_now = set(
        SymptomReport.objects.filter(patient=personas.a1, resolved_at__isnull=True).values_list(
            "symptom_id", flat=True
        )
    )
    assert {"nausea", "chest_pain"} <= open_now
