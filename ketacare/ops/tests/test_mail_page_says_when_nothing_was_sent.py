"""With no e-mail configured (the console backend, the README default) nothing leaves the machine: the
E-mail page says so at the top and on each message, and the staff page's invitation messages do not
claim anything was sent. What a message's row says stays true after e-mail is configured."""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from ketacare.accounts.email_config import parse_email_url
from ketacare.clinics.models import StaffInvitation
from ketacare.ops.mail import deliver_pending_mail
from tests.support.mail import MAIL_SERVER

pytestmark = pytest.mark.django_db

QUEUED = "ketacare.ops.mail.QueuedEmailBackend"
CONSOLE = "django.core.mail.backends.console.EmailBackend"
BANNER = (
    "E-mail is not set up: messages are printed in the worker's log instead of sent. Ask whoever runs "
    "KetaCare to configure e-mail (README, E-mail section)."
)


@pytest.fixture
def console_mail(settings: Any) -> Any:
    # What an installation without e-mail configuration runs: the outbox, delivered to the console.
    settings.EMAIL_BACKEND = QUEUED
    settings.MAIL_DELIVERY_BACKEND = CONSOLE
    return settings


def _text(response: Any) -> str:
    return html.unescape(response.content.decode())


def _rows(page: str) -> dict[str, str]:
    """Each message row's text by its recipient."""
    rows = re.findall(r'<tr data-testid="mail-row".*?</tr>', page, re.S)
    found = {}
    for row in rows:
        cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td>(.*?)</td>", row, re.S)]
        found[cells[0]] = " | ".join(cells)
    return found


def _invite(admin: Any, personas: Any, email: str) -> str:
    response = admin.post(
        reverse("clinics:staff_invite"),
        {"email": email, "role": "nurse", "clinics": [str(personas.clinic_a.public_id)]},
        follow=True,
    )
    assert response.status_code == 200
    return _text(response)


def test_an_invitation_printed_in_the_log_is_not_called_sent(
    personas: Any, console_mail: Any, client_for: Any, capsys: Any
) -> None:
    admin = client_for("admin_a")
    staff_page = _invite(admin, personas, "nina@example.org")
    assert "Invitation sent" not in staff_page
    assert (
        "Invitation to nina@example.org made, but not sent: e-mail is not set up, so the message is printed "
        "in the worker's log instead. The link works once, until " in staff_page
    )
    # The worker takes it and prints it: nothing was sent.
    assert deliver_pending_mail() == {"not sent": 1}
    assert "To: nina@example.org" in capsys.readouterr().out

    page = _text(admin.get(reverse("ops:mail")))
    assert BANNER in page
    assert page.index(BANNER) < page.index("Send a test e-mail")
    row = _rows(page)["nina@example.org"]
    assert "Printed in the log, not sent" in row and "Sent" not in row
    assert "0 failed · 0 waiting · 1 not sent" in page


def test_sending_an_invitation_again_without_email_does_not_claim_it_was_sent(
    personas: Any, console_mail: Any, client_for: Any
) -> None:
    admin = client_for("admin_a")
    _invite(admin, personas, "nina@example.org")
    invitation = StaffInvitation.objects.get()
    again = admin.post(
        reverse("clinics:staff_invitation_resend", kwargs={"invitation_id": invitation.public_id}),
        follow=True,
    )
    page = _text(again)
    assert "sent again" not in page
    assert (
        "New invitation to nina@example.org made, but not sent: e-mail is not set up, so the message is "
        "printed in the worker's log instead. The earlier link no longer works" in page
    )


def test_the_test_email_says_it_will_be_printed_not_sent(
    personas: Any, console_mail: Any, client_for: Any
) -> None:
    response = client_for("admin_a").post(reverse("ops:mail_test"), follow=True)
    page = _text(response)
    assert (
        f"A test e-mail to {personas.admin_a.email} is queued, but e-mail is not set up, so the message is "
        "printed in the worker's log instead." in page
    )
    assert "shows whether it was sent" not in page


def test_what_a_row_says_happened_stays_true_once_email_is_set_up(
    personas: Any, console_mail: Any, client_for: Any, capsys: Any
) -> None:
    admin = client_for("admin_a")
    _invite(admin, personas, "nina@example.org")
    deliver_pending_mail()
    # The administrator configures SMTP (here the test mail server) and sends a test e-mail.
    console_mail.MAIL_DELIVERY_BACKEND = MAIL_SERVER
    sent = _text(admin.post(reverse("ops:mail_test"), follow=True))
    assert "is queued; this page shows whether it was sent." in sent
    assert deliver_pending_mail() == {"sent": 1}
    assert [m.to for m in mail.outbox] == [[personas.admin_a.email]]

    page = _text(admin.get(reverse("ops:mail")))
    assert "E-mail is not set up" not in page
    rows = _rows(page)
    assert "Printed in the log, not sent" in rows["nina@example.org"]
    assert re.search(r"\| Sent \w{3} \d+ \w{3} \d{4}, \d\d:\d\d \|", rows[personas.admin_a.email])


def test_with_email_set_up_the_page_has_no_warning_and_invitations_are_sent(
    personas: Any, settings: Any, client_for: Any
) -> None:
    settings.EMAIL_BACKEND = QUEUED
    settings.MAIL_DELIVERY_BACKEND = MAIL_SERVER
    admin = client_for("admin_a")
    staff_page = _invite(admin, personas, "nina@example.org")
    assert "Invitation sent to nina@example.org. The link works once" in staff_page
    assert deliver_pending_mail() == {"sent": 1}
    page = _text(admin.get(reverse("ops:mail")))
    assert "E-mail is not set up" not in page
    assert "| Sent " in _rows(page)["nina@example.org"]


@pytest.mark.parametrize(
    ("url", "banner", "row"),
    [
        (
            "file:///tmp/ketacare-mail",
            "written to files on the server",
            "Written to a file on the server, not sent",
        ),
        ("memory://", "kept in the worker's memory", "Kept in memory, not sent"),
        ("dummy://", "thrown away", "Thrown away, not sent"),
    ],
)
def test_every_backend_that_delivers_nothing_is_named_for_what_it_does(
    personas: Any, settings: Any, client_for: Any, tmp_path: Any, url: str, banner: str, row: str
) -> None:
    config = parse_email_url(url)
    settings.EMAIL_BACKEND = QUEUED
    settings.MAIL_DELIVERY_BACKEND = config["EMAIL_BACKEND"]
    settings.EMAIL_FILE_PATH = str(tmp_path)
    admin = client_for("admin_a")
    _invite(admin, personas, "nina@example.org")
    assert deliver_pending_mail() == {"not sent": 1}
    page = _text(admin.get(reverse("ops:mail")))
    assert f"E-mail is not set up: messages are {banner} instead of sent." in page
    assert row in _rows(page)["nina@example.org"]


def test_created_and_not_sent_times_stay_clinic_time(
    personas: Any, console_mail: Any, client_for: Any
) -> None:
    # 15:15 UTC on 28 November is 10:15 in New York (clinic A).
    with time_machine.travel(dt.datetime(2026, 11, 28, 15, 15, tzinfo=dt.UTC), tick=False):
        admin = client_for("admin_a")
        _invite(admin, personas, "nina@example.org")
        deliver_pending_mail()
        page = _text(admin.get(reverse("ops:mail")))
    assert "Printed in the log, not sent Sat 28 Nov 2026, 10:15" in _rows(page)["nina@example.org"]
