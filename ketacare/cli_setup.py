"""`ketacare setup`: the first run of a real installation, from an empty database.

It creates the organisation, its first clinic (name, time zone, the numbers patients see, opening
hours) and that clinic's first administrator, saves the public address, then prints where to log in and
what to start next. Everything after that (staff, patients, settings) happens in the application. On a
database that already has a clinic it says so and changes no clinic or account, so automation may run it
on every deploy.

Each value comes from a flag, else from its KETACARE_SETUP_* environment variable, else (unless
--no-input) from a prompt, which checks the answer at once and asks again with the problem named. With
--no-input every bad or missing value is reported at once, one line each. The administrator's password
is never a flag (a command line is visible to every user of the machine): it comes from
KETACARE_SETUP_ADMIN_PASSWORD or a hidden prompt.
"""

from __future__ import annotations

import ipaddress
import json
import os
import shlex
import shutil
import sys
import zoneinfo
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn
from urllib.parse import urlsplit

import typer

from ketacare.lib.errors import FieldError
from ketacare.lib.links import FALLBACK_BASE_URL, check_base_url

DEFAULT_TIME_ZONE = "America/New_York"
DEFAULT_HOURS = "Mon-Fri 08:00-18:00"
DEFAULT_PORT = 8000  # gunicorn.conf.py binds 127.0.0.1:8000 unless KETACARE_BIND says otherwise
AFTER_HOURS_PROMPT = "After-hours phone (answered outside those hours; optional, Enter for none)"
NO_AFTER_HOURS = "No after-hours phone for now: add one any time in Clinic settings."
# Shown when a time-zone answer matches no zone name: the zones of the clinics KetaCare is set up for first.
ZONE_EXAMPLES = "e.g. America/New_York, America/Chicago, America/Los_Angeles, Europe/London"


@dataclass(frozen=True)
class Question:
    """One value setup needs: how it is asked, which flag and variable give it, and its check."""

    key: str
    prompt: str  # the question, and the name its errors carry in a prompt
    option: str  # the flag, and the name its errors carry with --no-input
    variable: str
    check: Callable[[str], object]  # raises FieldError naming the service's field
    default: str | None = None  # None: required; "": optional


def _fail(messages: list[str]) -> NoReturn:
    # docs/cli.md: on status 2 nothing on stdout, one line per problem on stderr (with or without --json).
    for message in messages:
        typer.echo(f"ketacare setup: error: {message}", err=True)
    raise typer.Exit(2)


def _named(error: FieldError, name: str) -> str:
    """The service's message with its field name (``time_zone``) replaced by ``name`` ("Time zone")."""
    message = error.message
    if error.field and message.startswith(error.field):
        return name + message[len(error.field) :]
    return f"{name}: {message}"


def zone_suggestions(answer: str) -> list[str]:
    """IANA zone names that contain the answer ("Chicago" -> America/Chicago), at most five."""
    needle = answer.strip().replace(" ", "_").lower()
    if len(needle) < 3:
        return []
    names = [
        name
        for name in zoneinfo.available_timezones()
        if "/" in name and needle in name.lower() and not name.startswith(("Etc/", "posix/", "right/"))
    ]
    # A zone whose city is the answer first, then the rest in order.
    names.sort(key=lambda name: (name.rsplit("/", 1)[-1].lower() != needle, name))
    return names[:5]


def check_time_zone(value: str) -> str:
    from django.core.exceptions import ValidationError

    from ketacare.clinics.models import validate_time_zone

    try:
        validate_time_zone(value)
    except ValidationError:
        suggestions = zone_suggestions(value)
        if len(suggestions) == 1:
            hint = f"did you mean {suggestions[0]}?"
        elif suggestions:
            hint = f"did you mean one of {', '.join(suggestions)}?"
        else:
            hint = f"give a zone name, {ZONE_EXAMPLES}"
        raise FieldError("time_zone", f"time_zone: {value!r} is not a time-zone name; {hint}") from None
    return value


