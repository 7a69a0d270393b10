"""Gunicorn settings for KetaCare (`ketacare serve`, `make demo`, production): read from the environment.

KETACARE_BIND            address to listen on (default 127.0.0.1:8000; behind a proxy keep it local)
KETACARE_WEB_WORKERS     worker processes (default: 2 x cores + 1, at most 8)
KETACARE_WEB_THREADS     threads per worker (default 4)
KETACARE_BEHIND_PROXY    true only when a TLS proxy in front sets X-Forwarded-Proto/-For
KETACARE_PROXY_IPS       the proxy's addresses (default 127.0.0.1,::1), trusted only when behind a proxy
"""

from __future__ import annotations

import multiprocessing
import os


def _flag(name: str) -> bool:
    return os.environ.get(name, "false").strip().lower() in ("1", "true", "yes", "on")


bind = os.environ.get("KETACARE_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("KETACARE_WEB_WORKERS", min(2 * multiprocessing.cpu_count() + 1, 8)))
threads = int(os.environ.get("KETACARE_WEB_THREADS", "4"))
# Gunicorn trusts X-Forwarded-Proto from loopback by default, which would let a local client skip the
# HTTPS redirect; trust forwarded headers only from a proxy the operator declared.
forwarded_allow_ips = (
    os.environ.get("KETACARE_PROXY_IPS", "127.0.0.1,::1") if _flag("KETACARE_BEHIND_PROXY") else ""
)
# A worker that hangs (e.g. a stuck database) is replaced; graceful restarts finish requests in flight.
timeout = 60
graceful_timeout = 30
# Recycle workers now and then so a slow leak cannot grow without bound.
max_requests = 2000
max_requests_jitter = 200
accesslog = "-"
access_log_format = '%(t)s "%(m)s %(U)s" %(s)s %(M)sms'
