"""Shared test fixtures: the named personas of architecture.md, staff login with MFA, browser."""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from hypothesis import HealthCheck, settings

# Property tests check what is computed, not how fast: the suite runs two workers on a shared 2-core
# machine, where a draw can take a second. Speed is measured by `make bench`, never by a timed test.
settings.register_profile("ketacare", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ketacare")


def _sqlite_test_databases_from_the_migrated_template() -> None:
    """An in-memory SQLite test database starts as a copy of the migrated empty database.

    bench/migrated.py makes it once per set of migrations with `manage.py migrate` (20 s on this
    machine, paid by every pytest process otherwise); the copy takes milliseconds. PostgreSQL test
    databases, and a kept or file-backed SQLite one, are made by Django as usual.
    """
    from django.db.backends.sqlite3.creation import DatabaseCreation

    sys.path.insert(0, str(Path(__file__).parent / "bench"))
    import migrated

    create_by_migrating = DatabaseCreation.create_test_db

    def create_test_db(
        self: DatabaseCreation,
        verbosity: int = 1,
        autoclobber: bool = False,
        serialize: bool = True,
        keepdb: bool = False,
    ) -> str:
        from django.conf import settings as django_settings
        from django.core.management import call_command

        name = self._get_test_db_name()
        if keepdb or not self.is_in_memory_db(name):
            return create_by_migrating(self, verbosity, autoclobber, serialize, keepdb)
        self.connection.close()
        django_settings.DATABASES[self.connection.alias]["NAME"] = name
        self.connection.settings_dict["NAME"] = name
        self.connection.ensure_connection()
        migrated.copy(migrated.template(), self.connection.connection)
        if serialize:
            self.connection._test_serialized_contents = self.serialize_db_to_string()
        call_command("createcachetable", database=self.connection.alias)
        return name

    DatabaseCreation.create_test_db = create_test_db  # type: ignore[method-assign]


_sqlite_test_databases_from_the_migrated_template()


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix: None) -> None:
    """A PostgreSQL test database is created from the migrated template (bench/migrated.py)."""
    from django.conf import settings as django_settings

    database = django_settings.DATABASES["default"]
    if database["ENGINE"] != "django.db.backends.postgresql" or database.get("TEST", {}).get("TEMPLATE"):
        return
    import migrated

    database.setdefault("TEST", {})["TEMPLATE"] = migrated.postgres_template(os.environ["DATABASE_URL"])


ARTIFACTS = Path(__file__).parent / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@dataclass
class Personas:
    """At Clinic A an admin, a clinician and patients A1, A2; at Clinic B a clinician and patient B1."""

    clinic_a: Any
    clinic_b: Any
    admin_a: Any
    clinician_a: Any
    clinician_b: Any
    a1: Any  # Patient rows; their logins are .user
    a2: Any
    b1: Any

    def user(self, name: str) -> Any:
        """Return the login behind a persona name (patients resolve to their user)."""
        value = getattr(self, name)
        return getattr(value, "user", value) if name in ("a1", "a2", "b1") else value


