"""`ketacare setup`: the first run of a real installation, from an empty database.

It creates the organisation, its first clinic (name, time zone, the numbers patients see, opening
hours) and that clinic's first administrator, then prints where to log in. Everything after that
(staff, patients, settings) happens in the application. On a database that already has a clinic it
says so and changes nothing, so automation may run it on every deploy.

Each value comes from a flag, else from its KETACARE_SETUP_* environment variable, else (unless
--no-input) from a prompt. The administrator's password is never a flag (a command line is visible to
every user of the machine): it comes from KETACARE_SETUP_ADMIN_PASSWORD or a hidden prompt.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

import typer

from ketacare.lib.links import FALLBACK_BASE_URL

DEFAULT_TIME_ZONE = "America/New_York"
DEFAULT_HOURS = "Mon-Fri 08:00-18:00"


@dataclass
class Answers:
    organisation: str | None
    clinic: str | None
    time_zone: str | None
    phone: str | None
    emergency_number: str | None
    crisis_line: str | None
    after_hours_phone: str | None
    hours: str | None
    admin_name: str | None
    admin_email: str | None


def _fail(message: str) -> None:
    # docs/cli.md: on status 2 nothing on stdout, one line on stderr (with or without --json).
    typer.echo(f"ketacare setup: error: {message}", err=True)
    raise typer.Exit(2)


def _ask(value: str | None, label: str, *, no_input: bool, variable: str, default: str | None = None) -> str:
    if value:
        return value
    if default is not None and no_input:
        return default
    if no_input:
        raise typer.BadParameter(f"{label} is required: give the flag or set {variable}")
    answer: str = typer.prompt(label, default=default) if default is not None else typer.prompt(label)
    return answer.strip()


def register(app: typer.Typer) -> None:
    """Attach `setup` to the main app."""

    @app.command("setup")
    def setup(
        organisation: str = typer.Option(
            None, "--organisation", envvar="KETACARE_SETUP_ORGANISATION", help="the organisation's name"
        ),
        clinic: str = typer.Option(
            None, "--clinic", envvar="KETACARE_SETUP_CLINIC", help="the first clinic's name"
        ),
        time_zone: str = typer.Option(
            None,
            "--time-zone",
            envvar="KETACARE_SETUP_TIME_ZONE",
            help=f"IANA name (default {DEFAULT_TIME_ZONE})",
        ),
        phone: str = typer.Option(
            None, "--phone", envvar="KETACARE_SETUP_PHONE", help="clinic phone shown to patients"
        ),
        emergency_number: str = typer.Option(
            None, "--emergency-number", envvar="KETACARE_SETUP_EMERGENCY_NUMBER", help="default 911"
        ),
        crisis_line: str = typer.Option(
            None, "--crisis-line", envvar="KETACARE_SETUP_CRISIS_LINE", help="default 988"
        ),
        after_hours_phone: str = typer.Option(
            None,
            "--after-hours-phone",
            envvar="KETACARE_SETUP_AFTER_HOURS_PHONE",
            help="answered outside hours",
        ),
        hours: str = typer.Option(
            None,
            "--hours",
            envvar="KETACARE_SETUP_HOURS",
            help=f"opening hours, e.g. '{DEFAULT_HOURS}; Sat 09:00-13:00' (default {DEFAULT_HOURS})",
        ),
        admin_name: str = typer.Option(
            None,
            "--admin-name",
            envvar="KETACARE_SETUP_ADMIN_NAME",
            help="the first administrator's full name",
        ),
        admin_email: str = typer.Option(
            None, "--admin-email", envvar="KETACARE_SETUP_ADMIN_EMAIL", help="the first administrator's login"
        ),
        base_url: str = typer.Option(
            None,
            "--base-url",
            envvar="KETACARE_BASE_URL",
            help=f"public address (default {FALLBACK_BASE_URL})",
        ),
        no_input: bool = typer.Option(False, "--no-input", help="never prompt: a missing value is an error"),
        migrate: bool = typer.Option(True, help="apply database migrations first"),
        as_json: bool = typer.Option(False, "--json", help="print the result as JSON"),
    ) -> None:
        """Create the organisation, the first clinic and its first administrator (first run only)."""
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ketacare.settings")
        import django

        django.setup()
        from django.conf import settings
        from django.core.management import call_command

        from ketacare.clinics.hours import parse_opening_hours
        from ketacare.clinics.selectors import is_set_up
        from ketacare.clinics.services import set_up_installation
        from ketacare.lib.errors import FieldError

        if migrate:
            call_command("migrate", verbosity=0)
        url = (base_url or settings.PUBLIC_BASE_URL or FALLBACK_BASE_URL).rstrip("/")
        login_url = f"{url}/accounts/login/"
        if is_set_up():
            if as_json:
                typer.echo(json.dumps({"status": "already_set_up", "login_url": login_url}))
            else:
                typer.echo(
                    f"KetaCare is already set up (it has a clinic); nothing was changed. Log in at {login_url}"
                )
            return
        interactive = not no_input and not as_json
        try:
            answers = Answers(
                organisation=_ask(
                    organisation,
                    "Organisation name",
                    no_input=not interactive,
                    variable="KETACARE_SETUP_ORGANISATION",
                ),
                clinic=_ask(
                    clinic, "First clinic's name", no_input=not interactive, variable="KETACARE_SETUP_CLINIC"
                ),
                time_zone=_ask(
                    time_zone,
                    "Time zone",
                    no_input=not interactive,
                    variable="KETACARE_SETUP_TIME_ZONE",
                    default=DEFAULT_TIME_ZONE,
                ),
                phone=_ask(
                    phone,
                    "Clinic phone shown to patients",
                    no_input=not interactive,
                    variable="KETACARE_SETUP_PHONE",
                ),
                emergency_number=_ask(
                    emergency_number, "Emergency number", no_input=not interactive, variable="", default="911"
                ),
                crisis_line=_ask(
                    crisis_line, "Crisis line", no_input=not interactive, variable="", default="988"
                ),
                after_hours_phone=after_hours_phone or "",
                hours=_ask(
                    hours,
                    "Opening hours",
                    no_input=not interactive,
                    variable="KETACARE_SETUP_HOURS",
                    default=DEFAULT_HOURS,
                ),
                admin_name=_ask(
                    admin_name,
                    "Administrator's full name",
                    no_input=not interactive,
                    variable="KETACARE_SETUP_ADMIN_NAME",
                ),
                admin_email=_ask(
                    admin_email,
                    "Administrator's e-mail (their login)",
                    no_input=not interactive,
                    variable="KETACARE_SETUP_ADMIN_EMAIL",
                ),
            )
        except typer.BadParameter as error:
            _fail(str(error))
            return
        password = os.environ.get("KETACARE_SETUP_ADMIN_PASSWORD", "")
        while True:
            if not password:
                if not interactive:
                    _fail("the administrator's password is required: set KETACARE_SETUP_ADMIN_PASSWORD")
                typer.echo(
                    "The administrator's password: at least 12 characters (a short sentence works well)."
                )
                password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
            try:
                result = set_up_installation(
                    organisation_name=answers.organisation or "",
                    clinic_name=answers.clinic or "",
                    time_zone=answers.time_zone or "",
                    phone=answers.phone or "",
                    emergency_number=answers.emergency_number or "",
                    crisis_line=answers.crisis_line or "",
                    after_hours_phone=answers.after_hours_phone or "",
                    opening_hours=parse_opening_hours(answers.hours or ""),
                    admin_email=answers.admin_email or "",
                    admin_name=answers.admin_name or "",
                    admin_password=password,
                )
            except FieldError as error:
                if interactive and error.field == "admin_password":
                    typer.echo(error.message, err=True)
                    password = ""
                    continue
                _fail(error.message)
                return
            break
        console_mail = settings.MAIL_DELIVERY_BACKEND.endswith(("console.EmailBackend", "dummy.EmailBackend"))
        if as_json:
            typer.echo(
                json.dumps(
                    {
                        "status": "created",
                        "organisation": result.organisation.name,
                        "clinic": result.clinic.name,
                        "clinic_public_id": str(result.clinic.public_id),
                        "admin_email": result.admin.email,
                        "login_url": login_url,
                        "email_configured": not console_mail,
                    }
                )
            )
            return
        typer.echo(
            f"Created {result.organisation.name}, clinic {result.clinic.name}, administrator {result.admin.email}."
        )
        typer.echo(f"Log in at {login_url} — the first login sets up an authenticator app (six-digit codes).")
        if console_mail:
            typer.echo(
                "Note: e-mail is not configured, so invitations and password resets are printed by the server "
                "instead of sent. Set KETACARE_EMAIL_URL (README: E-mail)."
            )
