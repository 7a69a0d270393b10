#!/bin/sh
# Start sequence of the container image and of the systemd units: `web` migrates (safe to repeat; two
# web nodes starting at once serialise on the database) and serves; `worker` runs the task queue.
# The same script runs natively in tests/test_packaging.py, so what the image does is tested here.
set -eu
KETACARE="${KETACARE_BIN:-ketacare}"
PYTHON="${KETACARE_PYTHON:-python}"
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
    exec "$KETACARE" serve "$@"
    ;;
  worker)
    shift
    exec "$KETACARE" worker "$@"
    ;;
  *)
    exec "$KETACARE" "$@"
    ;;
esac
