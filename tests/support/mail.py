"""A mail server for tests: messages land in ``django.core.mail.outbox`` as with Django's in-memory
backend, but KetaCare takes this backend to deliver them (``ketacare.ops.transport``), as it takes
SMTP or a provider. Tests of what staff see when e-mail is set up use it; Django's own in-memory
backend, like the console, counts as "not set up"."""

from __future__ import annotations

from django.core.mail.backends.locmem import EmailBackend


class MailServer(EmailBackend):
    """Delivers into the test outbox."""


MAIL_SERVER = f"{__name__}.MailServer"
