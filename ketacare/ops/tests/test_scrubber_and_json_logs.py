"""The Sentry scrubber drops what could identify a patient or user; JSON log lines carry the extras."""

from __future__ import annotations

import json
import logging

from ketacare.lib.observability import JsonFormatter, scrub_event


def _event() -> dict:
    return {
        "request": {
            "url": "https://clinic.example/patients/6f1c/?q=Jane+Doe",
            "method": "POST",
            "query_string": "q=Jane+Doe",
            "data": {"full_name": "Jane Doe", "phq9_item9": 3},
            "cookies": {"__Host-ketacare_session": "secret-session"},
            "headers": {
                "Cookie": "__Host-ketacare_session=secret-session",
                "Authorization": "Bearer abc",
                "X-CSRFToken": "tok",
                "User-Agent": "Firefox",
                "X-Request-ID": "r1",
            },
            "env": {"REMOTE_ADDR": "203.0.113.9"},
        },
        "user": {"id": "42", "email": "jane@example.org", "username": "jane", "ip_address": "203.0.113.9"},
        "breadcrumbs": {"values": [{"category": "query", "message": "SELECT ... 'Jane Doe'"}]},
        "exception": {
            "values": [{"stacktrace": {"frames": [{"function": "view", "vars": {"name": "Jane Doe"}}]}}]
        },
    }


def test_the_scrubber_removes_bodies_cookies_query_strings_and_the_users_email() -> None:
    event = scrub_event(_event(), {})
    text = json.dumps(event)
    for secret in ("Jane", "secret-session", "Bearer", "jane@example.org", "203.0.113.9", "tok", "q="):
        assert secret not in text, secret
    assert event["request"]["url"] == "https://clinic.example/patients/6f1c/"
    assert event["request"]["headers"] == {"User-Agent": "Firefox", "X-Request-ID": "r1"}
    assert event["user"] == {"id": "42"}
    assert event["request"]["method"] == "POST"  # what locates the bug stays


def test_the_scrubber_accepts_events_without_a_request() -> None:
    assert scrub_event({"message": "worker crashed"}, None) == {"message": "worker crashed"}


def test_a_json_log_line_is_one_object_with_the_extra_fields() -> None:
    record = logging.LogRecord("ketacare.access", logging.INFO, __file__, 1, "%s %s", ("GET", "/x"), None)
    record.request_id = "abc123"
    record.role = "nurse"
    record.status = 200
    line = JsonFormatter().format(record)
    entry = json.loads(line)
    assert "\n" not in line
    assert entry["message"] == "GET /x" and entry["level"] == "INFO" and entry["logger"] == "ketacare.access"
    assert (entry["request_id"], entry["role"], entry["status"]) == ("abc123", "nurse", 200)
    assert entry["time"].endswith("+00:00")
