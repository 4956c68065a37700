"""/metrics for Prometheus (esn/metrics.py, esn/counters.py): the documented series after real
requests, real Celery signals and a real digest run, against the test run's Redis; the token
rules; a Redis outage that fails neither a request nor a scrape; several gunicorn workers
counted together."""

from __future__ import annotations

import os
import runpy
import socket
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from urllib.error import HTTPError
from urllib.request import Request, urlopen

import pytest
import redis
from celery.signals import task_retry
from django.conf import settings as django_settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from digests import planning, unread
from digests.models import Frequency, InboxItem, SiteSettings
from esn import counters
from esn.celery import app as celery_app
from people.models import User
from people.services import follow_person
from posts import services as post_services

pytestmark = pytest.mark.django_db

TOKEN = "test-metrics-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
BASE = Path(django_settings.BASE_DIR)
CONF = BASE / "gunicorn.conf.py"


@celery_app.task(name="tests.esn.metrics.works")
def works() -> int:
    return 1


@celery_app.task(name="tests.esn.metrics.breaks")
def breaks() -> None:
    raise RuntimeError("this task always fails")


class Scrape:
    """One /metrics answer, parsed by prometheus_client's own parser."""

    def __init__(self, text: str) -> None:
        self.families = {f.name: f for f in text_string_to_metric_families(text)}

    def value(self, sample: str, **labels: str) -> float:
        """The sample's value; 0 when the series is not there yet."""
        for family in self.families.values():
            for s in family.samples:
                if s.name == sample and s.labels == labels:
                    return s.value
        return 0.0

    def has(self, sample: str) -> bool:
        return any(s.name == sample for f in self.families.values() for s in f.samples)


def scrape(client: Client) -> Scrape:
    response = client.get("/metrics", headers=AUTH)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=")
    return Scrape(response.content.decode())


