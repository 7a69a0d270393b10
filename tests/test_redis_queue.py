"""The task queue on Redis (KETACARE_REDIS_URL, docs/decisions/0018): jobs wait in the Redis list, not
in the database, and a real `ketacare worker` takes them from there: an e-mail written to the outbox
is delivered, and a plain job's result is stored.

The server is KETACARE_TEST_REDIS_URL (default the local Redis, database 13). Each run uses its own
queue name, so runs sharing the server never take each other's jobs. Without a reachable server the
test is skipped, except under CI=true, where it fails.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "bench"))
import migrated  # noqa: E402
from harness import ROOT, instance_env  # noqa: E402

REDIS_URL = os.environ.get("KETACARE_TEST_REDIS_URL", "redis://127.0.0.1:6379/13")

ENQUEUE = """
import django
django.setup()
from django.core.mail import send_mail
from django.db import transaction
from django_q.tasks import async_task
from ketacare.metrics import _queue_stats
with transaction.atomic():
    send_mail("Through Redis", "A message delivered by a worker fed from Redis.", None, ["r@example.org"])
async_task("math.floor", 2.5, task_name="through-redis")
print(_queue_stats()[0])
"""


def _redis() -> object:
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.ConnectionError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true needs a Redis server at {REDIS_URL} (KETACARE_TEST_REDIS_URL): {exc}")
        pytest.skip(f"no Redis server at {REDIS_URL} (set KETACARE_TEST_REDIS_URL or start redis-server)")
    return client


def _wait(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.25)
    return False


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("KETACARE_REDIS_URL", "127.0.0.1:6379"),
        ("KETACARE_REDIS_URL", "http://redis:6379/0"),
        ("KETACARE_QUEUE_NAME", "two words"),
        ("KETACARE_QUEUE_NAME", "x" * 41),
    ],
)
def test_a_bad_queue_setting_stops_the_start_naming_the_variable(
    variable: str, value: str, tmp_path: Path
) -> None:
    env = instance_env(tmp_path) | {variable: value}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0 and variable in result.stderr, result.stderr[-2000:]


@pytest.mark.slow
def test_a_worker_takes_jobs_from_redis_and_delivers_the_outbox() -> None:
    client = _redis()
    queue = f"test-{uuid.uuid4().hex[:12]}"
    list_key = f"django_q:{queue}:q"
    with tempfile.TemporaryDirectory(prefix="ketacare-redis-") as tmp:
        data = Path(tmp)
        env = instance_env(data)
        env.update(
            KETACARE_REDIS_URL=REDIS_URL,
            KETACARE_QUEUE_NAME=queue,
            KETACARE_QUEUE_WORKERS="1",
            KETACARE_EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        )
        migrated.copy(migrated.template(), data / "ketacare.sqlite3")  # what `migrate` writes, made once

        def query(sql: str) -> list[tuple[object, ...]]:
            with sqlite3.connect(data / "ketacare.sqlite3", timeout=30) as db:
                return db.execute(sql).fetchall()

        worker: subprocess.Popen[bytes] | None = None
        try:
            # No worker yet: both jobs wait in the Redis list, none in the database's queue table.
            enqueued = subprocess.run(
                [sys.executable, "-c", ENQUEUE], cwd=ROOT, env=env, check=True, timeout=120,
                capture_output=True, text=True,
            )  # fmt: skip
            assert client.llen(list_key) == 2  # type: ignore[attr-defined]
            assert enqueued.stdout.split()[-1] == "2"  # the queue-depth metric reads the Redis list
            assert query("SELECT COUNT(*) FROM django_q_ormq") == [(0,)]
            assert query("SELECT state FROM ops_outboundemail") == [("pending",)]

            log = data / "worker.log"
            with open(log, "a") as out:
                worker = subprocess.Popen(
                    [str(Path(sys.executable).with_name("ketacare")), "worker", "--no-schedules"],
                    cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                )  # fmt: skip
            # The file backend writes the message to disk: handled by the worker, "not sent" to anyone.
            assert _wait(
                lambda: (
                    query("SELECT state FROM ops_outboundemail") == [("not_sent",)]
                    and query("SELECT result FROM django_q_task WHERE name = 'through-redis' AND success")
                    != []
                ),
                60,
            ), log.read_text()[-3000:]
            mails = "".join(p.read_text() for p in (data / "mail").glob("*.log"))
            assert mails.count("Subject: Through Redis") == 1
            assert client.llen(list_key) == 0  # type: ignore[attr-defined]
            assert query("SELECT COUNT(*) FROM django_q_ormq") == [(0,)]
        finally:
            client.delete(list_key)  # type: ignore[attr-defined]
            if worker is not None and worker.poll() is None:
                os.kill(worker.pid, signal.SIGTERM)
                try:
                    worker.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(worker.pid, signal.SIGKILL)
                    raise
