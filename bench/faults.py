"""Fault benchmark (issue 16, "calm when things fail"). Run by hand, never by `make test`.

    python bench/faults.py [--scenario all|digests|redis|postgres] [--people 1000]
                           [--outage-seconds 300]

It starts its own Redis (redis-server on a port of its own, no persistence) and, for the
PostgreSQL scenario, its own PostgreSQL cluster (initdb, pg_ctl), because it stops and
restarts them. It never touches another server's process. The digests and Redis scenarios
use a database of their own (`--database-url`, default esn_bench_faults) on the usual
server; the PostgreSQL scenario uses one in the private cluster.

- digests: `--people` due people, each with a digest and an unread mention. Real
  `celery worker` and `celery beat` processes (bench/faults_settings.py: the site's beat
  schedule, every 2 s) send the round into Django's file email backend; what they wrote is
  read back and counted per recipient. One round each: the worker SIGKILLed at 10 %, 50 % and
  90 % of the round and a new one started; two beat processes at once; Redis stopped for
  `--outage-seconds` in the middle of the round and started again (empty).
- redis: gunicorn with production settings (shared Redis cache and sessions), a worker and
  beat; one signed-in person publishes, comments and reads Home in a loop while Redis is up,
  down for `--outage-seconds`, and up again. Latency and errors per phase, then what the
  requests of the outage told people once Redis is back.
- postgres: gunicorn and a worker against the private cluster; Home and publishing in a loop
  while `pg_ctl restart` runs. The window of failed requests against the restart's length,
  then a Celery task enqueued after the restart.

Everything runs on loopback, every loop is bounded in time and count, and every process the
script starts is stopped on the way out. See bench/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import email
import math
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from email import policy
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
# This file's folder holds bench/digests.py: keep it off the path so `import digests` finds
# the app.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT_DATABASE = "esn_bench_faults"
DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432/"
PREFIX = "faults_"
WORK = ROOT / "var" / "bench-faults"
SEPARATOR = re.compile(rb"^-{79}$", re.MULTILINE)  # between messages in the file backend
CSRF_HEADER = re.compile(r"hx-headers='\{\"X-CSRFToken\": \"([^\"]+)\"\}'")
FILE_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
SESSION_BACKEND = "people.backends.AccountBackend"
PG_BIN = sorted(Path("/usr/lib/postgresql").glob("*/bin"))


def say(message: str = "") -> None:
    print(message, flush=True)


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def nearest_rank(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)] if ordered else float("nan")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(condition, what: str, timeout: float, every: float = 0.2):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            return None
        time.sleep(every)


# --- servers the script owns -----------------------------------------------------------------


class PrivateRedis:
    """redis-server on a port of its own, without persistence: a restart comes back empty, as
    a lost Redis would (everything queued on it is gone)."""

    def __init__(self, port: int, workdir: Path) -> None:
        self.port = port
        self.workdir = workdir
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603
            [
                shutil.which("redis-server") or "redis-server",
                "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
                "no", "--dir", str(self.workdir),
            ],
            stdout=(self.workdir / "redis.log").open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        if not wait_for(self.answers, "redis", 10, 0.05):
            raise SystemExit(f"redis-server on port {self.port} did not start")

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


class PrivateCluster:
    """A PostgreSQL cluster of the script's own (initdb once into `directory`), so it can be
    restarted without stopping anyone else's server. As root, it runs as `postgres`."""

    def __init__(self, directory: Path, port: int) -> None:
        if not PG_BIN:
            raise SystemExit("no /usr/lib/postgresql/*/bin: install PostgreSQL's server package")
        self.bin = PG_BIN[-1]
        self.directory = directory
        self.data = directory / "data"
        self.port = port

    def _run(self, *command: str, check: bool = True) -> subprocess.CompletedProcess:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        return subprocess.run(  # noqa: S603
            [*prefix, *command], check=check, capture_output=True, text=True
        )

    def init(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.directory, "postgres", "postgres")
        if not (self.data / "PG_VERSION").exists():
            self._run(str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U",
                      "postgres", "--no-sync")  # fmt: skip

    def _ctl(self, action: str, *extra: str) -> None:
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1"
        result = self._run(
            str(self.bin / "pg_ctl"), action, "-D", str(self.data), "-w", "-t", "60",
            "-l", str(self.directory / "server.log"), "-o", options, *extra, check=False,
        )  # fmt: skip
        if result.returncode != 0 and action != "stop":
            raise SystemExit(f"pg_ctl {action} failed: {result.stdout}{result.stderr}")

    def start(self) -> None:
        self._ctl("start")

    def restart(self) -> None:
        self._ctl("restart", "-m", "fast")

    def stop(self) -> None:
        self._ctl("stop", "-m", "fast")

    def url(self, name: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"


def create_database(url: str) -> None:
    import psycopg2

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    conn = psycopg2.connect(admin)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if not cur.fetchone():
            cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()


# --- Celery and gunicorn processes -----------------------------------------------------------


class Child:
    """A process in a session of its own, so a SIGKILL to its group takes the prefork pool's
    children with it, as the OOM killer or a lost machine would."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], log: Path) -> None:
        self.name = name
        self.log_path = log
        self.process = subprocess.Popen(  # noqa: S603
            command,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self, grace: float = 20) -> None:
        if not self.alive():
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            self.kill()


class Processes:
    """Every child process of a scenario, stopped on the way out whatever happens."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env = env
        self.logs = logs
        self.children: list[Child] = []
        self._count = Counter()

    def _start(self, kind: str, command: list[str], env: dict[str, str] | None = None) -> Child:
        self._count[kind] += 1
        name = f"{kind}-{self._count[kind]}"
        child = Child(name, command, {**self.env, **(env or {})}, self.logs / f"{name}.log")
        self.children.append(child)
        return child

    def worker(self) -> Child:
        # As docker-compose.yml runs it.
        return self._start(
            "worker",
            [sys.executable, "-m", "celery", "-A", "esn", "worker", "--loglevel=INFO",
             "--concurrency=2", "-n", f"faults-{os.getpid()}-{self._count['worker'] + 1}@%h"],
        )  # fmt: skip

    def beat(self) -> Child:
        number = self._count["beat"] + 1
        return self._start(
            "beat",
            [sys.executable, "-m", "celery", "-A", "esn", "beat", "--loglevel=INFO",
             f"--schedule={self.logs / f'beat-{number}.schedule'}",
             f"--pidfile={self.logs / f'beat-{number}.pid'}"],
        )  # fmt: skip

    def gunicorn(self, port: int, env: dict[str, str]) -> Child:
        return self._start(
            "gunicorn",
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "esn.wsgi:application"],
            {**env, "GUNICORN_BIND": f"127.0.0.1:{port}"},
        )

    def stop_all(self) -> None:
        for child in reversed(self.children):
            child.stop()
        self.children.clear()


