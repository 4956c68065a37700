"""Sessions read from the shared cache (issue 16: a signed-in page without the session query):
only when every process shares that cache, and a session ended anywhere ends everywhere."""

from __future__ import annotations

import runpy

import pytest
from django.conf import settings as live
from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.fixture
def shared_cache(settings):
    """The site's cache on the test Redis, as CACHE_USE_REDIS configures it."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": live.REDIS_URL,
            "KEY_PREFIX": "esn-test-sessions",
        }
    }
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    caches["default"].clear()
    yield
    caches["default"].clear()


def session_queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return sum('"django_session"' in q["sql"] for q in ctx.captured_queries)


def test_with_a_shared_cache_a_signed_in_page_reads_no_session_row(shared_cache, member):
    browser = Client()
    browser.force_login(member)

    assert session_queries(browser, reverse("home")) == 0
    assert session_queries(browser, reverse("people:directory")) == 0


def test_signing_out_ends_the_session_for_every_process(shared_cache, member):
    """Another process holds the same cookie; after sign-out it is sent to sign in again."""
    browser = Client()
    browser.force_login(member)
    other_process = Client()
    other_process.cookies["sessionid"] = browser.cookies["sessionid"].value
    assert other_process.get(reverse("home")).status_code == 200

    browser.post(reverse("logout"))

    response = other_process.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_settings_use_the_cache_for_sessions_only_when_it_is_shared(monkeypatch):
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    monkeypatch.setenv("CACHE_USE_REDIS", "1")
    shared = runpy.run_path(str(live.BASE_DIR / "esn" / "settings.py"))
    monkeypatch.setenv("CACHE_USE_REDIS", "0")
    local = runpy.run_path(str(live.BASE_DIR / "esn" / "settings.py"))

    assert shared["SESSION_ENGINE"] == "django.contrib.sessions.backends.cached_db"
    assert local["SESSION_ENGINE"] == "django.contrib.sessions.backends.db"
