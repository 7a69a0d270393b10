"""Outcomes page benchmark: database aggregation vs a naive per-patient computation, SQLite and PostgreSQL.

Seeds N synthetic patients (PHQ-9 series with responders, non-responders and relapses; a treatment
plan with six induction appointments, each held one with its discharged treatment session and its doses
by the plan's route (IV: one infusion; esketamine: two devices), the rest cancelled; and an intake
indication each) into a fresh SQLite file and, if reachable, a fresh temporary PostgreSQL database. A few
appointments are marked completed with no session behind them, and a few doses are entered in error: the
page counts neither (an induction appointment counts once its session is discharged; a route's cohort is
the patients with a valid dose by that route). Then it times

- ``rebuild``: the maintained course summary built from the bulk-loaded scores, and the per-plan
  funnel counts from the bulk-loaded appointments and sessions (what ``ketacare outcomes-rebuild``
  does; in use each stored response, appointment or session keeps its own row);
- ``db``: ``ketacare.outcomes.selectors.clinic_outcomes`` (everything the outcomes page computes:
  rates per instrument, condition and route with Wilson CIs, the Kaplan-Meier relapse curve,
  side effects, the drop-out funnel), run twice (cold, warm);
- ``naive``: one query per patient for their scores and the response/remission/relapse
  classification in Python with the core's ``classify_change``/``relapse_signals`` (only the
  PHQ-9 rates and relapse curve, i.e. less work than the page) - the computation the issue rules out;

checks both give the same response and remission counts, overall and by route (the naive side reads
each patient's routes from their valid doses), that the page's funnel equals the funnel counted live
from the induction appointments with a discharged session, and writes bench/results/outcomes.json.

    .venv/bin/python bench/bench_outcomes.py                     # 20,000 patients
    .venv/bin/python bench/bench_outcomes.py --patients 100000   # the issue's size
    .venv/bin/python bench/bench_outcomes.py --patients 2000     # a quick check that the numbers agree
    .venv/bin/python bench/bench_outcomes.py --no-postgres       # or --no-sqlite: one database

The PostgreSQL URL comes from KETACARE_BENCH_POSTGRES_URL (default
postgres://postgres@127.0.0.1:5432/postgres); a database ``ketacare_bench_<pid>`` is created and dropped.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from migrated import clean_env  # noqa: E402 - bench/migrated.py, beside this script

RESULTS = ROOT / "bench" / "results" / "outcomes.json"
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/postgres"


# --------------------------------------------------------------------------------------------------
# Child: runs inside one database
# --------------------------------------------------------------------------------------------------


def child(patients: int, seed: int) -> dict[str, object]:
    import django

    django.setup()
    import datetime as dt
    import random

    from django.core.management import call_command
    from django.db import connection, transaction
    from django.db.models import Count, Q

    from ketacare.accounts.models import User
    from ketacare.clinics.models import Clinic, StaffMembership
    from ketacare.core.course import ScorePoint, relapse_signals
    from ketacare.core.instruments import classify_change, get_instrument
    from ketacare.intake.models import Intake
    from ketacare.outcomes.selectors import (
        ENDPOINT_WINDOW,
        Period,
        _course,
        clinic_outcomes,
        dropout_funnel,
        exposure_rows,
        side_effect_rows,
    )
    from ketacare.outcomes.services import rebuild_course_summaries, rebuild_plan_funnels
    from ketacare.patients.models import Patient
    from ketacare.questionnaires.models import QuestionnaireResponse
    from ketacare.treatments.models import Appointment, DoseAdministration, TreatmentPlan, TreatmentSession

    timings: dict[str, float] = {}
    t = time.perf_counter()
    call_command("migrate", verbosity=0)
    timings["migrate_s"] = time.perf_counter() - t

    rng = random.Random(seed)  # noqa: S311 - synthetic data
    t0 = dt.datetime(2025, 1, 6, 12, tzinfo=dt.UTC)
    t = time.perf_counter()
    clinic = Clinic.objects.create(name="Bench clinic", time_zone="UTC", phone="+1 555 0100")
    staff = User.objects.create_user("bench.prescriber@example.org", None, full_name="Bench Prescriber")
    StaffMembership.objects.create(user=staff, clinic=clinic, role="prescriber")
    batch = 5000
    for start in range(0, patients, batch):
        new_patients = [
            Patient(
                clinic=clinic,
                full_name=f"Bench {i}",
                date_of_birth=dt.date(1980, 1, 1),
                medical_record_number=f"B{i}",
            )
            for i in range(start, min(patients, start + batch))
        ]
        Patient.objects.bulk_create(new_patients, batch_size=batch)
    ids = list(Patient.objects.filter(clinic=clinic).order_by("id").values_list("id", flat=True))
    scores: list[QuestionnaireResponse] = []
    # Each plan with how many of its induction appointments were held (a discharged session each),
    # whether the next one is marked completed with no session, and whether a dose by the other route
    # was entered in error.
    plans: list[tuple[TreatmentPlan, int, bool, bool]] = []
    intakes: list[Intake] = []
    n_scores = n_sessions = n_doses = n_status_only = n_doses_in_error = 0
    other_route = {"iv": "esketamine_in", "esketamine_in": "iv"}

    def doses(session: TreatmentSession, route: str) -> list[DoseAdministration]:
        """The session's doses as the run-sheet records them: one infusion, or two 28 mg devices."""
        at = session.dose_started_at
        assert at is not None  # noqa: S101 - benchmark script
        common = {"clinic": clinic, "patient_id": session.patient_id, "session": session, "created_by": staff}
        if route == "iv":
            return [
                DoseAdministration(
                    **common,
                    drug="ketamine (racemic)",
                    route="iv",
                    dose_mg=35,
                    lot_number="BENCH-KET",
                    started_at=at,
                    ended_at=at + dt.timedelta(minutes=40),
                )
            ]
        return [
            DoseAdministration(
                **common,
                drug="esketamine",
                route="esketamine_in",
                dose_mg=28,
                lot_number="BENCH-ESK",
                started_at=at + dt.timedelta(minutes=5 * (device - 1)),
                ended_at=at + dt.timedelta(minutes=5 * (device - 1)),
                device_number=device,
            )
            for device in (1, 2)
        ]

    def flush(final: bool = False) -> None:
        nonlocal scores, plans, intakes, n_doses
        if len(scores) >= 20000 or final:
            QuestionnaireResponse.objects.bulk_create(scores, batch_size=5000)
            scores = []
        if len(plans) >= 5000 or final:
            created = TreatmentPlan.objects.bulk_create([p for p, *_ in plans], batch_size=5000)
            appointments: list[tuple[Appointment, bool]] = []  # with: held (a discharged session)
            for plan, (_, held, status_only, _) in zip(created, plans, strict=True):
                appointments += [
                    (
                        Appointment(
                            clinic=clinic,
                            patient_id=plan.patient_id,
                            plan=plan,
                            number=k,
                            phase="induction",
                            week=1 + (k - 1) // 2,
                            # review_not_before holds the patient's start date (set below)
                            starts_at=plan.review_not_before + dt.timedelta(days=2 * k),
                            duration_min=120,
                            status="completed"
                            if k <= held or (status_only and k == held + 1)
                            else "cancelled",
                        ),
                        k <= held,
                    )
                    for k in range(1, 7)
                ]
            Appointment.objects.bulk_create([a for a, _ in appointments], batch_size=5000)
            sessions = [
                TreatmentSession(
                    clinic=clinic,
                    patient_id=a.patient_id,
                    plan=a.plan,
                    appointment=a,
                    protocol_id=a.plan.protocol_id,
                    route=a.plan.route,
                    scheduled_at=a.starts_at,
                    state="discharged",
                    checked_in_at=a.starts_at,
                    dose_started_at=a.starts_at + dt.timedelta(minutes=20),
                    dose_ended_at=a.starts_at + dt.timedelta(minutes=60),
                    discharged_at=a.starts_at + dt.timedelta(minutes=120),
                )
                for a, held in appointments
                if held
            ]
            TreatmentSession.objects.bulk_create(sessions, batch_size=5000)
            given = [d for session in sessions for d in doses(session, session.route)]
            in_error = {
                plan.pk for plan, (_, held, _, error) in zip(created, plans, strict=True) if held and error
            }
            for session in sessions:
                if session.plan_id in in_error:
                    in_error.discard(session.plan_id)  # one per patient, on their first session
                    [wrong, *_] = doses(session, other_route[session.route])
                    wrong.entered_in_error = True
                    wrong.entered_in_error_reason = "wrong route recorded"
                    given.append(wrong)
            DoseAdministration.objects.bulk_create(given, batch_size=5000)
            n_doses += len(given)
            Intake.objects.bulk_create(intakes, batch_size=5000)
            plans, intakes = [], []

    conditions = ["treatment_resistant_depression", "major_depression", "anxiety", "ptsd", "chronic_pain"]
    seeding = transaction.atomic()  # one transaction: no per-batch fsync
    seeding.__enter__()
    for index, pid in enumerate(ids):
        start_at = t0 + dt.timedelta(days=rng.randint(0, 300))
        base = rng.randint(12, 25)
        responder = rng.random() < 0.5
        relapses = responder and rng.random() < 0.4
        series = [(0, base)]
        for week in range(1, rng.randint(3, 9)):
            if responder and relapses and week >= 6:
                total = round(base * 0.85)
            elif responder:
                total = round(base * (1 - min(week, 3) * 0.2))
            else:
                total = round(base * (1 - min(week, 3) * 0.05))
            series.append((7 * week + rng.randint(0, 2), max(0, min(27, total + rng.randint(-1, 1)))))
        for day, total in series:
            scores.append(
                QuestionnaireResponse(
                    clinic=clinic,
                    patient_id=pid,
                    instrument_id="phq9",
                    instrument_version="1",
                    answers={},
                    total=total,
                    submitted_at=start_at + dt.timedelta(days=day),
                    idempotency_key=f"b{day}",
                )
            )
        n_scores += len(series)
        held = 6 if rng.random() < 0.75 else rng.randint(0, 5)
        status_only = held < 6 and rng.random() < 0.2
        dose_in_error = held > 0 and rng.random() < 0.02
        n_sessions += held
        n_status_only += status_only
        n_doses_in_error += dose_in_error
        route = "iv" if index % 3 else "esketamine_in"
        plans.append(
            (
                TreatmentPlan(
                    clinic=clinic,
                    patient_id=pid,
                    protocol_id="iv_ketamine" if route == "iv" else "esketamine_trd",
                    preset_id="standard",
                    route=route,
                    review_after_session=6,  # the review after the six induction sessions
                    review_not_before=start_at,
                    created_by=staff,
                ),
                held,
                status_only,
                dose_in_error,
            )
        )
        intakes.append(
            Intake(
                clinic=clinic,
                patient_id=pid,
                recorded_at=start_at,
                sex="female",
                indications=[conditions[index % len(conditions)]],
                created_by=staff,
            )
        )
        flush()
    flush(final=True)
    seeding.__exit__(None, None, None)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    timings["seed_s"] = time.perf_counter() - t

    # The scores, appointments and sessions were bulk-loaded (no post_save), so the maintained course
    # summary and funnel counts are built once here, as `ketacare outcomes-rebuild` would; a response,
    # an appointment or a session stored through the app keeps its row itself.
    t = time.perf_counter()
    summary_rows = rebuild_course_summaries(clinic_ids=[clinic.pk])
    timings["rebuild_s"] = time.perf_counter() - t
    t = time.perf_counter()
    funnel_rows = rebuild_plan_funnels(clinic_ids=[clinic.pk])
    timings["funnel_rebuild_s"] = time.perf_counter() - t
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")

    # --- the database aggregation (what the page runs) ---
    runs = []
    result = None
    for _ in range(2):
        t = time.perf_counter()
        result = clinic_outcomes(clinics=[clinic], period=Period(), instrument_id="phq9")
        runs.append(time.perf_counter() - t)
    assert result is not None  # noqa: S101 - benchmark script
    # Where the warm page's time goes: the rates and relapse curve (the course summary), the drop-out
    # funnel (plans and their maintained counts), the side effects (symptom reports; none seeded) and
    # the exposure (doses in the last 30, 90 and 365 days; the seeded doses are from 2025).
    parts: dict[str, float] = {}
    for part, call in (
        ("course_s", lambda: _course([clinic], Period(), get_instrument("phq9"))),
        ("funnel_s", lambda: dropout_funnel([clinic], Period())),
        ("side_effects_s", lambda: side_effect_rows([clinic], Period())),
        ("exposure_s", lambda: exposure_rows([clinic], dt.datetime.now(tz=dt.UTC))),
    ):
        t = time.perf_counter()
        call()
        parts[part] = round(time.perf_counter() - t, 3)
    phq9 = next(r for r in result.by_instrument if r.group == "phq9")

    # --- the funnel counted live from the induction appointments with a discharged session (the
    # appointment's status alone does not count: the seeded "completed" ones with no session are out) ---
    t = time.perf_counter()
    done_by_patient = (
        Appointment.objects.filter(plan__clinic=clinic, phase="induction", session__state="discharged")
        .values("patient_id")
        .annotate(done=Count("pk"))
    )
    live_counts = done_by_patient.aggregate(
        **{f"s{k}": Count("patient_id", filter=Q(done__gte=k)) for k in range(1, 7)}
    )
    live_funnel = [
        TreatmentPlan.objects.filter(clinic=clinic).aggregate(n=Count("patient_id", distinct=True))["n"],
        *[live_counts[f"s{k}"] for k in range(1, 7)],
    ]
    funnel_live_s = time.perf_counter() - t
    page_funnel = [result.funnel_planned, *[s.patients for s in result.funnel]]

    # --- the naive per-patient computation (one query per patient, classification in Python) ---
    t = time.perf_counter()
    responders = remitters = evaluable = relapse_events = responders_ever = 0
    # The routes each patient was dosed by (valid doses only); "" for none, as the page groups them.
    routes: dict[int, set[str]] = {}
    for pid, dose_route in (
        DoseAdministration.objects.filter(clinic=clinic, entered_in_error=False)
        .values_list("patient_id", "route")
        .distinct()
    ):
        routes.setdefault(pid, set()).add(dose_route)
    # Per route: cohort, evaluable, responders, remitters.
    naive_by_route: dict[str, list[int]] = {}
    for pid in Patient.objects.filter(clinic=clinic).values_list("id", flat=True):
        rows = list(
            QuestionnaireResponse.objects.filter(patient_id=pid, instrument_id="phq9", status="valid")
            .order_by("submitted_at", "id")
            .values_list("submitted_at", "total")
        )
        if not rows:
            continue
        (base_at, baseline), later = rows[0], rows[1:]
        window = [r for r in later if r[0] <= base_at + ENDPOINT_WINDOW]
        counts = [1, 0, 0, 0]
        if window:
            evaluable += 1
            change = classify_change("phq9", baseline, window[-1][1])
            responders += change in ("response", "remission")
            remitters += change == "remission"
            counts = [1, 1, int(change in ("response", "remission")), int(change == "remission")]
        for dose_route in routes.get(pid) or {""}:
            group = naive_by_route.setdefault(dose_route, [0, 0, 0, 0])
            for k in range(4):
                group[k] += counts[k]
        if any(classify_change("phq9", baseline, total) in ("response", "remission") for _, total in later):
            responders_ever += 1
            relapse_events += bool(
                [
                    s
                    for s in relapse_signals("phq9", baseline, [ScorePoint(a, v) for a, v in later])
                    if s.code == "loss_of_response"
                ]
            )
    naive_s = time.perf_counter() - t
    page_by_route = {
        ("" if r.group == "none" else r.group): [
            r.cohort,
            r.evaluable,
            r.responders.successes if r.responders else 0,
            r.remitters.successes if r.remitters else 0,
        ]
        for r in result.by_route
    }
    agree = (
        phq9.evaluable == evaluable
        and phq9.responders is not None
        and phq9.responders.successes == responders
        and phq9.remitters is not None
        and phq9.remitters.successes == remitters
        and result.relapse.n == responders_ever
        and result.relapse.events == relapse_events
        and page_funnel == live_funnel
        and page_by_route == naive_by_route
    )
    return {
        "vendor": connection.vendor,
        "patients": patients,
        "scores": n_scores,
        "discharged_sessions": n_sessions,
        "doses": n_doses,
        "appointments_completed_without_a_session": n_status_only,
        "doses_entered_in_error": n_doses_in_error,
        "migrate_s": round(timings["migrate_s"], 2),
        "seed_s": round(timings["seed_s"], 2),
        "summary_rows": summary_rows,
        "summary_rebuild_s": round(timings["rebuild_s"], 2),
        "funnel_rows": funnel_rows,
        "funnel_rebuild_s": round(timings["funnel_rebuild_s"], 2),
        "db_cold_s": round(runs[0], 3),
        "db_warm_s": round(runs[1], 3),
        "db_warm_parts": parts,
        "naive_s": round(naive_s, 3),
        "naive_over_db_warm": round(naive_s / runs[1], 1) if runs[1] else None,
        "same_numbers": agree,
        "phq9": {
            "evaluable": phq9.evaluable,
            "responders": phq9.responders.successes if phq9.responders else None,
            "remitters": phq9.remitters.successes if phq9.remitters else None,
            "relapse_n": result.relapse.n,
            "relapse_events": result.relapse.events,
            "relapse_median_days": result.relapse.median,
        },
        "naive_counts": {
            "evaluable": evaluable,
            "responders": responders,
            "remitters": remitters,
            "relapse_n": responders_ever,
            "relapse_events": relapse_events,
        },
        # route ("" for no dose): cohort, evaluable, responders, remitters
        "by_route": page_by_route,
        "by_route_naive": naive_by_route,
        "funnel": page_funnel,
        "funnel_live": live_funnel,
        "funnel_live_s": round(funnel_live_s, 3),
    }