def child_env(database_url: str, redis_url: str, mail_dir: Path, lease: int) -> dict[str, str]:
    from django.conf import settings

    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY_FILE"}}
    env.update(
        DJANGO_SETTINGS_MODULE="bench.faults_settings",
        DEBUG="0",
        SECRET_KEY=settings.SECRET_KEY,
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        CACHE_USE_REDIS="1",
        EMAIL_BACKEND=FILE_BACKEND,
        EMAIL_FILE_PATH=str(mail_dir),
        DIGEST_CLAIM_LEASE_SECONDS=str(lease),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        LOG_FORMAT="json",
        PYTHONUNBUFFERED="1",
        PYTHONPATH=str(ROOT),
    )
    return env


# --- what the workers mailed -----------------------------------------------------------------


@dataclass
class Mailbox:
    digests: Counter = field(default_factory=Counter)
    unread: Counter = field(default_factory=Counter)


def read_mailbox(directory: Path) -> Mailbox:
    """Every message the file backend wrote, by kind and recipient."""
    box = Mailbox()
    for path in sorted(directory.glob("*.log")):
        for raw in SEPARATOR.split(path.read_bytes()):
            raw = raw.strip(b"\n")
            if not raw:
                continue
            message = email.message_from_bytes(raw, policy=policy.default)
            to = str(message["To"])
            if message["X-ESN-Digest"]:
                box.digests[to] += 1
            elif str(message["Message-ID"] or "").startswith("<unread-"):
                box.unread[to] += 1
    return box


def duplicates_and_missed(counts: Counter, expected: set[str]) -> tuple[int, int, int]:
    delivered = sum(counts.values())
    duplicates = sum(n - 1 for n in counts.values() if n > 1)
    missed = len(expected - set(counts))
    return delivered, duplicates, missed


# --- data ------------------------------------------------------------------------------------


def prepare_database(url: str) -> None:
    """Migrate, then empty it: a database that holds anyone the script did not make is
    refused."""
    from django.core.management import call_command

    from people.models import User

    call_command("migrate", interactive=False, verbosity=0)
    strangers = User.objects.exclude(username__startswith=PREFIX).count()
    if strangers:
        raise SystemExit(
            f"{url} holds {strangers} people this script did not make: use a database of its "
            "own (--database-url)."
        )
    call_command("flush", interactive=False, verbosity=0)


