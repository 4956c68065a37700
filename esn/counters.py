"""Counters kept in Redis, for what Celery workers do: /metrics (esn/metrics.py) reads them at
scrape time. Workers are other processes, often on other machines, that no scrape reaches,
so an in-process registry of theirs would never be read; the broker's Redis is the one place
every worker and every web process shares.

Each call is one HINCRBY and must never fail or slow down the work it counts (a digest, a
task): the client gives up after TIMEOUT, an error is logged and swallowed, and after it
this process does not try again for PAUSE seconds (as analytics.visits does). Counts made
while Redis is away are lost: the series are for rates and alerts, not for accounting (the
DigestRun and UnreadEmailSent rows are the record).
"""

from __future__ import annotations

import contextlib
import logging
import time
from typing import TYPE_CHECKING

from django.conf import settings

if TYPE_CHECKING:
    import redis

log = logging.getLogger(__name__)

# Hashes, one field per label combination ("succeeded|digests.tasks.plan_digests").
TASKS_KEY = "esn:metrics:tasks"
EMAILS_KEY = "esn:metrics:emails"
SEPARATOR = "|"

SUCCEEDED, FAILED, RETRIED = "succeeded", "failed", "retried"
SENT = "sent"
DIGEST, UNREAD = "digest", "unread"

# Seconds for connecting and each reply: Redis on the same network answers in well under a
# millisecond; a hanging one costs the counted work at most this, once per pause.
TIMEOUT = 0.1
PAUSE = 30.0

# Module state shared by a process's threads; each update is one assignment, and a race at
# worst makes one more attempt.
_client: redis.Redis | None = None
_client_url = ""
_paused_until = 0.0
# Patched by tests to move time on.
_clock = time.monotonic


def redis_url() -> str:
    """The broker's Redis: web processes and every worker reach it by definition."""
    return settings.CELERY_BROKER_URL


def new_client(url: str, timeout: float) -> redis.Redis:
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    return redis.Redis.from_url(
        url,
        socket_connect_timeout=timeout,
        socket_timeout=timeout,
        # One attempt: redis-py would otherwise retry and multiply the wait.
        retry=Retry(NoBackoff(), 0),
        health_check_interval=0,
    )


def count_task(task_name: str, outcome: str) -> None:
    """A Celery task ended with `outcome` (SUCCEEDED, FAILED, RETRIED). Never raises."""
    _increment(TASKS_KEY, outcome, task_name)


def count_email(kind: str, outcome: str) -> None:
    """An email of `kind` (DIGEST, UNREAD) was sent or failed. Never raises."""
    _increment(EMAILS_KEY, kind, outcome)


def field(*labels: str) -> str:
    return SEPARATOR.join(labels)


def labels_of(name: str, size: int) -> list[str]:
    """The labels a field was made of; the last may itself hold the separator."""
    return name.split(SEPARATOR, size - 1)


def _increment(key: str, *labels: str) -> None:
    global _client, _client_url
    url = redis_url()
    if not url or _clock() < _paused_until:
        return
    try:
        if _client is None or _client_url != url:
            _client = new_client(url, TIMEOUT)
            _client_url = url
        _client.hincrby(key, field(*labels), 1)
    except Exception as error:
        _pause(error)


def _pause(error: BaseException) -> None:
    global _client, _paused_until
    _paused_until = _clock() + PAUSE
    client, _client = _client, None
    log.warning(
        "Metrics counters are off for %.0f s after a Redis error (%s: %s)",
        PAUSE,
        type(error).__name__,
        error,
    )
    if client is not None:
        with contextlib.suppress(Exception):
            client.close()


def reset() -> None:
    """Forget the pause and the client (tests)."""
    global _client, _client_url, _paused_until
    _paused_until = 0.0
    client, _client, _client_url = _client, None, ""
    if client is not None:
        with contextlib.suppress(Exception):
            client.close()