def _questions() -> list[Question]:
    # The clinics app's own checks, so an answer accepted here is one the setup service accepts.
    from ketacare.clinics.hours import parse_opening_hours
    from ketacare.clinics.services._fields import clean_email, clean_emergency, clean_phone, clean_text

    def text(field: str) -> Callable[[str], object]:
        return lambda value: clean_text(field, value, max_length=200, required=True)

    def phone(field: str, *, required: bool) -> Callable[[str], object]:
        return lambda value: clean_phone(field, value, required=required)

    return [
        Question("organisation", "Organisation name", "--organisation", "KETACARE_SETUP_ORGANISATION", text("organisation")),
        Question("clinic", "First clinic's name", "--clinic", "KETACARE_SETUP_CLINIC", text("clinic")),
        Question("time_zone", "Time zone", "--time-zone", "KETACARE_SETUP_TIME_ZONE", check_time_zone, DEFAULT_TIME_ZONE),
        Question("phone", "Clinic phone shown to patients", "--phone", "KETACARE_SETUP_PHONE", phone("phone", required=True)),
        Question("emergency_number", "Emergency number", "--emergency-number", "KETACARE_SETUP_EMERGENCY_NUMBER", clean_emergency, "911"),
        Question("crisis_line", "Crisis line", "--crisis-line", "KETACARE_SETUP_CRISIS_LINE", phone("crisis_line", required=True), "988"),
        Question("hours", "Opening hours", "--hours", "KETACARE_SETUP_HOURS", parse_opening_hours, DEFAULT_HOURS),
        Question("after_hours_phone", AFTER_HOURS_PROMPT, "--after-hours-phone", "KETACARE_SETUP_AFTER_HOURS_PHONE", phone("after_hours_phone", required=False), ""),
        Question("admin_name", "Administrator's full name", "--admin-name", "KETACARE_SETUP_ADMIN_NAME", text("admin_name")),
        Question("admin_email", "Administrator e-mail (their login)", "--admin-email", "KETACARE_SETUP_ADMIN_EMAIL", lambda value: clean_email("admin_email", value)),
    ]  # fmt: skip


def _error_name(question: Question, *, interactive: bool) -> str:
    # "Administrator e-mail (their login)" -> "Administrator e-mail": the question, not its explanation.
    return question.prompt.split(" (", 1)[0] if interactive else question.option


def _ask(question: Question, given: str | None) -> str:
    """A value that passes the question's check: the given one, else a prompt asked until it passes."""
    name = _error_name(question, interactive=True)
    default = question.default
    value = given
    while True:
        if value is None:
            answer: str = typer.prompt(
                question.prompt,
                default=default if default is not None else "",
                show_default=bool(default),
            )
            value = answer.strip()
        try:
            question.check(value)
        except FieldError as error:
            typer.echo(_named(error, name), err=True)
            if question.key == "time_zone":
                suggestions = zone_suggestions(value)
                default = suggestions[0] if len(suggestions) == 1 else default
            value = None
            continue
        return value


def _collect(questions: list[Question], given: Mapping[str, str | None]) -> tuple[dict[str, str], list[str]]:
    """Without prompts: every value from its flag, variable or default, and every problem at once."""
    values, problems = {}, []
    for question in questions:
        value = given[question.key]
        if not value:
            if question.default is None:
                problems.append(
                    f"{question.option} is required ({question.prompt.lower()}): give the flag or set {question.variable}"
                )
                continue
            value = question.default
        try:
            question.check(value)
        except FieldError as error:
            problems.append(_named(error, question.option))
            continue
        values[question.key] = value
    return values, problems


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _command() -> str:
    """How to run this `ketacare` again: its name when it is on PATH, else its full path."""
    path = Path(sys.executable).with_name("ketacare")
    found = shutil.which("ketacare")
    return "ketacare" if found and Path(found).resolve() == path.resolve() else str(path)


