"""Feed one inbound text message (a provider's webhook, or by hand with the console backend): STOP and
START change the sender's text-message consent."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from ketacare.notifications.services import receive_sms


class Command(BaseCommand):
    help = "Handle an inbound SMS: STOP (UNSUBSCRIBE, CANCEL, END, QUIT) stops texts, START resumes them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--from", dest="from_number", required=True, help="the sender's number")
        parser.add_argument("--body", required=True, help="the text of the message")

    def handle(self, *args: Any, **options: Any) -> None:
        changed = receive_sms(from_number=options["from_number"], body=options["body"], now=timezone.now())
        self.stdout.write(f"changed {changed} preference(s)")
