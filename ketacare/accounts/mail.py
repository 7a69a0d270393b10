"""The e-mails that carry a link: staff invitation, patient invitation, password reset.

Each is plain text, a few lines, and holds no health information: no patient name, no diagnosis, no
treatment or appointment. What a patient receives names their clinic and its phone number, so that
they can tell it from phishing and check it by calling. The link is the only thing of value in it and
works once. Bodies are built here in Python rather than from templates: templates would HTML-escape
names ("O'Brien" -> "O&#x27;Brien") in a text/plain message, and switching escaping off in a
template is refused by the static gate (docs/security.md S15).

With the outbox backend (every deployment: docs/decisions/0018) the message is written in the
caller's transaction, so an invitation and its e-mail commit together or not at all: a crash cannot
leave an invitation nobody was told about, nor a mail whose invitation was rolled back. A backend that
talks to a mail server directly (the test runner's in-memory one) is called in ``on_commit`` instead,
so a rolled-back write sends nothing; its failure is logged without the address or the link
(docs/security.md S7) and staff can send an invitation again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.core.mail import EmailMessage, get_connection, send_mail
from django.db import transaction
from django.http import HttpRequest

from ketacare.lib.links import FALLBACK_BASE_URL
from ketacare.ops.mail import ABOUT_ATTRIBUTE

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Message:
    """One e-mail as it will be sent."""

    to: str
    subject: str
    body: str
    # What it announces ("patient_invitation:<public id>"), kept on its outbox row so that taking that
    # back cancels this message and not another one to the same address.
    about: str = ""


def base_url(request: HttpRequest | None = None) -> str:
    """Where links point: KETACARE_BASE_URL, else the address this request came to (ALLOWED_HOSTS)."""
    if settings.PUBLIC_BASE_URL:
        return str(settings.PUBLIC_BASE_URL)
    if request is not None:
        return f"{request.scheme}://{request.get_host()}"
    return FALLBACK_BASE_URL


# The subjects of the invitation e-mails: the clinic admin's mail page lists a clinic's invitations by
# them before their addresses belong to any of its people (ketacare.ops.selectors), and a withdrawn staff
# invitation's unsent e-mail is found by its subject (ketacare.ops.mail.cancel_unsent_email).
STAFF_INVITATION_SUBJECT = "Your KetaCare staff invitation"


def patient_invitation_subject(clinic_name: str) -> str:
    """The patient invitation's subject, which names the clinic (one line: a header holds no newline)."""
    return f"{' '.join(clinic_name.split())}: set up your KetaCare account"


def _hours(hours: int) -> str:
    return f"{hours} hours" if hours != 1 else "1 hour"


def staff_invitation(*, to: str, link: str, clinic_names: list[str], role: str, hours: int) -> Message:
    clinics = ", ".join(clinic_names)
    body = (
        "Hello,\n\n"
        f"You have been invited to join {clinics} on KetaCare as {role}.\n\n"
        "Open this link to choose your password and set up your sign-in code. "
        f"It works once and expires in {_hours(hours)}:\n\n"
        f"{link}\n\n"
        "If you did not expect this invitation, ignore this message: nothing happens until the link "
        "is used.\n"
    )
    return Message(to=to, subject=STAFF_INVITATION_SUBJECT, body=body)


def patient_invitation(
    *, to: str, link: str, hours: int, clinic_name: str, clinic_phone: str, about: str = ""
) -> Message:
    # The clinic and KetaCare are named so that the patient recognises the message, but nothing says
    # who the patient is or what they are treated for: an e-mail can be read by anyone who shares the
    # mailbox.
    clinic = " ".join(clinic_name.split())
    call = f"call the clinic on {clinic_phone.strip()}" if clinic_phone.strip() else "call the clinic"
    body = (
        "Hello,\n\n"
        f"{clinic} has invited you to set up your account on KetaCare, the online service the clinic "
        "uses to keep in touch with you.\n\n"
        f"Open this link to choose a password. It works once and expires in {_hours(hours)}:\n\n"
        f"{link}\n\n"
        f"To check that this message really comes from {clinic}, {call}. "
        "If you did not expect this message, you can ignore it.\n"
    )
    return Message(to=to, subject=patient_invitation_subject(clinic_name), body=body, about=about)


def password_reset(*, to: str, link: str, minutes: int) -> Message:
    body = (
        "Hello,\n\n"
        "Someone asked to reset the password of the account that uses this e-mail address.\n\n"
        f"To choose a new password, open this link within {minutes} minutes. It works once:\n\n"
        f"{link}\n\n"
        "If this was not you, ignore this message: your password stays as it is.\n"
    )
    return Message(to=to, subject="Reset your password", body=body)


def _send(message: Message) -> None:
    try:
        send_mail(message.subject, message.body, None, [message.to], fail_silently=False)
    except Exception as exc:  # any transport error: the write is already committed
        logger.warning("an e-mail (%s) could not be sent: %s", message.subject, type(exc).__name__)


def send_with_change(message: Message) -> None:
    """Send ``message`` as part of the surrounding change.

    An outbox backend (``writes_in_caller_transaction``) stores it now, in the caller's transaction:
    its failure fails the change. Any other backend sends once the transaction commits.
    """
    connection = get_connection(fail_silently=False)
    if getattr(connection, "writes_in_caller_transaction", False):
        email = EmailMessage(message.subject, message.body, None, [message.to], connection=connection)
        setattr(email, ABOUT_ATTRIBUTE, message.about)
        email.send()
        return
    callback: Callable[[], None] = partial(_send, message)
    transaction.on_commit(callback)
