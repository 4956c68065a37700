"""Where one page's time goes: CPU per request, split into SQL, template rendering and the rest,
then the functions that cost most (cProfile). Run by hand, never by `make test`.

    DATABASE_URL=postgres://.../esn_bench_feed python bench/profile_page.py --user bench_u00035 /
    python bench/profile_page.py --user bench_heavy --repeat 60 / /discover/ /all/

Uses whatever data the database holds (bench/feed.py's, or the demo's) and production settings
(DEBUG=0, the cached template loader; static files are collected once into var/bench-static so
`{% static %}` reads the manifest as in production). Each path is requested through Django's
test client after `force_login`, first unprofiled (the figures), then under cProfile (the
table: its own overhead inflates the times there, so read it for shares, not for ms).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
from bench import production  # noqa: E402

production.use()

import django  # noqa: E402


class Split:
    """Wall time inside SQL and inside template rendering, nested calls counted once."""

    def __init__(self) -> None:
        self.sql = 0.0
        self.template = 0.0
        self._depth = 0
        # Inclusive time per template name (a template inside itself counted once).
        self.by_name: dict[str, float] = {}
        self._open: dict[str, int] = {}

    def execute(self, execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.sql += time.perf_counter() - start

    def wrap_render(self, render):
        split = self

        def timed(template, context):
            name = getattr(template.origin, "template_name", None) or "(string)"
            split._depth += 1
            split._open[name] = split._open.get(name, 0) + 1
            start = time.perf_counter()
            try:
                return render(template, context)
            finally:
                elapsed = time.perf_counter() - start
                split._depth -= 1
                split._open[name] -= 1
                if split._open[name] == 0:
                    split.by_name[name] = split.by_name.get(name, 0.0) + elapsed
                if split._depth == 0:
                    split.template += elapsed

        return timed


def check(response, path: str) -> None:
    if response.status_code != 200:
        sys.exit(f"GET {path} answered {response.status_code}")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(share * len(ordered)) - 1))]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="+", help="paths to request, e.g. / /discover/")
    parser.add_argument("--user", required=True, help="username to sign in as")
    parser.add_argument("--repeat", type=int, default=40, help="timed requests per path")
    parser.add_argument("--top", type=int, default=30, help="functions listed per path")
    parser.add_argument(
        "--sort", default="tottime", choices=["tottime", "cumulative"], help="cProfile order"
    )
    parser.add_argument("--htmx", action="store_true", help="send HX-Request: true")
    args = parser.parse_args(argv)
    production.collect_static()
    django.setup()
    from django.db import connection
    from django.template.base import Template
    from django.test import Client

    from people.models import User

    user = User.objects.get(username=args.user)
    client = Client(SERVER_NAME="localhost")
    client.force_login(user)
    headers = {"HX-Request": "true"} if args.htmx else {}
    split = Split()
    Template._render = split.wrap_render(Template._render)  # type: ignore[method-assign]
    print(
        f"{production.describe()}. Load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    for path in args.paths:
        for _ in range(3):  # warm: templates compiled, URL resolvers and translations loaded
            check(client.get(path, headers=headers), path)
        gc.collect()
        gc.freeze()
        statements: list[str] = []

        def count(execute, sql, params, many, context, statements=statements):
            statements.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            client.get(path, headers=headers)
        walls, cpus, sqls, templates = [], [], [], []
        split.by_name.clear()
        with connection.execute_wrapper(split.execute):
            for _ in range(args.repeat):
                split.sql = split.template = 0.0
                wall, cpu = time.perf_counter(), time.process_time()
                response = client.get(path, headers=headers)
                walls.append((time.perf_counter() - wall) * 1000)
                cpus.append((time.process_time() - cpu) * 1000)
                sqls.append(split.sql * 1000)
                templates.append(split.template * 1000)
                check(response, path)
        print(
            f"\n{path} as {args.user}: {len(statements)} queries, "
            f"{len(response.content) // 1024} KB; ms over {args.repeat} requests"
        )
        print(
            f"  wall p50 {statistics.median(walls):6.1f}  p95 {percentile(walls, 0.95):6.1f}   "
            f"CPU p50 {statistics.median(cpus):6.1f}   in SQL p50 {statistics.median(sqls):5.1f}"
            f"   templates p50 {statistics.median(templates):5.1f}"
            f" (SQL run from templates counted in both)"
        )
        print("  Templates, inclusive wall ms per request (nested templates inside their parents):")
        for name, total in sorted(split.by_name.items(), key=lambda item: -item[1])[:15]:
            print(f"    {total * 1000 / args.repeat:7.2f}  {name}")
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(args.repeat):
            client.get(path, headers=headers)
        profiler.disable()
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats(args.sort).print_stats(args.top)
        print(f"  cProfile by {args.sort} (its overhead inflates the times: read shares, not ms):")
        print("\n".join("    " + line for line in out.getvalue().splitlines()[6:] if line.strip()))
        gc.unfreeze()
    print(f"\nLoad average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
