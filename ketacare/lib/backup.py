"""Backups that restore (docs/security.md S13): SQLite online backup API, pg_dump for PostgreSQL.

A live SQLite file is never copied byte for byte (a copy taken mid-write can be torn); the
online backup API copies a consistent snapshot page by page while the server keeps running.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess  # noqa: S404 - pg_dump / pg_restore with argument lists, never a shell
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import connections


class BackupError(RuntimeError):
    """A backup or restore could not be made; the message says why."""


@dataclass(frozen=True)
class BackupResult:
    """Where the backup went and how big it is."""

    path: Path
    size_bytes: int
    vendor: str


def _settings_of(alias: str) -> dict[str, Any]:
    return dict(connections[alias].settings_dict)


def backup_database(output: Path, *, alias: str = "default") -> BackupResult:
    """Write a consistent backup of the database to `output` (SQLite file or pg_dump custom format)."""
    connection = connections[alias]
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    if output.exists():
        raise BackupError(f"output {output} already exists; choose a new file name")
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        source = connection.connection
        target = sqlite3.connect(str(output))
        try:
            source.backup(target, pages=1024)
        finally:
            target.close()
    elif connection.vendor == "postgresql":
        _pg_tool(
            "pg_dump", ["--format=custom", "--no-owner", f"--file={output}", _pg_dsn(_settings_of(alias))]
        )
    else:
        raise BackupError(f"no backup method for database vendor {connection.vendor!r} (sqlite, postgresql)")
    return BackupResult(output, output.stat().st_size, connection.vendor)


def restore_sqlite(backup: Path, target: Path) -> None:
    """Restore a SQLite backup into a new database file (refuses to overwrite one)."""
    if Path(target).exists():
        raise BackupError(f"target {target} already exists; restore into a fresh file")
    source = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
    destination = sqlite3.connect(str(target))
    try:
        source.backup(destination)
    finally:
        source.close()
        destination.close()


def restore_postgresql(backup: Path, database_url: str) -> None:
    """Restore a pg_dump custom-format backup into an existing, empty PostgreSQL database."""
    _pg_tool("pg_restore", ["--no-owner", "--exit-on-error", f"--dbname={database_url}", str(backup)])


def _pg_dsn(settings: dict[str, Any]) -> str:
    user = settings.get("USER") or ""
    password = settings.get("PASSWORD") or ""
    host = settings.get("HOST") or "127.0.0.1"
    port = settings.get("PORT") or 5432
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    return f"postgresql://{auth}{host}:{port}/{settings['NAME']}"


def _pg_tool(tool: str, args: list[str]) -> None:
    executable = shutil.which(tool)
    if executable is None:
        raise BackupError(f"{tool} is not installed (Debian package postgresql-client)")
    command = [executable, *args]
    result = subprocess.run(command, capture_output=True, text=True, timeout=3600, env=os.environ.copy())  # noqa: S603
    if result.returncode != 0:
        raise BackupError(f"{tool} failed: {result.stderr.strip()[:500]}")
