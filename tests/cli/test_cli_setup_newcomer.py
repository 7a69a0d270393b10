"""`ketacare setup` for someone installing KetaCare for a new clinic: the after-hours phone is asked
like the other numbers, a refused password is said before it is typed again, and the start commands
carry the environment setup ran with, so they work pasted into a new terminal."""

from __future__ import annotations

import pytest

from ketacare.accounts.models import User
from ketacare.clinics.models import Clinic

pytestmark = pytest.mark.django_db
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


def _prompted(answers: list[str], *flags: str):
    from typer.testing import CliRunner

    from ketacare import cli

    if not any(c.name == "setup" for c in cli.app.registered_commands):
        cli._register_subcommands()
    return CliRunner().invoke(cli.app, ["setup", "--no-migrate", *flags], input="\n".join(answers) + "\n")


def _answers(*, after_hours: str = "", passwords: tuple[str, ...] = (PASSWORD, PASSWORD)) -> list[str]:
    return [
        "Bright Path Health",
        "Bright Path Boston",
        "",  # time zone: the default
        "+1 617 555 0100",
        "",  # emergency number: 911
        "",  # crisis line: 988
        "",  # opening hours: the default
        after_hours,
        "Ada Admin",
        "ada@brightpath.example",
        "",  # public address: the default
        *passwords,
    ]


# --- The after-hours phone ------------------------------------------------------------------------


def test_the_after_hours_phone_is_asked_after_the_hours_and_kept():
    result = _prompted(_answers(after_hours="+1 617 555 0199"))
    assert result.exit_code == 0, result.output
    out = result.output
    assert "After-hours phone (answered outside those hours; optional, Enter for none):" in out
    assert (
        out.index("Opening hours") < out.index("After-hours phone") < out.index("Administrator's full name")
    )
    assert "Clinic settings" not in out
    assert Clinic.objects.get().after_hours_phone == "+1 617 555 0199"


def test_an_empty_after_hours_phone_says_where_to_add_it_later():
    result = _prompted(_answers())
    assert result.exit_code == 0, result.output
    assert "No after-hours phone for now: add one any time in Clinic settings." in result.output
    assert Clinic.objects.get().after_hours_phone == ""


def test_a_bad_after_hours_phone_is_asked_again_naming_it():
    answers = _answers(after_hours="ring ring")
    answers.insert(answers.index("ring ring") + 1, "+1 617 555 0199")
    result = _prompted(answers)
    assert result.exit_code == 0, result.output
    assert "After-hours phone: after_hours_phone may hold digits" not in result.output
    assert "After-hours phone" in result.output and "may hold digits" in result.output
    assert Clinic.objects.get().after_hours_phone == "+1 617 555 0199"


# --- The password ---------------------------------------------------------------------------------


def test_a_refused_password_is_said_at_once_and_never_typed_twice():
    result = _prompted(_answers(passwords=("short", PASSWORD, PASSWORD)))
    assert result.exit_code == 0, result.output
    out = result.output
    refusal = "That password is too short: 5 characters; at least 12 are required. Try again."
    assert refusal in out
    # Refused before any repetition was asked for; asked to repeat only the good one.
    assert out.count("Repeat the password:") == 1 and out.index(refusal) < out.index("Repeat the password:")
    assert "Repeat for confirmation" not in out and "Password: password is" not in out
    assert User.objects.get().check_password(PASSWORD)


def test_the_staff_rule_and_every_refusal_apply_before_the_account_exists():
    # Ten characters pass the patients' rule (8) but not the staff rule (12), and "password" is common.
    result = _prompted(_answers(passwords=("password12", PASSWORD, PASSWORD)))
    assert result.exit_code == 0, result.output
    assert (
        "That password is too short: 10 characters; at least 12 are required. This password is too common. "
        "Try again." in result.output
    )


def test_two_different_entries_start_the_password_again():
    result = _prompted(_answers(passwords=(PASSWORD, "something else entirely", PASSWORD, PASSWORD)))
    assert result.exit_code == 0, result.output
    assert "The two passwords differ. Type the password again." in result.output
    assert result.output.count("Repeat the password:") == 2
    assert User.objects.get().check_password(PASSWORD)


