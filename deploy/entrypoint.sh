#!/bin/sh
# Start sequence of the container image and of the systemd units: `web` migrates (safe to repeat; two
# web nodes starting at once serialise on the database) and serves (`ketacare serve` collects the static
# files first when they are missing or out of date); `worker` waits for the migrations and runs the
# task queue.
# The same script runs natively in tests/test_packaging.py, so what the image does is tested here.
set -eu
KETACARE="${KETACARE_BIN:-ketacare}"
PYTHON="${KETACARE_PYTHON:-python}"
# The image sets it; a systemd unit or a shell may not, and `python -m django` needs it.
export DJANGO_SETTINGS_MODULE="${DJANGO_SETTINGS_MODULE:-ketacare.settings}"
# The image compiles the PK kernels at build time; numba wants a writable cache, so copy them to it.
if [ -n "${KETACARE_NUMBA_CACHE_SEED:-}" ] && [ -d "$KETACARE_NUMBA_CACHE_SEED" ] && [ -n "${NUMBA_CACHE_DIR:-}" ]; then
  mkdir -p "$NUMBA_CACHE_DIR" && cp -R "$KETACARE_NUMBA_CACHE_SEED"/. "$NUMBA_CACHE_DIR"/
fi
# prometheus_client's multiprocess mode needs its directory before any process counts.
if [ -n "${PROMETHEUS_MULTIPROC_DIR:-}" ]; then mkdir -p "$PROMETHEUS_MULTIPROC_DIR"; fi
case "${1:-web}" in
  web)
    if [ $# -gt 0 ]; then shift; fi
    if [ "${KETACARE_MIGRATE_ON_START:-true}" = "true" ]; then
      "$PYTHON" -m django migrate --noinput --verbosity 1
    fi
    # `ketacare serve` brings the static files of the installed version into KETACARE_STATIC_ROOT, as it
    # does when started by hand. The image collects them at build time and sets
    # KETACARE_COLLECTSTATIC_ON_START=false: its root filesystem is read-only.
    exec "$KETACARE" serve "$@"
    ;;
  worker)
    shift
    # The web role migrates; a worker started beside it on a fresh or upgraded database waits for that
    # (up to KETACARE_WORKER_WAIT_S) instead of failing on missing tables and being restarted in a loop.
    waited=0
    until "$PYTHON" -m django migrate --check --verbosity 0 >/dev/null 2>&1; do
      if [ "$waited" -ge "${KETACARE_WORKER_WAIT_S:-300}" ]; then
        echo "ketacare worker: the database is not migrated after ${waited} s; start the web role first" >&2
        exit 1
      fi
      sleep 3
      waited=$((waited + 3))
    done
    exec "$KETACARE" worker "$@"
    ;;
  *)
    exec "$KETACARE" "$@"
    ;;
esac
