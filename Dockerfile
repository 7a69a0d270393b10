# KetaCare image: one image, two roles (`web`, `worker`; see compose.yaml). Runs as a non-root user and
# with a read-only root filesystem: everything it writes goes to /data (a volume) and /tmp (tmpfs).
FROM python:3.11-slim-bookworm AS base

# WeasyPrint (PDF) needs pango; nothing else is installed from Debian.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0=1.50.* libpangoft2-1.0-0=1.50.* fonts-dejavu-core=2.37-* \
 && rm -rf /var/lib/apt/lists/*

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    UV_PROJECT_ENVIRONMENT=/opt/venv \
    UV_PYTHON_DOWNLOADS=never \
    PATH=/opt/venv/bin:$PATH \
    DJANGO_SETTINGS_MODULE=ketacare.settings \
    KETACARE_DATA_DIR=/data \
    KETACARE_BIND=0.0.0.0:8000 \
    KETACARE_LOG_FORMAT=json \
    KETACARE_STATIC_ROOT=/app/static \
    KETACARE_COLLECTSTATIC_ON_START=false \
    KETACARE_NUMBA_CACHE_SEED=/opt/numba-cache \
    NUMBA_CACHE_DIR=/tmp/numba-cache \
    PROMETHEUS_MULTIPROC_DIR=/tmp/prometheus

WORKDIR /app
RUN pip install --no-cache-dir "uv==0.13.9"
# Dependencies first (cached layer), from the lock file only; with the Redis client, so that setting
# KETACARE_REDIS_URL (compose's `redis` profile) needs no other image.
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --extra redis --no-install-project
COPY ketacare ./ketacare
COPY manage.py gunicorn.conf.py ./
COPY deploy/entrypoint.sh /usr/local/bin/ketacare-entrypoint
RUN uv sync --frozen --no-dev --extra redis \
 && groupadd --system --gid 10001 ketacare \
 && useradd --system --uid 10001 --gid ketacare --home-dir /data --no-create-home ketacare \
 && mkdir -p /data /opt/numba-cache \
 && chown ketacare:ketacare /data

# Compile the PK kernels at build time and collect the static files into the image, so a read-only
# container starts warm. Numba insists on a writable cache directory, so the entrypoint copies this
# seed to NUMBA_CACHE_DIR on the /tmp tmpfs at start (a copy, not a compile). Throwaway build keys.
RUN export KETACARE_SECRET_KEY=build-only-key-not-used-at-run-time-0123456789abcdefghij \
           KETACARE_AUDIT_KEY=build-only-audit-key-0123456789abcdef \
           KETACARE_DATA_DIR=/tmp/build NUMBA_CACHE_DIR=/opt/numba-cache \
 && ketacare pk warm-up \
 && python manage.py collectstatic --noinput --verbosity 0 \
 && rm -rf /tmp/build

USER 10001:10001
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
ENTRYPOINT ["ketacare-entrypoint"]
CMD ["web"]
