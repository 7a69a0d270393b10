"""Gunicorn settings for KetaCare (`ketacare serve`, `make demo`, production): read from the environment.

KETACARE_BIND            address to listen on (default 127.0.0.1:8000; behind a proxy keep it local)
KETACARE_WEB_WORKERS     worker processes (default: 2 x cores + 1, at most 8)
KETACARE_WEB_THREADS     threads per worker (default 1: one request at a time per process, docs/decisions/0024)
KETACARE_BEHIND_PROXY    true only when a TLS proxy in front sets X-Forwarded-Proto/-For
KETACARE_PROXY_IPS       the proxy's addresses (default 127.0.0.1,::1), trusted only when behind a proxy
PROMETHEUS_MULTIPROC_DIR where the web processes share request metrics (default <data dir>/prometheus)
"""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path
from typing import Any


def _flag(name: str) -> bool:
    return os.environ.get(name, "false").strip().lower() in ("1", "true", "yes", "on")


bind = os.environ.get("KETACARE_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("KETACARE_WEB_WORKERS", min(2 * multiprocessing.cpu_count() + 1, 8)))
# One thread: gunicorn's sync worker. KetaCare's requests are CPU-bound Python; threads of one
# process only take turns on the GIL, and a thread preempted while it holds SQLite's write lock holds
# up every writer (docs/decisions/0024). Concurrency comes from the worker processes.
threads = int(os.environ.get("KETACARE_WEB_THREADS", "1"))
# Gunicorn trusts X-Forwarded-Proto from loopback by default, which would let a local client skip the
# HTTPS redirect; trust forwarded headers only from a proxy the operator declared.
forwarded_allow_ips = (
    os.environ.get("KETACARE_PROXY_IPS", "127.0.0.1,::1") if _flag("KETACARE_BEHIND_PROXY") else ""
)
# A worker that hangs (e.g. a stuck database) is replaced; graceful restarts finish requests in flight.
# A sync worker busy longer than this is killed, and a prepared export's download keeps it busy while
# the client reads: 120 s lets a 100 MB audit export reach a 7 Mbit/s client through a proxy that
# does not buffer responses (Caddy's default; nginx buffers them).
timeout = 120
graceful_timeout = 30
# Recycle workers now and then so a slow leak cannot grow without bound; rarely, because a recycle
# costs a pause: the new worker imports the application on the same cores while the others carry its
# share (on the HTTP benchmark one recycle put the check-in's p99 from ~80 ms to 650 ms). 20,000
# requests is days of one clinic's traffic (docs/decisions/0024).
max_requests = 20000
max_requests_jitter = 2000
# The application writes the access log (logger `ketacare.access`: request id, role, route pattern,
# status, duration; JSON with KETACARE_LOG_FORMAT=json). Gunicorn's own line would repeat it with the
# raw path, which carries patient ids; KETACARE_GUNICORN_ACCESS_LOG=true turns it back on.
accesslog = "-" if _flag("KETACARE_GUNICORN_ACCESS_LOG") else None
access_log_format = '%(t)s "%(m)s %(U)s" %(s)s %(M)sms'

# Every web process counts its own requests; prometheus_client's multiprocess mode adds them up at
# /metrics. The directory is emptied at start so a restarted server does not count old processes.
_data_dir = Path(os.environ.get("KETACARE_DATA_DIR", Path(__file__).resolve().parent / "var"))
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(_data_dir / "prometheus"))


def on_starting(server: Any) -> None:
    metrics_dir = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    metrics_dir.mkdir(parents=True, exist_ok=True)
    # Only prometheus_client's own files: the directory may be one the operator chose.
    for stale in metrics_dir.glob("*.db"):
        stale.unlink(missing_ok=True)


def child_exit(server: Any, worker: Any) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def post_worker_init(worker: Any) -> None:
    # A new worker (at start, and after every max_requests) imports every view and builds the URL
    # resolver before it accepts a request: done lazily, it made that worker's first request take
    # about 0.4 s instead of 6 ms, once per recycle.
    from django.urls import get_resolver

    resolver = get_resolver()
    resolver.url_patterns  # noqa: B018 - imports the URLconf and every view module
    resolver.reverse_dict  # noqa: B018 - builds the lookup tables {% url %} and reverse() use
