"""KetaCare's throughput as a ratio of a bare Django project's, page by page, on SQLite and PostgreSQL.

Both projects run under gunicorn on 127.0.0.1 with the same settings file (gunicorn.conf.py, the same
workers and threads) and the same database options (bench/baseline/settings.py copies KetaCare's
SQLite PRAGMAs and PostgreSQL options; Django's own middleware in KetaCare's order). wrk drives each
workload for a bounded time with 16 connections, alternating which server goes first in each round
(interleaved A/B runs, so a change in the machine's load hits both), and the load average is recorded
with every run.

Workloads (KetaCare / baseline):

- ``checkin``: a patient's check-in POST (``/api/v1/me/checkins``, a new idempotency key each time) /
  one INSERT in ``atomic()``;
- ``home``, ``inbox``, ``patients``, ``runsheet``: the patient home, the clinic inbox, the patient list
  and a run-sheet, signed in / one query and a template.

    .venv/bin/python bench/http_ratio.py                    # 10 s per run, 2 rounds, both databases
    .venv/bin/python bench/http_ratio.py --seconds 3 --rounds 1 --no-postgres

wrk comes from Debian: installed with apt-get when missing and running as root, else the script stops
with a message saying how. Results: bench/results/http_ratio.json. The PostgreSQL URL comes from
KETACARE_BENCH_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/postgres); two databases
``ketacare_http_<pid>`` and ``bare_http_<pid>`` are created and dropped.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from migrated import clean_env  # noqa: E402 - bench/migrated.py, beside this script

BASELINE = ROOT / "bench" / "baseline"
RESULTS = ROOT / "bench" / "results" / "http_ratio.json"
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/postgres"
BIN = Path(sys.executable).parent
WORKLOADS = ("checkin", "home", "inbox", "patients", "runsheet")
CONNECTIONS = 16
THREADS = 2
WORKERS = "2"  # gunicorn workers for both servers (2 cores); threads come from gunicorn.conf.py
# unless --web-threads sets KETACARE_WEB_THREADS for both (docs/decisions/0024).


# --------------------------------------------------------------------------------------------------
# Child: seeds KetaCare's database and prints the sign-in cookies and URLs
# --------------------------------------------------------------------------------------------------


def setup_child(patients: int) -> dict[str, Any]:
    import django

    django.setup()
    import datetime as dt

    from django.conf import settings
    from django.core.management import call_command
    from django.db import transaction
    from django.test import Client
    from django.utils import timezone
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from ketacare.accounts.models import User
    from ketacare.alerts.services import raise_alert
    from ketacare.clinics.models import Clinic, StaffMembership
    from ketacare.patients.models import Patient
    from tests.support.treatments import make_session

    call_command("migrate", verbosity=0)
    now = timezone.now()
    clinic = Clinic.objects.create(name="Bench clinic", time_zone="UTC", phone="+1 555 0100")
    staff = User.objects.create_user("bench.prescriber@example.org", None, full_name="Bench Prescriber")
    StaffMembership.objects.create(user=staff, clinic=clinic, role="prescriber")
    patient_user = User.objects.create_user("bench.patient@example.org", None, full_name="Bench Patient")
    patient = Patient.objects.create(
        clinic=clinic,
        user=patient_user,
        full_name="Bench Patient",
        date_of_birth=dt.date(1980, 5, 17),
        medical_record_number="BENCH-1",
        time_zone="UTC",
        stage="induction",
        primary_clinician=staff,
    )
    for i in range(10):  # a history: ten past sessions with doses
        make_session(patient, state="discharged", now=now - dt.timedelta(days=3 * (10 - i)))
    chair = make_session(patient, state="observing", now=now)
    for i in range(patients):
        other = Patient.objects.create(
            clinic=clinic,
            full_name=f"Listed Patient {i:04d}",
            date_of_birth=dt.date(1970 + i % 30, 1 + i % 12, 1 + i % 28),
            medical_record_number=f"BENCH-L{i}",
            time_zone="UTC",
            primary_clinician=staff,
        )
        with transaction.atomic():
            raise_alert(
                patient=other,
                source="red_flag_checkin",
                severity="urgent",
                title="Red flag in check-in: chest pain",
                dedupe_key=f"bench-{i}",
            )

    def cookie(user: Any, second_factor: bool) -> str:
        client = Client()
        client.force_login(user)
        if second_factor:
            device = TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
            session = client.session
            session["otp_device_id"] = device.persistent_id
            session.save()
        return str(client.cookies[settings.SESSION_COOKIE_NAME].value)

    return {
        "session_cookie_name": settings.SESSION_COOKIE_NAME,
        "csrf_cookie_name": settings.CSRF_COOKIE_NAME,
        "patient_session": cookie(patient_user, False),
        "staff_session": cookie(staff, True),
        "run_sheet": f"/clinic/sessions/{chair.public_id}/",
    }


# --------------------------------------------------------------------------------------------------
# Parent: servers, wrk, interleaved runs, the report
# --------------------------------------------------------------------------------------------------


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("wrk is missing: installing Debian's wrk (apt-get install -y wrk)", flush=True)
        apt = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], env=apt, check=False, capture_output=True)  # noqa: S607
        if not shutil.which("wrk"):
            subprocess.run(["apt-get", "update", "-qq"], env=apt, check=False, capture_output=True)  # noqa: S607
            subprocess.run(
                ["apt-get", "install", "-y", "-qq", "wrk"], env=apt, check=False, capture_output=True
            )  # noqa: S607
        found = shutil.which("wrk")
        if found:
            return found
    sys.exit("bench/http_ratio.py needs wrk: install Debian's package as root (apt-get install -y wrk)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _base_env(data_dir: Path, web_threads: int | None = None) -> dict[str, str]:
    env = clean_env(data_dir, KETACARE_WEB_WORKERS=WORKERS)
    if web_threads is not None:
        env["KETACARE_WEB_THREADS"] = str(web_threads)
    return env


def _ketacare_env(base: dict[str, str], db: dict[str, str]) -> dict[str, str]:
    env = {**base, "DJANGO_SETTINGS_MODULE": "ketacare.settings", "PYTHONPATH": str(ROOT)}
    if "ketacare_url" in db:
        env["DATABASE_URL"] = db["ketacare_url"]
    else:
        env["KETACARE_SQLITE_PATH"] = db["ketacare_sqlite"]
    return env


def _bare_env(base: dict[str, str], db: dict[str, str]) -> dict[str, str]:
    # The baseline reads KetaCare's settings module for the database options, so KetaCare's
    # environment (data dir, DATABASE_URL) is the same; its own database is a different one.
    env = {**_ketacare_env(base, db), "DJANGO_SETTINGS_MODULE": "settings"}
    env["PYTHONPATH"] = f"{BASELINE}{os.pathsep}{ROOT}"
    if "bare_url" in db:
        env["BARE_DATABASE_URL"] = db["bare_url"]
    else:
        env["BARE_SQLITE_PATH"] = db["bare_sqlite"]
    return env


@contextmanager
def _server(env: dict[str, str], app: str, cwd: Path, probe: str) -> Iterator[str]:
    port = _free_port()
    proc = subprocess.Popen(  # noqa: S603 - our own gunicorn
        [str(BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), app],
        env={**env, "KETACARE_BIND": f"127.0.0.1:{port}"},
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(url + probe, timeout=2).close()  # noqa: S310 - 127.0.0.1
                break
            except urllib.error.HTTPError:
                break  # it answers
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"gunicorn for {app} did not start") from None
                time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def _lua(cookie: str, csrf: str | None, post: bool) -> str:
    headers = f'wrk.headers["Cookie"] = "{cookie}"\n'
    if not post:
        return headers
    return (
        headers
        + f'wrk.headers["X-CSRFToken"] = "{csrf}"\n'
        + 'wrk.headers["Content-Type"] = "application/json"\n'
        + "local counter = 0\nlocal id = 0\nlocal prefix = tostring(math.random(1, 1e9))\n"
        + "function setup(thread) id = id + 1; thread:set('tid', id) end\n"
        + "function request()\n  counter = counter + 1\n"
        + "  local key = prefix .. '-' .. tostring(tid) .. '-' .. counter\n"
        + '  local body = \'{"idempotency_key":"\' .. key .. \'","reports":[{"symptom_id":"nausea"}],"mood":5}\'\n'
        + '  return wrk.format("POST", nil, nil, body)\nend\n'
    )


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


def _wrk(wrk: str, url: str, script: str, seconds: int, tmp: Path) -> dict[str, Any]:
    path = tmp / f"wrk-{secrets.token_hex(4)}.lua"
    path.write_text(script)
    load = os.getloadavg()
    out = subprocess.run(  # noqa: S603 - wrk with our arguments
        # wrk's own 2 s timeout would drop the slowest answers from the latencies: allow 30 s.
        [
            wrk,
            f"-t{THREADS}",
            f"-c{CONNECTIONS}",
            f"-d{seconds}s",
            "--timeout",
            "30s",
            "--latency",
            "-s",
            str(path),
            url,
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=False,
    ).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", out, re.MULTILINE)
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    total = re.search(r"(\d+) requests in", out)
    timeouts = re.search(r"Socket errors:.*timeout (\d+)", out)
    return {
        "requests_per_s": float(rps.group(1)) if rps else 0.0,
        "p99_ms": round(float(p99.group(1)) * _UNITS[p99.group(2)], 1) if p99 else None,
        "requests": int(total.group(1)) if total else 0,
        "non_2xx": int(errors.group(1)) if errors else 0,
        "timeouts": int(timeouts.group(1)) if timeouts else 0,
        "load_average_1m": round(load[0], 2),
    }


def _check(url: str, cookie: str, csrf: str | None, post: bool) -> int:
    body = json.dumps({"idempotency_key": secrets.token_hex(8), "reports": [], "mood": 5}).encode()
    request = urllib.request.Request(url, data=body if post else None, method="POST" if post else "GET")  # noqa: S310
    request.add_header("Cookie", cookie)
    if post:
        request.add_header("X-CSRFToken", csrf or "")
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - 127.0.0.1
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def run_database(
    name: str, db: dict[str, str], args: argparse.Namespace, wrk: str, tmp: Path
) -> dict[str, Any]:
    base = _base_env(tmp / name, args.web_threads)
    (tmp / name).mkdir()
    k_env, b_env = _ketacare_env(base, db), _bare_env(base, db)
    seeded = subprocess.run(  # noqa: S603 - our own script
        [sys.executable, __file__, "--setup-child", "--patients", str(args.patients)],
        env=k_env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if seeded.returncode != 0:
        return {"error": (seeded.stderr.strip().splitlines() or ["setup failed"])[-1]}
    info = json.loads(seeded.stdout.strip().splitlines()[-1])
    migrated = subprocess.run(  # noqa: S603
        [sys.executable, str(BASELINE / "manage.py"), "migrate", "--verbosity", "0"],
        env=b_env,
        cwd=BASELINE,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if migrated.returncode != 0:
        return {"error": "baseline migrate: " + (migrated.stderr.strip().splitlines() or ["failed"])[-1]}
    csrf = secrets.token_hex(16)  # 32 characters: a CSRF secret Django accepts in cookie and header
    patient_cookie = (
        f"{info['session_cookie_name']}={info['patient_session']}; {info['csrf_cookie_name']}={csrf}"
    )
    staff_cookie = f"{info['session_cookie_name']}={info['staff_session']}"
    ketacare_targets = {
        "checkin": ("/api/v1/me/checkins", patient_cookie, True),
        "home": ("/me/", patient_cookie, False),
        "inbox": ("/clinic/alerts/", staff_cookie, False),
        "patients": ("/clinic/patients/", staff_cookie, False),
        "runsheet": (info["run_sheet"], staff_cookie, False),
    }
    runs: dict[str, dict[str, list[dict[str, Any]]]] = {
        w: {"ketacare": [], "bare": []} for w in args.workloads
    }
    checks: dict[str, Any] = {}
    with (
        _server(k_env, "ketacare.wsgi:application", ROOT, "/healthz") as k_url,
        _server(b_env, "wsgi:application", BASELINE, "/read") as b_url,
    ):
        for workload in args.workloads:
            path, cookie, post = ketacare_targets[workload]
            checks[workload] = {
                "ketacare": _check(k_url + path, cookie, csrf, post),
                "bare": _check(b_url + ("/write" if post else "/read"), "", None, post),
            }
        for round_no in range(args.rounds):
            for workload in args.workloads:
                path, cookie, post = ketacare_targets[workload]
                pair = [
                    ("ketacare", k_url + path, _lua(cookie, csrf, post)),
                    ("bare", b_url + ("/write" if post else "/read"), _lua("", None, post)),
                ]
                if round_no % 2:
                    pair.reverse()  # alternate who goes first
                for label, url, script in pair:
                    result = _wrk(wrk, url, script, args.seconds, tmp)
                    runs[workload][label].append(result)
                    print(f"  {name} {workload:9s} {label:8s} {result}", flush=True)
    summary = {}
    for workload, pair in runs.items():
        k = statistics.median(r["requests_per_s"] for r in pair["ketacare"])
        b = statistics.median(r["requests_per_s"] for r in pair["bare"])
        summary[workload] = {
            "ketacare_requests_per_s": round(k, 1),
            "bare_requests_per_s": round(b, 1),
            "ratio": round(k / b, 3) if b else None,
            "ketacare_p99_ms": max((r["p99_ms"] or 0) for r in pair["ketacare"]),
            "first_status": checks[workload],
            "runs": pair,
        }
    return summary


@contextmanager
def _postgres(args: argparse.Namespace) -> Iterator[dict[str, str] | str]:
    url = os.environ.get("KETACARE_BENCH_POSTGRES_URL", DEFAULT_PG)
    try:
        import psycopg
    except ImportError:
        yield "psycopg is not installed"
        return
    names = (f"ketacare_http_{os.getpid()}", f"bare_http_{os.getpid()}")
    try:
        admin = psycopg.connect(url, autocommit=True, connect_timeout=3)
    except Exception as exc:  # noqa: BLE001 - any connection problem means "not reachable"
        yield f"PostgreSQL not reachable: {type(exc).__name__}"
        return
    try:
        for name in names:
            admin.execute(f'CREATE DATABASE "{name}"')  # names built from our pid only
        base = url.rsplit("/", 1)[0]
        yield {"ketacare_url": f"{base}/{names[0]}", "bare_url": f"{base}/{names[1]}"}
    finally:
        for name in names:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seconds", type=int, default=10, help="duration of each wrk run (default 10)")
    parser.add_argument(
        "--rounds", type=int, default=2, help="interleaved A/B rounds per workload (default 2)"
    )
    parser.add_argument("--patients", type=int, default=60, help="patients in the listed clinic (default 60)")
    parser.add_argument("--workloads", nargs="+", choices=WORKLOADS, default=list(WORKLOADS))
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument(
        "--web-threads",
        type=int,
        default=None,
        help="threads per gunicorn worker for both servers (default: gunicorn.conf.py's, 1)",
    )
    parser.add_argument("--setup-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.setup_child:
        print(json.dumps(setup_child(args.patients)))
        return
    if not 1 <= args.seconds <= 600 or not 1 <= args.rounds <= 20:
        parser.error("--seconds must be 1 to 600 and --rounds 1 to 20")
    if args.web_threads is not None and not 1 <= args.web_threads <= 16:
        parser.error("--web-threads must be 1 to 16")
    wrk = ensure_wrk()
    started = time.perf_counter()
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="ketacare-http-") as tmp_name:
        tmp = Path(tmp_name)
        results["sqlite"] = run_database(
            "sqlite",
            {"ketacare_sqlite": str(tmp / "ketacare.sqlite3"), "bare_sqlite": str(tmp / "bare.sqlite3")},
            args,
            wrk,
            tmp,
        )
        if args.no_postgres:
            results["postgresql"] = {"skipped": "--no-postgres"}
        else:
            with _postgres(args) as db:
                results["postgresql"] = (
                    {"skipped": db} if isinstance(db, str) else run_database("postgresql", db, args, wrk, tmp)
                )
    report = {
        "benchmark": "http_ratio",
        "seconds_per_run": args.seconds,
        "rounds": args.rounds,
        "connections": CONNECTIONS,
        "gunicorn_workers": int(WORKERS),
        "gunicorn_threads": args.web_threads if args.web_threads is not None else "gunicorn.conf.py default",
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
        },
        "load_average_end": [round(x, 2) for x in os.getloadavg()],
        "total_s": round(time.perf_counter() - started, 1),
        "results": results,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    for database, summary in results.items():
        if (
            not isinstance(summary, dict)
            or "checkin" not in summary
            and not any(w in summary for w in WORKLOADS)
        ):
            print(f"{database:10s} {summary}")
            continue
        for workload, row in summary.items():
            print(
                f"{database:10s} {workload:9s} KetaCare {row['ketacare_requests_per_s']:7.1f}/s "
                f"bare {row['bare_requests_per_s']:7.1f}/s ratio {row['ratio']} "
                f"KetaCare p99 {row['ketacare_p99_ms']} ms status {row['first_status']}"
            )
    print(f"total {report['total_s']}s; written {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
