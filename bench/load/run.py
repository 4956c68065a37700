"""Mixed load against the production gunicorn configuration (issue 16). Run by hand.

    .venv/bin/python bench/load/run.py --users 50 --duration 60 [--steps 50,100,200,400]
        [--data demo|generated] [--reuse] [--database-url URL] [--redis-url URL]

Prepares a database of its own (migrate, then the demo company or bench/feed.py's generated
network), signs people in by creating their sessions in the database, starts gunicorn with
`-c gunicorn.conf.py esn.wsgi:application` and production settings on loopback, waits for
/readyz, then runs locust in this process (bench/load/locustfile.py), one time-bounded step
per number of people, and one short phase per page alone for the server CPU each costs.
Prints throughput, p50/p95/p99, errors, p95 per page, server CPU per request, and stops
gunicorn whatever happens. See bench/README.md.
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
WORK = ROOT / "var" / "bench-load"
DEFAULT_DATABASE = "esn_bench_load"
DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432/"
DEFAULT_REDIS = "redis://127.0.0.1:6379/14"
SESSION_BACKEND = "people.backends.AccountBackend"
SECRET_KEY = "bench-load-not-a-secret"  # noqa: S105 (a throwaway server on loopback)
# Issue 16's figure for 200 people (printed as a check, never as a test).
TARGET = {"users": 200, "seconds": 300, "rps": 100.0, "p95_ms": 250.0}


# --- the database, in a child process -------------------------------------------------------
# Django and psycopg2 are kept out of the load generator's process: locust monkey-patches
# sockets with gevent, and the generator should spend its core on requests.


def ensure_database(url: str) -> None:
    """CREATE DATABASE if it is not there, through the server's maintenance database."""
    import dj_database_url
    import psycopg2
    from psycopg2 import sql as pgsql

    cfg = dj_database_url.parse(url)
    params = {
        "host": cfg.get("HOST") or None,
        "port": cfg.get("PORT") or None,
        "user": cfg.get("USER") or None,
        "password": cfg.get("PASSWORD") or None,
    }
    conn = psycopg2.connect(dbname="postgres", **params)
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [cfg["NAME"]])
            if cur.fetchone() is None:
                cur.execute(pgsql.SQL("CREATE DATABASE {}").format(pgsql.Identifier(cfg["NAME"])))
                print(f"Created database {cfg['NAME']}.", flush=True)
    finally:
        conn.close()


