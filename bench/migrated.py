"""A migrated, empty SQLite database made once and copied, for tests and benchmarks that need a fresh one.

Applying KetaCare's migrations takes about 20 s on a 2-core machine (Django re-renders the related
models' state after each operation), and the suite needs a fresh database many times: each pytest
process on SQLite, and each server-and-worker test that starts its own instance. The result of
`manage.py migrate` on an empty SQLite file depends only on the migration files, the installed
third-party apps (pinned by uv.lock) and the Python version, so it is made once per combination
(`var/cache/migrated-<hash>.sqlite3`, under a file lock so concurrent processes wait for one build)
and copied with SQLite's backup API. Anything that tests the start sequence itself (packaging, the
README's production steps) still runs `migrate` on an empty database.
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


def _make(path: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="ketacare-migrate-") as tmp:
        database = Path(tmp) / "ketacare.sqlite3"
        env = {
            k: v for k, v in os.environ.items() if not k.startswith(("KETACARE_", "DATABASE_URL", "DJANGO_"))
        }
        env.update(
            DJANGO_SETTINGS_MODULE="ketacare.settings",
            KETACARE_DATA_DIR=tmp,
            KETACARE_SQLITE_PATH=str(database),
            KETACARE_HTTPS="false",
            KETACARE_PLAIN_STATIC="true",
        )
        subprocess.run(  # noqa: S603 - our own interpreter and manage.py
            [sys.executable, "manage.py", "migrate", "--verbosity", "0"],
            cwd=ROOT,
            env=env,
            check=True,
            timeout=600,
        )
        partial = path.with_suffix(".partial")
        copy(database, partial)
        partial.replace(path)  # atomic: a reader sees the whole file or none


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