def make_personas() -> Personas:
    from ketacare.accounts.models import User
    from ketacare.clinics.models import Clinic, StaffMembership
    from ketacare.patients.models import Patient

    clinic_a = Clinic.objects.create(name="Clinic A", time_zone="America/New_York", phone="+1 555 0100")
    clinic_b = Clinic.objects.create(
        name="Clinic B",
        time_zone="Europe/Berlin",
        phone="+49 30 5550199",
        emergency_number="112",
        crisis_line="0800 1110111",
    )

    def staff(email: str, clinic: Any, role: str) -> Any:
        user = User.objects.create_user(email, None, full_name=email.split("@")[0].replace(".", " ").title())
        StaffMembership.objects.create(user=user, clinic=clinic, role=role)
        return user

    def patient(email: str, clinic: Any, name: str, clinician: Any) -> Any:
        user = User.objects.create_user(email, None, full_name=name)
        return Patient.objects.create(
            clinic=clinic,
            user=user,
            full_name=name,
            date_of_birth=dt.date(1980, 5, 17),
            medical_record_number="MRN-" + name[-2:],
            time_zone=clinic.time_zone,
            stage="induction",
            primary_clinician=clinician,
        )

    admin_a = staff("admin.a@example.org", clinic_a, "clinic_admin")
    clinician_a = staff("clinician.a@example.org", clinic_a, "prescriber")
    clinician_b = staff("clinician.b@example.org", clinic_b, "prescriber")
    return Personas(
        clinic_a=clinic_a,
        clinic_b=clinic_b,
        admin_a=admin_a,
        clinician_a=clinician_a,
        clinician_b=clinician_b,
        a1=patient("patient.a1@example.org", clinic_a, "Alice CanaryA1", clinician_a),
        a2=patient("patient.a2@example.org", clinic_a, "Arthur CanaryA2", clinician_a),
        b1=patient("patient.b1@example.org", clinic_b, "Berta CanaryB1", clinician_b),
    )


def login(client: Any, user: Any) -> Any:
    """Log a user in; staff also pass the second factor, as the MFA middleware requires.

    The client gets a new session holding what a login through the pages leaves in it (Django's
    auth keys, the session's start and last-seen times, and for staff the verified device), written
    in one insert. Going through `Client.force_login` costs 16 statements (a session made twice,
    the lockout log, the login audit row), about a third of each authorisation-matrix case
    (docs/decisions/0022); the login pages and their side effects are tested in accounts/tests, and
    `test_the_test_login_matches_a_real_login` keeps this session equal to theirs.
    """
    import time
    from importlib import import_module

    from django.conf import settings as django_settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, load_backend
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from ketacare.accounts.middleware import SESSION_SEEN_KEY, SESSION_STARTED_KEY

    session = import_module(django_settings.SESSION_ENGINE).SessionStore()
    session[SESSION_KEY] = user._meta.pk.value_to_string(user)
    # The backend Client.force_login picks: the first that can load a user back.
    session[BACKEND_SESSION_KEY] = next(
        path for path in django_settings.AUTHENTICATION_BACKENDS if hasattr(load_backend(path), "get_user")
    )
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session[SESSION_STARTED_KEY] = session[SESSION_SEEN_KEY] = time.time()
    if not hasattr(user, "patient"):
        device, _ = TOTPDevice.objects.get_or_create(user=user, defaults={"name": "test", "confirmed": True})
        session["otp_device_id"] = device.persistent_id
    session.save()
    name = django_settings.SESSION_COOKIE_NAME
    client.cookies[name] = session.session_key
    client.cookies[name].update(
        {
            "max-age": None,
            "path": "/",
            "domain": django_settings.SESSION_COOKIE_DOMAIN,
            "secure": django_settings.SESSION_COOKIE_SECURE or None,
            "expires": None,
        }
    )
    return client


def support_person_client(client: Any, patient: Any, *, role: str = "day_companion") -> Any:
    """A support person the patient invited (today's day-of-treatment companion by default): no login,
    only the session their link gives them (docs/decisions/0020)."""
    from django.urls import reverse
    from django.utils import timezone

    from ketacare.support.services import invite_support_person

    now = timezone.now()
    day = _patient_today(patient, now)
    if role == "day_companion":
        # A companion is invited for the day of one of the patient's sessions: when the test has none
        # that day, one is booked now (a row, not begun, so the companion's page stays as it was).
        from ketacare.support.services import treatment_days
        from ketacare.treatments.models import TreatmentSession

        if not treatment_days(patient, day, day):
            TreatmentSession.objects.create(
                clinic=patient.clinic,
                patient=patient,
                protocol_id="iv_ketamine",
                route="iv",
                scheduled_at=now,
            )
    invitation = invite_support_person(
        patient=patient,
        name="Sam Companion",
        email="sam@example.org",
        phone="",
        role=role,
        day=day,
        now=now,
    )
    response = client.get(reverse("support:accept", kwargs={"token": invitation.token}))
    assert response.status_code == 302, response.status_code
    return client