def prepare(args: argparse.Namespace, plan_path: Path) -> None:
    """Data, static files and sessions; writes the plan the locust users read."""
    import random

    import django

    ensure_database(os.environ["DATABASE_URL"])
    django.setup()
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.core.management import call_command
    from django.db.models import Count

    from hashtags.models import TaggedPost
    from people.models import User
    from posts.models import Comment, Post

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    if args.data == "demo":
        call_command("seed_demo")
    else:
        from bench import feed

        cfg = feed.parse_args(
            ["--people", str(args.people), "--posts", str(args.posts)]
            + (["--reuse"] if args.reuse else [])
        )
        marker = feed.existing_marker()
        if cfg.reuse and marker == cfg.marker:
            print(f"Reusing the data already generated ({marker}).", flush=True)
        else:
            if marker is not None or User.objects.filter(username__startswith=feed.PREFIX).exists():
                print(f"Deleting earlier bench data ({marker or 'incomplete'}) ...", flush=True)
                feed.delete_bench_data()
            feed.generate(cfg)

    # What earlier load runs wrote, and their sessions: every run starts from the same data.
    removed_posts = Post.objects.filter(body__startswith=MARK).delete()[0]
    removed_comments = Comment.objects.filter(body__startswith=MARK).delete()[0]
    if removed_posts or removed_comments:
        print(f"Removed {removed_posts + removed_comments} rows written by earlier runs.")
    if plan_path.exists():
        from django.contrib.sessions.models import Session

        old = json.loads(plan_path.read_text(encoding="utf-8"))
        Session.objects.filter(session_key__in=[s["session"] for s in old["sessions"]]).delete()
    forget_cached_pages()

    static_manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
    if not (args.reuse and static_manifest.exists()):
        call_command("collectstatic", interactive=False, verbosity=0, clear=True)

    # Employees who can sign in without the two-step code (administrators may be asked for it).
    people = list(
        User.objects.filter(
            is_active=True, is_guest=False, is_staff=False, is_superuser=False,
            is_service_account=False,
        ).order_by("id")
    )  # fmt: skip
    rng = random.Random(1)
    people = rng.sample(people, min(len(people), max(args.steps)))
    engine = importlib.import_module(settings.SESSION_ENGINE)
    sessions = []
    for person in people:
        store = engine.SessionStore()
        store[SESSION_KEY] = str(person.pk)
        store[BACKEND_SESSION_KEY] = SESSION_BACKEND
        store[HASH_SESSION_KEY] = person.get_session_auth_hash()
        store.create()
        sessions.append({"username": person.username, "session": store.session_key})

    public = Post.objects.filter(group__isnull=True, removed_at__isnull=True)
    recent = list(public.order_by("-id").values_list("id", flat=True)[:5000])
    posts = rng.sample(recent, min(len(recent), 500))
    hashtags = list(
        TaggedPost.objects.values("tag__slug")
        .annotate(n=Count("id"))
        .order_by("-n")
        .values_list("tag__slug", flat=True)[:200]
    )
    words: Counter[str] = Counter()
    for body in public.order_by("-id").values_list("body", flat=True)[:3000]:
        words.update(w.lower() for w in re.findall(r"[^\W\d_]{5,}", body))
    common = [w for w, _ in words.most_common(20)]
    rare = sorted(w for w, n in words.items() if n <= 2)
    plan: dict[str, Any] = {
        "session_cookie": settings.SESSION_COOKIE_NAME,
        "sessions": sessions,
        "posts": posts,
        "hashtags": hashtags or ["loadbench"],
        "search_words": {
            "common": common or ["update"],
            "rare": rng.sample(rare, min(len(rare), 20)) or common or ["update"],
        },
        "data": {
            "kind": args.data,
            "people": User.objects.count(),
            "posts": Post.objects.count(),
            "comments": Comment.objects.count(),
        },
    }
    plan_path.write_text(json.dumps(plan), encoding="utf-8")
    print(
        f"Data ready in {time.perf_counter() - started:.0f} s: {plan['data']['people']} people, "
        f"{plan['data']['posts']} posts, {plan['data']['comments']} comments; "
        f"{len(sessions)} sessions made.",
        flush=True,
    )


def forget_cached_pages() -> None:
    """The site's cache entries (key prefix `esn`) from earlier runs, so each run starts cold
    the same way. Only that prefix: the Redis database may hold other things."""
    from django.conf import settings
    from django.core.cache import cache

    if not str(settings.CACHES["default"]["BACKEND"]).endswith("RedisCache"):
        return
    client = cache._cache.get_client(write=True)  # type: ignore[attr-defined]
    keys = list(client.scan_iter(match="esn:*", count=1000))
    for start in range(0, len(keys), 1000):
        client.delete(*keys[start : start + 1000])


# --- settings, gunicorn ---------------------------------------------------------------------


