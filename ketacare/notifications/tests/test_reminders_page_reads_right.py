"""/me/notifications/ ("Reminders"): a too-long number is refused in the hint's own terms, a test asked
for in quiet hours goes and says so, the e-mail option names its address, and quiet hours read on the
24-hour clock."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from ketacare.notifications.models import Delivery, NotificationPreference
from ketacare.notifications.services import deliver, set_preferences

pytestmark = pytest.mark.django_db
URL = "/me/notifications/"
# A1 keeps New York time: 14:00 there, and 23:30 there (inside the default quiet hours 21:00-08:00).
DAY = dt.datetime(2026, 3, 2, 19, 0, tzinfo=dt.UTC)
NIGHT = dt.datetime(2026, 3, 3, 4, 30, tzinfo=dt.UTC)
HINT = "Digits, spaces, brackets and dashes, 6 to 25 characters, e.g. +1 555 0100."


def _post(client: Any, **fields: str) -> Any:
    return client.post(URL, {"quiet_start": "21:00", "quiet_end": "08:00", **fields})


def _flashed(response: Any) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_the_page_is_called_reminders_as_home_calls_it(client_for: Any) -> None:
    client = client_for("a1")
    assert reverse("notifications:preferences") == URL
    page = client.get(URL).content.decode()
    assert "<title>Reminders · KetaCare</title>" in page and "<h1>Reminders</h1>" in page
    home = client.get(reverse("companion:home")).content.decode()
    assert f'<a href="{URL}">Reminders</a>' in home
    account = client.get(reverse("accounts:my_account")).content.decode()
    assert f'<a href="{URL}">Reminders</a>' in account


def test_a_too_long_number_is_refused_naming_the_field_and_the_same_limit_as_the_hint(
    client_for: Any, personas: Any
) -> None:
    client = client_for("a1")
    page = client.get(URL).content.decode()
    assert HINT in page and "(New York time)</legend>" in page
    box = re.search(r'<input[^>]*name="phone"[^>]*>', page)
    assert box is not None
    # No maxlength: the browser would cut a pasted number short without a word.
    assert "maxlength" not in box.group(0) and 'type="tel"' in box.group(0)
    assert 'aria-describedby="id_phone_helptext"' in box.group(0) and 'id="id_phone_helptext"' in page

    too_long = "+1 555 0100 0100 0100 0100 0100 0100 010"
    assert len(too_long) == 40
    refused = _post(client, sms="on", phone=too_long, email="on")
    assert refused.status_code == 400
    shown = "Mobile number: at most 25 characters; this one has 40."
    assert refused.context["form"].errors["phone"] == [shown]
    assert "Ensure this value" not in refused.content.decode()
    assert not NotificationPreference.objects.filter(patient=personas.a1).exists()

    # 25 characters is the longest taken; the service's own refusal speaks of the same range.
    assert _post(client, sms="on", phone="+1 (555) 0100-0100 010 01", email="on").status_code == 302
    bad = _post(client, sms="on", phone="call me maybe", email="on")
    assert bad.context["form"].errors["phone"] == ["Digits, spaces, brackets and dashes, 6 to 25 characters"]


def test_the_email_option_names_the_address_it_uses(client_for: Any) -> None:
    page = client_for("a1").get(URL).content.decode()
    label = re.search(r'<label for="id_email">(.*?)</label>', page, re.S)
    assert label is not None
    assert re.sub(r"<[^>]+>", "", label.group(1)).split() == ["E-mail", "to", "patient.a1@example.org"]


def test_quiet_hours_are_chosen_on_the_24_hour_clock(client_for: Any, personas: Any) -> None:
    client = client_for("a1")
    page = client.get(URL).content.decode()
    assert 'type="time"' not in page
    start = re.search(r'<select name="quiet_start"[^>]*>(.*?)</select>', page, re.S)
    assert start is not None
    options = re.findall(r'<option value="([^"]*)"( selected)?>([^<]*)</option>', start.group(1))
    assert len(options) == 48
    assert [(v, label) for v, _, label in options[:3]] == [
        ("00:00", "00:00 (midnight)"),
        ("00:30", "00:30"),
        ("01:00", "01:00"),
    ]
    assert ("22:00", "", "22:00") in options and ("12:00", "", "12:00 (noon)") in options
    assert [v for v, selected, _ in options if selected] == ["21:00"]
    # The words a person reads (tags and their attributes, such as a CSRF token, are not read).
    shown = re.sub(r"<[^>]+>", " ", page)
    assert not re.search(r"\b(AM|PM|a\.m\.|p\.m\.)\b", shown)

    assert _post(client, email="on", quiet_start="22:30", quiet_end="06:30").status_code == 302
    pref = NotificationPreference.objects.get(patient=personas.a1)
    assert (pref.quiet_start, pref.quiet_end) == (dt.time(22, 30), dt.time(6, 30))
    # A time between the half hours (set through the API) is shown as it is, not as 00:00.
    NotificationPreference.objects.filter(pk=pref.pk).update(quiet_start=dt.time(21, 15))
    page = client.get(URL).content.decode()
    assert '<option value="21:15" selected>21:15</option>' in page
    assert '<option value="06:30" selected>06:30</option>' in page

    refused = _post(client, email="on", quiet_start="25:00")
    assert refused.status_code == 400
    assert refused.context["form"].errors["quiet_start"] == [
        "Quiet from: a time on the 24-hour clock, such as 21:00."
    ]


def test_a_test_asked_for_in_quiet_hours_is_sent_and_says_why(client_for: Any, personas: Any) -> None:
    with time_machine.travel(NIGHT, tick=False):
        client = client_for("a1")
        saved = client.post(
            URL, {"email": "on", "quiet_start": "21:00", "quiet_end": "08:00", "action": "test"}, follow=True
        )
        (test,) = Delivery.objects.filter(patient=personas.a1, kind="test")
        assert test.status != Delivery.Status.HELD and test.reason == ""
        assert _flashed(saved) == [
            "Saved. A test is on its way: an e-mail to patient.a1@example.org. It goes now although "
            "these are your quiet hours, because you asked for it; reminders wait until 08:00."
        ]
        assert "message success" in saved.content.decode()
        # Quiet hours still hold every reminder back.
        (prompt,) = deliver(patient=personas.a1, kind="checkin_prompt", url="/me/", now=NIGHT)
        assert (prompt.status, prompt.reason) == (Delivery.Status.HELD, "quiet hours")
        page = client.get(URL).content.decode()
        assert "except a follow-up about your safety or a test you ask for" in page


def test_a_test_by_day_names_each_channel_and_what_held_one_back(client_for: Any, personas: Any) -> None:
    with time_machine.travel(DAY, tick=False):
        client = client_for("a1")
        saved = client.post(
            URL,
            {
                "email": "on",
                "sms": "on",
                "phone": "+1 555 0142",
                "quiet_start": "21:00",
                "quiet_end": "08:00",
                "action": "test",
            },
            follow=True,
        )
        assert _flashed(saved) == [
            "Saved. A test is on its way: a text message to +1 555 0142, an e-mail to patient.a1@example.org."
        ]
        # Notifications on this phone chosen before the phone was set up for them.
        saved = client.post(
            URL, {"push": "on", "quiet_start": "21:00", "quiet_end": "08:00", "action": "test"}, follow=True
        )
        assert _flashed(saved) == [
            "Saved. No test notification on this phone: turn on notifications on this phone first."
        ]
        assert "message warning" in saved.content.decode()
        set_preferences(
            patient=personas.a1,
            push=False,
            sms=True,
            email=False,
            phone="+1 555 0142",
            quiet_start=dt.time(21),
            quiet_end=dt.time(8),
        )
        NotificationPreference.objects.filter(patient=personas.a1).update(sms_stopped_at=DAY)
        saved = client.post(
            URL,
            {
                "sms": "on",
                "phone": "+1 555 0142",
                "quiet_start": "21:00",
                "quiet_end": "08:00",
                "action": "test",
            },
            follow=True,
        )
        assert _flashed(saved) == [
            "Saved. No test text message: you texted STOP. Reply START to get text messages again."
        ]
