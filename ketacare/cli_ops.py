"""Run commands: `ketacare serve` (gunicorn) and `ketacare worker` (the task queue), same environment."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import typer

GUNICORN_CONF = Path(__file__).resolve().parent.parent / "gunicorn.conf.py"


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ketacare.settings")
    import django

    django.setup()


def register(app: typer.Typer) -> None:
    """Attach `serve` and `worker` to the main app."""

    @app.command("serve")
    def serve(
        config: Path = typer.Option(
            GUNICORN_CONF, "--config", exists=True, dir_okay=False, help="gunicorn settings file"
        ),
    ) -> None:
        """Serve the web application with gunicorn (KETACARE_BIND, KETACARE_WEB_WORKERS; see gunicorn.conf.py)."""
        gunicorn = Path(sys.executable).with_name("gunicorn")
        argv = [str(gunicorn), "-c", str(config), "ketacare.wsgi:application"]
        # exec: gunicorn becomes this process, so a service manager's signals (TERM: graceful stop, HUP:
        # graceful reload) reach it directly.
        os.execv(argv[0], argv)  # noqa: S606 - fixed argv, no shell

    @app.command("worker")
    def worker(
        schedules: bool = typer.Option(
            True, help="create or update the periodic job schedules before starting"
        ),
    ) -> None:
        """Run the task queue: scheduled jobs and e-mail delivery (KETACARE_QUEUE_WORKERS processes)."""
        _setup_django()
        from django.core.management import call_command

        from ketacare.jobs import ensure_schedules

        if schedules:
            names = ensure_schedules()
            typer.echo(f"schedules: {', '.join(names)}")
        # Queue the jobs already due now: django-q's own scheduler first runs 30 s after the cluster
        # starts, so after a restart an overdue escalation or reminder would wait that long. Safe beside
        # other workers: the scheduler takes the due schedules with SELECT ... FOR UPDATE.
        from django_q.scheduler import scheduler

        scheduler()
        call_command("qcluster")