def _patient_today(patient: Any, now: dt.datetime) -> dt.date:
    import zoneinfo

    return now.astimezone(zoneinfo.ZoneInfo(patient.time_zone)).date()


@pytest.fixture
def client_for(client: Any, personas: Personas) -> Any:
    """Return a function persona name -> a logged-in test client (a fresh client per call)."""
    from django.test import Client

    def make(name: str) -> Any:
        if name == "anonymous":
            return Client()
        if name == "companion_a1":
            return support_person_client(Client(), personas.a1)
        return login(Client(), personas.user(name))

    return make


def _marked_transactional(item: pytest.Item) -> bool:
    marker = item.get_closest_marker("django_db")
    return bool(marker and (marker.kwargs.get("transaction") or marker.args[:1] == (True,)))


def _transactional(item: pytest.Item) -> bool:
    """Whether the test commits for real (and ends with a table flush) instead of rolling back."""
    fixtures = set(getattr(item, "fixturenames", ()))
    return _marked_transactional(item) or bool({"transactional_db", "live_server"} & fixtures)


# Clinic A keeps New York time and clinic B Berlin time. The builders start sessions up to about three
# hours before "now" (check-in, dose, observation), and a clinic's day lists the sessions of its own
# calendar day: run in the three hours after either clinic's midnight, a session built "this afternoon"
# falls on the day before and tests fail by the clock, not by the code. A run that starts in those
# hours runs three hours later throughout (shared setup included, so a reset link made for the world
# is not three hours old when a test opens it), its clock still ticking. The slow pass keeps the real
# clock: its tests compare timestamps with other processes. The midnight itself has its own tests, at
# fixed times.
CLINIC_ZONES = ("America/New_York", "Europe/Berlin")
AFTER_MIDNIGHT = dt.timedelta(hours=3)