# Read by the web server alone: left off the worker's line.
SERVER_ONLY = frozenset(
    {
        "KETACARE_BIND",
        "KETACARE_WEB_WORKERS",
        "KETACARE_WEB_THREADS",
        "KETACARE_GUNICORN_ACCESS_LOG",
        "KETACARE_COLLECTSTATIC_ON_START",
    }
)
# A value that is the variable's default needs no repeating (the others are repeated as they are).
DEFAULT_VALUES = {"KETACARE_HTTPS": {"1", "true", "yes", "on"}, "KETACARE_BIND": {"127.0.0.1:8000"}}
SECRET_WORDS = ("SECRET", "KEY", "TOKEN", "PASSWORD", "DSN")


def _has_password(value: str) -> bool:
    # postgres://user:secret@host/db, smtp://user:secret@host: a URL with a password in it.
    try:
        return bool(urlsplit(value).password)
    except ValueError:
        return False


def _environment(from_file: frozenset[str]) -> tuple[dict[str, str], list[str]]:
    """The settings this command runs with (KETACARE_*, DATABASE_URL) that a new terminal lacks: those
    to print, and the names of those that hold a secret (never printed). Setup's own answers and what
    the environment file gives are left out."""
    shown, secret = {}, []
    for name, value in sorted(os.environ.items()):
        if not name.startswith("KETACARE_") and name != "DATABASE_URL":
            continue
        if name.startswith("KETACARE_SETUP_") or name in from_file or not value.strip():
            continue
        if value.strip().lower() in DEFAULT_VALUES.get(name, ()):
            continue
        if any(word in name for word in SECRET_WORDS) or _has_password(value):
            secret.append(name)
        else:
            shown[name] = value
    return shown, secret


def _next_steps(url: str, *, https: bool, env_file: Path | None = None) -> list[str]:
    """What to run after setup, with the environment this command had and the settings this address
    needs, so the lines work pasted into a new terminal."""
    from_file = frozenset(read_env_file(env_file)) if env_file is not None else frozenset()
    shown, secret = _environment(from_file)
    parts = urlsplit(url)
    if parts.scheme == "http" and https:
        shown["KETACARE_HTTPS"] = "false"
    port = parts.port or (443 if parts.scheme == "https" else 80)
    if parts.scheme == "http" and _is_loopback(parts.hostname or "") and port != DEFAULT_PORT:
        shown.setdefault("KETACARE_BIND", f"{parts.hostname}:{port}")
    serve_prefix = [f"{name}={shlex.quote(value)}" for name, value in sorted(shown.items())]
    worker_prefix = [item for item in serve_prefix if item.split("=", 1)[0] not in SERVER_ONLY]
    command = _command()
    loaded = ""
    if env_file is not None:
        path = shlex.quote(str(env_file))
        loaded = f" after loading {path} (set -a; . {path}; set +a)"
    lines = [
        f"Next, start the web server and the worker, each in its own terminal{loaded} (as services: "
        "systemctl enable --now ketacare-web ketacare-worker):",
        "  " + " ".join([*serve_prefix, command, "serve"]),
        "  " + " ".join([*worker_prefix, command, "worker"]),
    ]
    if secret:
        lines.append(
            f"  and with {', '.join(secret)} set as in this terminal (not printed here: they hold secrets)."
        )
    return lines


