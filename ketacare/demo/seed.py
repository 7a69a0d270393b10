"""Deterministic synthetic demo data: clinics, staff of every role and patients at every stage.

Idempotent: running it again finds the demo clinics and people by their fixed e-mails and
record numbers and only adds what is missing. Each feature's history comes from a module of this
package with `seed_app(ctx: DemoContext) -> None`, run in the order of :data:`SEEDERS`.
"""

from __future__ import annotations

import datetime as dt
import functools
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from ketacare.accounts.models import User
from ketacare.clinics.hours import parse_opening_hours
from ketacare.clinics.models import Clinic, StaffMembership
from ketacare.clinics.services import update_clinic_settings
from ketacare.demo import checkins, intake, journal, outcomes, questionnaires, register, treatments
from ketacare.patients.models import Patient

DEMO_PASSWORD = "ketacare-demo-2026"  # noqa: S105 - demo accounts only; printed by `make demo`
DEMO_DOMAIN = "demo.ketacare.org"

FIRST_NAMES = [
    "Ava",
    "Ben",
    "Chloé",
    "Dmitri",
    "Elena",
    "Farid",
    "Grace",
    "Hiro",
    "Ines",
    "Jamal",
    "Kira",
    "Luis",
    "Maya",
    "Noah",
    "Olga",
    "Priya",
    "Quinn",
    "Rosa",
    "Sam",
    "Tariq",
    "Uma",
    "Victor",
    "Wen",
    "Ximena",
    "Yusuf",
    "Zoe",
    "Aaron",
    "Bea",
    "Carlos",
    "Dana",
    "Emeka",
    "Fiona",
    "Gabriel",
    "Hana",
    "Ivan",
    "June",
]
LAST_NAMES = [
    "Abbott",
    "Bauer",
    "Chen",
    "Diaz",
    "Eriksen",
    "Fischer",
    "García",
    "Hughes",
    "Ivanova",
    "Johnson",
    "Kowalski",
    "Lee",
    "Moreau",
    "Nakamura",
    "Okafor",
    "Patel",
    "Quint",
    "Rossi",
    "Smith",
    "Tanaka",
    "Umar",
    "Vega",
    "Williams",
    "Xu",
    "Young",
    "Zimmerman",
    "O'Brien",
    "Nguyen",
    "Haddad",
    "Kim",
]

CLINICS = [
    {
        "key": "a",
        "name": "Harbor Ketamine Clinic",
        "time_zone": "America/New_York",
        "phone": "+1 617 555 0100",
        # Local time: patients are told these hours and when to call (clinics.selectors.clinic_contact).
        "hours": "Mon-Fri 08:00-18:00; Sat 09:00-13:00",
    },
    {
        "key": "b",
        "name": "Cascade Mood Center",
        "time_zone": "America/Los_Angeles",
        "phone": "+1 503 555 0199",
        "hours": "Mon-Thu 07:30-17:30; Fri 07:30-15:00",
    },
]
STAFF = [
    # (email local part, name, {clinic key: role})
    ("admin", "Alex Admin", {"a": "clinic_admin"}),
    ("prescriber", "Dr. Priya Prescriber", {"a": "prescriber"}),
    ("nurse", "Nick Nurse", {"a": "nurse"}),
    ("admin-b", "Bea Admin", {"b": "clinic_admin"}),
    ("prescriber-b", "Dr. Ben Prescriber", {"b": "prescriber"}),
    ("nurse-b", "Nora Nurse", {"b": "nurse"}),
    ("float", "Fran Float (both clinics)", {"a": "nurse", "b": "prescriber"}),
]
# Stage mix of a typical clinic's panel (illustrative synthetic data, not a clinical fact).
STAGE_WEIGHTS = [
    ("screening", 10),
    ("induction", 25),
    ("maintenance", 40),
    ("completed", 15),
    ("discontinued", 10),
]
LOGIN_PATIENTS_PER_CLINIC = 3
# Each seeder reads what the ones before it stored: plans and doses come before the check-ins,
# scores and journals that follow a dose, past courses go only to patients still without a plan, and
# the controlled-drug register comes last, drawing every dose since it began (past courses' included).
SEEDERS = (intake, treatments, checkins, questionnaires, journal, outcomes, register)


@dataclass
class DemoContext:
    """What app seeders get: the rng, the clinics, their staff and patients, and `now`."""

    rng: random.Random
    now: dt.datetime
    clinics: dict[str, Any]
    staff: dict[str, Any]
    patients_by_clinic: dict[str, list[Any]]
    progress: Callable[[Iterable[Any], str], Iterable[Any]]
    logins: list[tuple[str, str, str]] = field(default_factory=list)


def _noop_progress(items: Iterable[Any], label: str) -> Iterable[Any]:
    return items


