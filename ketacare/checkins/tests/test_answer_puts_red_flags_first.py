"""A check-in with several red flags and a mild side effect: every red flag's advice is in the "Get help
now" box (suicidal thoughts with a plan are not left on the second screen), and the list of symptoms
starts with the red flags, not with "Headache (mild): it is not an emergency"."""

from __future__ import annotations

import html
import re
import uuid
from typing import Any

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_every_red_flag_is_in_the_box_and_first_in_the_list(personas: Any, client_for: Any) -> None:
    client = client_for("a1")
    sent = client.post(
        reverse("checkins:checkin"),
        {
            "idempotency_key": uuid.uuid4().hex,
            "action": "submit",
            "symptom": ["headache", "difficulty_breathing", "suicidal_thoughts_with_plan"],
            "severity_headache": "mild",
        },
    )
    assert sent.status_code == 303, sent.content.decode()[:300]
    page = html.unescape(client.get(sent["Location"]).content.decode())
    box = re.search(r'<section class="emergency-screen".*?</section>', page, re.S)
    assert box is not None
    boxed = box.group(0)
    assert "Difficulty breathing" in boxed or "breathing" in boxed.lower()
    assert "Thoughts of suicide with a plan or intent" in boxed
    items = re.findall(r'<li class="answer-item"[^>]*>\s*<strong>(.*?)</strong>', page)
    assert items[-1] == "Headache" and set(items[:2]) == {
        "Difficulty breathing",
        "Thoughts of suicide with a plan or intent",
    }