def _free_port() -> int:
    """A local port nothing listens on (the OS just handed it out and we let it go)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def metrics_on(settings):
    settings.METRICS_TOKEN = TOKEN
    return settings


@pytest.fixture
def broker(metrics_on):
    """The test run's Redis (REDIS_URL, which is the broker), with the counters' keys empty."""
    url = os.environ.get("REDIS_URL", "")
    if not url:
        pytest.skip("REDIS_URL is not set (make test starts an embedded Redis)")
    client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis at REDIS_URL does not answer: {exc}")
    metrics_on.CELERY_BROKER_URL = url
    client.delete(counters.TASKS_KEY, counters.EMAILS_KEY)
    counters.reset()
    yield client
    client.delete(counters.TASKS_KEY, counters.EMAILS_KEY)
    counters.reset()
    client.close()


@pytest.fixture
def redis_down(metrics_on):
    metrics_on.CELERY_BROKER_URL = f"redis://127.0.0.1:{_free_port()}/0"
    counters.reset()
    yield
    counters.reset()


# -- who may read it --------------------------------------------------------------------------


def test_without_a_token_configured_metrics_is_not_found(client, settings):
    settings.METRICS_TOKEN = ""

    assert client.get("/metrics").status_code == 404
    response = client.get("/metrics", headers={"Authorization": "Bearer anything"})
    assert response.status_code == 404
    assert b"esn_" not in response.content


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer wrong-token", f"Bearer {TOKEN}x", f"Basic {TOKEN}", TOKEN, "Bearer "],
)
def test_a_missing_or_wrong_token_gets_401(client, metrics_on, authorization):
    headers = {"Authorization": authorization} if authorization is not None else {}

    response = client.get("/metrics", headers=headers)

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert b"esn_" not in response.content


def test_the_token_from_a_file_is_read_by_the_settings_helper(tmp_path, monkeypatch):
    from esn.settings import env_secret

    secret = tmp_path / "metrics-token"
    secret.write_text(f"{TOKEN}\n")
    monkeypatch.setenv("METRICS_TOKEN_FILE", str(secret))

    assert env_secret("METRICS_TOKEN") == TOKEN


def test_prometheus_scrapes_an_internal_address_over_plain_http_without_a_query(
    metrics_on, broker, django_assert_num_queries
):
    # As in production: HTTPS redirect on, and the scrape's Host is no public name.
    metrics_on.SECURE_SSL_REDIRECT = True
    metrics_on.ALLOWED_HOSTS = ["esn.example.com"]
    client = Client()  # a fresh handler reads the redirect setting

    with django_assert_num_queries(0):
        response = client.get("/metrics", HTTP_HOST="10.0.3.7:8000", headers=AUTH)

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    # Everything else on that address is still refused (bad host) or redirected.
    assert client.get("/", HTTP_HOST="10.0.3.7:8000").status_code in (301, 400)


def test_healthz_gains_no_query_from_the_metrics_middleware(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert client.get("/healthz").status_code == 200


# -- what it says -----------------------------------------------------------------------------


def test_requests_are_counted_by_view_method_and_status_class_with_their_time(
    member_client, broker
):
    before = scrape(member_client)

    assert member_client.get("/").status_code == 200
    assert member_client.get("/").status_code == 200
    assert member_client.get("/no-such-page/at-all/").status_code == 404

    after = scrape(member_client)
    requests = "esn_http_requests_total"
    home = {"view": "home", "method": "GET", "status": "2xx"}
    unmatched = {"view": "unmatched", "method": "GET", "status": "4xx"}
    assert after.value(requests, **home) - before.value(requests, **home) == 2
    assert after.value(requests, **unmatched) - before.value(requests, **unmatched) == 1
    # The scrapes count themselves too, under their own name.
    metrics = {"view": "metrics", "method": "GET", "status": "2xx"}
    assert after.value(requests, **metrics) - before.value(requests, **metrics) == 1

    count = "esn_http_request_duration_seconds_count"
    assert after.value(count, view="home") - before.value(count, view="home") == 2
    total = "esn_http_request_duration_seconds_sum"
    assert after.value(total, view="home") > before.value(total, view="home")
    slowest = after.value("esn_http_request_duration_seconds_bucket", view="home", le="+Inf")
    assert slowest == after.value(count, view="home")


def test_database_queries_per_request_are_counted_exactly(member_client, broker):
    member_client.get("/")  # sessions, caches and the like warmed up
    before = scrape(member_client)

    with CaptureQueriesContext(connection) as queries:
        assert member_client.get("/").status_code == 200
    # Counted now: the next request (the scrape) empties the connection's query log.
    ran = len(queries)

    after = scrape(member_client)
    total = "esn_http_request_db_queries_sum"
    assert ran > 0
    assert after.value(total, view="home") - before.value(total, view="home") == ran
    count = "esn_http_request_db_queries_count"
    assert after.value(count, view="home") - before.value(count, view="home") == 1


def test_every_series_is_documented_with_help_and_in_the_readme(member_client, broker):
    member_client.get("/")
    counters.count_email(counters.DIGEST, counters.SENT)
    counters.count_task("tests.esn.metrics.works", counters.SUCCEEDED)

    result = scrape(member_client)

    ours = {name for name in result.families if name.startswith("esn_")}
    assert ours == {
        "esn_http_requests",
        "esn_http_request_duration_seconds",
        "esn_http_request_db_queries",
        "esn_celery_queue_length",
        "esn_celery_tasks",
        "esn_emails",
        "esn_metrics_redis_up",
    }
    readme = (BASE / "README.md").read_text()
    observability = readme[readme.index("### Observability") :]
    for name in ours:
        assert len(result.families[name].documentation) > 20, name
        assert f"`{name}" in observability, f"{name} is not in README's Observability section"
    assert result.value("esn_metrics_redis_up") == 1


@pytest.fixture
def own_queue(broker):
    """A queue of this test's own as the project's default one (monkeypatch cannot restore
    Celery's settings object)."""
    queue = f"esn-test-metrics-{uuid.uuid4().hex[:8]}"
    default = celery_app.conf.task_default_queue
    celery_app.conf.task_default_queue = queue
    yield queue
    celery_app.conf.task_default_queue = default
    broker.delete(queue, f"{queue}\x06\x169")


def test_celery_queue_length_is_read_from_the_broker_at_scrape_time(
    member_client, broker, own_queue
):
    # Two plain messages and one of priority 9, which kombu keeps in a list of its own.
    broker.rpush(own_queue, "one", "two")
    broker.rpush(f"{own_queue}\x06\x169", "urgent")

    assert scrape(member_client).value("esn_celery_queue_length", queue=own_queue) == 3
    broker.lpop(own_queue)
    assert scrape(member_client).value("esn_celery_queue_length", queue=own_queue) == 2


def test_task_outcomes_are_counted_in_redis_from_celery_signals(member_client, broker):
    works.apply()
    works.apply()
    assert breaks.apply().failed()
    task_retry.send(sender=breaks, request=None, reason="the mail server is away", einfo=None)

    result = scrape(member_client)

    tasks = "esn_celery_tasks_total"
    assert result.value(tasks, task="tests.esn.metrics.works", outcome="succeeded") == 2
    assert result.value(tasks, task="tests.esn.metrics.breaks", outcome="failed") == 1
    assert result.value(tasks, task="tests.esn.metrics.breaks", outcome="retried") == 1
    assert result.value(tasks, task="tests.esn.metrics.works", outcome="failed") == 0
    # Counted in Redis, where every worker's counts meet, not in this process.
    assert broker.hget(counters.TASKS_KEY, "succeeded|tests.esn.metrics.works") == b"2"


def test_a_sent_digest_is_counted(member_client, member, colleague, broker):
    site = SiteSettings.current()
    site.digest_frequency = Frequency.DAILY
    site.send_hour = 0
    site.send_weekday = 0
    site.save()
    follow_person(follower=member, followee=colleague)
    User.objects.filter(pk=member.pk).update(last_seen_at=timezone.now() - timedelta(days=30))
    post_services.create_post(author=colleague, body="News for the digest")
    now = timezone.now()

    planning.plan(now=now, enqueue=lambda chunk: planning.send_chunk(chunk, now=now))

    result = scrape(member_client)
    assert result.value("esn_emails_total", kind="digest", outcome="sent") == 1
    assert result.value("esn_emails_total", kind="digest", outcome="failed") == 0
    assert result.value("esn_emails_total", kind="unread", outcome="sent") == 0


def test_an_unread_mention_email_is_counted(
    member_client, member, colleague, broker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        post_services.create_post(author=colleague, body="Thoughts, @mia.member?")
    assert InboxItem.objects.filter(recipient=member).count() == 1

    sent = unread.send_unread_emails(now=timezone.now() + timedelta(minutes=31)).sent

    assert sent == 1
    result = scrape(member_client)
    assert result.value("esn_emails_total", kind="unread", outcome="sent") == 1


def test_with_redis_down_requests_counting_and_scrapes_still_work(member_client, redis_down):
    assert member_client.get("/").status_code == 200
    started = time.monotonic()
    counters.count_email(counters.DIGEST, counters.SENT)  # swallowed, logged
    counters.count_task("tests.esn.metrics.works", counters.SUCCEEDED)  # paused: not even tried
    works.apply()
    assert time.monotonic() - started < 5

    result = scrape(member_client)

    assert result.value("esn_metrics_redis_up") == 0
    assert result.has("esn_metrics_redis_up")
    for missing in ("esn_celery_queue_length", "esn_celery_tasks_total", "esn_emails_total"):
        assert not result.has(missing), missing
    # What this process counts itself is still there.
    assert result.value("esn_http_requests_total", view="home", method="GET", status="2xx") >= 1


# -- several gunicorn workers -----------------------------------------------------------------


def test_gunicorn_hooks_wipe_old_files_and_forget_a_dead_workers_live_gauges(tmp_path, monkeypatch):
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path / "metrics"))
    conf = runpy.run_path(str(CONF))
    conf["on_starting"](None)
    old = tmp_path / "metrics" / "counter_1.db"
    old.write_bytes(b"from the last run")
    conf["on_starting"](None)
    assert not old.exists()

    live = tmp_path / "metrics" / "gauge_livesum_4242.db"
    counter = tmp_path / "metrics" / "counter_4242.db"
    live.write_bytes(b"")
    counter.write_bytes(b"")
    conf["child_exit"](None, SimpleNamespace(pid=4242))
    assert not live.exists()
    assert counter.exists()  # what a dead worker counted stays counted


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    try:
        with urlopen(Request(url, headers=headers or {}), timeout=5) as response:  # noqa: S310
            return response.status, response.read().decode()
    except HTTPError as error:
        return error.code, ""


