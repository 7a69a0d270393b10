"""Words of a red flag in the journal, which nobody watches: the patient is shown where to turn now and
offered to send the words to the care team, whose message raises the clinic's alert (decision 0028)."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from django.urls import reverse

from ketacare.alerts.models import Alert
from ketacare.journal.models import JournalEntry
from ketacare.journal.selectors import MESSAGE_MAX_CHARS, red_flag_screen
from ketacare.messaging.models import BODY_MAX_CHARS, Message

pytestmark = pytest.mark.django_db

WORDS = "Sometimes I think everyone would be better off without me"


def _write(client: Any, text: str, *, share: bool = False) -> Any:
    data = {"idempotency_key": uuid.uuid4().hex, "text": text, "prompt_id": ""}
    if share:
        data["shared_with_clinic"] = "on"
    return client.post(reverse("journal:journal"), data)


def test_words_of_a_red_flag_bring_the_patient_to_where_to_turn_and_the_offer_to_tell_the_team(
    personas: Any, client_for: Any
) -> None:
    client = client_for("a1")
    saved = _write(client, WORDS)
    entry = JournalEntry.objects.get(patient=personas.a1)
    assert saved.status_code == 302 and saved["Location"] == f"/me/journal/?help={entry.public_id}"
    page = client.get(saved["Location"]).content.decode()
    block = page[page.index('data-testid="journal-help"') : page.index("</section>")]
    text = re.sub(r"<[^>]+>", "", block)
    assert "Thoughts of suicide or self-harm need a conversation with your care team today" in text
    assert "tel:911" in block and "tel:988" in block  # the emergency number and the crisis line
    assert "Send to my care team" in text
    assert 'class="card crisis-guidance"' in page  # styled as the other crisis screens
    assert 'data-testid="not-for-emergencies"' not in page  # the numbers once, in the block
    # The journal stays private: nothing reached the clinic yet.
    assert not Alert.objects.exists() and not Message.objects.exists()
    form = re.search(r'name="idempotency_key" value="([^"]+)"', block)
    assert form is not None
    sent = client.post(reverse("messaging:thread"), {"idempotency_key": form[1], "body": WORDS})
    assert sent.status_code in (200, 302)
    message = Message.objects.get(patient=personas.a1)
    assert message.body == WORDS
    alert = Alert.objects.get(patient=personas.a1)
    assert alert.evidence["red_flags"] == ["suicidal_thoughts_without_plan"]


def test_an_ordinary_entry_goes_back_to_the_journal_without_the_block(personas: Any, client_for: Any) -> None:
    client = client_for("a1")
    saved = _write(client, "A calm day; walked by the river.")
    assert saved["Location"] == "/me/journal/"
    assert 'data-testid="journal-help"' not in client.get("/me/journal/").content.decode()


def test_the_block_shows_only_for_the_patients_own_entry(personas: Any, client_for: Any) -> None:
    _write(client_for("a2"), WORDS)
    other = JournalEntry.objects.get(patient=personas.a2)
    page = client_for("a1").get(f"/me/journal/?help={other.public_id}").content.decode()
    assert 'data-testid="journal-help"' not in page and WORDS not in page


def test_a_long_entry_is_read_whole_and_offered_as_one_message() -> None:
    assert MESSAGE_MAX_CHARS == BODY_MAX_CHARS
    long_text = "A quiet day. " * 700 + WORDS  # beyond one window of the screen
    screen = red_flag_screen(long_text)
    assert screen is not None and "suicidal_thoughts_without_plan" in screen.red_flag_ids