def seed_demo(
    *,
    seed: int = 2026,
    patients_per_clinic: int = 36,
    now: dt.datetime | None = None,
    progress: Callable[[Iterable[Any], str], Iterable[Any]] = _noop_progress,
) -> list[tuple[str, str, str]]:
    """Seed the demo clinics and return the demo logins as (role, e-mail, password)."""
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not security
    now = now or timezone.now()
    logins: list[tuple[str, str, str]] = []
    with transaction.atomic():
        clinics: dict[str, Clinic] = {}
        for spec in CLINICS:
            clinic, _ = Clinic.objects.get_or_create(
                name=spec["name"], defaults={"time_zone": spec["time_zone"], "phone": spec["phone"]}
            )
            clinics[spec["key"]] = clinic
        staff: dict[str, User] = {}
        for local, name, roles in STAFF:
            email = f"{local}@{DEMO_DOMAIN}"
            user = User.objects.filter(email=email).first() or _demo_user(email, name)
            for key, role in roles.items():
                StaffMembership.objects.get_or_create(user=user, clinic=clinics[key], defaults={"role": role})
            if not TOTPDevice.objects.filter(user=user).exists():
                TOTPDevice.objects.create(user=user, name="Demo authenticator", confirmed=True)
            staff[local] = user
            logins.append(
                ("/".join(f"{r} at clinic {k.upper()}" for k, r in roles.items()), email, DEMO_PASSWORD)
            )
        for spec in CLINICS:
            admin = next(
                staff[local] for local, _, roles in STAFF if roles.get(spec["key"]) == "clinic_admin"
            )
            _set_opening_hours(clinics[spec["key"]], spec["hours"], admin)
        patients_by_clinic = {
            key: _seed_patients(rng, clinic, key, patients_per_clinic, staff, logins, progress)
            for key, clinic in clinics.items()
        }
    ctx = DemoContext(rng, now, clinics, staff, patients_by_clinic, progress, logins)
    for seeder in SEEDERS:
        with transaction.atomic():
            seeder.seed_app(ctx)
    return logins


@functools.cache
def _demo_password_hash() -> str:
    # Every demo account has the one published password: hashed once, as each hash (Argon2) costs the
    # seeding about a fifth of a second of processor time.
    return make_password(DEMO_PASSWORD)


def _demo_user(email: str, full_name: str) -> User:
    """A demo account signing in with `DEMO_PASSWORD`."""
    user = User.objects.create_user(email, None, full_name=full_name)
    user.password = _demo_password_hash()
    user.save(update_fields=["password"])
    return user


def _set_opening_hours(clinic: Clinic, hours: str, admin: User) -> None:
    """Give a demo clinic its hours through the settings service, as its administrator would.

    Only a clinic without hours gets them, so a rerun keeps what an administrator has set since.
    """
    if clinic.opening_hours.exists():
        return
    update_clinic_settings(
        clinic=clinic,
        by=admin,
        time_zone=clinic.time_zone,
        phone=clinic.phone,
        emergency_number=clinic.emergency_number,
        crisis_line=clinic.crisis_line,
        after_hours_phone=clinic.after_hours_phone,
        after_hours_instructions=clinic.after_hours_instructions,
        fasting_instructions=clinic.fasting_instructions,
        opening_hours=parse_opening_hours(hours),
        escalation_contact=clinic.escalation_contact,
    )


@dataclass(frozen=True)
class PatientSpec:
    """One synthetic patient, before it is stored."""

    medical_record_number: str
    full_name: str
    date_of_birth: dt.date
    stage: str
    sex: str


def synthetic_patients(rng: random.Random, clinic_key: str, count: int) -> list[PatientSpec]:
    """Return `count` synthetic patients drawn from `rng`; the same seed gives the same list."""
    stages, weights = zip(*STAGE_WEIGHTS, strict=True)
    specs = []
    for number in range(1, count + 1):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        dob = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 52))
        stage = rng.choices(stages, weights)[0]
        record_number = f"{clinic_key.upper()}-{number:06d}"
        # Its own generator, so the shared sequence (names, dates of birth, stages) does not depend on it.
        sex = random.Random(f"{record_number}:sex").choice(["female", "male"])  # noqa: S311 - synthetic
        specs.append(
            PatientSpec(
                medical_record_number=record_number,
                full_name=f"{first} {last}",
                date_of_birth=dob,
                # The demo login patients are mid-induction, so every companion page has content.
                stage=stage if number > LOGIN_PATIENTS_PER_CLINIC else "induction",
                sex=sex,
            )
        )
    return specs


def _seed_patients(
    rng: random.Random,
    clinic: Any,
    key: str,
    count: int,
    staff: dict[str, Any],
    logins: list[tuple[str, str, str]],
    progress: Callable[[Iterable[Any], str], Iterable[Any]],
) -> list[Any]:
    existing = set(Patient.objects.filter(clinic=clinic).values_list("medical_record_number", flat=True))
    clinicians = [
        u
        for local, u in staff.items()
        if local.startswith("prescriber") and (key == "b") == local.endswith("-b")
    ]
    batch: list[Patient] = []
    specs = synthetic_patients(rng, key, count)
    for number, spec in progress(enumerate(specs, start=1), f"patients at clinic {key.upper()}"):
        if spec.medical_record_number in existing:
            continue
        patient = Patient(
            clinic=clinic,
            full_name=spec.full_name,
            date_of_birth=spec.date_of_birth,
            sex=spec.sex,
            medical_record_number=spec.medical_record_number,
            time_zone=clinic.time_zone,
            stage=spec.stage,
            primary_clinician=clinicians[0] if clinicians else None,
        )
        if number <= LOGIN_PATIENTS_PER_CLINIC:
            email = f"patient{number}-{key}@{DEMO_DOMAIN}"
            # The clinic's contact address is the one the account signs in with, as after an invitation.
            patient.email = email
            patient.user = User.objects.filter(email=email).first() or _demo_user(email, patient.full_name)
            patient.save()
        else:
            batch.append(patient)
            if len(batch) >= 2000:
                Patient.objects.bulk_create(batch)
                batch = []
    if batch:
        Patient.objects.bulk_create(batch)
    for number in range(1, LOGIN_PATIENTS_PER_CLINIC + 1):
        logins.append(
            (f"patient at clinic {key.upper()}", f"patient{number}-{key}@{DEMO_DOMAIN}", DEMO_PASSWORD)
        )
    return list(Patient.objects.filter(clinic=clinic).order_by("medical_record_number"))
