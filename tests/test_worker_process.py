"""A real `ketacare worker` process: it schedules the jobs by itself (no cron), mails due reminders once,
and a job in flight when the worker is killed (SIGKILL) runs again after a restart."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "bench"))
from harness import ROOT, instance_env, prepare_instance  # noqa: E402

pytestmark = pytest.mark.slow


def _start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with open(log, "a") as out:
        return subprocess.Popen(
            [str(Path(sys.executable).with_name("ketacare")), "worker"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _wait(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.25)
    return False


def _mails(mail_dir: Path) -> list[str]:
    return [p.read_text() for p in sorted(mail_dir.glob("*.log"))] if mail_dir.exists() else []


def _reminders_mailed(mail_dir: Path) -> int:
    # Counted by message, not by file: Django's file backend names a file by the second and the
    # backend's id(), so two deliveries in one second can append to one file.
    return sum(m.count("Subject: KetaCare: a questionnaire is waiting") for m in _mails(mail_dir))


def test_the_worker_mails_due_reminders_once_and_retries_a_job_its_killed_predecessor_held() -> None:
    with tempfile.TemporaryDirectory(prefix="ketacare-worker-") as tmp:
        data = Path(tmp)
        env = instance_env(data)
        env.update(
            KETACARE_EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
            KETACARE_JOB_TIMEOUT_S="4",
            KETACARE_QUEUE_WORKERS="1",
        )
        prepare_instance(env, patients=3, prefix="worker")
        log = data / "worker.log"
        db_path = data / "ketacare.sqlite3"

        def query(sql: str) -> list[tuple[object, ...]]:
            with sqlite3.connect(db_path, timeout=30) as db:
                return db.execute(sql).fetchall()

        worker = _start_worker(env, log)
        try:
            # No cron: the worker's own schedule lays out the baseline questionnaires (two for each of
            # three patients) and reminds each patient once, through the notification queue.
            assert _wait(
                lambda: (
                    _reminders_mailed(data / "mail") >= 3
                    and query("SELECT COUNT(*) FROM ops_outboundemail WHERE state != 'not_sent'")[0][0] == 0
                ),
                # A fresh worker runs ten schedules with one queue process and a 4 s job timeout;
                # on a busy machine the first round can miss the delivery and the next comes a minute on.
                90,
            ), log.read_text()[-3000:]
            reminded = query(
                "SELECT COUNT(*) FROM questionnaires_questionnaireassignment WHERE reminded_at IS NOT NULL"
            )
            assert reminded[0][0] == 6
            # A job in flight: three seconds of work, taken by the worker, then the worker is killed.
            subprocess.run(
                [sys.executable, "-c", "import django; django.setup(); from django_q.tasks import async_task;"
                 " async_task('time.sleep', 3, task_name='in-flight')"],
                cwd=ROOT, env=env, check=True, timeout=60,
            )  # fmt: skip
            assert _wait(lambda: "processing in-flight" in log.read_text(), 30), log.read_text()[-3000:]
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()
            assert query("SELECT COUNT(*) FROM django_q_ormq")[0][0] == 1  # not acknowledged
            assert query("SELECT COUNT(*) FROM django_q_task WHERE name = 'in-flight'")[0][0] == 0
            worker = _start_worker(env, log)
            assert _wait(
                lambda: (
                    query("SELECT COUNT(*) FROM django_q_task WHERE name = 'in-flight' AND success")[0][0]
                    == 1
                ),
                60,
            ), log.read_text()[-3000:]
            # The monitor saves the result, then acknowledges (deletes) the queue row: wait for both.
            assert _wait(lambda: query("SELECT COUNT(*) FROM django_q_ormq")[0][0] == 0, 30), log.read_text()[
                -3000:
            ]
            # The restart sent no reminder again: one a patient.
            time.sleep(2)
            assert _reminders_mailed(data / "mail") == 3
        finally:
            if worker.poll() is None:
                # TERM to the cluster's main process: it stops its own children in order.
                os.kill(worker.pid, signal.SIGTERM)
                try:
                    worker.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(worker.pid, signal.SIGKILL)
                    raise