def make_people(count: int, *, seen_days_ago: int = 30) -> list:
    from datetime import timedelta

    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from people.models import User

    seen = timezone.now() - timedelta(days=seen_days_ago)
    password = make_password(None)
    User.objects.bulk_create(
        [
            User(
                username=f"{PREFIX}u{n:05d}",
                first_name="Fault",
                last_name=f"Person {n}",
                email=f"{PREFIX}u{n:05d}@example.com",
                password=password,
                last_seen_at=seen,
            )
            for n in range(1, count + 1)
        ]
    )
    return list(User.objects.filter(username__startswith=f"{PREFIX}u").order_by("pk"))


def make_author(name: str = "author"):
    from django.contrib.auth.hashers import make_password

    from people.models import User

    return User.objects.create(
        username=f"{PREFIX}{name}",
        first_name="Ann",
        last_name="Author",
        email=f"{PREFIX}{name}@example.com",
        password=make_password(None),
    )


def signed_in(person) -> str:
    """A session for `person`, made in the database as a sign-in would (no form, no lock)."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    store = SessionStore()
    store[SESSION_KEY] = str(person.pk)
    store[BACKEND_SESSION_KEY] = SESSION_BACKEND
    store[HASH_SESSION_KEY] = person.get_session_auth_hash()
    store.create()
    return store.session_key


def site_for_digests(delay_minutes: int = 30) -> None:
    from digests.models import Frequency, SiteSettings

    site = SiteSettings.current()
    site.digest_frequency = Frequency.DAILY
    site.send_hour = 0  # due whenever the round runs
    site.unread_email = True
    site.unread_email_delay = delay_minutes
    site.save()


def mention_everyone(author, people: list, *, per_post: int = 50, hours_ago: int = 2) -> None:
    """One unread mention for each person, old enough to be emailed."""
    from datetime import timedelta

    from django.utils import timezone

    from digests import services as inbox
    from digests.models import InboxItem
    from posts import services as post_services

    saved, inbox.hand_to_worker = inbox.hand_to_worker, inbox.deliver_event
    try:
        for start in range(0, len(people), per_post):
            names = " ".join(f"@{p.username}" for p in people[start : start + per_post])
            post_services.create_post(author=author, body=f"Please read this, {names}")
    finally:
        inbox.hand_to_worker = saved
    InboxItem.objects.update(timestamp=timezone.now() - timedelta(hours=hours_ago))


# --- scenario 1: digests and unread emails ---------------------------------------------------


@dataclass
class RoundResult:
    name: str
    seconds: float
    digests: tuple[int, int, int]
    unread: tuple[int, int, int]
    note: str = ""
    ledger: dict = field(default_factory=dict)


class DigestRig:
    def __init__(self, args, redis: PrivateRedis, database_url: str) -> None:
        self.args = args
        self.redis = redis
        self.database_url = database_url
        self.rounds = 0
        self.expected: set[str] = set()
        self.runs_expected = 0

    def generate(self) -> None:
        from digests.models import SiteSettings
        from people.models import Follow
        from posts import services as post_services

        started = time.perf_counter()
        prepare_database(self.database_url)
        site_for_digests()
        author = make_author()
        people = make_people(self.args.people)
        Follow.objects.bulk_create([Follow(follower=p, followee=author) for p in people])
        for n in range(1, 4):
            post_services.create_post(author=author, body=f"News number {n} for everyone")
        mention_everyone(author, people)
        SiteSettings.load()
        self.expected = {p.email for p in people}
        self.runs_expected = len(people) + 1  # and the author's (nothing new for them: empty)
        say(
            f"Data: {len(people)} people following one author, 3 new posts, one unread "
            f"mention each (2 h old; the site mails unread mentions after 30 min); daily "
            f"digests due now. {time.perf_counter() - started:.1f} s."
        )

    def reset(self) -> None:
        from digests.models import DigestRun, InboxItem, UnreadEmailSent

        DigestRun.objects.all().delete()
        UnreadEmailSent.objects.all().delete()
        InboxItem.objects.update(emailed_at=None, unread=True)

    def progress(self) -> int:
        """Digests and unread emails marked sent in the ledgers (only for choosing when to
        strike; the figures come from the mailbox)."""
        from digests.models import DigestRun, UnreadEmailSent

        sent = DigestRun.objects.filter(status=DigestRun.Status.SENT).count()
        return sent + UnreadEmailSent.objects.count()

    def settled(self) -> bool:
        from django.db import close_old_connections

        from digests.models import DigestRun, InboxItem

        close_old_connections()
        final = (
            DigestRun.Status.SENT,
            DigestRun.Status.EMPTY,
            DigestRun.Status.SKIPPED,
            DigestRun.Status.FAILED,
        )
        runs = DigestRun.objects.count()
        open_runs = DigestRun.objects.exclude(status__in=final).exists()
        unmailed = InboxItem.objects.filter(
            unread=True, emailed_at__isnull=True, kind__in=InboxItem.ADDRESSED_KINDS
        ).exists()
        return runs >= self.runs_expected and not open_runs and not unmailed

    def ledger(self) -> dict:
        from django.db.models import Count

        from digests.models import DigestRun

        return dict(DigestRun.objects.values_list("status").annotate(n=Count("pk")).order_by())

    def round(
        self,
        name: str,
        *,
        beats: int = 1,
        kill_at: float | None = None,
        outage_at: float | None = None,
    ) -> RoundResult:
        self.rounds += 1
        self.reset()
        mail_dir = WORK / f"round-{self.rounds}" / "mail"
        shutil.rmtree(mail_dir.parent, ignore_errors=True)
        mail_dir.mkdir(parents=True)
        env = child_env(self.database_url, self.redis.url, mail_dir, self.args.lease_seconds)
        processes = Processes(env, mail_dir.parent)
        total = 2 * len(self.expected)
        note = ""
        say(f"\n[{name}] load average {load_average()}")
        started = time.monotonic()
        try:
            worker = processes.worker()
            for _ in range(beats):
                processes.beat()
            strike = kill_at if kill_at is not None else outage_at
            if strike is not None:
                target = math.ceil(total * strike)
                reached = wait_for(lambda: self.progress() >= target, "progress", 300, 0.02)
                at = self.progress()
                if not reached:
                    note = f"never reached {target} sent; "
                if kill_at is not None:
                    worker.kill()
                    note += f"worker SIGKILLed at {at}/{total} sent (+{time.monotonic() - started:.1f} s); "
                    processes.worker()
                else:
                    self.redis.stop()
                    down = time.monotonic()
                    note += f"Redis stopped at {at}/{total} sent (+{down - started:.1f} s); "
                    time.sleep(self.args.outage_seconds)
                    self.redis.start()
                    note += f"back after {time.monotonic() - down:.0f} s with {self.progress()}/{total} sent; "
            limit = self.args.lease_seconds + 240
            done = wait_for(self.settled, "the round", limit, 0.5)
            seconds = time.monotonic() - started
            if not done:
                note += f"ledger not settled after {limit} s; "
            # Beat and the worker go on a while: anything sent twice late shows up too.
            time.sleep(self.args.settle_seconds)
        finally:
            processes.stop_all()
            if not self.redis.answers():
                self.redis.start()
        box = read_mailbox(mail_dir)
        result = RoundResult(
            name,
            seconds,
            duplicates_and_missed(box.digests, self.expected),
            duplicates_and_missed(box.unread, self.expected),
            note.rstrip("; "),
            self.ledger(),
        )
        say(f"  {result.note or 'no fault injected'}")
        say(
            f"  {seconds:.1f} s; digests sent {result.digests[0]}, duplicates "
            f"{result.digests[1]}, missed {result.digests[2]}; unread emails sent "
            f"{result.unread[0]}, duplicates {result.unread[1]}, missed {result.unread[2]}; "
            f"ledger {result.ledger}; load average {load_average()}"
        )
        return result


def scenario_digests(args, redis: PrivateRedis, database_url: str) -> bool:
    say(f"== Digests and unread-mention emails: {args.people} due people ==")
    rig = DigestRig(args, redis, database_url)
    rig.generate()
    results = [rig.round("no fault (baseline)")]
    results += [
        rig.round(f"worker SIGKILLed at {share:.0%}", kill_at=share) for share in (0.1, 0.5, 0.9)
    ]
    results.append(rig.round("two beat processes at once", beats=2))
    results.append(rig.round(f"Redis stopped {args.outage_seconds} s mid-round", outage_at=0.3))
    say(
        f"\nDigests and unread-mention emails, {args.people} due people (each should get "
        "exactly one of each), counted from the files the workers wrote:"
    )
    say(
        f"{'scenario':<36} {'seconds':>7}  {'digests':>7} {'dup':>4} {'missed':>6}  "
        f"{'unread':>6} {'dup':>4} {'missed':>6}"
    )
    ok = True
    for r in results:
        say(
            f"{r.name:<36} {r.seconds:7.1f}  {r.digests[0]:7d} {r.digests[1]:4d} "
            f"{r.digests[2]:6d}  {r.unread[0]:6d} {r.unread[1]:4d} {r.unread[2]:6d}"
        )
        ok = ok and r.digests[1:] == (0, 0) and r.unread[1:] == (0, 0)
    say(f"Duplicates 0 and missed 0 in every scenario: {'yes' if ok else 'NO'}")
    return ok


# --- web requests ----------------------------------------------------------------------------


@dataclass
class Sample:
    op: str
    started: float
    seconds: float
    status: int  # 0: no answer
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status == 200


class Browser:
    """One signed-in person, as htmx would ask (bench/load/locustfile.py does the same)."""

    def __init__(self, base: str, cookie_name: str, session_key: str) -> None:
        import requests

        self.base = base
        self.http = requests.Session()
        self.http.cookies.set(cookie_name, session_key, domain="127.0.0.1", path="/")
        self.csrf = ""
        self.samples: list[Sample] = []
        self.lock = threading.Lock()

    def _send(self, op: str, method: str, path: str, **kwargs) -> str:
        import requests

        started = time.monotonic()
        status, error, text = 0, "", ""
        try:
            response = self.http.request(
                method, self.base + path, allow_redirects=False, timeout=30, **kwargs
            )
            status, text = response.status_code, response.text
            if status != 200:
                error = f"HTTP {status} {response.headers.get('Location', '')}".strip()
        except requests.RequestException as exc:
            error = type(exc).__name__
        sample = Sample(op, started, time.monotonic() - started, status, error)
        with self.lock:
            self.samples.append(sample)
        token = CSRF_HEADER.search(text)
        if token:
            self.csrf = token.group(1)
        return text if status == 200 else ""

    def home(self) -> str:
        return self._send("read home", "GET", "/")

    def publish(self, body: str) -> str:
        return self._send(
            "publish", "POST", "/posts/new/", data={"body": body, "next": "/"},
            headers={"HX-Request": "true", "X-CSRFToken": self.csrf},
        )  # fmt: skip

    def comment(self, post_id: int, body: str) -> str:
        return self._send(
            "comment", "POST", f"/posts/{post_id}/comments/", data={"body": body},
            headers={"HX-Request": "true", "X-CSRFToken": self.csrf},
        )  # fmt: skip


def latency_table(samples: list[Sample], phases: list[tuple[str, float, float]]) -> list[str]:
    lines = [
        f"{'phase':<28} {'operation':<10} {'requests':>8} {'p50 ms':>7} {'p99 ms':>7} "
        f"{'max ms':>7} {'errors':>6}"
    ]
    for phase, start, end in phases:
        inside = [s for s in samples if start <= s.started < end]
        for op in ("publish", "comment", "read home", "all"):
            chosen = inside if op == "all" else [s for s in inside if s.op == op]
            if not chosen and op != "all":
                continue
            times = [s.seconds * 1000 for s in chosen]
            errors = sum(not s.ok for s in chosen)
            lines.append(
                f"{phase:<28} {op:<10} {len(chosen):8d} {nearest_rank(times, 0.5):7.0f} "
                f"{nearest_rank(times, 0.99):7.0f} {max(times, default=float('nan')):7.0f} "
                f"{errors:6d}"
            )
    return lines


def web_env(database_url: str, redis_url: str, static_root: Path, mail_dir: Path) -> dict:
    from tests.servers import PLAIN_HTTP

    env = child_env(database_url, redis_url, mail_dir, 600)
    env.update(PLAIN_HTTP)
    env.update(
        DJANGO_SETTINGS_MODULE="esn.settings",
        STATIC_ROOT=str(static_root),
        GUNICORN_ACCESS_LOG="",
        WEB_CONCURRENCY="2",
        GUNICORN_THREADS="4",
        RATE_LIMIT_REQUESTS_PER_MINUTE="100000",
    )
    return env


def collected_static() -> Path:
    target = WORK / "static"
    if not (target / "staticfiles.json").exists():
        from tests.servers import collect_static

        collect_static(target)
    return target


def start_web(processes: Processes, env: dict) -> str:
    import requests

    port = free_port()
    server = processes.gunicorn(port, env)
    base = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        if not server.alive():
            raise SystemExit(f"gunicorn exited: see {server.log_path}")
        try:
            return requests.get(base + "/readyz", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    if not wait_for(ready, "gunicorn", 60, 0.3):
        raise SystemExit(f"gunicorn never became ready: see {server.log_path}")
    return base


def web_people(count: int = 5):
    from people.models import Follow
    from posts import services as post_services

    author = make_author()
    people = make_people(count, seen_days_ago=0)
    person = people[0]
    Follow.objects.bulk_create([Follow(follower=p, followee=author) for p in people])
    target = post_services.create_post(author=author, body="Tell us how your week went")
    for n in range(1, 21):
        post_services.create_post(author=author, body=f"Post {n} for the home feed")
    return author, people, person, target


def act(browser: Browser, cycle: int, *, mention: str, post_id: int) -> None:
    browser.publish(f"Fault bench post {cycle}, for @{mention}")
    browser.comment(post_id, f"Fault bench comment {cycle}")
    browser.home()


# --- scenario 2: Redis down under a web server -----------------------------------------------


def web_rig(database_url: str, redis_url: str, name: str):
    """What the web scenarios share: the data, a signed-in person, the collected static files,
    a mail folder and the environment of the production processes they start."""
    prepare_database(database_url)
    author, people, person, target = web_people()
    session = signed_in(person)
    static_root = collected_static()
    run_dir = WORK / name
    shutil.rmtree(run_dir, ignore_errors=True)
    (run_dir / "mail").mkdir(parents=True)
    env = web_env(database_url, redis_url, static_root, run_dir / "mail")
    return author, people, person, target, session, env, Processes(env, run_dir)


def scenario_redis(args, redis: PrivateRedis, database_url: str) -> bool:
    from django.conf import settings
    from django.db import close_old_connections
    from django.utils import timezone

    from digests.models import InboxEvent, InboxItem
    from posts.models import Comment, Post

    say(f"\n== Redis stopped for {args.outage_seconds} s under a production web server ==")
    say(f"load average {load_average()}")
    author, people, person, target, session, env, processes = web_rig(
        database_url, redis.url, "redis"
    )
    ok = True
    try:
        base = start_web(processes, env)
        processes.worker()
        processes.beat()
        browser = Browser(base, settings.SESSION_COOKIE_NAME, session)
        if not browser.home() or not browser.csrf:
            raise SystemExit("the signed-in Home did not answer 200 with a CSRF token")
        mention = people[1].username
        cycle = 0
        pause = 0.25
        max_requests = 6000

        def loop(seconds: float) -> tuple[float, float]:
            nonlocal cycle
            start = time.monotonic()
            while time.monotonic() - start < seconds and len(browser.samples) < max_requests:
                cycle += 1
                act(browser, cycle, mention=mention, post_id=target.pk)
                time.sleep(pause)
            return start, time.monotonic()

        before = loop(args.web_phase_seconds)
        redis.stop()
        down_wall = timezone.now()
        outage = loop(args.outage_seconds)
        redis.start()
        up_wall = timezone.now()
        up = time.monotonic()
        after = loop(args.web_phase_seconds)
        phases = [
            ("Redis up (before)", *before),
            (f"Redis down ({args.outage_seconds} s)", *outage),
            ("Redis back (after)", *after),
        ]
        for line in latency_table(browser.samples, phases):
            say(line)
        during = [s for s in browser.samples if outage[0] <= s.started < outage[1]]
        p99 = nearest_rank([s.seconds for s in during], 0.99)
        errors = sum(not s.ok for s in during)
        kinds = Counter(s.error for s in during if not s.ok)
        say(
            f"During the outage: {len(during)} requests, p99 {p99 * 1000:.0f} ms (target <= 2000 "
            f"ms), errors {errors} (target 0){' ' + str(dict(kinds)) if kinds else ''}"
        )
        ok = p99 <= 2.0 and errors == 0

        # What the requests of the outage recorded, and whether it reached people afterwards.
        close_old_connections()
        posts = Post.objects.filter(created_at__gte=down_wall, created_at__lt=up_wall)
        comments = Comment.objects.filter(created_at__gte=down_wall, created_at__lt=up_wall)
        events = InboxEvent.objects.filter(created_at__gte=down_wall, created_at__lt=up_wall)
        recorded = events.count()

        def all_delivered() -> bool:
            close_old_connections()
            return not events.filter(delivered_at__isnull=True).exists()

        delivered_in = wait_for(all_delivered, "delivery", args.delivery_timeout, 1.0)
        took = time.monotonic() - up
        mentions = InboxItem.objects.filter(kind="mention", post__in=posts).count()
        replies = InboxItem.objects.filter(kind="reply", comment__in=comments).count()
        delivered = events.filter(delivered_at__isnull=False).count()
        say(
            f"Recorded while Redis was down: {posts.count()} posts, {comments.count()} comments, "
            f"{recorded} inbox events."
        )
        say(
            f"After Redis came back: {delivered}/{recorded} events delivered "
            + (f"within {took:.0f} s" if delivered_in else f"(gave up after {took:.0f} s)")
            + f"; inbox rows made: {mentions} mentions (one per post published), {replies} "
            "replies (one per comment, to the post's author)."
        )
        ok = ok and bool(delivered_in) and mentions == posts.count()
        ok = ok and replies == comments.count()
    finally:
        processes.stop_all()
    say(f"load average {load_average()}")
    return ok


# --- scenario 3: PostgreSQL restarted under load ---------------------------------------------


def scenario_postgres(args, redis: PrivateRedis, cluster: PrivateCluster, database_url: str):
    from django.conf import settings
    from django.db import close_old_connections, transaction

    from digests import services as inbox
    from digests import tasks
    from digests.models import InboxEvent

    say("\n== PostgreSQL restarted under load (pg_ctl restart -m fast) ==")
    say(f"load average {load_average()}")
    author, people, person, target, session, env, processes = web_rig(
        database_url, redis.url, "postgres"
    )

    def recorded_event(label: str) -> int:
        """An inbox event made here, handed to the worker by this process."""
        close_old_connections()
        saved, inbox.hand_to_worker = inbox.hand_to_worker, None
        try:
            with transaction.atomic():
                event = inbox.record(
                    inbox.person_followed, follower_id=people[2].pk, followee_id=person.pk
                )
        finally:
            inbox.hand_to_worker = saved
        tasks.deliver_inbox_event.delay(event.pk)
        return event.pk

    def delivered(pk: int) -> InboxEvent | None:
        close_old_connections()
        return InboxEvent.objects.filter(pk=pk, delivered_at__isnull=False).first()

    ok = True
    try:
        base = start_web(processes, env)
        processes.worker()
        browser = Browser(base, settings.SESSION_COOKIE_NAME, session)
        if not browser.home() or not browser.csrf:
            raise SystemExit("the signed-in Home did not answer 200 with a CSRF token")
        # The worker holds a database connection from a task before the restart.
        first = recorded_event("before")
        if not wait_for(lambda: delivered(first), "delivery", 60, 0.2):
            raise SystemExit("the worker did not deliver an event before the restart")

        stop = threading.Event()
        mention = people[1].username

        def load() -> None:
            cycle = 0
            while not stop.is_set() and len(browser.samples) < 20_000:
                cycle += 1
                browser.publish(f"Restart bench post {cycle}, for @{mention}")
                browser.home()
                time.sleep(0.05)

        thread = threading.Thread(target=load, daemon=True)
        thread.start()
        time.sleep(args.web_phase_seconds)
        restart_start = time.monotonic()
        cluster.restart()
        restart_end = time.monotonic()
        time.sleep(args.web_phase_seconds)
        stop.set()
        thread.join(timeout=60)

        samples = browser.samples
        failed = [s for s in samples if not s.ok]
        restart = restart_end - restart_start
        say(f"pg_ctl restart -m fast took {restart:.2f} s; {len(samples)} requests in all.")
        phases = [
            ("before the restart", 0.0, restart_start),
            ("during the restart", restart_start, restart_end),
            ("after the restart", restart_end, float("inf")),
        ]
        for line in latency_table(samples, phases):
            say(line)
        if failed:
            first_fail = min(s.started for s in failed)
            last_fail = max(s.started + s.seconds for s in failed)
            window = last_fail - first_fail
            late = [s for s in failed if s.started >= restart_end]
            say(
                f"Failed requests: {len(failed)} ({dict(Counter(s.error for s in failed))}), "
                f"from {first_fail - restart_start:+.2f} s to {last_fail - restart_start:+.2f} s "
                f"of the restart's start: a window of {window:.2f} s against a restart of "
                f"{restart:.2f} s; {len(late)} failed requests started after the restart ended."
            )
            ok = window <= restart + 0.5 and not late
        else:
            say(f"Failed requests: none (the restart took {restart:.2f} s).")
        recovered = [s for s in samples if s.ok and s.started >= restart_end]
        if recovered:
            say(
                f"First successful request after the restart: "
                f"{min(s.started for s in recovered) - restart_end:+.2f} s after it ended; "
                f"web and worker processes not restarted."
            )
        else:
            ok = False
            say("No successful request after the restart.")

        sent = time.monotonic()
        second = recorded_event("after")
        event = wait_for(lambda: delivered(second), "delivery", 60, 0.2)
        if event:
            say(
                f"A Celery task enqueued after the restart ran in {time.monotonic() - sent:.1f} s "
                f"(attempts {event.attempts}{', last error ' + event.last_error if event.last_error else ''})."
            )
        else:
            ok = False
            say("A Celery task enqueued after the restart did NOT run within 60 s.")
    finally:
        processes.stop_all()
    say(f"load average {load_average()}")
    return ok


# --- main ------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--scenario", choices=["all", "digests", "redis", "postgres"], default="all"
    )
    parser.add_argument("--people", type=int, default=1000, help="due people (default 1000)")
    parser.add_argument(
        "--outage-seconds", type=int, default=300, help="how long Redis stays down (300)"
    )
    parser.add_argument(
        "--database-url",
        default="",
        help=f"for the digests and redis scenarios (default {DEFAULT_DATABASE} on DATABASE_URL's "
        "server, else the local one)",
    )
    parser.add_argument("--redis-port", type=int, default=0, help="private Redis (default: free)")
    parser.add_argument("--pg-port", type=int, default=0, help="private cluster (default: free)")
    parser.add_argument(
        "--pg-dir", default="", help="private cluster's directory (default: a temporary one)"
    )
    parser.add_argument(
        "--lease-seconds",
        type=int,
        default=20,
        help="DIGEST_CLAIM_LEASE_SECONDS for the workers (site default 600; shorter so a "
        "killed worker's digests are taken over within the run)",
    )
    parser.add_argument("--settle-seconds", type=float, default=8)
    parser.add_argument("--web-phase-seconds", type=float, default=15)
    parser.add_argument("--delivery-timeout", type=float, default=180)
    return parser.parse_args(argv)


def database_url_for(args) -> str:
    if args.database_url:
        return args.database_url
    server = os.environ.get("DATABASE_URL") or DEFAULT_SERVER
    parts = urlsplit(server)
    return urlunsplit(parts._replace(path=f"/{DEFAULT_DATABASE}"))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.scenario == "all":
        failed = []
        rest = [a for a in (argv if argv is not None else sys.argv[1:]) if a != "all"]
        rest = [a for a in rest if a not in ("--scenario",) and not a.startswith("--scenario=")]
        for scenario in ("digests", "redis", "postgres"):
            code = subprocess.call(  # noqa: S603
                [sys.executable, __file__, "--scenario", scenario, *rest], cwd=ROOT
            )
            if code:
                failed.append(scenario)
        say(
            f"\nAll scenarios: {'every target met' if not failed else 'NOT met in ' + ', '.join(failed)}"
        )
        return 1 if failed else 0

    WORK.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="esn-faults-"))
    # mkdtemp makes it private to its owner; run as root, the private cluster's server runs as
    # `postgres` and must reach its directory inside.
    tmp.chmod(0o755)
    redis = PrivateRedis(args.redis_port or free_port(), tmp)
    cluster = None
    say(f"bench/faults.py --scenario {args.scenario}: load average at start {load_average()}")
    say("Machine: 2 cores, shared with other work; loopback only.")
    try:
        redis.start()
        if args.scenario == "postgres":
            cluster = PrivateCluster(
                Path(args.pg_dir) if args.pg_dir else tmp / "pg", args.pg_port or free_port()
            )
            cluster.init()
            cluster.start()
            database_url = cluster.url(DEFAULT_DATABASE)
        else:
            database_url = database_url_for(args)
        create_database(database_url)
        os.environ.update(
            DJANGO_SETTINGS_MODULE="esn.settings",
            DATABASE_URL=database_url,
            REDIS_URL=redis.url,
            CACHE_USE_REDIS="0",
            DEBUG="0",
            EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        )
        if not os.environ.get("SECRET_KEY") and not os.environ.get("SECRET_KEY_FILE"):
            os.environ["SECRET_KEY"] = "bench-faults-not-a-secret"  # noqa: S105
        import django

        django.setup()
        say(f"Database {urlsplit(database_url).path.lstrip('/')} on port "
            f"{urlsplit(database_url).port}; private Redis on port {redis.port}.")  # fmt: skip
        if args.scenario == "digests":
            ok = scenario_digests(args, redis, database_url)
        elif args.scenario == "redis":
            ok = scenario_redis(args, redis, database_url)
        else:
            ok = scenario_postgres(args, redis, cluster, database_url)
    finally:
        from django.db import connections

        with contextlib.suppress(Exception):
            connections.close_all()
        redis.stop()
        if cluster is not None:
            cluster.stop()
        say(f"load average at the end {load_average()}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