def register(app: typer.Typer) -> None:
    """Attach `setup` to the main app."""

    @app.command("setup")
    def setup(
        ctx: typer.Context,
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
            help=f"a time-zone name such as America/Chicago (default {DEFAULT_TIME_ZONE})",
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
            help=(
                "the public address people open, saved in the data directory for the links in e-mails "
                f"(KETACARE_BASE_URL overrides it; default {FALLBACK_BASE_URL})"
            ),
        ),
        env_file: Path = typer.Option(
            None,
            "--env-file",
            exists=True,
            dir_okay=False,
            readable=True,
            help="read the services' environment file first (KEY=VALUE lines, as systemd reads it)",
        ),
        no_input: bool = typer.Option(False, "--no-input", help="never prompt: a missing value is an error"),
        migrate: bool = typer.Option(True, help="apply database migrations first"),
        as_json: bool = typer.Option(False, "--json", help="print the result as JSON"),
    ) -> None:
        """Create the organisation, the first clinic and its first administrator (first run only)."""
        source = ctx.get_parameter_source("base_url")
        # Saved only when this command was told the address (a flag or an answer), not when it came from
        # KETACARE_BASE_URL, which wins over the saved one anyway.
        told = source is not None and source.name == "COMMANDLINE"
        if env_file is not None:
            # Before Django reads its settings, so setup writes the database the services use.
            os.environ.update(read_env_file(env_file))
            base_url = base_url if told else os.environ.get("KETACARE_BASE_URL") or base_url
        from ketacare.cli_ops import setup_django

        setup_django()
        from django.conf import settings
        from django.core.management import call_command

        from ketacare.clinics.hours import parse_opening_hours
        from ketacare.clinics.selectors import is_set_up
        from ketacare.clinics.services import set_up_installation

        interactive = not no_input and not as_json
        if base_url:
            try:
                base_url = check_base_url(base_url)
            except FieldError as error:
                _fail([_named(error, "--base-url" if told else "KETACARE_BASE_URL")])
        if migrate:
            call_command("migrate", verbosity=0)
        if is_set_up():
            url = (base_url or settings.PUBLIC_BASE_URL or FALLBACK_BASE_URL).rstrip("/")
            saved = _save_base_url(url) if told else None
            login_url = f"{url}/accounts/login/"
            if as_json:
                typer.echo(
                    json.dumps(
                        {
                            "status": "already_set_up",
                            "login_url": login_url,
                            "base_url_saved": str(saved) if saved else None,
                        }
                    )
                )
                return
            if saved:
                typer.echo("KetaCare is already set up (it has a clinic); no clinic or account was changed.")
                typer.echo(f"Public address saved: {url} (in {saved}).")
                typer.echo(f"Log in at {login_url}")
            else:
                typer.echo(
                    f"KetaCare is already set up (it has a clinic); nothing was changed. Log in at {login_url}"
                )
            return

        questions = _questions()
        given = {
            "organisation": organisation,
            "clinic": clinic,
            "time_zone": time_zone,
            "phone": phone,
            "emergency_number": emergency_number,
            "crisis_line": crisis_line,
            "after_hours_phone": after_hours_phone,
            "hours": hours,
            "admin_name": admin_name,
            "admin_email": admin_email,
        }
        password = os.environ.get("KETACARE_SETUP_ADMIN_PASSWORD", "")
        if interactive:
            values = {}
            for q in questions:
                values[q.key] = _ask(q, given[q.key])
                if q.key == "after_hours_phone" and not values[q.key]:
                    typer.echo(NO_AFTER_HOURS)
            if not base_url:
                base_url = _ask(
                    Question(
                        "base_url",
                        "Public address (what people open; links in e-mails start with it)",
                        "--base-url",
                        "KETACARE_BASE_URL",
                        check_base_url,
                        settings.PUBLIC_BASE_URL or FALLBACK_BASE_URL,
                    ),
                    None,
                ).rstrip("/")
                told = True
        else:
            values, problems = _collect(questions, given)
            if not password:
                problems.append("the administrator's password is required: set KETACARE_SETUP_ADMIN_PASSWORD")
            if problems:
                _fail(problems)
        url = (base_url or settings.PUBLIC_BASE_URL or FALLBACK_BASE_URL).rstrip("/")
        login_url = f"{url}/accounts/login/"
        while True:
            if not password:
                password = _prompt_password(email=values["admin_email"], full_name=values["admin_name"])
            try:
                result = set_up_installation(
                    organisation_name=values["organisation"],
                    clinic_name=values["clinic"],
                    time_zone=values["time_zone"],
                    phone=values["phone"],
                    emergency_number=values["emergency_number"],
                    crisis_line=values["crisis_line"],
                    after_hours_phone=values["after_hours_phone"],
                    opening_hours=parse_opening_hours(values["hours"]),
                    admin_email=values["admin_email"],
                    admin_name=values["admin_name"],
                    admin_password=password,
                )
            except FieldError as error:
                if error.field == "admin_password":
                    if interactive:
                        typer.echo(_refusal([error.message.removeprefix("admin_password: ")]), err=True)
                        password = ""
                        continue
                    _fail([_named(error, "KETACARE_SETUP_ADMIN_PASSWORD")])
                question = next((q for q in questions if q.key == error.field), None)
                _fail(
                    [
                        _named(error, _error_name(question, interactive=interactive))
                        if question
                        else error.message
                    ]
                )
            break
        saved = _save_base_url(url) if told else None
        console_mail = settings.MAIL_DELIVERY_BACKEND.endswith(("console.EmailBackend", "dummy.EmailBackend"))
        plain_http = urlsplit(url).scheme == "http" and settings.HTTPS
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
                        "base_url_saved": str(saved) if saved else None,
                        "email_configured": not console_mail,
                        "https_redirects_this_address": plain_http,
                    }
                )
            )
            return
        typer.echo(
            f"Created {result.organisation.name}, clinic {result.clinic.name}, administrator {result.admin.email}."
        )
        if saved:
            typer.echo(f"Public address saved: {url} (in {saved}; KETACARE_BASE_URL overrides it).")
        if plain_http:
            typer.echo(
                f"Note: KETACARE_HTTPS is on (the default), so the server redirects {url} to https://. For a "
                "trial on this machine without TLS start the server and the worker with KETACARE_HTTPS=false "
                "(as below); in production give an https:// address (--base-url) and put a TLS proxy in front."
            )
        for line in _next_steps(url, https=settings.HTTPS, env_file=env_file):
            typer.echo(line)
        typer.echo(
            f"Log in at {login_url} once the server runs — the first login sets up an authenticator app "
            "(six-digit codes)."
        )
        if console_mail:
            typer.echo(
                "Note: e-mail is not configured, so invitations, password resets, reminders and escalations are "
                "printed by the worker (`ketacare worker`, in its terminal or log), not sent and not shown by the "
                "web server. Set KETACARE_EMAIL_URL (README: E-mail)."
            )


