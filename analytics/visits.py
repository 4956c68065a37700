"""Distinct active people per day and segment, counted in Redis HyperLogLogs (issue 15).

There is no read log: a visit adds the person's id to one HyperLogLog per day and segment,
and only the estimated counts ever leave Redis (the roll-up stores them). A HyperLogLog
cannot be listed or asked "is this person in it" with any certainty, and every key expires
35 days after its day, so no per-person history is kept. Weeks and months are the union of
their day keys (PFCOUNT over several keys), which counts a person active on three days once.

Site, department and location keys count employees only; a group's key counts anyone who
read the group's page, guests included (the group's figures include its guests). Service
accounts count nowhere.

This runs on every signed-in GET (analytics.middleware), so it must cost next to nothing and
never fail a request: a memo skips Redis for a (person, day) this process has already
recorded, the client gives up after 50 ms, and after any Redis error it is not tried again
for 30 s. Counting (`count`, `count_many`, for the nightly roll-up) has a patient client of
its own.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils import timezone

from analytics.models import Segment
from esn.breaker import Breaker, close_quietly, quick_client

if TYPE_CHECKING:
    import redis

log = logging.getLogger(__name__)

KEY_PREFIX = "an:v:"
KEEP_DAYS = 35
TTL = timedelta(days=KEEP_DAYS)
# Connecting and each reply: long enough for a Redis on the same network (well under 1 ms),
# short enough that a hanging one costs a request at most this, once per pause.
TIMEOUT = 0.05
# After a Redis error, requests do not try again for this long (seconds).
PAUSE = 30.0
# Counting (the nightly roll-up) is not in a request and may wait: PFCOUNT over a month's
# keys merges 31 HyperLogLogs, about a millisecond each, and many are sent in one pipeline.
COUNT_TIMEOUT = 10.0
COUNT_BATCH = 200
# (person, group) pairs remembered per process and day: about 100 bytes each, so this bounds
# the memo to a few MB. When it fills up it starts afresh (Redis gets a few repeated PFADDs).
MEMO_LIMIT = 20_000

_SITE = Segment.SITE.value
_DEPARTMENT = Segment.DEPARTMENT.value
_LOCATION = Segment.LOCATION.value
_GROUP = Segment.GROUP.value

# Module state, shared by the threads of one process. Every update is a single assignment
# or set operation (atomic under the GIL); a race at worst repeats one PFADD.
_counter: redis.Redis | None = None
_counter_url = ""
_memo_day: date | None = None
_memo: set[tuple[int, int]] = set()
# Patched by tests to move time on.
_clock = time.monotonic


def _new_client(url: str, timeout: float = TIMEOUT) -> redis.Redis:
    return quick_client(url, timeout)


# The requests' client: 50 ms, then a pause after an error (esn/breaker.py).
_breaker = Breaker(
    "Active-people counting",
    pause=PAUSE,
    factory=lambda url: _new_client(url),
    clock=lambda: _clock(),
    logger=log,
)


def key(day: date, segment: str, segment_id: int) -> str:
    return f"{KEY_PREFIX}{day.isoformat()}:{segment}:{segment_id}"


def site_today() -> date:
    """The site's day, not the reader's: TimeZoneMiddleware activates each reader's own zone,
    and a day's figures must not depend on who visited."""
    return timezone.localdate(timezone=timezone.get_default_timezone())


def record(user: Any, *, group_id: int | None = None, today: date | None = None) -> None:
    """Count `user` as active today: in the site, their department and their location when
    they are an employee, and in the group when `group_id` is given. Never raises."""
    try:
        _record(user, group_id, today)
    except Exception as error:
        _breaker.trip(error)


def _record(user: Any, group_id: int | None, today: date | None) -> None:
    global _memo_day
    if not settings.REDIS_URL or _breaker.paused():
        return
    # Service accounts (admin and integration logins) are not people of the network: they
    # count nowhere, not even in a group they read.
    if user is None or not user.is_authenticated or user.is_service_account:
        return
    day = today or site_today()
    if day != _memo_day:
        _memo.clear()
        _memo_day = day
    pk = user.pk
    employee = user.is_active and not user.is_guest
    site_due = employee and (pk, 0) not in _memo
    group_key = None
    if group_id is not None and (pk, group_id) not in _memo:
        group_key = (pk, group_id)
    if not (site_due or group_key):
        return
    keys = []
    if site_due:
        keys += [
            key(day, _SITE, 0),
            key(day, _DEPARTMENT, user.department_id or 0),
            key(day, _LOCATION, user.location_id or 0),
        ]
    if group_key:
        keys.append(key(day, _GROUP, group_key[1]))
    client = _breaker.client(settings.REDIS_URL)
    if client is None:
        return
    pipe = client.pipeline(transaction=False)
    for name in keys:
        pipe.pfadd(name, pk)
        pipe.expire(name, TTL)
    pipe.execute()
    if len(_memo) >= MEMO_LIMIT:
        _memo.clear()
    if site_due:
        _memo.add((pk, 0))
    if group_key:
        _memo.add(group_key)


def _get_counter() -> redis.Redis | None:
    global _counter, _counter_url
    url = settings.REDIS_URL
    if not url:
        return None
    if _counter is None or _counter_url != url:
        _counter = _new_client(url, COUNT_TIMEOUT)
        _counter_url = url
    return _counter


def count(segment: str, segment_id: int, days: Iterable[date]) -> int | None:
    """Distinct people active in the segment over `days` (one day, a week, a month: the union
    of the day keys), or None when Redis is not configured or does not answer."""
    counted = count_many([(segment, segment_id)], days)
    return None if counted is None else counted[(segment, segment_id)]


def count_many(
    targets: Iterable[tuple[str, int]], days: Iterable[date]
) -> dict[tuple[str, int], int] | None:
    """`count` for many (segment, segment_id) pairs over the same days, pipelined; None when
    Redis is not configured or does not answer. Not paused by the requests' failures, and
    with a patient client of its own: the nightly roll-up should neither lose a day because
    a web request saw Redis blink nor time out merging a month of keys."""
    targets = list(targets)
    days = list(days)
    if not days:
        return dict.fromkeys(targets, 0)
    try:
        client = _get_counter()
        if client is None:
            return None
        out: dict[tuple[str, int], int] = {}
        for start in range(0, len(targets), COUNT_BATCH):
            batch = targets[start : start + COUNT_BATCH]
            pipe = client.pipeline(transaction=False)
            for segment, segment_id in batch:
                pipe.pfcount(*[key(day, segment, segment_id) for day in days])
            out.update(zip(batch, (int(n) for n in pipe.execute()), strict=True))
        return out
    except Exception as error:
        _drop_counter(error)
        return None


def _drop_counter(error: BaseException) -> None:
    global _counter
    client, _counter = _counter, None
    log.warning("Active people could not be counted: %s: %s", type(error).__name__, error)
    close_quietly(client)


def reset() -> None:
    """Forget the memo, the pause and the clients (tests and benchmarks)."""
    global _counter, _counter_url, _memo_day
    _memo.clear()
    _memo_day = None
    _breaker.reset()
    close_quietly(_counter)
    _counter, _counter_url = None, ""
