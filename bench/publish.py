"""Publishing: the same request whether the author has 1 follower or 5,000 (ARCHITECTURE.md
rule 2: nothing is written per follower). Run by hand, never by `make test`.

    DATABASE_URL=postgres://.../esn_bench_feed REDIS_URL=redis://127.0.0.1:6379/13 \\
        python bench/publish.py [--followers 5000] [--repeat 60]

Runs on bench/feed.py's data (10,000 people, 1,000,000 posts): two of its people become the
authors, one followed by a single colleague and one by `--followers` people (follows are added
for the run and taken away after it, with the posts it made). Each publish is a POST of the
composer through Django's test client with htmx, as the browser sends it: the whole request,
the post's hashtags and mention, and the answer that puts the new card at the top of the feed.
Printed per author: ms p50 / p95 / max, CPU per request, and the statements the request ran,
by kind (INSERT, UPDATE, DELETE, SELECT): writes must not grow with followers.
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
from bench import production  # noqa: E402

production.use()

import django  # noqa: E402

AUTHORS = ("bench_publish_quiet", "bench_publish_busy")
BODY = "Trying the new standing desks on the third floor, {n}. #bench_t0001 #bench_t0002"


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--followers", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=60, help="posts published per author")
    args = parser.parse_args(argv)
    production.collect_static()
    django.setup()
    from django.db import connection
    from django.test import Client

    from people.models import Follow, User
    from posts.models import Post

    people = list(
        User.objects.filter(username__startswith="bench_u", is_active=True)
        .order_by("id")
        .values_list("id", flat=True)[: args.followers]
    )
    if len(people) < args.followers:
        sys.exit("bench/publish.py: run bench/feed.py first (it generates the people).")
    # Two authors of the run's own, deleted after it with all they made: one followed by a
    # single colleague, one by --followers people.
    User.objects.filter(username__in=AUTHORS).delete()
    quiet_author, busy_author = (
        User.objects.create_user(username=name, first_name="Bench", last_name=name).pk
        for name in AUTHORS
    )
    added = [Follow(follower_id=people[0], followee_id=quiet_author)]
    added += [Follow(follower_id=f, followee_id=busy_author) for f in people]
    Follow.objects.bulk_create(added)
    made: list[int] = []
    print(f"{production.describe()}. Load average at start: {load_average()}")
    try:
        authors = {}
        for label, pk in (
            ("1 follower", quiet_author),
            (f"{args.followers} followers", busy_author),
        ):
            user = User.objects.get(pk=pk)
            count = Follow.objects.filter(followee=user).count()
            client = Client(SERVER_NAME="localhost")
            client.force_login(user)
            authors[label] = (user, count, client)
        results: dict[str, dict] = {
            label: {"ms": [], "cpu": [], "statements": Counter()} for label in authors
        }
        before = Post.objects.order_by("-id").values_list("id", flat=True).first() or 0
        gc.collect()
        gc.freeze()
        for n in range(args.repeat + 3):
            for label, (_user, _count, client) in authors.items():
                statements: Counter = Counter()

                def count(execute, sql, params, many, context, statements=statements):
                    statements[sql.lstrip().split(None, 1)[0].upper()] += 1
                    return execute(sql, params, many, context)

                with connection.execute_wrapper(count):
                    cpu, wall = time.process_time(), time.perf_counter()
                    response = client.post(
                        "/posts/new/",
                        {"body": BODY.format(n=n), "group": ""},
                        headers={"HX-Request": "true"},
                    )
                    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
                if response.status_code != 200 or b"post-" not in response.content:
                    sys.exit(f"publishing answered {response.status_code}")
                if n < 3:
                    continue  # warm-up: templates, URL patterns, translations
                result = results[label]
                result["ms"].append(wall * 1000)
                result["cpu"].append(cpu * 1000)
                result["statements"] = statements  # the same every time; keep the last
        made = list(Post.objects.filter(pk__gt=before).values_list("id", flat=True))
        print(
            f"\nPublishing (POST /posts/new/ with htmx, the whole request), "
            f"{args.repeat} posts per author, ms:"
        )
        print(f"  {'author':18} {'followers':>9} {'p50':>7} {'p95':>7} {'max':>7} {'CPU p50':>8}")
        for label, (_user, followers, _client) in authors.items():
            r = results[label]
            print(
                f"  {label:18} {followers:9d} {statistics.median(r['ms']):7.1f} "
                f"{p95(r['ms']):7.1f} {max(r['ms']):7.1f} {statistics.median(r['cpu']):8.1f}"
            )
        print("\nStatements per publish, by kind (the last request of each author):")
        for label in authors:
            kinds = results[label]["statements"]
            line = ", ".join(f"{kind} {n}" for kind, n in sorted(kinds.items()))
            print(f"  {label:18} {line}")
        writes = {
            label: sum(n for k, n in r["statements"].items() if k in {"INSERT", "UPDATE", "DELETE"})
            for label, r in results.items()
        }
        same = len(set(writes.values())) == 1
        worst = max(p95(r["ms"]) for r in results.values())
        print(
            f"\nWrites per publish independent of followers: {'YES' if same else 'NO'} "
            f"({', '.join(f'{k}: {v}' for k, v in writes.items())})"
        )
        print(
            f"Target p95 <= 80 ms for both (issue 16): {'MET' if worst <= 80 else 'NOT MET'} "
            f"(highest {worst:.1f} ms)"
        )
        print(f"Load average at end: {load_average()}")
    finally:
        Post.objects.filter(pk__in=made).delete()
        User.objects.filter(username__in=AUTHORS).delete()


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


if __name__ == "__main__":
    main()
