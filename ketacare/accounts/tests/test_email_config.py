"""E-mail settings from the environment: URL, provider (django-anymail), SMTP by parts, console default."""

from __future__ import annotations

import pytest

from ketacare.accounts.email_config import CONSOLE, LOCMEM, SMTP, email_settings, parse_email_url
from ketacare.lib.env import EnvError


def test_nothing_set_means_the_console_backend_as_in_the_demo():
    assert email_settings({}) == {"EMAIL_BACKEND": CONSOLE}


def test_the_older_backend_variable_still_works():
    assert email_settings({"KETACARE_EMAIL_BACKEND": LOCMEM}) == {"EMAIL_BACKEND": LOCMEM}


def test_an_smtp_url_with_starttls_user_and_an_encoded_password():
    settings = email_settings(
        {"KETACARE_EMAIL_URL": "smtp+tls://mailer%40clinic.org:p%40ss%3Aword@mail.example.org"}
    )
    assert settings == {
        "EMAIL_BACKEND": SMTP,
        "EMAIL_HOST": "mail.example.org",
        "EMAIL_PORT": 587,
        "EMAIL_HOST_USER": "mailer@clinic.org",
        "EMAIL_HOST_PASSWORD": "p@ss:word",
        "EMAIL_USE_TLS": True,
        "EMAIL_USE_SSL": False,
    }


def test_smtps_is_implicit_tls_on_465_and_a_timeout_can_be_given():
    settings = parse_email_url("smtps://u:p@mail.example.org?timeout=10")
    assert (settings["EMAIL_PORT"], settings["EMAIL_USE_SSL"], settings["EMAIL_USE_TLS"]) == (
        465,
        True,
        False,
    )
    assert settings["EMAIL_TIMEOUT"] == 10


def test_the_url_wins_over_the_parts():
    settings = email_settings({"KETACARE_EMAIL_URL": "console://", "KETACARE_EMAIL_HOST": "mail.example.org"})
    assert settings == {"EMAIL_BACKEND": CONSOLE}


def test_smtp_by_parts_defaults_to_starttls_on_587():
    settings = email_settings(
        {
            "KETACARE_EMAIL_HOST": "mail.example.org",
            "KETACARE_EMAIL_USER": "u",
            "KETACARE_EMAIL_PASSWORD": "p",
        }
    )
    assert settings["EMAIL_BACKEND"] == SMTP
    assert (settings["EMAIL_PORT"], settings["EMAIL_USE_TLS"], settings["EMAIL_HOST_USER"]) == (
        587,
        True,
        "u",
    )


def test_smtp_by_parts_with_implicit_tls():
    settings = email_settings(
        {
            "KETACARE_EMAIL_HOST": "mail.example.org",
            "KETACARE_EMAIL_USE_TLS": "false",
            "KETACARE_EMAIL_USE_SSL": "true",
        }
    )
    assert (settings["EMAIL_PORT"], settings["EMAIL_USE_SSL"], settings["EMAIL_USE_TLS"]) == (
        465,
        True,
        False,
    )


def test_a_provider_through_django_anymail_passes_its_credentials_through():
    settings = email_settings(
        {"KETACARE_EMAIL_PROVIDER": "Postmark", "KETACARE_ANYMAIL_POSTMARK_SERVER_TOKEN": "token-123"}
    )
    assert settings == {
        "EMAIL_BACKEND": "anymail.backends.postmark.EmailBackend",
        "ANYMAIL": {"POSTMARK_SERVER_TOKEN": "token-123"},
    }


def test_every_named_provider_has_a_backend_module_in_the_installed_anymail():
    # Found, not imported: a few providers need their SDK as an extra (Amazon SES needs boto3).
    import importlib.util

    from ketacare.accounts.email_config import ANYMAIL_PROVIDERS

    missing = [p for p in ANYMAIL_PROVIDERS if importlib.util.find_spec(f"anymail.backends.{p}") is None]
    assert missing == []


def test_a_provider_backend_sends_through_anymail(settings):
    # Postmark's backend builds its API request from the message; the transport is stubbed.
    from unittest import mock

    from django.core.mail import send_mail

    settings.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
    settings.ANYMAIL = {"POSTMARK_SERVER_TOKEN": "token-123"}
    response = mock.Mock(
        status_code=200,
        json=lambda: {"To": "a@example.org", "MessageID": "m1", "ErrorCode": 0, "Message": "OK"},
    )
    with mock.patch("requests.Session.request", return_value=response) as request:
        send_mail("Reset your password", "body", "from@example.org", ["a@example.org"])
    assert request.call_args.kwargs["headers"]["X-Postmark-Server-Token"] == "token-123"


@pytest.mark.parametrize(
    ("environ", "names"),
    [
        ({"KETACARE_EMAIL_URL": "gopher://mail.example.org"}, "scheme 'gopher' is not one of"),
        ({"KETACARE_EMAIL_URL": "smtp://"}, "needs a host"),
        ({"KETACARE_EMAIL_URL": "smtp://mail.example.org:99999"}, "port"),
        ({"KETACARE_EMAIL_URL": "smtp://mail.example.org?timeout=0"}, "timeout"),
        ({"KETACARE_EMAIL_URL": "smtp://mail.example.org?verify=no"}, "unknown option"),
        ({"KETACARE_EMAIL_URL": "file://"}, "needs a folder"),
        (
            {"KETACARE_EMAIL_PROVIDER": "carrier-pigeon"},
            "KETACARE_EMAIL_PROVIDER='carrier-pigeon' is not one of",
        ),
        ({"KETACARE_EMAIL_PROVIDER": "mailgun"}, "KETACARE_ANYMAIL_MAILGUN_API_KEY"),
        ({"KETACARE_EMAIL_HOST": "h", "KETACARE_EMAIL_PORT": "smtp"}, "KETACARE_EMAIL_PORT"),
        ({"KETACARE_EMAIL_HOST": "h", "KETACARE_EMAIL_PORT": "0"}, "1..65535"),
        ({"KETACARE_EMAIL_HOST": "h", "KETACARE_EMAIL_USE_SSL": "true"}, "choose one"),
        ({"KETACARE_EMAIL_HOST": "h", "KETACARE_EMAIL_USE_TLS": "maybe"}, "KETACARE_EMAIL_USE_TLS='maybe'"),
    ],
)
def test_bad_values_stop_the_start_up_naming_the_variable(environ, names):
    with pytest.raises(EnvError, match=names.replace("(", r"\(").replace(".", r"\.")):
        email_settings(environ)