# --------------------------------------------------------------------------------------------------
# Parent: one child per database, a report, the JSON file
# --------------------------------------------------------------------------------------------------


def _env(data_dir: Path, database_url: str | None, sqlite_path: Path | None) -> dict[str, str]:
    env = clean_env(data_dir, PYTHONPATH=str(ROOT))
    if database_url:
        env["DATABASE_URL"] = database_url
    if sqlite_path:
        env["KETACARE_SQLITE_PATH"] = str(sqlite_path)
    return env


def _run_child(args: argparse.Namespace, env: dict[str, str]) -> dict[str, object]:
    out = subprocess.run(  # noqa: S603 - our own script
        [sys.executable, __file__, "--child", "--patients", str(args.patients), "--seed", str(args.seed)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=args.timeout,
        check=False,
    )
    if out.returncode != 0:
        return {
            "error": out.stderr.strip().splitlines()[-1] if out.stderr.strip() else f"exit {out.returncode}"
        }
    return json.loads(out.stdout.strip().splitlines()[-1])


def _postgres(args: argparse.Namespace, data_dir: Path) -> dict[str, object]:
    url = os.environ.get("KETACARE_BENCH_POSTGRES_URL", DEFAULT_PG)
    try:
        import psycopg
    except ImportError:
        return {"skipped": "psycopg is not installed"}
    name = f"ketacare_bench_{os.getpid()}"
    try:
        admin = psycopg.connect(url, autocommit=True, connect_timeout=3)
    except Exception as exc:  # noqa: BLE001 - any connection problem means "not reachable"
        return {"skipped": f"PostgreSQL not reachable: {type(exc).__name__}"}
    try:
        admin.execute(f'CREATE DATABASE "{name}"')  # name built from our pid only
        base = url.rsplit("/", 1)[0]
        return _run_child(args, _env(data_dir, f"{base}/{name}", None))
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def _report(results: dict[str, dict[str, object]]) -> str:
    lines = []
    for backend, r in results.items():
        if "db_warm_s" not in r:
            lines.append(f"{backend:10s} {r}")
            continue
        lines.append(
            f"{backend:10s} patients={r['patients']:,} scores={r['scores']:,} seed={r['seed_s']}s "
            f"summary rebuild={r['summary_rebuild_s']}s funnel rebuild={r.get('funnel_rebuild_s')}s | "
            f"outcomes page (database) cold {r['db_cold_s']}s warm {r['db_warm_s']}s | "
            f"naive per-patient {r['naive_s']}s | naive/database {r['naive_over_db_warm']}x | "
            f"same numbers: {r['same_numbers']} | warm parts {r['db_warm_parts']}"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--patients", type=int, default=20000, help="default 20000 (about 4 min); 100000 is the issue size"
    )
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true", help="only PostgreSQL (seeding takes long)")
    parser.add_argument("--timeout", type=int, default=1800, help="seconds per database")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.patients < 1:
        parser.error(f"--patients {args.patients} must be at least 1")
    if args.child:
        print(json.dumps(child(args.patients, args.seed)))
        return
    started = time.perf_counter()
    results: dict[str, dict[str, object]] = {}
    with tempfile.TemporaryDirectory(prefix="ketacare-bench-") as tmp:
        data_dir = Path(tmp)
        results["sqlite"] = (
            {"skipped": "--no-sqlite"}
            if args.no_sqlite
            else _run_child(args, _env(data_dir, None, data_dir / "bench.sqlite3"))
        )
        results["postgresql"] = (
            {"skipped": "--no-postgres"} if args.no_postgres else _postgres(args, data_dir)
        )
    report = {
        "benchmark": "outcomes",
        "patients": args.patients,
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
        },
        "total_s": round(time.perf_counter() - started, 1),
        "results": results,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(_report(results))
    print(f"total {report['total_s']}s; written {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