def near_a_clinic_midnight(now: dt.datetime) -> bool:
    """Whether ``now`` falls in the first three hours of the day in either persona clinic's zone."""
    midnight_hours = dt.time(AFTER_MIDNIGHT.seconds // 3600)
    return any(now.astimezone(ZoneInfo(zone)).time() < midnight_hours for zone in CLINIC_ZONES)


@pytest.fixture(scope="session", autouse=True)
def _away_from_clinic_midnights(request: pytest.FixtureRequest) -> Iterator[None]:
    now = dt.datetime.now(dt.UTC)
    items = request.session.items
    if not near_a_clinic_midnight(now) or any(item.get_closest_marker("slow") for item in items):
        yield
        return
    with time_machine.travel(now + AFTER_MIDNIGHT, tick=True):
        yield


@pytest.fixture(autouse=True)
def _audit_triggers_allow_flush(request: pytest.FixtureRequest) -> Iterator[None]:
    # Transactional tests end with a table flush, which the append-only triggers refuse; empty
    # the audit table with the triggers briefly dropped, then put them back.
    if not _transactional(request.node):
        yield
        return
    transactional = _marked_transactional(request.node)
    request.getfixturevalue("_django_db_helper" if transactional else "transactional_db")
    yield
    from django.db import connection

    from ketacare.audit.triggers import drop_triggers, install_triggers

    drop_triggers(connection)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_accessevent")
    install_triggers(connection)


# --- Shared worlds: the personas and the demo clinics, stored once --------------------------------
# Most database tests start from the same rows: the personas, or the demo clinics (seeding takes
# seconds). A run of such tests shares one storing of them, kept in a transaction that stays open
# while they run: pytest-django's per-test atomic nests inside it as a savepoint, so what a test
# writes is rolled back after it, and the shared transaction itself is rolled back before a test
# that wants another world or none (docs/decisions/0022). Transactional tests commit for real, so
# they never run inside one: they make their own personas.
DEMO_SEED = 2026  # the `ketacare demo-data` defaults, so the tests check what `make demo` shows
DEMO_PATIENTS_PER_CLINIC = 36
PERSONA_FIELDS = ("clinic_a", "clinic_b", "admin_a", "clinician_a", "clinician_b", "a1", "a2", "b1")


@dataclass(frozen=True)
class Demo:
    """The seeded demo: the arguments it was seeded with and the logins it returned."""

    seed: int
    patients_per_clinic: int
    now: dt.datetime
    logins: list[tuple[str, str, str]]

    def seed_again(self) -> list[tuple[str, str, str]]:
        """Run the seeding again with the same arguments and clock (the idempotency checks)."""
        from ketacare.demo.seed import seed_demo

        return seed_demo(seed=self.seed, patients_per_clinic=self.patients_per_clinic, now=self.now)


def _persona_keys(personas: Personas) -> dict[str, int]:
    return {name: getattr(personas, name).pk for name in PERSONA_FIELDS}


def _load_personas(keys: dict[str, int]) -> Personas:
    """Fresh instances of the stored personas, related to each other as `make_personas` returns them."""
    from ketacare.accounts.models import User
    from ketacare.clinics.models import Clinic
    from ketacare.patients.models import Patient

    clinics = Clinic.objects.in_bulk([keys["clinic_a"], keys["clinic_b"]])
    patients = Patient.objects.in_bulk([keys["a1"], keys["a2"], keys["b1"]])
    staff = [keys["admin_a"], keys["clinician_a"], keys["clinician_b"]]
    users = User.objects.in_bulk(staff + [patient.user_id for patient in patients.values()])
    values: dict[str, Any] = {name: clinics[keys[name]] for name in ("clinic_a", "clinic_b")}
    values |= {name: users[keys[name]] for name in ("admin_a", "clinician_a", "clinician_b")}
    for name, clinic, clinician in (("a1", "a", "a"), ("a2", "a", "a"), ("b1", "b", "b")):
        patient = patients[keys[name]]
        # The same objects create() leaves in place: the clinic and clinician personas, and a login
        # whose reverse link (user.patient) points back at this patient.
        patient.clinic = values[f"clinic_{clinic}"]
        patient.primary_clinician = values[f"clinician_{clinician}"]
        patient.user = users[patient.user_id]
        values[name] = patient
    return Personas(**values)


class _SharedWorld:
    """The open transaction that holds the world of a run of tests: "personas", "demo" or none."""

    def __init__(self, blocker: Any) -> None:
        self.blocker = blocker
        self.kind: str | None = None
        self.atomic: Any = None
        self.personas: dict[str, int] | None = None
        self.demo: Demo | None = None
        # What a run of tests with the same preparation key share (see `prepare`).
        self.prepared_key: str | None = None
        self.prepared_atomic: Any = None
        self.prepared: Any = None

    def switch(self, kind: str | None) -> None:
        if kind == self.kind:
            return
        self.close()
        if kind is not None:
            self._open(kind)

    def _open(self, kind: str) -> None:
        from django.db import transaction
        from django.utils import timezone

        with self.blocker.unblock():
            self.atomic = transaction.atomic()
            self.atomic.__enter__()
            try:
                if kind == "demo":
                    from ketacare.demo.seed import seed_demo

                    now = timezone.now()
                    logins = seed_demo(seed=DEMO_SEED, patients_per_clinic=DEMO_PATIENTS_PER_CLINIC, now=now)
                    self.demo = Demo(DEMO_SEED, DEMO_PATIENTS_PER_CLINIC, now, logins)
                else:
                    self.personas = _persona_keys(make_personas())
            except BaseException:
                self.atomic.__exit__(*sys.exc_info())
                self.atomic, self.demo, self.personas = None, None, None
                raise
        self.kind = kind

    def prepare(self, key: str | None, build: Callable[[Personas], Any] | None) -> None:
        """Store what `build` makes from the personas once for a run of tests with the same `key`.

        The rows are written in a savepoint of the personas world, before the test's own atomic opens:
        each test's writes still roll back after it, and the savepoint is rolled back when the next test
        has another key (or none), so no other test ever sees them. A build sees the world exactly as a
        test building inside its own atomic would: the personas and nothing else.
        """
        if key == self.prepared_key:
            return
        self._drop_prepared()
        if key is None or build is None or self.kind != "personas" or self.personas is None:
            return
        from django.db import transaction

        with self.blocker.unblock():
            atomic = transaction.atomic()
            atomic.__enter__()
            try:
                value = build(_load_personas(self.personas))
            except BaseException:
                atomic.__exit__(*sys.exc_info())
                raise
        self.prepared_key, self.prepared_atomic, self.prepared = key, atomic, value

    def _drop_prepared(self) -> None:
        from django.db import transaction

        if self.prepared_atomic is None:
            return
        with self.blocker.unblock():
            transaction.set_rollback(True)
            self.prepared_atomic.__exit__(None, None, None)
        self.prepared_key, self.prepared_atomic, self.prepared = None, None, None

    def close(self) -> None:
        from django.db import transaction

        self._drop_prepared()
        if self.atomic is None:
            return
        with self.blocker.unblock():
            transaction.set_rollback(True)
            self.atomic.__exit__(None, None, None)
        self.kind, self.atomic, self.demo, self.personas = None, None, None, None


_shared_world: _SharedWorld | None = None


# A test module whose parametrized cases each build the same rows for many cases (the authorisation
# matrix builds a route's objects for a target patient, then asks as each persona) defines
# `prepare_in_world(params) -> (key, build) | None`: `build(personas)` returns what the case needs
# (URL ids, a caller's cookies), and every case with the same `key` shares one build (see
# `_SharedWorld.prepare`). The test takes it from the `prepared` fixture.
Preparation = tuple[str, Callable[[Personas], Any]]


def _preparation(item: pytest.Item) -> Preparation | None:
    hook = getattr(getattr(item, "module", None), "prepare_in_world", None)
    callspec = getattr(item, "callspec", None)
    if hook is None or callspec is None:
        return None
    preparation: Preparation | None = hook(callspec.params)
    return preparation


def _world_of(item: pytest.Item) -> str | None:
    """The shared world a test runs in: the demo, the personas, or none (its own rows, or a commit)."""
    names = set(getattr(item, "fixturenames", ()))
    if "demo" in names:
        return "demo"  # the demo fixture itself refuses a transactional test
    if "personas" in names and not _transactional(item):
        return "personas"
    return None


# --- The PostgreSQL pass: only what the backend can change ------------------------------------
# A test that takes no database (no django_db mark, no database fixture) cannot reach one through
# pytest-django, so it gives the same answer on SQLite and PostgreSQL: `make test` runs it in the
# SQLite pass only (docs/decisions/0022). The `backend` mark keeps a test that reaches the
# DATABASE_URL backend some other way (its own servers, its own database) in the PostgreSQL pass.
DATABASE_FIXTURES = frozenset(
    {
        "db",
        "transactional_db",
        "django_db_reset_sequences",
        "django_db_serialized_rollback",
        "django_db_setup",
        "live_server",
    }
)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--database-tests-only",
        action="store_true",
        default=False,
        help="run only the tests that reach the database (the PostgreSQL pass of `make test`)",
    )


