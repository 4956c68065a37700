"""Active-people counting: what the visit middleware adds to a request. Run by hand, never by
`make test`.

    python bench/visits.py                               # REDIS_URL, else 127.0.0.1:6379/15
    python bench/visits.py --redis-url redis://127.0.0.1:6379/10 --calls 20000

Times `analytics.visits.record()` call by call, as `analytics.middleware.VisitMiddleware`
makes it after every signed-in GET (the site's day is worked out on each call, as there):
a person already recorded today by this process (memo hit), a person not yet recorded (memo
miss: one pipelined round trip to Redis, three or four PFADD + EXPIRE), and Redis down
(a closed port: the first call trips the 30 s pause, every call after it returns at once).
It also times the calls that pay for a failure (connection refused; a Redis that accepts
connections and never answers) and the whole middleware around a trivial view. Needs no
database. The keys it writes carry a prefix of their own (`bench:an:v:`) and are deleted at
the end, so a Redis holding real counts is not disturbed. See bench/README.md.
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import socket
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "esn.settings")
os.environ.setdefault("DEBUG", "0")
# No database is touched; settings want a URL all the same.
os.environ.setdefault("DATABASE_URL", "postgres://bench@127.0.0.1/unused")
os.environ.setdefault("SECRET_KEY", "bench-only")

import django  # noqa: E402

DEFAULT_REDIS = "redis://127.0.0.1:6379/15"
BENCH_PREFIX = "bench:an:v:"
CLOSED_PORT = "redis://127.0.0.1:1/0"
TARGET_MS = 0.5


def timed(calls: int, run: Callable[[int], object]) -> list[float]:
    """Milliseconds of each of `calls` runs of `run(i)`."""
    gc.collect()
    out = []
    clock = time.perf_counter_ns
    for i in range(calls):
        started = clock()
        run(i)
        out.append((clock() - started) / 1e6)
    return out


def rank(times: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(times)
    return ordered[max(0, min(len(ordered) - 1, round(p * len(ordered)) - 1))]


def summary(name: str, times: list[float]) -> tuple[str, str, float]:
    """(name, printed row, p95)."""
    p95 = rank(times, 0.95)
    row = (
        f"{name:<52} {len(times):>6}  {rank(times, 0.5):8.4f} {p95:8.4f} "
        f"{rank(times, 0.99):8.4f} {statistics.fmean(times):8.4f} {max(times):8.3f}"
    )
    return name, row, p95


def people(count: int, start: int) -> list:
    """Unsaved people (no database needed): employees with a department and a location."""
    from people.models import User

    return [
        User(pk=start + n, username=f"bench_v{n}", department_id=1 + n % 12, location_id=1 + n % 8)
        for n in range(count)
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=20_000, help="calls per case")
    parser.add_argument(
        "--redis-url", default=os.environ.get("REDIS_URL") or DEFAULT_REDIS, help="a live Redis"
    )
    parser.add_argument("--failures", type=int, default=200, help="calls that hit a failure")
    args = parser.parse_args(argv)
    django.setup()
    gc.freeze()

    import redis
    from django.conf import settings
    from django.http import HttpResponse
    from django.test import RequestFactory

    from analytics import visits
    from analytics.middleware import VisitMiddleware

    live = redis.Redis.from_url(args.redis_url, socket_connect_timeout=1, socket_timeout=1)
    live.ping()
    visits.KEY_PREFIX = BENCH_PREFIX
    # Count the failures instead of logging each one; with Redis up, a failure is a reply
    # slower than visits.TIMEOUT (a busy machine).
    logging.getLogger("analytics.visits").disabled = True
    failures = [0]
    trip = visits._trip

    def counted_trip(error: BaseException) -> None:
        failures[0] += 1
        trip(error)

    visits._trip = counted_trip
    pause = visits.PAUSE
    calls = args.calls
    rows: list[tuple[str, str, float]] = []

    def flush() -> None:
        names = list(live.scan_iter(match=f"{BENCH_PREFIX}*", count=1000))
        if names:
            live.delete(*names)

    try:
        settings.REDIS_URL = args.redis_url
        visits.reset()
        one = people(1, 900_000_000)[0]
        visits.record(one, group_id=1)
        rows.append(summary("memo hit, employee", timed(calls, lambda i: visits.record(one))))
        rows.append(
            summary(
                "memo hit, employee in a group page",
                timed(calls, lambda i: visits.record(one, group_id=1)),
            )
        )
        crowd = people(calls, 910_000_000)
        # With Redis up, a slow reply must not pause the calls after it: each one is measured.
        visits.PAUSE = 0.0
        failures[0] = 0
        # The memo starts afresh at MEMO_LIMIT entries; keep every call of these cases a miss.
        visits.MEMO_LIMIT = 10 * calls
        visits.reset()
        rows.append(
            summary(
                "memo miss, Redis up: employee (3 keys)",
                timed(calls, lambda i: visits.record(crowd[i])),
            )
        )
        visits.reset()
        rows.append(
            summary(
                "memo miss, Redis up: employee + group (4 keys)",
                timed(calls, lambda i: visits.record(crowd[i], group_id=1 + i % 50)),
            )
        )
        visits.reset()
        guests = people(calls, 920_000_000)
        for guest in guests:
            guest.is_guest = True
        rows.append(
            summary(
                "memo miss, Redis up: guest on a group page (1 key)",
                timed(calls, lambda i: visits.record(guests[i], group_id=1 + i % 50)),
            )
        )
        estimate = visits.count("site", 0, [visits.site_today()])
        slow_replies = failures[0]
        visits.PAUSE = pause

        settings.REDIS_URL = CLOSED_PORT
        visits.reset()
        visits.record(crowd[0])  # trips the pause
        rows.append(
            summary(
                "Redis down (closed port), paused",
                timed(calls, lambda i: visits.record(crowd[i])),
            )
        )

        def failing(i: int) -> None:
            visits.reset()
            visits.record(crowd[i])

        rows.append(
            summary(
                "Redis down: the call that trips the pause (refused)",
                timed(args.failures, failing),
            )
        )
        with socket.socket() as silent:
            silent.bind(("127.0.0.1", 0))
            silent.listen(1024)
            settings.REDIS_URL = f"redis://127.0.0.1:{silent.getsockname()[1]}/0"
            rows.append(
                summary(
                    "Redis hanging: the call that trips the pause",
                    timed(min(args.failures, 20), failing),
                )
            )

        settings.REDIS_URL = args.redis_url
        visits.reset()
        request = RequestFactory().get("/")
        request.user = one
        answer = HttpResponse("ok")
        middleware = VisitMiddleware(lambda request: answer)
        middleware(request)
        rows.append(
            summary("whole middleware, memo hit", timed(calls, lambda i: middleware(request)))
        )
        bare = HttpResponse  # the view alone, for comparison
        rows.append(summary("(a bare HttpResponse(), for scale)", timed(calls, lambda i: bare())))
    finally:
        visits.reset()
        flush()
        live.close()

    print(f"record() per call, ms ({args.redis_url}, {calls} calls per case)\n")
    print(f"{'case':<52} {'calls':>6}  {'p50':>8} {'p95':>8} {'p99':>8} {'mean':>8} {'max':>8}")
    for _, row, _ in rows:
        print(row)
    print(f"\nPFCOUNT of today's site key after {calls} distinct employees: {estimate}")
    print(
        f"Replies slower than the {visits.TIMEOUT * 1000:.0f} ms timeout in the Redis-up cases: "
        f"{slow_replies} of {3 * calls} (each would pause counting for {pause:.0f} s)"
    )
    # Every request pays one of these; the failing calls come once per pause (30 s).
    worst = max(p95 for name, _, p95 in rows if name.startswith(("memo", "Redis down (")))
    verdict = "MET" if worst < TARGET_MS else "NOT MET"
    print(f"Target: under {TARGET_MS} ms added per request (p95 of every steady case): {verdict}")


if __name__ == "__main__":
    main()
