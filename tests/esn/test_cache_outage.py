"""The shared Redis cache while Redis is away (issue 16, bench/faults.py): pages, publishing
and sessions keep working from PostgreSQL, and what was written meanwhile is not read back
stale once Redis returns. Django's RedisCache raised on every call: every signed-in request
was a 500 for as long as Redis was down."""

from __future__ import annotations

import socket

import pytest
from django.core.cache import caches
from django.test import Client
from django.urls import reverse

from esn import cache as calm
from posts.models import Post

pytestmark = pytest.mark.django_db


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nobody listens once the socket is closed


def cache_settings(location: str) -> dict:
    return {
        "BACKEND": "esn.cache.RedisCache",
        "LOCATION": location,
        "KEY_PREFIX": "esn-test-outage",
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }


@pytest.fixture(autouse=True)
def fresh_state(monkeypatch):
    monkeypatch.setattr(calm, "_state", calm._State())


@pytest.fixture
def redis_down(settings):
    settings.CACHES = {"default": cache_settings(f"redis://127.0.0.1:{closed_port()}/0")}
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    yield caches["default"]


def test_with_redis_down_the_cache_misses_instead_of_raising(redis_down):
    assert redis_down.get("anything", "default") == "default"
    redis_down.set("anything", 1)
    assert redis_down.add("anything", 1) is False
    assert redis_down.get_many(["a", "b"]) == {}
    with pytest.raises(ValueError):
        redis_down.incr("counter")
    assert calm._state.paused(), "after an error the cache should leave Redis alone a while"


def test_with_redis_down_a_signed_in_person_reads_and_publishes(redis_down, member):
    browser = Client()
    browser.force_login(member)  # the session row is written; its cache copy is not

    assert browser.get(reverse("home")).status_code == 200
    response = browser.post(reverse("posts:create"), {"body": "Written while Redis was away"})
    assert response.status_code in (200, 302)
    assert Post.objects.filter(body="Written while Redis was away").exists()


def test_a_key_changed_while_redis_was_away_is_deleted_when_it_returns(
    settings, monkeypatch, live_redis_url
):
    settings.CACHES = {
        "default": cache_settings(live_redis_url),
        "away": cache_settings(f"redis://127.0.0.1:{closed_port()}/0"),
    }
    up, away = caches["default"], caches["away"]
    up.set("session-of-someone", "signed in")

    away.delete("session-of-someone")  # signing out while Redis is unreachable
    assert up.get("session-of-someone") is None, "no Redis call during the pause"

    now = calm._clock()
    monkeypatch.setattr(calm, "_clock", lambda: now + calm.PAUSE + 1)
    assert up.get("session-of-someone") is None, "the sign-out must win once Redis is back"
    up.set("session-of-someone", "new")
    assert up.get("session-of-someone") == "new"
    up.delete("session-of-someone")


def test_a_counter_is_one_round_trip_and_lives_its_time(settings, live_redis_url):
    """esn.ratelimit counts every request: made and incremented in one pipelined round trip,
    expiring `timeout` seconds after its first count (not pushed back by later ones)."""
    settings.CACHES = {"default": cache_settings(live_redis_url)}
    shared = caches["default"]
    shared.delete("counted")
    sent = []
    client = shared._cache.get_client("counted", write=True)
    original = client.connection_pool.get_connection

    def counting(*args, **kwargs):
        sent.append(1)
        return original(*args, **kwargs)

    client.connection_pool.get_connection = counting
    try:
        assert [shared.count("counted", 60) for _ in range(3)] == [1, 2, 3]
    finally:
        client.connection_pool.get_connection = original
    assert len(sent) == 3
    raw = shared.make_and_validate_key("counted")
    assert 55 <= client.ttl(raw) <= 60
    assert shared.get("counted") == 3  # a number Django's cache reads back as such
    shared.delete("counted")


def test_with_redis_down_counting_raises_and_the_rate_limit_lets_through(redis_down, member):
    with pytest.raises(ValueError):
        redis_down.count("counted", 60)
    browser = Client()
    browser.force_login(member)
    assert browser.get(reverse("home")).status_code == 200