def reaches_database(item: pytest.Item) -> bool:
    """Whether the test can reach the database under test (through pytest-django or its `backend` mark)."""
    if item.get_closest_marker("django_db") or item.get_closest_marker("backend"):
        return True
    return bool(DATABASE_FIXTURES & set(getattr(item, "fixturenames", ())))


def _keep_database_tests(config: pytest.Config, items: list[pytest.Item]) -> None:
    kept = [item for item in items if reaches_database(item)]
    if len(kept) < len(items):
        config.hook.pytest_deselected(items=[item for item in items if not reaches_database(item)])
        items[:] = kept


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--database-tests-only"):
        _keep_database_tests(config, items)

    # pytest-django has put the rolled-back database tests first, then the transactional ones, then
    # those without a database. The rolled-back tests are grouped by their shared world, so each
    # world is stored once per process (and before any table flush).
    def group(item: pytest.Item) -> int:
        world = _world_of(item)
        if world is not None:
            return {"personas": 1, "demo": 2}[world]
        uses_db = item.get_closest_marker("django_db") or "db" in getattr(item, "fixturenames", ())
        return 0 if uses_db and not _transactional(item) else 3

    # Within a world, the cases that share a preparation run one after another (one build each).
    def order(item: pytest.Item) -> tuple[int, str, str]:
        preparation = _preparation(item) if _world_of(item) == "personas" else None
        if preparation is None:
            return group(item), "", ""
        return group(item), item.nodeid.split("::", 1)[0], preparation[0]

    items.sort(key=order)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    # Before any fixture of the test: its own atomic must open inside its world's or without one.
    if _shared_world is not None:
        _shared_world.switch(_world_of(item))
        preparation = _preparation(item) if _shared_world.kind == "personas" else None
        _shared_world.prepare(*(preparation or (None, None)))


