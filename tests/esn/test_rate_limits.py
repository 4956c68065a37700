"""Request limits (esn.middleware.RateLimitMiddleware, people.forms.ResetPasswordForm): the
429 page in the site layout with Retry-After, counted in the cache."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db

# The limits count in fixed windows of the wall clock. A test crossing a window's end (a
# minute passes while it sends 200 requests; the hour turns between two resets) would see
# the count start again, and the wait shown shrink to seconds: the clock stands still here,
# at the start of an hour (and so of a minute and a day).
FROZEN = 1_800_000_000.0


@pytest.fixture(autouse=True)
def _still_clock(monkeypatch):
    from types import SimpleNamespace

    from esn import ratelimit

    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: FROZEN))


def _ask_reset(client, email):
    return client.post(reverse("password_reset"), {"email": email}, follow=True)


def _template_names(response) -> list[str]:
    return [t.name for t in response.templates if t.name]


def test_a_third_reset_in_an_hour_from_one_address_gets_the_429_page(client, member, mailoutbox):
    first, second = _ask_reset(client, member.email), _ask_reset(client, member.email)

    third = client.post(reverse("password_reset"), {"email": member.email})

    assert "Check your email" in first.text and "Check your email" in second.text
    assert third.status_code == 429
    assert 0 < int(third["Retry-After"]) <= 3600
    assert "429.html" in _template_names(third)
    assert "base.html" in _template_names(third)
    assert "Too many password resets" in third.text
    assert "Try again in" in third.text
    assert len(mailoutbox) == 2


def test_the_reset_limit_is_per_address(client, member, mailoutbox):
    for _ in range(3):
        client.post(reverse("password_reset"), {"email": member.email})

    elsewhere = Client(REMOTE_ADDR="10.0.0.2")
    response = _ask_reset(elsewhere, member.email)

    assert "Check your email" in response.text
    assert len(mailoutbox) == 3


def test_the_reset_limit_is_a_setting(client, member, settings):
    settings.RATE_LIMIT_PASSWORD_RESETS_PER_HOUR = 1
    _ask_reset(client, member.email)

    assert client.post(reverse("password_reset"), {"email": member.email}).status_code == 429


def test_an_unknown_address_is_limited_alike(client):
    for _ in range(2):
        assert "Check your email" in _ask_reset(client, "nobody@example.com").text

    assert (
        client.post(reverse("password_reset"), {"email": "nobody@example.com"}).status_code == 429
    )


def test_reset_emails_per_account_stop_silently_at_the_limit(member, mailoutbox):
    pages = [_ask_reset(Client(REMOTE_ADDR=f"10.0.1.{n}"), member.email) for n in range(5)]

    assert len(mailoutbox) == 3  # RATE_LIMIT_RESET_EMAILS_PER_ACCOUNT_PER_DAY
    # Past the limit the page says what it always says: nothing tells the account exists.
    unknown = _ask_reset(Client(REMOTE_ADDR="10.0.2.1"), "nobody@example.com")
    for page in pages:
        assert page.status_code == unknown.status_code == 200
        assert "Check your email" in page.text


def test_signed_in_requests_past_the_per_minute_limit_get_the_429_page(
    member_client, colleague, settings
):
    settings.RATE_LIMIT_REQUESTS_PER_MINUTE = 3
    for _ in range(3):
        assert member_client.get(reverse("home")).status_code == 200

    refused = member_client.get(reverse("home"))

    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 60
    assert "429.html" in _template_names(refused)
    assert "more requests in the last minute" in refused.text
    assert "Go to your feed" in refused.text
    # The limit is each person's own.
    other = Client()
    other.force_login(colleague)
    assert other.get(reverse("home")).status_code == 200


def test_the_per_person_limit_counts_across_addresses(member, settings):
    settings.RATE_LIMIT_REQUESTS_PER_MINUTE = 2
    clients = [Client(REMOTE_ADDR=f"10.0.3.{n}") for n in range(3)]
    for c in clients:
        c.force_login(member)

    statuses = [c.get(reverse("home")).status_code for c in clients]

    assert statuses == [200, 200, 429]


def test_a_cache_that_cannot_be_reached_lets_requests_through(member_client, monkeypatch, settings):
    settings.RATE_LIMIT_REQUESTS_PER_MINUTE = 1

    def broken(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(cache, "incr", broken)

    assert [member_client.get(reverse("home")).status_code for _ in range(3)] == [200] * 3


def test_the_429_page_fits_a_phone_and_says_when_to_retry(client, member):
    for _ in range(2):
        client.post(reverse("password_reset"), {"email": member.email})

    page = client.post(reverse("password_reset"), {"email": member.email})

    assert 'role="alert"' in page.text
    assert "Go to sign in" in page.text
    assert page["Retry-After"] == "3600"  # the whole hour, at its start
    assert "Try again in 60 minutes" in page.text


def test_the_per_minute_limit_with_the_shared_redis_cache(member, settings, live_redis_url):
    """As deployed (CACHE_USE_REDIS): counted in Redis with one round trip a request."""
    import uuid

    settings.CACHES = {
        "default": {
            "BACKEND": "esn.cache.RedisCache",
            "LOCATION": live_redis_url,
            "KEY_PREFIX": f"esn-test-{uuid.uuid4().hex[:8]}",
        }
    }
    settings.RATE_LIMIT_REQUESTS_PER_MINUTE = 2
    browser = Client()
    browser.force_login(member)
    statuses = [browser.get(reverse("home")).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
