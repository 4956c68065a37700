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

import logging
import time
from typing import TYPE_CHECKING

from django.conf import settings

from esn.breaker import Breaker, quick_client

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

# Patched by tests to move time on.
_clock = time.monotonic


def redis_url() -> str:
    """The broker's Redis: web processes and every worker reach it by definition."""
    return settings.CELERY_BROKER_URL


def new_client(url: str, timeout: float) -> redis.Redis:
    return quick_client(url, timeout)


_breaker = Breaker(
    "Metrics counting",
    pause=PAUSE,
    factory=lambda url: new_client(url, TIMEOUT),
    clock=lambda: _clock(),
    logger=log,
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
    client = _breaker.client(redis_url())
    if client is None:
        return
    try:
        client.hincrby(key, field(*labels), 1)
    except Exception as error:
        _breaker.trip(error)


def reset() -> None:
    """Forget the pause and the client (tests)."""
    _breaker.reset()