def _refusal(problems: list[str]) -> str:
    """The password rules' refusals as one line: "That password is too short: ...; ... Try again." """
    sentences = []
    for problem in problems:
        text = problem.strip()
        if text.lower().startswith("password "):
            text = "That " + text[:1].lower() + text[1:]
        sentences.append(text if text.endswith(".") else text + ".")
    return " ".join([*sentences, "Try again."])


def _prompt_password(*, email: str, full_name: str) -> str:
    """The administrator's password, hidden: checked against the staff rules as soon as it is typed,
    then typed again to confirm it, so nobody repeats a password that would be refused."""
    from ketacare.accounts.services import new_staff_password_problems

    typer.echo("The administrator's password: at least 12 characters (a short sentence works well).")
    while True:
        password: str = typer.prompt("Password", hide_input=True)
        problems = new_staff_password_problems(password, email=email, full_name=full_name)
        if problems:
            typer.echo(_refusal(problems), err=True)
            continue
        if typer.prompt("Repeat the password", hide_input=True) == password:
            return password
        typer.echo("The two passwords differ. Type the password again.", err=True)


def _save_base_url(url: str) -> Path:
    """Keep the public address beside the data, where the settings read it (settings.PUBLIC_BASE_URL_FILE)."""
    from django.conf import settings

    path = Path(settings.PUBLIC_BASE_URL_FILE)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(url + "\n")
    return path


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines as systemd's EnvironmentFile= reads them: blank lines and lines starting with # or
    ; are skipped, and one pair of matching quotes around a value is removed."""
    values = {}
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")) or "=" not in line:
            continue
        key, _, value = line.partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key.strip()] = value
    return values
