"""Distinct active people per day and segment, in Redis HyperLogLogs (analytics.visits and its
middleware, issue 15)."""

from __future__ import annotations

import logging
import os
import socket
import time
from datetime import date, timedelta

import pytest
import redis
from django.urls import reverse

from analytics import visits
from groups.models import Group
from tests.factories import DepartmentFactory, LocationFactory, UserFactory
from tests.groups.helpers import add_member, make_group

# Days of their own, far from today, so visits other tests' requests record today never mix
# with these (the keys expire 35 days after they are written, whatever their day).
MONDAY = date(2001, 1, 1)
WEEK = [MONDAY + timedelta(days=n) for n in range(7)]
CLOSED_PORT = "redis://127.0.0.1:1/0"


def _flush(client: redis.Redis) -> None:
    names = list(client.scan_iter(match=f"{visits.KEY_PREFIX}*", count=1000))
    if names:
        client.delete(*names)


@pytest.fixture
def redis_url(settings):
    """The test run's Redis (REDIS_URL), holding only our own keys' prefix flushed; each test
    starts with an empty memo, no pause and no client."""
    url = os.environ.get("REDIS_URL", "")
    if not url:
        pytest.skip("REDIS_URL is not set (make test starts an embedded Redis)")
    client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis at REDIS_URL does not answer: {exc}")
    settings.REDIS_URL = url
    visits.reset()
    _flush(client)
    yield client
    visits.reset()
    _flush(client)
    client.close()


@pytest.fixture
def no_redis(settings):
    settings.REDIS_URL = CLOSED_PORT
    visits.reset()
    yield
    visits.reset()


@pytest.fixture
def counted_clients(monkeypatch):
    """Counts the Redis clients visits makes (each one is a fresh connection attempt)."""
    made = []
    real = visits._new_client

    def factory(url):
        made.append(url)
        return real(url)

    monkeypatch.setattr(visits, "_new_client", factory)
    return made


@pytest.fixture
def employee(db):
    return UserFactory(department=DepartmentFactory(), location=LocationFactory())


@pytest.fixture
def guest(employee):
    return UserFactory(is_guest=True, sponsor=employee, guest_expires_on=date(2099, 1, 1))


def _counts(user, day=MONDAY, group_id=None):
    return {
        "site": visits.count("site", 0, [day]),
        "department": visits.count("department", user.department_id or 0, [day]),
        "location": visits.count("location", user.location_id or 0, [day]),
        "group": visits.count("group", group_id or 0, [day]),
    }


def test_an_employee_counts_in_site_department_and_location(redis_url, employee):
    visits.record(employee, today=MONDAY)

    assert _counts(employee) == {"site": 1, "department": 1, "location": 1, "group": 0}
    # Another department, location and day hold nothing.
    assert visits.count("department", employee.department_id + 1, [MONDAY]) == 0
    assert visits.count("site", 0, [MONDAY + timedelta(days=1)]) == 0


def test_without_department_or_location_an_employee_counts_under_0(redis_url, db):
    person = UserFactory()

    visits.record(person, today=MONDAY)

    assert visits.count("department", 0, [MONDAY]) == 1
    assert visits.count("location", 0, [MONDAY]) == 1


def test_an_employee_reading_a_group_counts_there_too(redis_url, employee):
    visits.record(employee, group_id=42, today=MONDAY)

    assert _counts(employee, group_id=42) == {
        "site": 1,
        "department": 1,
        "location": 1,
        "group": 1,
    }


def test_a_guest_counts_only_in_the_group(redis_url, guest):
    visits.record(guest, today=MONDAY)
    visits.record(guest, group_id=42, today=MONDAY)

    assert _counts(guest, group_id=42) == {"site": 0, "department": 0, "location": 0, "group": 1}


def test_a_service_account_counts_nowhere(redis_url, db):
    robot = UserFactory(
        is_service_account=True, department=DepartmentFactory(), location=LocationFactory()
    )

    visits.record(robot, today=MONDAY)
    visits.record(robot, group_id=42, today=MONDAY)

    assert _counts(robot, group_id=42) == {"site": 0, "department": 0, "location": 0, "group": 0}
    assert not list(redis_url.scan_iter(match=f"{visits.KEY_PREFIX}*"))


def test_a_week_is_the_union_of_its_days(redis_url, employee, db):
    other = UserFactory(department=employee.department)
    for day in (WEEK[0], WEEK[2], WEEK[4]):
        visits.record(employee, group_id=7, today=day)
    visits.record(other, group_id=7, today=WEEK[4])

    assert [visits.count("site", 0, [day]) for day in WEEK] == [1, 0, 1, 0, 2, 0, 0]
    assert visits.count("site", 0, WEEK) == 2
    assert visits.count("department", employee.department_id, WEEK) == 2
    assert visits.count("group", 7, WEEK) == 2
    assert visits.count("site", 0, []) == 0


def test_count_many_counts_each_segment_over_the_same_days(redis_url, employee, guest):
    visits.record(employee, group_id=7, today=WEEK[0])
    visits.record(guest, group_id=7, today=WEEK[1])
    visits.record(guest, group_id=8, today=WEEK[1])

    targets = [("site", 0), ("department", employee.department_id), ("group", 7), ("group", 8)]
    assert visits.count_many(targets, WEEK) == {
        ("site", 0): 1,
        ("department", employee.department_id): 1,
        ("group", 7): 2,
        ("group", 8): 1,
    }
    assert visits.count_many(targets, [WEEK[1]])[("group", 7)] == 1


