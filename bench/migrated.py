"""A migrated, empty SQLite database made once and copied, for tests and benchmarks that need a fresh one.

Applying KetaCare's migrations takes about 20 s on a 2-core machine (Django re-renders the related
models' state after each operation), and the suite needs a fresh database many times: each pytest
process on SQLite, and each server-and-worker test that starts its own instance. The result of
`manage.py migrate` on an empty SQLite file depends only on the migration files, the installed
third-party apps (pinned by uv.lock) and the Python version, so it is made once per combination
(`var/cache/migrated-<hash>.sqlite3`, under a file lock so concurrent processes wait for one build)
and copied with SQLite's backup API. Anything that tests the start sequence itself (packaging, the
README's production steps) still runs `migrate` on an empty database.

On PostgreSQL the same idea is a template database (`ketacare_migrated_<hash>` on the test server,
made under an advisory lock): a database created from it with `CREATE DATABASE … TEMPLATE` is
migrated already, and `migrate` on it finds nothing to apply. Older templates are dropped when a new
one is made.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
CACHE_DIR = ROOT / "var" / "cache"


def migrations_key() -> str:
    """A hash of what decides the migrated schema: our migration files, the lock file, Python's version."""
    digest = hashlib.sha256(sys.version.encode())
    for path in sorted([ROOT / "uv.lock", *ROOT.glob("ketacare/*/migrations/*.py")]):
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def template() -> Path:
    """The migrated empty database for the current migrations, made now when missing."""
    path = CACHE_DIR / f"migrated-{migrations_key()}.sqlite3"
    if path.exists():
        return path
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    with open(CACHE_DIR / "migrated.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another process may be making the same one
        if not path.exists():
            _make(path)
    return path


def clean_env(data_dir: Path | str, **settings: str) -> dict[str, str]:
    """The environment of a fresh instance in `data_dir`: no settings leak in from the caller's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KETACARE_", "DATABASE_URL", "DJANGO_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="ketacare.settings",
        KETACARE_DATA_DIR=str(data_dir),
        KETACARE_HTTPS="false",
        KETACARE_PLAIN_STATIC="true",
        **settings,
    )
    return env


def _migrate(**database: str) -> None:
    """`manage.py migrate` on the database the settings in `database` name, in a throwaway data dir."""
    with tempfile.TemporaryDirectory(prefix="ketacare-migrate-") as tmp:
        subprocess.run(  # noqa: S603 - our own interpreter and manage.py
            [sys.executable, "manage.py", "migrate", "--verbosity", "0"],
            cwd=ROOT,
            env=clean_env(tmp, **database),
            check=True,
            timeout=600,
        )


def _make(path: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="ketacare-sqlite-") as tmp:
        database = Path(tmp) / "ketacare.sqlite3"
        _migrate(KETACARE_SQLITE_PATH=str(database))
        partial = path.with_suffix(".partial")
        copy(database, partial)
        partial.replace(path)  # atomic: a reader sees the whole file or none


TEMPLATE_LOCK = 7_406_220  # pg_advisory_lock key: one template build at a time on a server


def postgres_template(server_url: str) -> str:
    """The name of the migrated template database on the server of `server_url`, made now when missing."""
    import psycopg

    name = f"ketacare_migrated_{migrations_key()}"
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute("SELECT pg_advisory_lock(%s)", (TEMPLATE_LOCK,))
        try:
            if admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
                _make_postgres(admin, server_url, name)
        finally:
            admin.execute("SELECT pg_advisory_unlock(%s)", (TEMPLATE_LOCK,))
    return name


def _make_postgres(admin: Any, server_url: str, name: str) -> None:
    partial = f"{name}_partial"
    admin.execute(f'DROP DATABASE IF EXISTS "{partial}" WITH (FORCE)')
    admin.execute(f'CREATE DATABASE "{partial}"')
    _migrate(DATABASE_URL=database_url(server_url, partial))
    stale = admin.execute(
        "SELECT datname FROM pg_database WHERE datname LIKE 'ketacare\\_migrated\\_%%' AND datname <> %s",
        (partial,),
    ).fetchall()
    for (old,) in stale:
        admin.execute(f'DROP DATABASE IF EXISTS "{old}" WITH (FORCE)')
    admin.execute(f'ALTER DATABASE "{partial}" RENAME TO "{name}"')


def database_url(server_url: str, database: str) -> str:
    """`server_url` with its database name replaced."""
    parts = urlsplit(server_url)
    return urlunsplit(parts._replace(path="/" + database))


def copy(source: Path | str, target: Path | str | sqlite3.Connection) -> None:
    """Copy a SQLite database (WAL included) into a file or an open connection with the backup API."""
    src = sqlite3.connect(source)
    try:
        if isinstance(target, sqlite3.Connection):
            src.backup(target)
            return
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()


def main() -> int:
    """Make the templates ahead of the tests (`make test` runs this beside lint, on the other core)."""
    print(f"migrated SQLite template: {template().relative_to(ROOT)}")
    server = os.environ.get("KETACARE_TEST_DATABASE_URL", "")
    if server:
        try:
            print(f"migrated PostgreSQL template: {postgres_template(server)}")
        except Exception as exc:  # noqa: BLE001 - an unreachable server is test-postgres's to report
            print(
                f"no PostgreSQL template made ({type(exc).__name__}); the PostgreSQL pass reports the server"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
