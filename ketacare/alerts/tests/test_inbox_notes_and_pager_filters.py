"""The inbox row shows the note of the alert's state, labelled: a resolved alert its resolution note (what
was done), an acknowledged one its acknowledge note. And its pager keeps every filter: the state, the
source and "assigned or escalated to me"."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from django.urls import reverse

from ketacare.alerts.models import Alert
from ketacare.alerts.tests.helpers import make_alert

pytestmark = pytest.mark.django_db


def _rows(body: str) -> list[str]:
    return re.findall(r"<tr class=\"sev-.*?</tr>", body, flags=re.S)


def _row(body: str, title: str) -> str:
    rows = [r for r in _rows(body) if title in r]
    assert len(rows) == 1, f"{len(rows)} rows with {title!r}"
    return rows[0]


def _inbox(client: Any, query: str = "") -> str:
    return client.get(reverse("alerts:inbox") + query).content.decode()


def test_a_resolved_row_shows_its_resolution_note_and_an_acknowledged_one_its_acknowledge_note(
    personas: Any, client_for: Any
) -> None:
    resolved = make_alert(personas.a1, source="vital_sign", title="Resolved one")
    acknowledged = make_alert(personas.a2, source="vital_sign", title="Acknowledged one")
    no_note = make_alert(personas.a1, source="vital_sign", title="Resolved without a note")
    client = client_for("clinician_a")
    for alert in (resolved, acknowledged, no_note):
        client.post(
            reverse("alerts:acknowledge", args=[alert.public_id]), {"note": "Phoning the patient now"}
        )
    client.post(reverse("alerts:resolve", args=[resolved.public_id]), {"note": "Seen: blood pressure normal"})
    client.post(reverse("alerts:resolve", args=[no_note.public_id]), {"note": ""})
    assert {a.state for a in Alert.objects.filter(pk__in=[resolved.pk, no_note.pk])} == {"resolved"}

    done = _inbox(client, "?state=resolved")
    row = _row(done, "Resolved one")
    assert "Resolution note: Seen: blood pressure normal" in row
    assert "Phoning the patient now" not in row
    assert "No resolution note" in _row(done, "Resolved without a note")
    assert "Phoning the patient now" not in _row(done, "Resolved without a note")
    assert "Acknowledge note: Phoning the patient now" in _row(_inbox(client), "Acknowledged one")


def test_the_pager_keeps_the_state_the_source_and_mine(personas: Any, client_for: Any) -> None:
    clinician = personas.user("clinician_a")
    for n in range(53):
        make_alert(personas.a1, source="vital_sign", title=f"Mine vital {n:02}", state="acknowledged")
    for n in range(3):
        Alert.objects.create(
            clinic_id=personas.a1.clinic_id,
            patient=personas.a1,
            source="vital_sign",
            severity="urgent",
            title=f"Nobody's vital {n}",
        )
        make_alert(personas.a2, source="missed_checkin", title=f"Other source {n}")
    client = client_for("clinician_a")
    first = _inbox(client, "?state=all&source=vital_sign&mine=on")
    assert "Page 1 of 2" in first
    found = re.search(r'<a href="([^"]*)">Next</a>', first)
    assert found is not None
    link = html.unescape(found.group(1))
    for kept in ("state=all", "source=vital_sign", "mine=on", "page=2"):
        assert kept in link, (kept, link)

    second = _inbox(client, link)
    assert "Page 2 of 2" in second
    titles = [
        re.search(r">(Mine vital \d+|Nobody's vital \d+|Other source \d+)</a>", r) for r in _rows(second)
    ]
    assert len(titles) == 3 and all(t is not None and t.group(1).startswith("Mine vital") for t in titles)
    previous = re.search(r'<a href="([^"]*)">Previous</a>', second)
    assert previous is not None
    back = html.unescape(previous.group(1))
    assert all(kept in back for kept in ("state=all", "source=vital_sign", "mine=on", "page=1"))
    assert Alert.objects.filter(assignee=clinician, source="vital_sign").count() == 53