def test_keys_expire_within_35_days(redis_url, employee):
    visits.record(employee, group_id=7, today=MONDAY)

    names = list(redis_url.scan_iter(match=f"{visits.KEY_PREFIX}*"))
    prefix = visits.KEY_PREFIX
    assert sorted(n.decode() for n in names) == sorted(
        [
            f"{prefix}2001-01-01:site:0",
            f"{prefix}2001-01-01:department:{employee.department_id}",
            f"{prefix}2001-01-01:location:{employee.location_id}",
            f"{prefix}2001-01-01:group:7",
        ]
    )
    for name in names:
        assert 0 < redis_url.ttl(name) <= 35 * 24 * 3600


def test_the_memo_skips_redis_for_a_visit_already_recorded_today(redis_url, employee, monkeypatch):
    round_trips = []
    real_pipeline = redis.Redis.pipeline

    def pipeline(self, *args, **kwargs):
        round_trips.append(1)
        return real_pipeline(self, *args, **kwargs)

    monkeypatch.setattr(redis.Redis, "pipeline", pipeline)

    for _ in range(5):
        visits.record(employee, today=MONDAY)
    assert len(round_trips) == 1
    # A group not yet recorded today still goes to Redis, once.
    visits.record(employee, group_id=7, today=MONDAY)
    visits.record(employee, group_id=7, today=MONDAY)
    assert len(round_trips) == 2
    # A new day starts a new memo.
    visits.record(employee, today=MONDAY + timedelta(days=1))
    assert len(round_trips) == 3
    assert visits.count("group", 7, [MONDAY]) == 1


def test_nothing_happens_without_redis_url(settings, employee, counted_clients):
    settings.REDIS_URL = ""
    visits.reset()

    visits.record(employee, today=MONDAY)

    assert counted_clients == []
    assert visits.count("site", 0, [MONDAY]) is None


def test_a_request_answers_when_redis_is_down_and_the_pause_stops_retries(
    no_redis, client, employee, counted_clients, monkeypatch, caplog
):
    now = [1000.0]
    monkeypatch.setattr(visits, "_clock", lambda: now[0])
    client.force_login(employee)

    with caplog.at_level(logging.WARNING, logger="analytics.visits"):
        for _ in range(3):
            assert client.get(reverse("home")).status_code == 200

    assert counted_clients == [CLOSED_PORT]
    assert len([r for r in caplog.records if r.name == "analytics.visits"]) == 1
    # Still within the pause: no new attempt.
    now[0] += visits.PAUSE - 1
    assert client.get(reverse("home")).status_code == 200
    assert counted_clients == [CLOSED_PORT]
    # After it, one new attempt (which fails and pauses again).
    now[0] += 2
    assert client.get(reverse("home")).status_code == 200
    assert client.get(reverse("home")).status_code == 200
    assert counted_clients == [CLOSED_PORT, CLOSED_PORT]
    # The count says "unknown", not 0.
    assert visits.count("site", 0, [MONDAY]) is None


def test_a_hanging_redis_costs_a_request_at_most_the_timeout(settings, employee):
    # Listens but never answers: the connection is made, the reply never comes.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        settings.REDIS_URL = f"redis://127.0.0.1:{silent.getsockname()[1]}/0"
        visits.reset()
        try:
            started = time.perf_counter()
            visits.record(employee, today=MONDAY)
            first = time.perf_counter() - started
            started = time.perf_counter()
            visits.record(employee, today=MONDAY)
            second = time.perf_counter() - started
        finally:
            visits.reset()

    assert first < 10 * visits.TIMEOUT
    assert second < 0.005  # paused: Redis is not tried


def test_a_page_view_records_the_reader(redis_url, client, employee):
    client.force_login(employee)

    assert client.get(reverse("home")).status_code == 200

    assert visits.count("department", employee.department_id, [visits.site_today()]) == 1


def test_posts_failures_and_visitors_record_nothing(redis_url, client, employee):
    assert client.get(reverse("home")).status_code == 302  # a visitor, sent to sign in
    client.force_login(employee)
    client.post(reverse("home"))
    assert client.get("/no-such-page/").status_code == 404

    assert visits.count("department", employee.department_id, [visits.site_today()]) == 0


def test_the_group_page_records_the_group(redis_url, client, employee, guest):
    group = make_group(employee, Group.Kind.PRIVATE, name="Counted", allow_guests=True)
    add_member(group, employee, guest)
    client.force_login(guest)

    assert client.get(group.get_absolute_url()).status_code == 200

    today = visits.site_today()
    assert visits.count("group", group.pk, [today]) == 1
    # The guest counts in the group only.
    assert visits.count("department", 0, [today]) == 0
    assert visits.count("location", 0, [today]) == 0


def test_a_private_groups_card_does_not_record_the_group(redis_url, client, employee, db):
    outsider = UserFactory(department=employee.department)
    group = make_group(employee, Group.Kind.PRIVATE, name="Closed")
    client.force_login(outsider)

    assert client.get(group.get_absolute_url()).status_code == 200

    today = visits.site_today()
    assert visits.count("group", group.pk, [today]) == 0
    assert visits.count("department", outsider.department_id, [today]) == 1