@pytest.fixture(scope="session")
def _world(django_db_setup: Any, django_db_blocker: Any) -> Iterator[_SharedWorld]:
    global _shared_world
    _shared_world = _SharedWorld(django_db_blocker)
    yield _shared_world
    _shared_world.close()
    _shared_world = None


@pytest.fixture(scope="session")
def _demo_world(_world: _SharedWorld) -> _SharedWorld:
    # Session-scoped, so it is set up before the first demo test's own atomic opens.
    _world.switch("demo")
    return _world


@pytest.fixture
def personas(db: Any, _world: _SharedWorld) -> Personas:
    """The personas, from this run's shared storing where there is one (the first test stores its own)."""
    if _world.kind == "personas" and _world.personas is not None:
        return _load_personas(_world.personas)
    return make_personas()


@pytest.fixture
def prepared(request: pytest.FixtureRequest, personas: Personas) -> Any:
    """What the module's `prepare_in_world` builds for this case: shared in the world, else built now."""
    preparation = _preparation(request.node)
    if preparation is None:
        pytest.fail("the `prepared` fixture needs a parametrized case of a module with prepare_in_world")
    key, build = preparation
    if _shared_world is not None and _shared_world.prepared_key == key:
        return _shared_world.prepared
    return build(personas)


@pytest.fixture
def demo(request: pytest.FixtureRequest, _demo_world: _SharedWorld) -> Demo:
    """The demo clinics as `ketacare demo-data` seeds them; the test's writes are rolled back."""
    if _transactional(request.node):
        pytest.fail("the shared demo is never committed: a transactional test seeds its own")
    assert _demo_world.demo is not None
    return _demo_world.demo


def _browser_available() -> bool:
    return os.path.exists(CHROMIUM)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """A headless system Chromium driven by Playwright; missing Chromium fails in CI, skips locally."""
    if not _browser_available():
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true requires {CHROMIUM} for browser tests")
        pytest.skip(f"{CHROMIUM} not installed; browser tests skipped (set CI=true to require them)")
    # Playwright's sync API runs an event loop in this thread; Django's ORM in fixtures is still sync.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield instance
        instance.close()


@pytest.fixture
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def browser_login(page: Any, base_url: str, email: str, password: str) -> None:
    """Fill the login form; for staff, read the demo TOTP code or compute it from the device."""
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    if "/accounts/mfa/" in page.url:
        from django_otp.oath import TOTP
        from django_otp.plugins.otp_totp.models import TOTPDevice

        device = TOTPDevice.objects.get(user__email=email)
        code = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).token()
        page.get_by_label("Six-digit code").fill(f"{code:06d}")
        page.get_by_role("button", name="Verify").click()
        page.wait_for_load_state()
