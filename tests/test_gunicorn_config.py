"""gunicorn.conf.py as gunicorn reads it: one request at a time per process unless told otherwise, a
worker ready before its first request, rare recycling (docs/decisions/0024)."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest
from django.urls import clear_url_caches, get_resolver
from gunicorn.config import Config

CONF = Path(__file__).resolve().parents[1] / "gunicorn.conf.py"


def _config(monkeypatch: pytest.MonkeyPatch, **env: str) -> tuple[Config, dict[str, object]]:
    for name in ("KETACARE_WEB_THREADS", "KETACARE_WEB_WORKERS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    namespace = runpy.run_path(str(CONF))
    config = Config()
    for name, value in namespace.items():
        if name in config.settings:
            config.set(name, value)
    return config, namespace


def test_by_default_each_worker_serves_one_request_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    config, _ = _config(monkeypatch)
    assert config.threads == 1
    assert config.worker_class_str == "sync"
    assert config.timeout == 120
    assert config.max_requests == 20000


def test_threads_can_still_be_chosen(monkeypatch: pytest.MonkeyPatch) -> None:
    config, _ = _config(monkeypatch, KETACARE_WEB_THREADS="4")
    assert config.threads == 4
    assert config.worker_class_str == "gthread"


def test_a_new_worker_builds_the_url_resolver_before_its_first_request(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, namespace = _config(monkeypatch)
    clear_url_caches()  # a resolver no request has used yet, as in a fresh worker
    try:
        assert not get_resolver()._populated
        post_worker_init = namespace["post_worker_init"]
        assert callable(post_worker_init)
        post_worker_init(None)
        assert get_resolver()._populated
    finally:
        clear_url_caches()
