"""Whether the configured e-mail backend delivers, and what the others do with a message instead.

Without e-mail configuration KetaCare uses the console backend (``ketacare.accounts.email_config``):
messages are printed in the worker's log and nobody receives them. The pages that would otherwise say
"sent" (the clinic's E-mail page, the invitation messages) ask here, so that staff do not wait for
people who were never told anything.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from ketacare.accounts.email_config import CONSOLE, DUMMY, FILE, LOCMEM

# settings.EMAIL_BACKEND in every deployment: the web process writes the outbox and the worker hands
# each message to settings.MAIL_DELIVERY_BACKEND.
QUEUED_BACKEND = "ketacare.ops.mail.QueuedEmailBackend"


@dataclass(frozen=True, slots=True)
class StandIn:
    """What a backend that delivers nothing does with a message, in the words the pages use."""

    # Completes "messages are … instead of sent"; {process} is the process that handles them.
    done: str
    # One outbox row's status.
    row: str


# Backends that keep a message on the server (or drop it): nothing reaches the recipient. Any other
# backend (SMTP, a provider, a custom one) is taken to deliver.
STAND_INS = {
    CONSOLE: StandIn("printed in the {process}'s log", "Printed in the log, not sent"),
    FILE: StandIn("written to files on the server", "Written to a file on the server, not sent"),
    LOCMEM: StandIn("kept in the {process}'s memory", "Kept in memory, not sent"),
    DUMMY: StandIn("thrown away", "Thrown away, not sent"),
}


def transport() -> str:
    """The dotted path of the backend that finally takes each message: the worker's when mail goes
    through the outbox, else the one the web process calls itself."""
    backend = str(settings.EMAIL_BACKEND)
    if backend == QUEUED_BACKEND:
        return str(settings.MAIL_DELIVERY_BACKEND)
    return backend


def stand_in(backend: str | None = None) -> StandIn | None:
    """What ``backend`` (by default the configured transport) does instead of delivering, or None when
    it delivers."""
    return STAND_INS.get(transport() if backend is None else backend)


def _instead() -> str:
    """What happens to each message instead of delivery; empty when e-mail is delivered."""
    instead = stand_in()
    if instead is None:
        return ""
    process = "worker" if str(settings.EMAIL_BACKEND) == QUEUED_BACKEND else "web server"
    return instead.done.format(process=process)


def not_set_up_note() -> str:
    """For staff right after a message was made: "" when e-mail is delivered, else that it will not be
    sent and where it goes instead."""
    instead = _instead()
    return f"e-mail is not set up, so the message is {instead} instead" if instead else ""


def not_set_up_banner() -> str:
    """The E-mail page's warning: "" when e-mail is delivered."""
    instead = _instead()
    if not instead:
        return ""
    return (
        f"E-mail is not set up: messages are {instead} instead of sent. Ask whoever runs KetaCare to "
        "configure e-mail (README, E-mail section)."
    )
