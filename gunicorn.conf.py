"""Gunicorn's settings, for production (Dockerfile, docker-compose.yml) and the load bench:
`gunicorn -c gunicorn.conf.py esn.wsgi:application`. Every value comes from the environment;
the defaults suit one container on a small machine.

Why threads: a request that waits (streaming a private image through the access check, a
slow client, an SMTP or OIDC call) holds a sync worker for its whole length. `gthread`
workers give each process a few threads, so waiting requests do not queue behind each other
while Python work still uses every core through the processes (WEB_CONCURRENCY)."""

from __future__ import annotations

import os
from pathlib import Path


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


bind = os.environ.get("GUNICORN_BIND") or f"0.0.0.0:{_int('PORT', 8000)}"
# One process per core, plus one: with threads, more processes mostly add memory.
workers = _int("WEB_CONCURRENCY", (os.cpu_count() or 1) + 1)
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
threads = _int("GUNICORN_THREADS", 4)
# A request that takes longer than this is a bug or a stuck dependency: the worker is
# replaced. The HTTP client's timeouts (OIDC, SMTP) are set below it.
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
# Workers are replaced after this many requests (each at a different count, the jitter), so
# slow growth in one process never becomes a problem and never restarts them all at once.
max_requests = _int("GUNICORN_MAX_REQUESTS", 5000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 500)
# X-Forwarded-* headers are believed only from these addresses: the TLS proxy's. Anyone
# else could claim HTTPS, or another client address for the sign-in throttle.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
errorlog = "-"
# gunicorn's runtime control socket ($HOME/.gunicorn/gunicorn.ctl) is off: the image's user may
# not write its home, and workers are managed by the environment (WEB_CONCURRENCY, restarts).
control_socket_disable = os.environ.get("GUNICORN_CONTROL_SOCKET", "0") != "1"
# The app is imported once in the master, then forked: less memory per worker, and the
# objects esn/wsgi.py freezes for the garbage collector are shared.
preload_app = os.environ.get("GUNICORN_PRELOAD", "1") == "1"


def post_fork(server, worker):
    # Connections opened while preloading belong to the master; each worker opens its own.
    from django.db import connections

    for connection in connections.all(initialized_only=True):
        connection.close()


# With several workers, each keeps its request metrics in files under this directory, and a
# scrape of any worker adds them all up (esn/metrics.py). Unset: each worker only knows its own.
_metrics_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")


def on_starting(server):
    # A previous run's files would be added to this run's counts.
    if _metrics_dir:
        path = Path(_metrics_dir)
        path.mkdir(parents=True, exist_ok=True)
        for stale in path.glob("*.db"):
            stale.unlink()


def child_exit(server, worker):
    # A dead worker's live gauges must not be added up any more (its counters stay counted).
    if _metrics_dir:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
