"""The pickers' server time (and the search box's) (issue 11: under 30 ms at 10,000 people). Run by hand, never by
`make test`, on the data `bench/feed.py` generates (10,000 people, 1M posts, 3,000 hashtags):

    DATABASE_URL=postgres://.../esn_bench python bench/pickers.py
    make bench-pickers

Times GET /pick/people/ and /pick/hashtags/ through the test client (session, user, the
query, JSON) for a typical employee, many times each over a set of what people type, and
prints p50 / p95 / max per picker, and the queries per request.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "esn.settings")
os.environ.setdefault("DEBUG", "1")

import django  # noqa: E402

# Two letters and more, common and rare: first names, surnames, a department, no match.
PEOPLE = ["ad", "br", "ch", "ma", "mar", "ali", "jun", "no", "sven t", "xq", "eng", "ro"]
TAGS = ["be", "bench_t0", "bench_t01", "bench_t1", "sa", "xq"]
RUNS = 20


def main() -> None:
    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    from people.models import User

    setup_test_environment()
    viewer = (
        User.objects.filter(username__startswith="bench_u", is_active=True).order_by("pk").first()
    )
    if viewer is None:
        sys.exit("bench/pickers.py: no bench data; run bench/feed.py first (same DATABASE_URL).")
    people = User.objects.filter(is_active=True).count()
    client = Client()
    client.force_login(viewer)
    print(f"{people} active people; viewer {viewer.username}; {RUNS} runs per text")
    for name, url, texts in (
        ("people", "/pick/people/", PEOPLE),
        ("hashtags", "/pick/hashtags/", TAGS),
        ("search", "/pick/search/", PEOPLE + TAGS),
    ):
        times, found, queries = [], [], 0
        for text in texts:
            client.get(url, {"q": text})  # warm
            for _ in range(RUNS):
                start = time.perf_counter()
                with CaptureQueriesContext(connection) as ctx:
                    response = client.get(url, {"q": text})
                times.append((time.perf_counter() - start) * 1000)
                queries = max(queries, len(ctx.captured_queries))
            found.append(len(response.json()["results"]))
        times.sort()
        p95 = times[int(len(times) * 0.95) - 1]
        print(
            f"{name:9} p50 {statistics.median(times):6.1f} ms   p95 {p95:6.1f} ms   "
            f"max {times[-1]:6.1f} ms   queries/request {queries}   "
            f"results per text {found}"
        )
        print(f"{'':9} target p95 <= 30 ms: {'MET' if p95 <= 30 else 'NOT MET'}")


if __name__ == "__main__":
    main()
