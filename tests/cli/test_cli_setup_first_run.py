"""`ketacare setup` as a newcomer meets it: each answer checked at its own prompt, every flag problem at
once, the public address saved for the worker's links, and the last lines saying what to run next."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from ketacare.accounts.models import User
from ketacare.clinics.models import Clinic, Organisation

sys.path.insert(0, str(Path(__file__).parents[2] / "bench"))
import migrated  # noqa: E402

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
KETACARE = Path(sys.executable).with_name("ketacare")
PASSWORD = "first admin password 2026"  # noqa: S105 - test data only
FLAGS = [
    "--organisation", "Bright Path Health",
    "--clinic", "Bright Path Boston",
    "--phone", "+1 617 555 0100",
    "--admin-name", "Ada Admin",
    "--admin-email", "ada@brightpath.example",
    "--no-migrate",
]  # fmt: skip


@pytest.fixture(autouse=True)
def _a_fresh_data_dir(settings, tmp_path):
    # The saved address goes beside the data: never into the data dir the test run shares.
    settings.PUBLIC_BASE_URL_FILE = tmp_path / "base_url"
    settings.PUBLIC_BASE_URL = ""
    settings.HTTPS = False
    settings.MAIL_DELIVERY_BACKEND = "django.core.mail.backends.console.EmailBackend"


def _prompted(run_input: list[str]):
    from typer.testing import CliRunner

    from ketacare import cli

    if not any(c.name == "setup" for c in cli.app.registered_commands):
        cli._register_subcommands()
    return CliRunner().invoke(cli.app, ["setup", "--no-migrate"], input="\n".join(run_input) + "\n")


def test_each_answer_is_checked_at_its_own_prompt_and_asked_again_naming_the_question():
    result = _prompted(
        [
            "Bright Path Health",
            "Bright Path Boston",
            "Boston",  # a city, not a zone name
            "Chicago",  # a city that names a zone: suggested, and Enter takes it
            "",
            "+1 617 555 0100",
            "",  # emergency number: 911
            "",  # crisis line: 988
            "Mon-Fri 9-5",
            "Mon-Fri 09:00-17:00",
            "",  # after-hours phone: none
            "",  # an empty full name
            "Ada Admin",
            "ada",
            "ada@brightpath.example",
            "",  # public address: the default
            PASSWORD,
            PASSWORD,
        ]
    )
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Time zone: 'Boston' is not a time-zone name; give a zone name, e.g. America/New_York" in out
    assert "Time zone: 'Chicago' is not a time-zone name; did you mean America/Chicago?" in out
    assert "Time zone [America/Chicago]:" in out
    assert "Opening hours: 'mon-fri 9-5' is not understood; e.g. 'Mon-Fri 08:00-18:00" in out
    assert "Administrator's full name is required (1 to 200 characters)" in out
    assert "Administrator e-mail: 'ada' is not an e-mail address (name@example.org)" in out
    # Each problem was reported before the next question, not after the password.
    assert out.index("'Boston' is not") < out.index("Clinic phone") < out.index("'mon-fri 9-5'")
    assert out.index("'ada' is not") < out.index("Password:")
    for internal in ("time_zone", "opening_hours", "admin_email", "admin_name", "IANA"):
        assert internal not in out
    clinic = Clinic.objects.get()
    assert clinic.time_zone == "America/Chicago"
    assert [str(h) for h in clinic.opening_hours.all()][0] == "Monday 09:00-17:00"
    assert User.objects.get().email == "ada@brightpath.example"


def test_with_no_input_every_problem_is_listed_at_once_naming_its_flag(run, monkeypatch):
    monkeypatch.setenv("KETACARE_SETUP_ADMIN_PASSWORD", PASSWORD)
    flags = [f for f in FLAGS if f not in ("--phone", "+1 617 555 0100")]
    result = run(
        "setup", "--no-input", *flags, "--time-zone", "Boston", "--hours", "Mon-Fri 9-5",
        "--admin-email", "ada",
    )  # fmt: skip
    assert result.exit_code == 2 and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert all(line.startswith("ketacare setup: error: ") for line in lines), lines
    assert [line.split(": ", 2)[2].split(" ", 1)[0].rstrip(":") for line in lines] == [
        "--time-zone",
        "--phone",
        "--hours",
        "--admin-email",
    ]
    assert (
        "--time-zone: 'Boston' is not a time-zone name; give a zone name, e.g. America/New_York" in lines[0]
    )
    assert "--phone is required" in lines[1] and "KETACARE_SETUP_PHONE" in lines[1]
    assert (Clinic.objects.count(), User.objects.count(), Organisation.objects.count()) == (0, 0, 0)


def test_a_city_gets_the_zone_names_that_contain_it():
    from ketacare.cli_setup import zone_suggestions

    assert zone_suggestions("new york") == ["America/New_York"]
    assert zone_suggestions("Berlin") == ["Europe/Berlin"]
    assert zone_suggestions("Boston") == []


def test_the_last_lines_say_what_to_start_next_and_that_the_worker_prints_the_mail(run, monkeypatch):
    monkeypatch.setenv("KETACARE_SETUP_ADMIN_PASSWORD", PASSWORD)
    # KETACARE_HTTPS as its default (the test run may export it false, which the lines would repeat).
    monkeypatch.delenv("KETACARE_HTTPS", raising=False)
    result = run("setup", "--no-input", *FLAGS, "--base-url", "https://care.brightpath.example")
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    serve = next(line for line in lines if line.endswith(" serve"))
    worker = next(line for line in lines if line.endswith(" worker"))
    assert str(KETACARE) in serve and str(KETACARE) in worker
    assert "KETACARE_HTTPS=false" not in serve  # an https address: nothing to turn off
    assert "Log in at https://care.brightpath.example/accounts/login/" in result.stdout
    assert "printed by the worker (`ketacare worker`" in lines[-1]
    assert "printed by the server" not in result.stdout


def test_an_http_address_with_https_on_is_pointed_out_and_the_commands_turn_it_off(
    run, monkeypatch, settings
):
    settings.HTTPS = True  # KETACARE_HTTPS's default
    monkeypatch.setenv("KETACARE_SETUP_ADMIN_PASSWORD", PASSWORD)
    result = run("setup", "--no-input", *FLAGS, "--base-url", "http://127.0.0.1:8123")
    assert result.exit_code == 0, result.output
    assert "KETACARE_HTTPS is on" in result.stdout
    assert "redirects http://127.0.0.1:8123 to https://" in result.stdout
    serve = next(line for line in result.stdout.splitlines() if line.endswith(" serve"))
    worker = next(line for line in result.stdout.splitlines() if line.endswith(" worker"))
    assert "KETACARE_HTTPS=false" in serve and "KETACARE_BIND=127.0.0.1:8123" in serve
    assert "KETACARE_HTTPS=false" in worker
    as_json = json.loads(run("setup", "--json", "--no-migrate", "--base-url", "http://127.0.0.1:8123").stdout)
    assert as_json["status"] == "already_set_up"


def test_the_base_url_is_saved_where_the_settings_read_it(run, monkeypatch, settings):
    monkeypatch.setenv("KETACARE_SETUP_ADMIN_PASSWORD", PASSWORD)
    result = run("setup", "--no-input", *FLAGS, "--base-url", "http://127.0.0.1:8123/")
    assert result.exit_code == 0, result.output
    assert settings.PUBLIC_BASE_URL_FILE.read_text().strip() == "http://127.0.0.1:8123"
    assert f"Public address saved: http://127.0.0.1:8123 (in {settings.PUBLIC_BASE_URL_FILE}" in result.stdout
    # Given again on a set-up installation: saved, and nothing else changes.
    again = run("setup", "--no-input", "--no-migrate", "--base-url", "https://care.brightpath.example")
    assert again.exit_code == 0 and "no clinic or account was changed" in again.stdout
    assert settings.PUBLIC_BASE_URL_FILE.read_text().strip() == "https://care.brightpath.example"
    assert Clinic.objects.count() == 1
    bad = run("setup", "--no-input", "--no-migrate", "--base-url", "care.brightpath.example/clinic")
    assert (
        bad.exit_code == 2
        and "--base-url: 'care.brightpath.example/clinic' is not a web address" in bad.stderr
    )


def _settings_in_a_new_process(data_dir: Path, **extra: str) -> str:
    env = migrated.clean_env(data_dir, **extra)
    code = "from django.conf import settings; print(settings.PUBLIC_BASE_URL)"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_the_settings_read_the_saved_address_unless_the_variable_is_set(tmp_path):
    (tmp_path / "base_url").write_text("http://127.0.0.1:8123\n")
    assert _settings_in_a_new_process(tmp_path) == "http://127.0.0.1:8123"
    assert (
        _settings_in_a_new_process(tmp_path, KETACARE_BASE_URL="https://care.example.org/")
        == "https://care.example.org"
    )


def test_env_file_makes_setup_write_the_database_the_services_use(tmp_path):
    database = tmp_path / "service" / "ketacare.sqlite3"
    database.parent.mkdir()
    migrated.copy(migrated.template(), database)
    env_file = tmp_path / "ketacare.env"
    env_file.write_text(
        "# as /etc/ketacare/ketacare.env\n"
        f"KETACARE_SQLITE_PATH={database}\n"
        "KETACARE_BASE_URL=https://care.brightpath.example\n"
        "KETACARE_FROM_EMAIL=KetaCare <no-reply@care.brightpath.example>\n"
        'KETACARE_HTTPS="true"\n'
    )
    env = migrated.clean_env(tmp_path / "elsewhere", KETACARE_SETUP_ADMIN_PASSWORD=PASSWORD)
    out = subprocess.run(
        [KETACARE, "setup", "--no-input", "--env-file", env_file, *FLAGS],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Log in at https://care.brightpath.example/accounts/login/" in out.stdout
    assert "KETACARE_HTTPS is on" not in out.stdout
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT name FROM clinics_clinic").fetchall() == [("Bright Path Boston",)]
    # The address came from the file, which the services read too: nothing to save.
    assert not (tmp_path / "elsewhere" / "base_url").exists()