def database_url(given: str | None) -> str:
    if given:
        return given
    server = os.environ.get("DATABASE_URL", "").strip() or DEFAULT_SERVER
    return urlunsplit(urlsplit(server)._replace(path=f"/{DEFAULT_DATABASE}"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def production_env(args: argparse.Namespace, port: int) -> dict[str, str]:
    """Production settings on plain loopback HTTP: the https-only switches off (no TLS proxy
    here), everything else as deployed. WEB_CONCURRENCY and GUNICORN_* from the caller's
    environment are kept, as production reads them."""
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY_FILE", "DEMO_MODE")}
    env.update(
        DJANGO_SETTINGS_MODULE="esn.settings",
        DEBUG="0",
        SECRET_KEY=SECRET_KEY,
        ALLOWED_HOSTS="127.0.0.1",
        DATABASE_URL=args.database_url,
        REDIS_URL=args.redis_url,
        CACHE_USE_REDIS="1",
        SECURE_SSL_REDIRECT="0",
        SESSION_COOKIE_SECURE="0",
        CSRF_COOKIE_SECURE="0",
        SECURE_HSTS_SECONDS="0",
        BEHIND_TLS_PROXY="0",
        STATIC_ROOT=str(WORK / "static"),
        LOG_FORMAT="json",
        LOG_LEVEL="WARNING",  # errors still reach the log; no line per request
        GUNICORN_ACCESS_LOG="",  # off (gunicorn.conf.py: empty means none)
        GUNICORN_BIND=f"127.0.0.1:{port}",
        # The per-person limit (200 a minute) is for real people; the per-page phases ask
        # without pause. The counter itself still runs, so its cost stays in the figures.
        RATE_LIMIT_REQUESTS_PER_MINUTE="1000000",
        # Nothing here sends mail (and no Celery worker runs: tasks wait in the queue).
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        PYTHONHASHSEED=os.environ.get("PYTHONHASHSEED", "0"),
    )
    return env


def gunicorn_settings(env: dict[str, str]) -> dict[str, object]:
    """gunicorn.conf.py's values under the server's environment."""
    import runpy

    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        values = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    finally:
        os.environ.clear()
        os.environ.update(saved)
    names = ("bind", "worker_class", "workers", "threads", "timeout", "keepalive")
    more = ("max_requests", "max_requests_jitter", "preload_app", "accesslog")
    return {name: values[name] for name in names + more}


class Server:
    """gunicorn in a session of its own (so a Ctrl-C in the terminal reaches this script
    first), stopped with SIGTERM, then SIGKILL of its process group after the grace time."""

    def __init__(self, env: dict[str, str], log: Path):
        self.env, self.log_path = env, log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.log = self.log_path.open("ab")
        self.process = subprocess.Popen(  # noqa: S603 (our own interpreter and config)
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "esn.wsgi:application"],
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        assert self.process is not None  # noqa: S101
        return self.process.pid

    def fresh_workers(self, workers: int, seconds: float = 60) -> None:
        """SIGHUP: gunicorn forks new workers (from the preloaded app) and lets the old ones
        finish. The memory phase starts on them, so none reaches max_requests during it and
        each is followed from its first request to its last."""
        import psutil

        assert self.process is not None  # noqa: S101
        master = psutil.Process(self.process.pid)
        old = {child.pid for child in master.children()}
        self.process.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            now = {child.pid for child in master.children()}
            if not now & old and len(now) == workers:
                return
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not replace its workers within {seconds:.0f} s")

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self.log.close()
        print(f"gunicorn stopped (log: {self.log_path.relative_to(ROOT)}).", flush=True)


def wait_until_ready(server: Server, url: str, seconds: float = 90) -> None:
    import urllib.request

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.process is None or server.process.poll() is not None:
            sys.exit(f"gunicorn exited; see {server.log_path}:\n{tail(server.log_path)}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (loopback)
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    sys.exit(f"{url} did not answer 200 within {seconds:.0f} s; see {server.log_path}")


def tail(path: Path, lines: int = 30) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


# --- CPU ------------------------------------------------------------------------------------


def server_cpu(master) -> float:
    """CPU seconds of gunicorn so far: the master, its live workers, and (through the master's
    children times) the workers it already replaced (max_requests) and reaped."""
    import psutil

    times = master.cpu_times()
    total = times.user + times.system + times.children_user + times.children_system
    for worker in master.children(recursive=True):
        try:
            worker_times = worker.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += worker_times.user + worker_times.system
    return total


class DatabaseCpu:
    """CPU seconds of the PostgreSQL processes working on the bench database (connections and
    autovacuum), found by their process titles and sampled twice a second, so a connection
    that closes (CONN_MAX_AGE) loses at most half a second of its count."""

    def __init__(self, database: str):
        self.database = database
        self.seen: dict[int, float] = {}

    def sample(self) -> None:
        import psutil

        for process in psutil.process_iter(["name", "cmdline"]):
            try:
                if process.info["name"] != "postgres":
                    continue
                if self.database not in " ".join(process.info["cmdline"] or []).split():
                    continue
                times = process.cpu_times()
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
            self.seen[process.pid] = times.user + times.system

    def total(self) -> float:
        return sum(self.seen.values())


# --- measuring ------------------------------------------------------------------------------


@dataclass
class Window:
    """Requests finished between two instants, and the CPU spent meanwhile."""

    cap: int
    times: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter[tuple[str, str]] = field(default_factory=Counter)
    count: int = 0
    seconds: float = 0.0
    server_cpu: float = 0.0
    database_cpu: float = 0.0
    locust_cpu: float = 0.0
    machine_busy: float = 0.0  # share of all cores busy, whoever
    load: tuple[float, float, float] = (0.0, 0.0, 0.0)
    worker_rss_mb: float = 0.0
    capped: bool = False

    def all_times(self) -> list[float]:
        return [t for times in self.times.values() for t in times]


def percentile(values: list[float], share: float) -> float:
    """Nearest rank."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered), math.ceil(share * len(ordered))) - 1)]


class Load:
    """Locust in this process: one runner, reused for every step and phase."""

    def __init__(self, host: str, master_pid: int, database: str, plan: dict):
        import gevent
        import psutil
        from gevent.event import Event
        from locust.env import Environment

        sys.path.insert(0, str(Path(__file__).resolve().parent))
        import locustfile

        self.gevent, self.psutil, self.Event = gevent, psutil, Event
        self.locustfile = locustfile
        self.plan = plan
        self.master = psutil.Process(master_pid)
        self.database_cpu = DatabaseCpu(database)
        self.env = Environment(user_classes=[locustfile.Person], host=host)
        self.runner = self.env.create_local_runner()
        self.window: Window | None = None
        self.full = Event()
        self.env.events.request.add_listener(self.on_request)

    def on_request(self, request_type, name, response_time, response_length, **kw) -> None:
        window = self.window
        if window is None:
            return
        window.times[name].append(response_time)
        exception = kw.get("exception")
        if exception is not None:
            window.errors[(name, str(exception)[:120])] += 1
        window.count += 1
        if window.count >= window.cap:
            self.full.set()

    def run(
        self, users: int, seconds: float, cap: int, *, only: str | None = None, settle: float = 0
    ) -> Window:
        """Starts `users` people (ramping over up to 10 s), waits until each has opened their
        first page and `settle` seconds more, then measures for `seconds` or `cap` requests,
        whichever comes first."""
        self.locustfile.configure(self.plan, only=only)
        ramp = max(1.0, users / 10) if only is None else float(users)
        self.runner.start(users, spawn_rate=ramp)
        deadline = time.monotonic() + 60 + users / ramp
        while self.locustfile.SETTINGS.started < users and time.monotonic() < deadline:
            self.gevent.sleep(0.2)
        self.gevent.sleep(settle)
        window = Window(cap=cap)
        self.full.clear()
        me = self.psutil.Process()
        self.database_cpu.sample()
        before = (
            time.monotonic(),
            server_cpu(self.master),
            self.database_cpu.total(),
            sum(me.cpu_times()[:2]),
            self.psutil.cpu_times(),
        )
        self.window = window
        sampler = self.gevent.spawn(self._sample_database, seconds)
        self.full.wait(timeout=seconds)
        self.window = None
        sampler.kill()
        self.database_cpu.sample()
        after_cpu = self.psutil.cpu_times()
        window.seconds = time.monotonic() - before[0]
        window.server_cpu = server_cpu(self.master) - before[1]
        window.database_cpu = self.database_cpu.total() - before[2]
        window.locust_cpu = sum(me.cpu_times()[:2]) - before[3]
        busy_before = sum(before[4]) - before[4].idle - getattr(before[4], "iowait", 0)
        busy_after = sum(after_cpu) - after_cpu.idle - getattr(after_cpu, "iowait", 0)
        window.machine_busy = (busy_after - busy_before) / max(
            1e-9, sum(after_cpu) - sum(before[4])
        )
        window.load = os.getloadavg()
        window.worker_rss_mb = max(
            (w.memory_info().rss for w in self.master.children(recursive=True)), default=0
        ) / (1024 * 1024)
        window.capped = self.full.is_set()
        self.runner.stop()
        self.gevent.sleep(1)
        return window

    def memory(self, users: int, total: int, every: int = 1000) -> list[tuple[int, dict]]:
        """The mix for `total` requests with `users` people, each gunicorn worker's resident
        size read after every `every` requests: [(requests, {pid: MB})]. A worker replaced
        meanwhile (max_requests) shows as a new pid."""
        self.locustfile.configure(self.plan, only=None)
        samples: list[tuple[int, dict]] = []
        done = self.Event()
        state = {"count": 0}

        def counted(**kwargs: Any) -> None:
            state["count"] += 1
            if state["count"] % every == 0:
                samples.append((state["count"], self._worker_rss()))
                if state["count"] >= total:
                    done.set()

        self.env.events.request.add_listener(counted)
        try:
            self.runner.start(users, spawn_rate=max(1.0, users / 10))
            done.wait(timeout=total / 5 + 120)  # far more than it takes at 20 req/s or more
        finally:
            self.env.events.request.remove_listener(counted)
            self.runner.stop()
            self.gevent.sleep(1)
        return samples

    def _worker_rss(self) -> dict[int, float]:
        return {
            w.pid: w.memory_info().rss / (1024 * 1024) for w in self.master.children(recursive=True)
        }

    def _sample_database(self, seconds: float) -> None:
        end = time.monotonic() + seconds + 5
        while time.monotonic() < end:
            self.gevent.sleep(0.5)
            self.database_cpu.sample()

    def quit(self) -> None:
        self.runner.quit()


# --- printing -------------------------------------------------------------------------------


def ms(value: float) -> str:
    return "-" if value != value else f"{value:.0f}"  # NaN: no request


def per_request_ms(cpu_seconds: float, requests: int) -> str:
    return f"{1000 * cpu_seconds / requests:.1f}" if requests else "-"


def print_steps(steps: list[tuple[int, Window]]) -> None:
    print()
    print(
        "Mixed load, signed-in people (requests finished in the measured window; ms; CPU in ms "
        "per request):"
    )
    print(
        f"{'people':>6} {'seconds':>7} {'requests':>8} {'req/s':>6} {'p50':>5} {'p95':>5} "
        f"{'p99':>5} {'max':>6} {'errors':>6}  {'gunicorn':>8} {'postgres':>8}  "
        f"{'busy':>5} {'locust':>6}  {'worker RSS':>10}  load average"
    )
    for users, w in steps:
        times = w.all_times()
        errors = sum(w.errors.values())
        print(
            f"{users:>6} {w.seconds:>7.0f} {w.count:>8} {w.count / w.seconds:>6.1f} "
            f"{ms(percentile(times, 0.5)):>5} {ms(percentile(times, 0.95)):>5} "
            f"{ms(percentile(times, 0.99)):>5} {ms(max(times, default=float('nan'))):>6} "
            f"{errors:>6}  {per_request_ms(w.server_cpu, w.count):>8} "
            f"{per_request_ms(w.database_cpu, w.count):>8}  {w.machine_busy:>5.0%} "
            f"{w.locust_cpu / w.seconds:>6.0%}  {w.worker_rss_mb:>7.0f} MB  "
            + " ".join(f"{x:.2f}" for x in w.load)
            + ("  (request cap reached)" if w.capped else "")
        )
    print(
        "busy: share of the machine's cores in use (everyone); locust: the load generator's "
        "own CPU, as a share of one core."
    )
    pages = sorted(
        {name for _, w in steps for name in w.times},
        key=lambda n: -sum(len(w.times.get(n, [])) for _, w in steps),
    )
    print()
    print("p50 / p95 per page, ms (share of the requests at the largest step):")
    head = "".join(f"{f'{users} people':>16}" for users, _ in steps)
    print(f"{'page':<14}{'share':>6}{head}")
    last = steps[-1][1]
    for name in pages:
        share = len(last.times.get(name, [])) / max(1, last.count)
        cells = ""
        for _, w in steps:
            times = w.times.get(name, [])
            cells += f"{ms(percentile(times, 0.5)):>8} /{ms(percentile(times, 0.95)):>6}"
        print(f"{name:<14}{share:>6.0%}{cells}")
    failures: Counter[tuple[int, str, str]] = Counter()
    for users, w in steps:
        for (name, message), n in w.errors.items():
            failures[(users, name, message)] += n
    if failures:
        print()
        print("Errors (people, page, error: count):")
        for (users, name, message), n in failures.most_common(15):
            print(f"  {users:>4}  {name:<14} {message}: {n}")


def print_pages(pages: list[tuple[str, Window]], users: int) -> None:
    print()
    print(
        f"Server CPU per request, each page alone ({users} people asking without pause; "
        "CPU ms per request):"
    )
    print(
        f"{'page':<14} {'requests':>8} {'req/s':>6} {'p50':>5} {'p95':>5} {'errors':>6}  "
        f"{'gunicorn':>8} {'postgres':>8} {'both':>6}"
    )
    for name, w in pages:
        times = w.all_times()
        print(
            f"{name:<14} {w.count:>8} {w.count / w.seconds:>6.1f} "
            f"{ms(percentile(times, 0.5)):>5} {ms(percentile(times, 0.95)):>5} "
            f"{sum(w.errors.values()):>6}  {per_request_ms(w.server_cpu, w.count):>8} "
            f"{per_request_ms(w.database_cpu, w.count):>8} "
            f"{per_request_ms(w.server_cpu + w.database_cpu, w.count):>6}"
        )


def print_memory(samples: list[tuple[int, dict]], users: int) -> None:
    """Each worker's resident size through the run, and its growth between the first and the
    last thousand requests (issue 16: none)."""
    print(
        f"\nMemory: gunicorn workers' resident size (MB) after every 1,000 requests of the mix "
        f"({users} people; the 3 workers share the requests):"
    )
    pids = sorted({pid for _n, rss in samples for pid in rss})
    print(f"{'requests':>8}  " + "  ".join(f"{pid:>9}" for pid in pids))
    for count, rss in samples:
        cells = "  ".join(f"{rss[pid]:9.1f}" if pid in rss else f"{'-':>9}" for pid in pids)
        print(f"{count:8d}  {cells}")
    if len(samples) < 2:
        print("Too few samples for a growth figure.")
        return
    (first_n, first), (last_n, last) = samples[0], samples[-1]
    kept = [pid for pid in pids if pid in first and pid in last]
    growth = [last[pid] - first[pid] for pid in kept]
    if not kept:
        print("Every worker was replaced during the run (max_requests): no growth figure.")
        return
    worst = max(growth)
    print(
        f"Growth between request {first_n:,} and {last_n:,}, per worker: "
        + ", ".join(f"{g:+.1f} MB" for g in growth)
        + f" (largest {worst:+.1f} MB, {worst / first[kept[growth.index(worst)]]:+.1%})"
    )


def print_verdicts(steps: list[tuple[int, Window]]) -> None:
    print()
    best = max(steps, key=lambda s: s[1].count / s[1].seconds)
    print(f"Highest throughput: {best[1].count / best[1].seconds:.1f} req/s at {best[0]} people.")
    calm = [
        (u, w)
        for u, w in steps
        if percentile(w.all_times(), 0.95) <= TARGET["p95_ms"] and not w.errors
    ]
    if calm:
        users, w = calm[-1]
        print(
            f"Largest step with p95 <= {TARGET['p95_ms']:.0f} ms and no error: {users} people, "
            f"{w.count / w.seconds:.1f} req/s."
        )
    else:
        print(f"No step had p95 <= {TARGET['p95_ms']:.0f} ms without errors.")
    target = [
        (u, w) for u, w in steps if u == TARGET["users"] and w.seconds >= TARGET["seconds"] - 1
    ]
    if not target:
        print(
            f"Issue 16's target ({TARGET['users']} people for {TARGET['seconds']} s: "
            f">= {TARGET['rps']:.0f} req/s, p95 <= {TARGET['p95_ms']:.0f} ms, 0 errors): not "
            f"measured in this run (it needs --steps ...,{TARGET['users']},... --duration "
            f"{TARGET['seconds']})."
        )
        return
    w = target[0][1]
    rps, p95 = w.count / w.seconds, percentile(w.all_times(), 0.95)
    met = rps >= TARGET["rps"] and p95 <= TARGET["p95_ms"] and not w.errors
    print(
        f"Issue 16's target at {TARGET['users']} people over {w.seconds:.0f} s: {rps:.1f} req/s, "
        f"p95 {p95:.0f} ms, {sum(w.errors.values())} errors: {'MET' if met else 'NOT MET'}"
    )


# --- main -----------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50, help="people, when --steps is not given")
    parser.add_argument(
        "--steps", help="people per step, comma-separated (e.g. 50,100,200,400); default --users"
    )
    parser.add_argument("--duration", type=float, default=60, help="measured seconds per step")
    parser.add_argument(
        "--max-requests",
        type=int,
        default=0,
        help="requests per step or phase at most (default: 1,000 per measured second)",
    )
    parser.add_argument("--data", choices=("demo", "generated"), default="demo")
    parser.add_argument("--people", type=int, default=10_000, help="--data generated: people")
    parser.add_argument("--posts", type=int, default=1_000_000, help="--data generated: posts")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep generated data and collected static files from an earlier run",
    )
    parser.add_argument(
        "--database-url",
        help=f"a database of its own, created if missing (default: {DEFAULT_DATABASE} on the "
        f"DATABASE_URL server, or on {DEFAULT_SERVER})",
    )
    parser.add_argument(
        "--redis-url", default=DEFAULT_REDIS, help=f"cache and broker (default {DEFAULT_REDIS})"
    )
    parser.add_argument("--warmup", type=float, default=10, help="unmeasured seconds first")
    parser.add_argument(
        "--page-seconds",
        type=float,
        default=8,
        help="seconds per page alone, for its server CPU (0: skip those phases)",
    )
    parser.add_argument("--page-users", type=int, default=4, help="people in the per-page phases")
    parser.add_argument(
        "--pages", help="the per-page phases to run, comma-separated names (default: all)"
    )
    parser.add_argument(
        "--pin-locust",
        type=int,
        metavar="CPU",
        help="pin the load generator to this core (os.sched_setaffinity); the server's "
        "processes keep every core",
    )
    parser.add_argument(
        "--memory-requests",
        type=int,
        default=0,
        help="after the steps, run the mix for this many requests and print the workers' "
        "resident size every 1,000 (issue 16: 10000); 0 skips it",
    )
    parser.add_argument(
        "--memory-users", type=int, default=50, help="people during the memory phase"
    )
    parser.add_argument("--prepare", help=argparse.SUPPRESS)  # the child's plan path
    args = parser.parse_args(argv)
    args.steps = [int(s) for s in args.steps.split(",")] if args.steps else [args.users]
    if min(args.steps) < 1 or args.duration <= 0:
        parser.error("steps need at least one person and a positive --duration")
    args.database_url = database_url(args.database_url)
    if not args.max_requests:
        args.max_requests = int(1000 * max(args.duration, args.page_seconds, 1))
    return args


def prepare_in_child(args: argparse.Namespace, plan_path: Path, env: dict[str, str]) -> dict:
    command = [sys.executable, __file__, "--prepare", str(plan_path), "--data", args.data]
    command += ["--people", str(args.people), "--posts", str(args.posts)]
    command += ["--steps", ",".join(map(str, args.steps)), "--database-url", args.database_url]
    command += ["--redis-url", args.redis_url] + (["--reuse"] if args.reuse else [])
    child_env = {**env, "LOG_FORMAT": "text"}
    subprocess.run(command, cwd=ROOT, env=child_env, check=True)  # noqa: S603
    return json.loads(plan_path.read_text(encoding="utf-8"))


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.prepare:
        for path in (ROOT, ROOT / "bench" / "load"):
            sys.path.insert(0, str(path))
        prepare(args, Path(args.prepare))
        return

    # Locust patches sockets, ssl and threads with gevent when imported: first, before
    # anything imports them.
    import locust  # noqa: F401
    import psutil

    started = time.monotonic()
    WORK.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = production_env(args, port)
    database = urlsplit(args.database_url).path.lstrip("/")
    print(f"Preparing {database} ({args.data} data) with Redis {args.redis_url} ...", flush=True)
    plan = prepare_in_child(args, WORK / "plan.json", env)

    settings = gunicorn_settings(env)
    server = Server(env, WORK / "gunicorn.log")
    load = None

    def stop_on_signal(signum, frame):  # SIGTERM: leave through the finally below
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop_on_signal)
    try:
        server.start()
        host = f"http://127.0.0.1:{port}"
        wait_until_ready(server, f"{host}/readyz")
        master = psutil.Process(server.pid)
        workers = master.children()
        if args.pin_locust is not None:
            os.sched_setaffinity(0, {args.pin_locust})
        load = Load(host, server.pid, database, plan)
        print_setup(args, settings, workers, plan, database, load.locustfile.THINK_SECONDS)
        if args.warmup > 0:
            print(f"Warming up: {min(args.steps)} people for {args.warmup:.0f} s ...", flush=True)
            load.run(min(args.steps), args.warmup, args.max_requests)
        steps = []
        for users in args.steps:
            print(f"Step: {users} people for {args.duration:.0f} s ...", flush=True)
            steps.append((users, load.run(users, args.duration, args.max_requests)))
        pages = []
        if args.page_seconds > 0:
            print(
                f"Each page alone, {args.page_users} people without pause, "
                f"{args.page_seconds:.0f} s each ...",
                flush=True,
            )
            for name in args.pages.split(",") if args.pages else load.locustfile.PAGES:
                # 2 s unmeasured first: a worker's first publish builds the language detector.
                window = load.run(
                    args.page_users, args.page_seconds, args.max_requests, only=name, settle=2
                )
                pages.append((name, window))
        memory = []
        if args.memory_requests:
            print(
                f"Memory: the mix with {args.memory_users} people for {args.memory_requests} "
                "requests ...",
                flush=True,
            )
            server.fresh_workers(len(workers))
            memory = load.memory(args.memory_users, args.memory_requests)
        print_steps(steps)
        if pages:
            print_pages(pages, args.page_users)
        if memory:
            print_memory(memory, args.memory_users)
        print_verdicts(steps)
        print(f"\nWhole run: {time.monotonic() - started:.0f} s.")
    finally:
        if load is not None:
            load.quit()
        server.stop()
        print_queue(args.redis_url)


def print_setup(
    args, settings: dict, workers: list, plan: dict, database: str, think_seconds: tuple
) -> None:
    data = plan["data"]
    print()
    print(
        f"Data: {args.data}, {data['people']} people, {data['posts']} posts, "
        f"{data['comments']} comments ({database}); {len(plan['sessions'])} signed-in accounts "
        f"for up to {max(args.steps)} simulated people."
    )
    print(
        "gunicorn -c gunicorn.conf.py esn.wsgi:application: "
        + ", ".join(f"{k}={v}" for k, v in settings.items())
        + f"; {len(workers)} workers running."
    )
    print(
        "Production settings: DEBUG=0, ALLOWED_HOSTS=127.0.0.1, CACHE_USE_REDIS=1, "
        "LOG_FORMAT=json (level WARNING), access log off, static files collected "
        "(whitenoise, manifest); https-only switches off (plain loopback HTTP); "
        "RATE_LIMIT_REQUESTS_PER_MINUTE=1000000; no Celery worker."
    )
    cores = os.cpu_count()
    pinned = (
        f"the load generator pinned to core {args.pin_locust} (os.sched_setaffinity), the server "
        "unpinned"
        if args.pin_locust is not None
        else "no pinning"
    )
    print(
        f"Cores: {cores}, shared by gunicorn, PostgreSQL, Redis and the load generator (one "
        f"process, gevent: at most one core); {pinned}. Loopback only. Load average at start: "
        + " ".join(f"{x:.2f}" for x in os.getloadavg())
    )
    think = "-".join(f"{s:g}" for s in think_seconds)
    print(f"Think time between a person's actions: {think} s, uniform.")
    print(flush=True)


def print_queue(redis_url: str) -> None:
    """Tasks the requests queued (inbox events) wait for a worker: their count, for the record."""
    try:
        import redis

        queued = redis.Redis.from_url(redis_url, socket_timeout=2).llen("celery")
    except Exception as exc:  # only a note at the end; the figures are printed already
        print(f"Celery queue length unknown ({exc}).")
        return
    print(f"Celery tasks waiting in {redis_url} (no worker runs here): {queued}.")


MARK = "Load bench:"  # bench/load/locustfile.py writes it at the start of every post and comment

if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:  # gunicorn is stopped already (main's finally)
        sys.exit("Interrupted.")
