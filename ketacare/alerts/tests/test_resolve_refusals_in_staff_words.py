"""A refused resolution speaks the staff's words, and the alert's detail reads one statement a line.

The walkthrough's nurse pressed Resolve on a suicide-risk alert with "ok" and read "outcome is required",
"assessed_by is required" and "note is too short": the names of the code, not of the form. Each field is
now named as its label says it ("What became of the patient", "Assessed by", "Resolution note"), on
the page and in the API's messages, which people read too; the API's ``field`` stays the machine name.

A refused post answers 400 with the alert's page at the /resolve/ address: a reload asks the browser to
send the same answers again, which the same refusal meets, so nothing is written silently.
"""

from __future__ import annotations

import html
import re
import uuid
from typing import Any

import pytest
from django.urls import reverse
from django.utils.html import strip_tags

from ketacare.alerts.models import Alert
from ketacare.alerts.tests.helpers import make_alert

pytestmark = pytest.mark.django_db

# What the code calls each field: never shown to the staff as a field's name.
MACHINE_WORDS = ("outcome is required", "assessed_by", "note is too short", "note has")
WORDS = "Sometimes I think everyone would be better off without me"


def _text(response: Any) -> str:
    return " ".join(html.unescape(strip_tags(response.content.decode())).split())


def _label(body: str, field_id: str) -> str:
    found = re.search(rf'<label for="{field_id}">([^<]*)</label>', body)
    assert found is not None, field_id
    return html.unescape(found.group(1))


def _suicide_risk(patient: Any) -> Alert:
    return make_alert(
        patient,
        severity="urgent",
        title="Red flag in check-in: Thoughts of suicide or self-harm (no plan stated)",
        evidence={"red_flags": ["suicidal_thoughts_without_plan"]},
        state=Alert.State.ACKNOWLEDGED,
        note="ok",
    )


def _unchanged(alert: Alert) -> None:
    alert.refresh_from_db()
    assert alert.state == Alert.State.ACKNOWLEDGED and alert.resolved_at is None


def test_the_page_names_each_missing_field_as_its_label_says_it(personas: Any, client_for: Any) -> None:
    alert = _suicide_risk(personas.a1)
    uid = alert.public_id
    client = client_for("clinician_a")
    page = client.get(reverse("alerts:detail", args=[uid])).content.decode()
    assert _label(page, f"routcome-{uid}") == "What became of the patient (required)"
    assert _label(page, f"rassessed-{uid}") == "Assessed by (required: name and role)"
    assert _label(page, f"rnote-{uid}") == "Resolution note (required: what was done and the outcome)"

    url = reverse("alerts:resolve", args=[uid])
    refused = client.post(url, {"note": "ok"})
    assert refused.status_code == 400
    text = _text(refused)
    assert "“Resolution note” is too short (2 characters): write at least 20" in text
    assert "“What became of the patient” is required to resolve this alert: choose one" in text
    assert "“Assessed by” is required to resolve this alert: name who assessed the patient" in text
    for machine in MACHINE_WORDS:
        assert machine not in text, machine
    # The page opens on the alert, far above its form: a summary at the top says it was not resolved
    # and lists each refusal, in the form's order, linked to its field.
    body = refused.content.decode()
    summary = re.search(r'<div[^>]*data-testid="resolve-refused".*?</div>', body, flags=re.S)
    assert summary is not None
    assert body.index('data-testid="resolve-refused"') < body.index('<dl class="facts">')
    items = [
        " ".join(html.unescape(strip_tags(item)).split())
        for item in re.findall(r"<li>.*?</li>", summary.group(0), flags=re.S)
    ]
    assert "Not resolved: nothing was saved" in summary.group(0)
    assert [item.split(" is ")[0] for item in items] == [
        "“What became of the patient”",
        "“Assessed by”",
        "“Resolution note”",
    ]
    for field in ("routcome", "rassessed", "rnote"):
        assert f'href="#{field}-{uid}"' in summary.group(0)
    _unchanged(alert)

    # Sending the same answers again (a reload that re-posts) meets the same refusal: nothing is written.
    again = client.post(url, {"note": "ok"})
    assert again.status_code == 400 and _text(again) == text
    _unchanged(alert)


def test_a_too_long_assessor_is_refused_in_the_staff_words_beside_its_field(
    personas: Any, client_for: Any
) -> None:
    alert = _suicide_risk(personas.a1)
    client = client_for("clinician_a")
    sent = {
        "note": "Seen at the chair: C-SSRS low risk, safety plan agreed.",
        "outcome": "assessed_in_person_safe",
        "assessed_by": "Dr " + "A" * 250,
    }
    refused = client.post(reverse("alerts:resolve", args=[alert.public_id]), sent)
    assert refused.status_code == 400
    text = _text(refused)
    assert "“Assessed by” must be at most 200 characters" in text
    assert "assessed_by" not in text
    body = refused.content.decode()
    assert f'id="rassessed-{alert.public_id}-error"' in body
    # What was typed stays in the form.
    assert '<option value="assessed_in_person_safe" selected>' in body
    assert ">Seen at the chair: C-SSRS low risk, safety plan agreed.</textarea>" in body
    _unchanged(alert)


def test_the_api_keeps_machine_field_names_and_words_its_messages_for_people(
    personas: Any, client_for: Any
) -> None:
    alert = _suicide_risk(personas.a1)
    refused = client_for("clinician_a").post(f"/api/v1/alerts/{alert.public_id}/resolve", {"note": "ok"})
    assert refused.status_code == 422
    errors = refused.json()["errors"]
    assert [e["field"] for e in errors] == ["note", "outcome", "assessed_by"]
    assert errors[0]["message"].startswith("“Resolution note” is too short (2 characters)")
    assert errors[1]["message"].startswith("“What became of the patient” is required")
    assert errors[2]["message"].startswith("“Assessed by” is required")
    _unchanged(alert)


def test_the_detail_puts_the_patients_words_and_how_worried_they_are_on_separate_lines(
    personas: Any, client_for: Any
) -> None:
    sent = client_for("a1").post(
        reverse("checkins:checkin"),
        {"idempotency_key": uuid.uuid4().hex, "action": "submit", "other_text": WORDS},
    )
    assert sent.status_code == 303
    alert = Alert.objects.get(patient=personas.a1)
    page = client_for("clinician_a").get(reverse("alerts:detail", args=[alert.public_id]))
    detail = re.search(r'<p class="pre-line">(.*?)</p>', page.content.decode(), flags=re.S)
    assert detail is not None
    lines = html.unescape(detail.group(1)).split("\n")
    assert f"The patient wrote: “{WORDS}”" in lines
    assert "How worried they are: not asked (a red flag)." in lines
    assert f"{WORDS}” How worried" not in html.unescape(page.content.decode())
