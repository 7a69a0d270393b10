"""Journal entries are private by default; staff of the clinic see only the shared ones."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.urls import reverse

from ketacare.journal.models import TEXT_MAX_CHARS, JournalEntry

pytestmark = pytest.mark.django_db


def _write(client: Any, key: str, text: str, share: bool) -> Any:
    data = {"idempotency_key": key, "text": text}
    if share:
        data["shared_with_clinic"] = "on"
    return client.post(reverse("journal:journal"), data)


def test_staff_see_the_shared_entry_and_never_the_private_one(personas: Any, client_for: Any) -> None:
    patient = client_for("a1")
    assert (
        _write(patient, "j1", "SharedCanary: the session felt like a long walk", share=True).status_code
        == 302
    )
    assert _write(patient, "j2", "PrivateCanary: only for me", share=False).status_code == 302
    own = patient.get(reverse("journal:journal")).content
    assert b"SharedCanary" in own and b"PrivateCanary" in own
    url = reverse("journal:staff_journal", kwargs={"patient_id": str(personas.a1.public_id)})
    staff = client_for("clinician_a").get(url)
    assert b"SharedCanary" in staff.content and b"PrivateCanary" not in staff.content
    assert client_for("clinician_b").get(url).status_code == 404


def test_staff_read_a_shared_entry_with_words_of_a_red_flag_marked_and_named(
    personas: Any, client_for: Any
) -> None:
    patient = client_for("a1")
    _write(patient, "j1", "Since Tuesday I keep thinking I want to kill myself", share=True)
    _write(patient, "j2", "A calm week, walked every day", share=True)
    url = reverse("journal:staff_journal", kwargs={"patient_id": str(personas.a1.public_id)})
    body = client_for("clinician_a").get(url).content.decode()
    entries = re.findall(r'<article class="journal-entry">.*?</article>', body, re.S)
    assert len(entries) == 2
    flagged = next(e for e in entries if "kill myself" in e)
    calm = next(e for e in entries if "A calm week" in e)
    assert 'data-testid="journal-red-flag"' in flagged and "Thoughts of suicide" in flagged
    assert "raised no alert" in flagged
    assert "journal-red-flag" not in calm


def test_unsharing_hides_the_entry_from_staff_again(personas: Any, client_for: Any) -> None:
    patient = client_for("a1")
    _write(patient, "j1", "WasSharedCanary", share=True)
    entry = JournalEntry.objects.get()
    patient.post(reverse("journal:journal"), {"action": "unshare", "entry": str(entry.public_id)})
    url = reverse("journal:staff_journal", kwargs={"patient_id": str(personas.a1.public_id)})
    assert b"WasSharedCanary" not in client_for("clinician_a").get(url).content


def test_another_patient_cannot_share_someone_elses_entry(personas: Any, client_for: Any) -> None:
    _write(client_for("a1"), "j1", "Mine", share=False)
    entry = JournalEntry.objects.get()
    client_for("a2").post(reverse("journal:journal"), {"action": "share", "entry": str(entry.public_id)})
    entry.refresh_from_db()
    assert entry.shared_with_clinic is False


def test_an_oversized_entry_names_the_limit_and_writes_nothing(personas: Any, client_for: Any) -> None:
    response = _write(client_for("a1"), "big", "x" * (TEXT_MAX_CHARS + 1), share=False)
    assert response.status_code == 400
    assert f"Write at most {TEXT_MAX_CHARS} characters.".encode() in response.content
    # The page opens on what to fix, above the prompts: a summary linking to the text box, focused.
    page = response.content.decode()
    summary = re.search(r'<div class="error-summary".*?</div>', page, re.S)
    assert summary is not None and "autofocus" in summary.group(0)
    assert 'href="#id_text"' in summary.group(0) and f"Write at most {TEXT_MAX_CHARS}" in summary.group(0)
    assert page.index("error-summary") < page.index('class="journal-form"')
    api = client_for("a1").post(
        reverse("api:write_journal_entry"),
        json.dumps({"idempotency_key": "big2", "text": "x" * (TEXT_MAX_CHARS + 1)}),
        content_type="application/json",
    )
    assert api.status_code == 422 and api.json()["errors"][0]["field"] == "text"
    assert not JournalEntry.objects.exists()


def test_the_same_entry_twice_with_one_key_is_stored_once(personas: Any, client_for: Any) -> None:
    client = client_for("a1")
    _write(client, "same", "Once", share=False)
    _write(client, "same", "Once", share=False)
    body = json.dumps({"text": "Twice?"})
    url = reverse("api:write_journal_entry")
    first = client.post(url, body, content_type="application/json", headers={"Idempotency-Key": "api-j"})
    second = client.post(url, body, content_type="application/json", headers={"Idempotency-Key": "api-j"})
    assert (first.status_code, second.status_code) == (201, 200)
    assert JournalEntry.objects.count() == 2


def test_prompts_follow_the_days_since_the_last_session_and_an_entry_keeps_its_prompt(
    personas: Any, client_for: Any
) -> None:
    import datetime as dt

    from django.utils import timezone

    from tests.support.checkins import make_dose

    make_dose(personas.a1, started_at=timezone.now() - dt.timedelta(days=2))
    client = client_for("a1")
    page = client.get(reverse("journal:journal")).content.decode()
    assert "2 days after your session" in page
    assert 'value="first_days"' in page and 'value="session_day"' not in page
    client.post(
        reverse("journal:journal"), {"idempotency_key": "p1", "text": "Lighter.", "prompt_id": "first_days"}
    )
    assert JournalEntry.objects.get().prompt_id == "first_days"
    assert (
        "How has your mood been since the session?" in client.get(reverse("journal:journal")).content.decode()
    )
