"""The discharge sheet a drowsy patient can read (decision 0014): at most two A4 pages, the sections in
order, each red flag once with one instruction, no research hedges, the next appointment, and the same
content on the page and in the PDF."""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags
from pypdf import PdfReader

from ketacare.core import knowledge
from ketacare.treatments import services
from tests.support.treatments import make_session

pytestmark = pytest.mark.django_db

# When to get help comes first (0014, amended): a frightened reader must not scroll past the rest.
ORDER = (
    "When to get help now",
    "What happened at the clinic",
    "Safety rules until they end",
    "What to expect",
    "When to call the clinic",
    "Your next appointment",
    "How to reach the clinic",
)


def _flat(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize(
    ("persona", "staff", "route"), [("a1", "clinician_a", "iv"), ("b1", "clinician_b", "esketamine_in")]
)
def test_the_pdf_fits_two_pages_in_order_with_each_red_flag_once(
    personas: Any, client_for: Any, persona: str, staff: str, route: str
) -> None:
    patient = getattr(personas, persona)
    session = make_session(patient, route=route, state="discharged", minutes_since_dose_end=125)
    # The next appointment, booked on the plan as the prescriber books it (an esketamine plan's label
    # course already holds later sessions; this one comes first).
    services.book_maintenance_session(
        plan=session.plan,
        user=patient.primary_clinician,
        starts_at=timezone.now() + dt.timedelta(days=1),
        now=timezone.now(),
    )
    client = client_for(staff)
    pdf = client.get(reverse("treatments:instructions_pdf", kwargs={"session_id": session.public_id}))
    reader = PdfReader(io.BytesIO(pdf.content))
    assert len(reader.pages) <= 2, f"{len(reader.pages)} pages"
    # Text extraction splits a hyphenated word at a line end ("self- harm"): join it again.
    text = re.sub(r"-\s+", "-", _flat(" ".join(page.extract_text() for page in reader.pages)))
    positions = [text.find(heading) for heading in ORDER]
    assert all(p >= 0 for p in positions) and positions == sorted(positions), positions
    for flag in knowledge.red_flags():
        if not flag.id.endswith("_past_window"):
            assert text.count(flag.name) == 1, flag.name
    assert "Call your local emergency number now" not in text
    assert "(clinic practice)" not in text and not re.search(r"\(\d+ people\)", text)
    assert "alcohol use disorder" not in text.lower()
    assert "None booked" not in text
    assert "No driving and no machinery before" in text and "after a night's sleep" in text
    # The page shows the same content as the PDF.
    page = client.get(reverse("treatments:instructions", kwargs={"session_id": session.public_id}))
    body = _flat(strip_tags(page.content.decode()))
    for heading in ORDER:
        assert heading in body
    for flag in knowledge.red_flags():
        if not flag.id.endswith("_past_window"):
            assert flag.name in body