def test_several_gunicorn_workers_are_counted_together(tmp_path):
    port = _free_port()
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    (metrics_dir / "counter_999999.db").write_bytes(b"not a metrics file: wiped at start")
    env = {
        **os.environ,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "3",
        "GUNICORN_THREADS": "1",
        "GUNICORN_ACCESS_LOG": "",
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        "METRICS_TOKEN": TOKEN,
    }
    log = tmp_path / "gunicorn.log"
    server = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "gunicorn", "-c", str(CONF), "esn.wsgi:application"],
        cwd=BASE,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log.open("w"),
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if _get(f"{base}/healthz")[0] == 200:
                    break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(log.read_text())
            time.sleep(0.2)
        for _ in range(19):
            assert _get(f"{base}/healthz")[0] == 200

        assert _get(f"{base}/metrics")[0] == 401
        # Whichever worker answers the scrape, it adds up all of them.
        totals = set()
        for _ in range(6):
            status, body = _get(f"{base}/metrics", {"Authorization": f"Bearer {TOKEN}"})
            assert status == 200
            healthz = {"view": "healthz", "method": "GET", "status": "2xx"}
            totals.add(Scrape(body).value("esn_http_requests_total", **healthz))
        assert totals == {20.0}
    finally:
        server.terminate()
        server.wait(timeout=15)
    assert not (metrics_dir / "counter_999999.db").exists()
