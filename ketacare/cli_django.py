"""Commands that need Django: demo data, backups, the outcomes summary and the audit-chain check."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import typer


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ketacare.settings")
    import django

    django.setup()


def register(app: typer.Typer) -> None:
    """Attach the Django-backed commands to the main app."""

    @app.command("demo-data")
    def demo_data(
        seed: int = typer.Option(2026, help="random seed; the same seed gives the same data"),
        patients: int = typer.Option(36, "--patients", min=1, max=200_000, help="patients per clinic"),
        as_json: bool = typer.Option(False, "--json", help="print the demo logins as JSON"),
        migrate: bool = typer.Option(True, help="apply database migrations first"),
    ) -> None:
        """Seed two demo clinics with staff of every role and synthetic patients (idempotent)."""
        _setup_django()
        from django.core.management import call_command
        from tqdm import tqdm

        from ketacare.demo.seed import seed_demo

        if migrate:
            call_command("migrate", verbosity=0)

        def progress(items: Iterable[Any], label: str) -> Iterable[Any]:
            return tqdm(items, desc=label, unit="row", disable=as_json, leave=False)

        logins = seed_demo(seed=seed, patients_per_clinic=patients, progress=progress)
        if as_json:
            typer.echo(json.dumps([{"role": r, "email": e, "password": p} for r, e, p in logins], indent=2))
            return
        typer.echo("Demo logins (password for all: " + logins[0][2] + "):")
        for role, email, _ in logins:
            typer.echo(f"  {email:40s} {role}")
        typer.echo("Staff confirm with a six-digit code; in demo mode the login page shows it.")

    @app.command("backup")
    def backup(
        output: Path = typer.Argument(..., help="new file to write (SQLite database or pg_dump archive)"),
        as_json: bool = typer.Option(False, "--json"),
    ) -> None:
        """Back up the database while it runs (SQLite online backup API; pg_dump for PostgreSQL)."""
        _setup_django()
        from ketacare.lib.backup import BackupError, backup_database

        try:
            result = backup_database(output)
        except BackupError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
        if as_json:
            typer.echo(
                json.dumps(
                    {"path": str(result.path), "size_bytes": result.size_bytes, "vendor": result.vendor}
                )
            )
        else:
            typer.echo(f"backup written: {result.path} ({result.size_bytes} bytes, {result.vendor})")

    @app.command("restore")
    def restore(
        backup_file: Path = typer.Argument(
            ..., exists=True, dir_okay=False, help="a file written by `ketacare backup`"
        ),
        sqlite_path: Path | None = typer.Option(
            None, "--sqlite-path", help="new SQLite file to restore into"
        ),
        database_url: str | None = typer.Option(
            None, "--database-url", help="empty PostgreSQL database to restore into"
        ),
    ) -> None:
        """Restore a backup into a fresh instance (never over a live database)."""
        from ketacare.lib.backup import BackupError, restore_postgresql, restore_sqlite

        if (sqlite_path is None) == (database_url is None):
            typer.echo("error: give exactly one of --sqlite-path or --database-url", err=True)
            raise typer.Exit(2)
        try:
            if sqlite_path is not None:
                restore_sqlite(backup_file, sqlite_path)
            else:
                restore_postgresql(backup_file, str(database_url))
        except BackupError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
        typer.echo("restored; run `ketacare audit-verify` against the new instance to check the audit chain")

    @app.command("outcomes-rebuild")
    def outcomes_rebuild() -> None:
        """Recompute the outcomes page's summaries of every clinic: courses from the stored scores, the
        drop-out funnel from the plans and appointments."""
        _setup_django()
        from ketacare.clinics.models import Clinic
        from ketacare.outcomes.services import rebuild_course_summaries, rebuild_plan_funnels

        clinic_ids = list(Clinic.objects.values_list("id", flat=True))
        rows = rebuild_course_summaries(clinic_ids=clinic_ids)
        plans = rebuild_plan_funnels(clinic_ids=clinic_ids)
        typer.echo(f"course summary rebuilt: {rows} patient-scale rows; drop-out funnel: {plans} plans")

    @app.command("audit-anchor")
    def audit_anchor(
        path: Path | None = typer.Option(
            None, "--path", help="anchor file (default KETACARE_AUDIT_ANCHOR_PATH)"
        ),
    ) -> None:
        """Append a signed anchor of the audit chain's head to a file outside the database (run it on a schedule)."""
        _setup_django()
        from django.conf import settings
        from django.utils import timezone

        from ketacare.audit.services import anchor_chain

        target = path or settings.AUDIT_ANCHOR_PATH
        anchor = anchor_chain(path=target, now=timezone.now())
        if anchor is None:
            typer.echo("the audit log is empty: nothing to anchor")
        else:
            typer.echo(f"anchored {anchor.rows} rows (last row {anchor.last_id}) in {target}")

    @app.command("audit-seal")
    def audit_seal() -> None:
        """Seal the audit rows written since the last run into the keyed chain (run it every minute)."""
        _setup_django()
        from ketacare.audit.services import seal_pending

        typer.echo(f"sealed {seal_pending()} audit rows")

    @app.command("audit-verify")
    def audit_verify(
        as_json: bool = typer.Option(False, "--json"),
        anchors: Path | None = typer.Option(
            None, "--anchors", help="anchor file to check against (default KETACARE_AUDIT_ANCHOR_PATH)"
        ),
    ) -> None:
        """Walk the audit chain and check it against the anchors; exit 1 naming the first problem."""
        _setup_django()
        from django.conf import settings

        from ketacare.audit.anchors import AnchorFileError, read_anchors
        from ketacare.audit.selectors import verify_chain

        anchor_path = anchors or settings.AUDIT_ANCHOR_PATH
        try:
            anchor_list = read_anchors(anchor_path)
        except AnchorFileError as error:
            typer.echo(f"error: {error}", err=True)
            raise typer.Exit(2) from None
        report = verify_chain(anchor_list)
        if as_json:
            typer.echo(
                json.dumps(
                    {
                        "ok": report.ok,
                        "rows_checked": report.rows_checked,
                        "anchors_checked": report.anchors_checked,
                        "first_bad_id": report.first_bad_id,
                        "problem": report.problem,
                        "pending": report.pending,
                    }
                )
            )
        elif report.ok:
            typer.echo(
                f"audit chain intact: {report.rows_checked} rows checked against {report.anchors_checked} anchors"
                + (
                    f"; {report.pending} rows await the sealer (`ketacare audit-seal`)"
                    if report.pending
                    else ""
                )
            )
        else:
            typer.echo(f"audit chain BROKEN: {report.problem}", err=True)
        if not report.ok:
            raise typer.Exit(1)
