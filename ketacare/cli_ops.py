"""Run commands: `ketacare serve` (gunicorn) and `ketacare worker` (the task queue), same environment."""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
from pathlib import Path
from types import FrameType
from typing import NoReturn

import typer

GUNICORN_CONF = Path(__file__).resolve().parent.parent / "gunicorn.conf.py"
logger = logging.getLogger("ketacare.worker")


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ketacare.settings")
    import django
    from django.apps import apps

    # Once per process: setting up again would configure logging again, onto whatever streams are
    # current (a caller that already set Django up, such as the test runner, keeps its own).
    if not apps.ready:
        django.setup()


def static_files_out_of_date() -> str:
    """Why the collected static files cannot serve the installed version ("" when they can).

    With the manifest storage every page names its CSS and scripts through the manifest, so a missing
    or partial manifest makes every page fail; with plain storage a missing file is only a 404.
    """
    from django.apps import apps
    from django.conf import settings
    from django.contrib.staticfiles.finders import get_finders
    from django.contrib.staticfiles.storage import staticfiles_storage

    static_root = Path(settings.STATIC_ROOT)
    manifest_name = getattr(staticfiles_storage, "manifest_name", None)
    collected: set[str] | None = None
    collected_at = 0.0
    if manifest_name:
        manifest = static_root / manifest_name
        if not manifest.is_file():
            return f"{manifest_name} is missing"
        try:
            collected = set(json.loads(manifest.read_text())["paths"])
        except (ValueError, KeyError, TypeError):
            return f"{manifest_name} is unreadable"
        collected_at = manifest.stat().st_mtime
    # The patterns collectstatic itself skips.
    ignore_patterns = list(apps.get_app_config("staticfiles").ignore_patterns)  # type: ignore[attr-defined]
    for finder in get_finders():
        for path, storage in finder.list(ignore_patterns):
            name = getattr(storage, "prefix", None)
            name = f"{name}/{path}" if name else path
            source_mtime = os.stat(storage.path(path)).st_mtime
            if collected is not None:
                if name.replace(os.sep, "/") not in collected:
                    return f"{name} is not collected yet"
                if source_mtime > collected_at:
                    return f"{name} is newer than the collected files"
            else:
                target = static_root / name
                if not target.is_file() or source_mtime > target.stat().st_mtime:
                    return f"{name} is not collected yet"
    return ""


def collect_static_if_needed() -> bool:
    """Collect the static files into KETACARE_STATIC_ROOT when they are missing or older than the
    installed ones; one line says so. KETACARE_COLLECTSTATIC_ON_START=false leaves them alone (the
    image collects at build time and its root filesystem is read-only)."""
    from django.conf import settings
    from django.core.management import call_command

    from ketacare.lib.env import env_bool

    if not env_bool("KETACARE_COLLECTSTATIC_ON_START", True):
        return False
    reason = static_files_out_of_date()
    if not reason:
        return False
    typer.echo(f"Collecting static files into {settings.STATIC_ROOT}: {reason}.")
    call_command("collectstatic", interactive=False, verbosity=0)
    return True


def warn_without_public_address() -> str:
    """The warning the worker logs when no public address is configured ("" when one is)."""
    from django.conf import settings

    from ketacare.lib.links import FALLBACK_BASE_URL

    if settings.PUBLIC_BASE_URL:
        return ""
    message = (
        "No public address is configured (KETACARE_BASE_URL, or `ketacare setup --base-url`): the links "
        f"in e-mails and messages this worker sends (escalations, reminders) point at {FALLBACK_BASE_URL}, "
        "which opens only on this machine."
    )
    logger.warning(message)
    return message


def _leave_start_up(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)


def _exit_after_stop() -> NoReturn:
    """Leave as soon as the cluster has stopped: nothing is left to do, and the interpreter's own
    teardown of the ~1,300 modules loaded takes 0.4 s on an idle machine and over a second on a busy
    one, time a process manager counts against its grace period. What that teardown would do that
    matters is done here."""
    from django.db import connections

    connections.close_all()  # a PostgreSQL server sees a clean goodbye, not a dropped socket
    if "sentry_sdk" in sys.modules:
        import sentry_sdk

        if sentry_sdk.is_initialized():
            sentry_sdk.flush(timeout=2)
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def run_cluster() -> None:
    """Run the task queue's cluster until TERM or INT, then stop it in order (docs/decisions/0018,
    "Stopping a worker"): no new job is taken, the running ones finish, then every process exits."""
    import multiprocessing

    from django.core.management import call_command

    from ketacare import jobs

    jobs.prepare_stop()  # before the cluster forks its processes, which share the flag
    # Starts the cluster and returns; the cluster has set its TERM and INT handler, the library's stop
    # procedure. (A TERM while it starts gets that procedure alone: as correct, without the flag's haste.)
    call_command("qcluster")
    library_stop = signal.getsignal(signal.SIGTERM)

    def stop(signum: int, frame: FrameType | None) -> None:
        # The flag first: the pusher and the sweeps see it while the stop procedure is starting.
        jobs.request_stop()
        if callable(library_stop):
            library_stop(signum, frame)

    library_interrupt = signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        # The stop procedure runs in the signal handler; this process waits for the cluster's
        # sentinel, its only child, to end.
        while children := multiprocessing.active_children():
            for child in children:
                child.join(1)
        if jobs.stop_requested():
            _exit_after_stop()
    finally:
        # Reached only when the cluster ended without being asked to (or never started): the caller
        # gets its process back as it was.
        signal.signal(signal.SIGTERM, library_stop)
        signal.signal(signal.SIGINT, library_interrupt)


def register(app: typer.Typer) -> None:
    """Attach `serve` and `worker` to the main app."""

    @app.command("serve")
    def serve(
        config: Path = typer.Option(
            GUNICORN_CONF, "--config", exists=True, dir_okay=False, help="gunicorn settings file"
        ),
    ) -> None:
        """Serve the web application with gunicorn (KETACARE_BIND, KETACARE_WEB_WORKERS; see gunicorn.conf.py).

        Collects the static files first when they are missing or out of date."""
        setup_django()
        collect_static_if_needed()
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
        # Until the cluster runs nothing is held, so TERM ends the start-up at once. (As a container's
        # first process the worker would otherwise ignore TERM until the runtime kills it.)
        previous = signal.signal(signal.SIGTERM, _leave_start_up)
        try:
            setup_django()
            from ketacare.jobs import ensure_schedules

            warn_without_public_address()
            if schedules:
                names = ensure_schedules()
                typer.echo(f"schedules: {', '.join(names)}")
            # Queue the jobs already due now: django-q's own scheduler first runs 30 s after the cluster
            # starts, so after a restart an overdue escalation or reminder would wait that long. Safe
            # beside other workers: the scheduler takes the due schedules with SELECT ... FOR UPDATE.
            from django_q.scheduler import scheduler

            scheduler()
            run_cluster()
        finally:
            signal.signal(signal.SIGTERM, previous)
