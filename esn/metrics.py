"""Metrics for Prometheus at /metrics (README "Observability").

Requests are counted in the web process that served them (RequestMetricsMiddleware); under
gunicorn with several workers set PROMETHEUS_MULTIPROC_DIR, and prometheus_client keeps each
worker's values in files there that a scrape of any worker adds up (gunicorn.conf.py wipes
the directory at start and drops a dead worker's live gauges). What Celery workers do is
counted in Redis (esn/counters.py) and read, with the queue lengths, at scrape time.

/metrics answers before host validation and the HTTPS redirect (MetricsEndpointMiddleware,
right after esn.middleware.HealthCheckMiddleware): Prometheus scrapes each web process at its
internal address over plain HTTP. It answers only with METRICS_TOKEN as a bearer token, and
is a 404 while no token is set.
"""

from __future__ import annotations

import hmac
import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack
from typing import Any

from django.conf import settings
from django.db import connections
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from esn import counters

log = logging.getLogger(__name__)

PATH = "/metrics"

# A `_created` sample per series doubles what is scraped and says little here.
disable_created_metrics()

REQUESTS = Counter(
    "esn_http_requests",
    "HTTP requests answered, by view name (the URL pattern's name; 'unmatched' for a path no "
    "pattern matches), method and status class (2xx..5xx).",
    ["view", "method", "status"],
)
LATENCY = Histogram(
    "esn_http_request_duration_seconds",
    "Time from a request reaching Django to its response being ready (a streamed body's "
    "transfer not included), by view name.",
    ["view"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
QUERIES = Histogram(
    "esn_http_request_db_queries",
    "Database queries run while answering a request, by view name.",
    ["view"],
    buckets=(0, 1, 2, 5, 10, 20, 50, 100, 200, 500),
)

# Anything else is one label value, so made-up methods cannot add series.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Answered by middleware before URL resolution: named as their URL patterns are.
_ANSWERED_EARLY = {"/healthz": "healthz", "/readyz": "readyz", PATH: "metrics"}
# The Redis transport keeps a queue's prioritised messages in lists of their own
# (kombu.transport.redis: "<queue>\x06\x16<step>", steps 3, 6, 9; step 0 is the queue itself).
_PRIORITY_SUFFIXES = ("", "\x06\x163", "\x06\x166", "\x06\x169")
# A scrape waits at most this long (seconds) for Redis; Prometheus's own timeout is 10 s.
SCRAPE_TIMEOUT = 1.0


class _QueryCounter:
    """A database execute wrapper (Django's connection.execute_wrapper) that only counts."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute: Callable, sql: Any, params: Any, many: bool, context: Any) -> Any:
        self.count += 1
        return execute(sql, params, many, context)


def view_name(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    if match is not None:
        return match.view_name
    return _ANSWERED_EARLY.get(request.path_info, "unmatched")


class RequestMetricsMiddleware:
    """Counts each request, its time and its database queries. Near the top of MIDDLEWARE, so
    the time covers every other middleware. No database query, no network: prometheus_client
    values live in memory (or in PROMETHEUS_MULTIPROC_DIR's memory-mapped files)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        queries = _QueryCounter()
        status = 500
        started = time.perf_counter()
        try:
            with ExitStack() as stack:
                # Wrapping a connection opens nothing: it only adds the counter to its list.
                for alias in connections:
                    stack.enter_context(connections[alias].execute_wrapper(queries))
                response = self.get_response(request)
            status = response.status_code
            return response
        finally:
            elapsed = time.perf_counter() - started
            view = view_name(request)
            method = request.method if request.method in _METHODS else "other"
            REQUESTS.labels(view, method, f"{status // 100}xx").inc()
            LATENCY.labels(view).observe(elapsed)
            QUERIES.labels(view).observe(queries.count)


class MetricsEndpointMiddleware:
    """Answers /metrics, before host validation and the HTTPS redirect (as HealthCheckMiddleware
    answers /healthz): 404 while METRICS_TOKEN is not set, 401 without the right bearer token."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.path_info != PATH:
            return self.get_response(request)
        return metrics(request)


def metrics(request: HttpRequest) -> HttpResponseBase:
    token = settings.METRICS_TOKEN
    if not token:
        return HttpResponse("Not found\n", status=404, content_type="text/plain")
    if not _bearer_matches(request, token):
        response = HttpResponse("Unauthorized\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    if request.method not in ("GET", "HEAD"):
        response = HttpResponse(status=405)
        response["Allow"] = "GET, HEAD"
        return response
    response = HttpResponse(
        generate_latest(exposition_registry()), content_type=CONTENT_TYPE_LATEST
    )
    response["Cache-Control"] = "no-store"
    return response


def _bearer_matches(request: HttpRequest, token: str) -> bool:
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode(), token.encode())


def exposition_registry() -> CollectorRegistry:
    """What one scrape reads: this process's registry, or every gunicorn worker's files in
    PROMETHEUS_MULTIPROC_DIR, then what Redis holds."""
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(REGISTRY)
    registry.register(RedisCollector())
    return registry


def celery_queues() -> list[str]:
    """The queues this project's tasks go to: the default one ("celery") and any that
    CELERY_TASK_QUEUES or CELERY_TASK_ROUTES name."""
    from esn.celery import app

    conf = app.conf
    names = {conf.task_default_queue or "celery"}
    names.update(queue.name for queue in conf.task_queues or ())
    routes = conf.task_routes
    if isinstance(routes, dict):
        names.update(
            route["queue"]
            for route in routes.values()
            if isinstance(route, dict) and route.get("queue")
        )
    return sorted(names)


class RedisCollector:
    """Series read from the broker's Redis at scrape time. If Redis does not answer, they are
    left out and esn_metrics_redis_up says 0; the scrape itself still succeeds."""

    def describe(self) -> Iterable[Metric]:
        # Nothing to announce: registering must not ask Redis anything.
        return []

    def collect(self) -> Iterator[Metric]:
        queues = celery_queues()
        try:
            replies = self._read(queues)
        except Exception as error:
            log.warning("Metrics: Redis did not answer (%s: %s)", type(error).__name__, error)
            replies = None
        if replies is not None:
            yield from self._families(queues, replies)
        yield GaugeMetricFamily(
            "esn_metrics_redis_up",
            "1 when this scrape could read the Celery queues and the worker counters from "
            "Redis, 0 when not (those series are then missing from it).",
            value=0 if replies is None else 1,
        )

    def _read(self, queues: list[str]) -> list[Any]:
        client = counters.new_client(counters.redis_url(), SCRAPE_TIMEOUT)
        try:
            pipe = client.pipeline(transaction=False)
            for queue in queues:
                for suffix in _PRIORITY_SUFFIXES:
                    pipe.llen(queue + suffix)
            pipe.hgetall(counters.TASKS_KEY)
            pipe.hgetall(counters.EMAILS_KEY)
            return pipe.execute()
        finally:
            client.close()

    def _families(self, queues: list[str], replies: list[Any]) -> Iterator[Metric]:
        *lengths, tasks, emails = replies
        queue_length = GaugeMetricFamily(
            "esn_celery_queue_length",
            "Messages waiting in a Celery queue on the broker (not those a worker has taken).",
            labels=["queue"],
        )
        step = len(_PRIORITY_SUFFIXES)
        for index, queue in enumerate(queues):
            queue_length.add_metric([queue], sum(lengths[index * step : (index + 1) * step]))
        yield queue_length

        task_outcomes = CounterMetricFamily(
            "esn_celery_tasks",
            "Celery tasks ended, by task name and outcome (succeeded, failed, retried), counted "
            "by every worker in Redis.",
            labels=["task", "outcome"],
        )
        for name, value in sorted(_decoded(tasks).items()):
            outcome, task = counters.labels_of(name, 2)
            task_outcomes.add_metric([task, outcome], value)
        yield task_outcomes

        sent_emails = CounterMetricFamily(
            "esn_emails",
            "Emails by kind (digest: the periodic digest; unread: unread mentions, replies and "
            "invitations) and outcome (sent, failed: refused or not delivered to the server).",
            labels=["kind", "outcome"],
        )
        # Every combination from the start, so rate() and alerts work before the first one.
        known = {
            counters.field(kind, outcome): 0
            for kind in (counters.DIGEST, counters.UNREAD)
            for outcome in (counters.SENT, counters.FAILED)
        }
        for name, value in sorted({**known, **_decoded(emails)}.items()):
            kind, outcome = counters.labels_of(name, 2)
            sent_emails.add_metric([kind, outcome], value)
        yield sent_emails


def _decoded(reply: dict) -> dict[str, int]:
    return {
        (key.decode() if isinstance(key, bytes) else key): int(value)
        for key, value in reply.items()
    }
