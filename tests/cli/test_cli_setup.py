"""`ketacare setup`: the first run from an empty database, by flags, environment or prompts."""

from __future__ import annotations

import json

import pytest

from ketacare.accounts.models import User
from ketacare.audit.models import AccessEvent
from ketacare.clinics.models import Clinic, Organisation, StaffMembership

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _saved_address_in_a_temporary_data_dir(settings, tmp_path):
    # `setup --base-url` saves the address beside the data: never in the data dir the test run shares.
    settings.PUBLIC_BASE_URL_FILE = tmp_path / "base_url"


PASSWORD = "first admin password 2026"  # noqa: S105 - test data only
FLAGS = [
    "--organisation", "Bright Path Health",
    "--clinic", "Bright Path Boston",
    "--time-zone", "America/New_York",
    "--phone", "+1 617 555 0100",
    "--hours", "Mon-Fri 08:00-18:00; Sat 09:00-12:00",
    "--admin-name", "Ada Admin",
    "--admin-email", "Ada@Example.org",
    "--base-url", "https://care.example.org",
    "--no-migrate",
]  # fmt: skip


def test_setup_with_flags_creates_the_organisation_clinic_and_administrator(run, monkeypatch):
    monkeypatch.setenv("KETACARE_SETUP_ADMIN_PASSWORD", PASSWORD)
    result = run("setup", "--no-input", *FLAGS)
    assert result.exit_code == 0, result.output
    assert "Log in at https://care.example.org/accounts/login/" in result.output
    organisation = Organisation.objects.get()
    clinic = Clinic.objects.get()
    assert (organisation.name, clinic.organisation, clinic.name) == (
        "Bright Path Health",
        organisation,
        "Bright Path Boston",
    )
    assert [str(h) for h in clinic.opening_hours.all()] == [
        "Monday 08:00-18:00", "Tuesday 08:00-18:00", "Wednesday 08:00-18:00", "Thursday 08:00-18:00",
        "Friday 08:00-18:00", "Saturday 09:00-12:00",
    ]  # fmt: skip
    admin = User.objects.get()
    assert admin.email == "ada@example.org" and admin.check_password(PASSWORD) and admin.is_active
    assert StaffMembership.objects.get().role == "clinic_admin"
    assert AccessEvent.objects.filter(object_type="setup").count() == 1
    assert PASSWORD not in result.output


def test_running_setup_again_says_so_and_changes_nothing(run, monkeypatch):
    monkeypatch.setenv("KETACARE_SETUP_ADMIN_PASSWORD", PASSWORD)
    assert run("setup", "--no-input", *FLAGS).exit_code == 0
    again = run(
        "setup", "--no-input", "--no-migrate", "--clinic", "Another", "--admin-email", "eve@example.org"
    )
    assert again.exit_code == 0 and "already set up" in again.output and "nothing was changed" in again.output
    assert (Clinic.objects.count(), User.objects.count(), Organisation.objects.count()) == (1, 1, 1)
    as_json = json.loads(run("setup", "--json", "--no-migrate").stdout)
    assert as_json["status"] == "already_set_up"


def test_setup_reads_the_environment_for_automation(run, monkeypatch):
    for name, value in {
        "KETACARE_SETUP_ORGANISATION": "Env Org",
        "KETACARE_SETUP_CLINIC": "Env Clinic",
        "KETACARE_SETUP_TIME_ZONE": "Europe/Berlin",
        "KETACARE_SETUP_PHONE": "+49 30 5550100",
        "KETACARE_SETUP_EMERGENCY_NUMBER": "112",
        "KETACARE_SETUP_CRISIS_LINE": "0800 1110111",
        "KETACARE_SETUP_ADMIN_NAME": "Env Admin",
        "KETACARE_SETUP_ADMIN_EMAIL": "env.admin@example.org",
        "KETACARE_SETUP_ADMIN_PASSWORD": PASSWORD,
    }.items():
        monkeypatch.setenv(name, value)
    result = run("setup", "--json", "--no-migrate")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["status"] == "created" and data["clinic"] == "Env Clinic"
    clinic = Clinic.objects.get()
    assert (clinic.time_zone, clinic.emergency_number, clinic.crisis_line) == (
        "Europe/Berlin",
        "112",
        "0800 1110111",
    )
    assert [str(h) for h in clinic.opening_hours.all()][0] == "Monday 08:00-18:00"  # the default hours


def test_setup_asks_for_what_is_missing_and_hides_the_password(run):
    from typer.testing import CliRunner

    from ketacare import cli

    answers = "\n".join(
        [
            "Prompted Org",
            "Prompted Clinic",
            "",  # time zone: the default
            "+1 555 0100",
            "",  # emergency number: 911
            "",  # crisis line: 988
            "Mon-Thu 09:00-17:00",
            "",  # after-hours phone: none
            "Pat Prompt",
            "pat@example.org",
            "",  # public address: the default
            "short",  # refused at once (staff passwords have at least 12 characters), not asked again
            PASSWORD,
            PASSWORD,
        ]
    )
    result = CliRunner().invoke(cli.app, ["setup", "--no-migrate"], input=answers + "\n")
    assert result.exit_code == 0, result.output
    assert "at least 12 are required" in result.output
    clinic = Clinic.objects.get()
    assert (clinic.name, clinic.time_zone, clinic.emergency_number) == (
        "Prompted Clinic",
        "America/New_York",
        "911",
    )
    assert User.objects.get().check_password(PASSWORD)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--time-zone", "Mars/Olympus"], "--time-zone: 'Mars/Olympus' is not a time-zone name"),
        (["--hours", "Mon 18:00-08:00"], "opens at or after it closes"),
        (["--phone", "ring ring"], "phone may hold digits"),
        (["--admin-email", "not-an-address"], "--admin-email: 'not-an-address' is not an e-mail address"),
    ],
)
def test_bad_values_name_the_field_and_create_nothing(run, monkeypatch, extra, message):
    monkeypatch.setenv("KETACARE_SETUP_ADMIN_PASSWORD", PASSWORD)
    result = run("setup", "--no-input", *FLAGS, *extra)
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("ketacare setup: error: ")
    assert message in result.stderr
    assert (Clinic.objects.count(), User.objects.count(), Organisation.objects.count()) == (0, 0, 0)


def test_without_a_password_and_without_prompts_setup_refuses(run, monkeypatch):
    monkeypatch.delenv("KETACARE_SETUP_ADMIN_PASSWORD", raising=False)
    result = run("setup", "--no-input", *FLAGS)
    assert result.exit_code == 2 and "KETACARE_SETUP_ADMIN_PASSWORD" in result.output
    missing = run("setup", "--no-input", "--no-migrate")
    assert missing.exit_code == 2 and "KETACARE_SETUP_ORGANISATION" in missing.output
    assert Clinic.objects.count() == 0
