"""A page's query count does not grow with a patient's history or a clinic's size (docs/decisions/0017).

Each page is requested for a patient with 2 sessions and one with 50 (each session with its doses,
vitals, a check-in and a questionnaire score; every fifth check-in a red flag with its alert), and the
lists for a clinic with 10 and with 200 patients (more than a page of 25, so a per-row query shows).
The two counts must be equal: a query per session, per dose or per row would make them differ.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from conftest import login
from ketacare.alerts.models import Alert
from ketacare.alerts.services import raise_alert
from ketacare.checkins.services import ReportIn, submit_checkin
from tests.support.cohort import add_scores, make_patient
from tests.support.treatments import make_planned_session, make_session

pytestmark = pytest.mark.django_db

FEW, MANY = 2, 50
SMALL_CLINIC, LARGE_CLINIC = 10, 200


def _history(patient: Any, sessions: int, *, now: dt.datetime) -> Any:
    """``sessions`` past discharged sessions with check-ins and scores, and one session in the chair now."""
    for i in range(sessions):
        at = now - dt.timedelta(days=3 * (sessions - i))
        make_session(patient, state="discharged", now=at)
        red_flag = (sessions - 1 - i) % 5 == 4  # the last check-in is alike for every history
        submit_checkin(
            patient=patient,
            idempotency_key=f"history-{i}",
            reports=[ReportIn("chest_pain" if red_flag else "headache", "mild")],
            mood=6,
            note="",
            now=at + dt.timedelta(hours=3),
        )
    add_scores(patient, [(3.0 * i, 12 - i % 10) for i in range(sessions)])
    return make_session(patient, state="observing", now=now)


def _queries(call: Callable[[], Any]) -> tuple[int, int, list[str]]:
    with CaptureQueriesContext(connection) as captured:
        response = call()
    return response.status_code, len(captured.captured_queries), [q["sql"] for q in captured.captured_queries]


def _client(user: Any) -> Client:
    client = login(Client(), user)
    client.get("/healthz")  # the session's first stamps are written once, before any count
    client.get(reverse("home"))
    return client


def _same_count(requests: dict[str, tuple[Callable[[], Any], Callable[[], Any]]]) -> dict[str, int]:
    """Run each (small, large) pair; fail naming every page whose count differs."""
    grew = {}
    counts = {}
    for name, (small, large) in requests.items():
        small_status, small_n, small_sql = _queries(small)
        large_status, large_n, large_sql = _queries(large)
        assert small_status == large_status and small_status < 400, (name, small_status, large_status)
        counts[name] = large_n
        # The session's last-seen stamp is written at most once a minute, so not by these requests.
        assert not [q for q in small_sql + large_sql if q.startswith('UPDATE "django_session"')], name
        if small_n != large_n:
            grew[name] = (small_n, large_n, [s[:120] for s in small_sql], [s[:120] for s in large_sql])
    assert not grew, grew
    return counts


def test_patient_pages_cost_the_same_with_2_or_50_sessions(personas: Any) -> None:
    now = timezone.now()
    _history(personas.a1, FEW, now=now)
    _history(personas.a2, MANY, now=now)
    few, many = _client(personas.a1.user), _client(personas.a2.user)

    def api_checkin(client: Client) -> Callable[[], Any]:
        body = {"idempotency_key": uuid.uuid4().hex, "reports": [{"symptom_id": "nausea"}], "mood": 5}
        return lambda: client.post("/api/v1/me/checkins", json.dumps(body), content_type="application/json")

    def form_checkin(client: Client) -> Callable[[], Any]:
        data = {
            "idempotency_key": uuid.uuid4().hex,
            "symptom": ["dizziness"],
            "severity_dizziness": "mild",
            "mood": "5",
            "note": "",
        }
        return lambda: client.post(reverse("checkins:checkin"), data)

    _same_count(
        {
            "patient home": (lambda: few.get("/me/"), lambda: many.get("/me/")),
            "patient progress": (lambda: few.get("/me/progress/"), lambda: many.get("/me/progress/")),
            "check-in form": (lambda: few.get("/me/checkin/"), lambda: many.get("/me/checkin/")),
            "check-in POST (API)": (api_checkin(few), api_checkin(many)),
            "check-in POST (form)": (form_checkin(few), form_checkin(many)),
        }
    )


def test_staff_patient_pages_cost_the_same_with_2_or_50_sessions(personas: Any) -> None:
    now = timezone.now()
    chair_few = _history(personas.a1, FEW, now=now)
    chair_many = _history(personas.a2, MANY, now=now)
    staff = _client(personas.clinician_a)

    def page(name: str, **kwargs: Any) -> tuple[Callable[[], Any], Callable[[], Any]]:
        def one(patient: Any, chair: Any) -> Callable[[], Any]:
            args = (
                {"session_id": chair.public_id}
                if "session_id" in kwargs
                else {"patient_id": patient.public_id}
            )
            return lambda: staff.get(reverse(name, kwargs=args))

        return one(personas.a1, chair_few), one(personas.a2, chair_many)

    _same_count(
        {
            "patient detail": page("patients:detail", patient_id=True),
            "patient progress (staff)": page("companion:staff_progress", patient_id=True),
            "patient check-ins (staff)": page("checkins:staff_checkins", patient_id=True),
            "run-sheet": page("treatments:run_sheet", session_id=True),
        }
    )


def _more_patients(personas: Any, total: int, *, now: dt.datetime) -> None:
    """Patients of Clinic A up to ``total``, each with a session booked today and an open red-flag alert."""
    from ketacare.patients.models import Patient

    existing = Patient.objects.filter(clinic=personas.clinic_a).count()
    for i in range(existing, total):
        patient = make_patient(personas.clinic_a, f"Listed Patient {i:04d}", personas.clinician_a)
        make_planned_session(patient, starts_at=now + dt.timedelta(minutes=5 + i % 60))
        with transaction.atomic():
            raise_alert(
                patient=patient,
                source=Alert.Source.RED_FLAG_CHECKIN,
                severity=Alert.Severity.URGENT,
                title="Red flag in check-in: chest pain",
                dedupe_key=f"list-{i}",
            )


def test_clinic_lists_cost_the_same_with_10_or_200_patients(personas: Any) -> None:
    now = timezone.now()
    staff = _client(personas.clinician_a)
    pages = {
        "inbox": reverse("alerts:inbox"),
        "patient list": reverse("patients:list"),
        "clinic day": reverse("treatments:day"),
    }
    _more_patients(personas, SMALL_CLINIC, now=now)
    small = {name: _queries(lambda url=url: staff.get(url)) for name, url in pages.items()}
    _more_patients(personas, LARGE_CLINIC, now=now)
    large = {name: _queries(lambda url=url: staff.get(url)) for name, url in pages.items()}
    for name in pages:
        assert small[name][0] == large[name][0] == 200, (name, small[name][0], large[name][0])
    assert {name: small[name][1] for name in pages} == {name: large[name][1] for name in pages}


def test_a_check_in_runs_at_most_10_sql_statements_besides_transaction_control(personas: Any) -> None:
    # The API check-in of a patient with history: the session, the user with their patient, the
    # idempotency read, the last dose, then in one transaction the audit row, the insert, the open
    # episodes, the new symptom and the closing of the one it replaces. Savepoints are transaction control.
    now = timezone.now()
    _history(personas.a2, MANY, now=now)
    client = _client(personas.a2.user)
    body = {"idempotency_key": "count-me", "reports": [{"symptom_id": "nausea"}], "mood": 5}
    status, _, sql = _queries(
        lambda: client.post("/api/v1/me/checkins", json.dumps(body), content_type="application/json")
    )
    statements = [s for s in sql if not s.startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO"))]
    audit = [s for s in statements if "audit_accessevent" in s or "pg_advisory" in s]
    assert status == 201
    assert len(statements) - len(audit) <= 8, "\n".join(statements)
    # On both databases: the audit row is one INSERT in the check-in's transaction (no lock, no read).
    assert len(audit) == 1, "\n".join(audit)
    assert len(statements) <= 10, "\n".join(statements)