# --- The start commands ---------------------------------------------------------------------------


def _line(output: str, ending: str) -> str:
    return next(line for line in output.splitlines() if line.endswith(ending))


def test_the_start_commands_repeat_the_settings_this_terminal_has(run, monkeypatch, tmp_path):
    monkeypatch.setenv("KETACARE_SETUP_ADMIN_PASSWORD", PASSWORD)
    monkeypatch.setenv("KETACARE_HTTPS", "false")  # a trial without TLS, exported before setup
    monkeypatch.setenv("KETACARE_DATA_DIR", str(tmp_path / "data dir"))
    monkeypatch.setenv("KETACARE_LOG_FORMAT", "json")
    monkeypatch.setenv("KETACARE_BIND", "127.0.0.1:8000")  # the default: nothing to repeat
    monkeypatch.setenv("KETACARE_WEB_WORKERS", "2")  # the server's alone
    monkeypatch.setenv("DATABASE_URL", "postgres://ketacare:s3cret-pw@db.internal/ketacare")
    monkeypatch.setenv("KETACARE_SECRET_KEY", "a-secret-key-nobody-should-see")
    result = run("setup", "--no-input", *FLAGS, "--base-url", "http://127.0.0.1:8000")
    assert result.exit_code == 0, result.output
    serve, worker = _line(result.stdout, " serve"), _line(result.stdout, " worker")
    for line in (serve, worker):
        assert "KETACARE_HTTPS=false" in line and "KETACARE_LOG_FORMAT=json" in line
        assert f"KETACARE_DATA_DIR='{tmp_path / 'data dir'}'" in line
        assert "KETACARE_BIND" not in line and "KETACARE_SETUP_" not in line
    assert "KETACARE_WEB_WORKERS=2" in serve and "KETACARE_WEB_WORKERS" not in worker
    # Secrets are named, never printed.
    assert "s3cret-pw" not in result.output and "a-secret-key-nobody-should-see" not in result.output
    assert PASSWORD not in result.output
    assert "with DATABASE_URL, KETACARE_SECRET_KEY set as in this terminal (not printed here" in result.stdout


def test_a_database_url_without_a_password_is_repeated(run, monkeypatch):
    monkeypatch.setenv("KETACARE_SETUP_ADMIN_PASSWORD", PASSWORD)
    monkeypatch.setenv("DATABASE_URL", "postgres:///ketacare")
    result = run("setup", "--no-input", *FLAGS, "--base-url", "http://127.0.0.1:8123")
    assert result.exit_code == 0, result.output
    serve, worker = _line(result.stdout, " serve"), _line(result.stdout, " worker")
    assert "DATABASE_URL=postgres:///ketacare" in serve and "DATABASE_URL=postgres:///ketacare" in worker
    assert "KETACARE_BIND=127.0.0.1:8123" in serve and "KETACARE_BIND" not in worker


def test_with_an_env_file_the_commands_load_it_instead_of_repeating_it(run, monkeypatch, tmp_path):
    env_file = tmp_path / "ketacare.env"
    values = {
        "KETACARE_BASE_URL": "http://127.0.0.1:8123",
        "KETACARE_HTTPS": "false",
        "KETACARE_SECRET_KEY": "from-the-file-secret",
        "KETACARE_FROM_EMAIL": "no-reply@brightpath.example",
    }
    env_file.write_text("".join(f"{name}={value}\n" for name, value in values.items()))
    for name, value in values.items():  # what setup puts in its environment, undone after the test
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("KETACARE_SETUP_ADMIN_PASSWORD", PASSWORD)
    result = run("setup", "--no-input", "--env-file", str(env_file), *FLAGS)
    assert result.exit_code == 0, result.output
    assert (
        f"each in its own terminal after loading {env_file} (set -a; . {env_file}; set +a)" in result.stdout
    )
    serve = _line(result.stdout, " serve")
    assert "KETACARE_BIND=127.0.0.1:8123" in serve  # the address's port, which the file does not set
    for name in values:
        assert name not in serve
    assert "from-the-file-secret" not in result.output and "not printed here" not in result.output
