"""The sign-in lock (django-axes, people/backends.py): per account AND address, on every
sign-in entry point, the address read behind a configured number of trusted proxies, lifted
by a password reset, and never telling whether an account exists."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from esn.ratelimit import client_address
from people.services import forget_old_sign_in_failures
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LOCKED = "Too many failed attempts"
WRONG = "correct username and password"


def _sign_in(client, username, password, **extra):
    return client.post(reverse("login"), {"username": username, "password": password}, **extra)


def _fail_five_times(client, username, **extra):
    return [_sign_in(client, username, "wrong", **extra) for _ in range(5)]


def _signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_five_wrong_passwords_lock_the_account_even_with_the_right_one(client, member):
    pages = _fail_five_times(client, member.username)

    for page in pages[:4]:
        assert page.status_code == 200
        assert WRONG in page.text
    # The fifth failure already says so, with the wait, keeping what was typed.
    assert pages[4].status_code == 429
    assert LOCKED in pages[4].text
    assert "Try again in 30 minutes" in pages[4].text
    assert f'value="{member.username}"' in pages[4].text

    response = _sign_in(client, member.username, PASSWORD)

    assert response.status_code == 429
    assert LOCKED in response.text
    assert 1700 < int(response["Retry-After"]) <= 1800
    assert not _signed_in(client)


def test_the_lock_lifts_after_the_cool_off(client, member):
    _fail_five_times(client, member.username)
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=31))

    response = _sign_in(client, member.username, PASSWORD)

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(member.pk)


def test_the_limit_and_cool_off_are_settings(client, member, settings):
    settings.AXES_FAILURE_LIMIT = 2
    settings.AXES_COOLOFF_TIME = timedelta(minutes=5)

    _sign_in(client, member.username, "wrong")
    locked = _sign_in(client, member.username, "wrong")

    assert locked.status_code == 429
    assert "Try again in 5 minutes" in locked.text


def test_a_locked_account_still_signs_in_from_another_address(client, member):
    _fail_five_times(client, member.username)

    elsewhere = Client(REMOTE_ADDR="10.0.0.2")
    response = _sign_in(elsewhere, member.username, PASSWORD)

    assert response.status_code == 302
    assert _signed_in(elsewhere)


def test_another_account_still_signs_in_from_the_same_address(client, member, colleague):
    _fail_five_times(client, member.username)

    response = _sign_in(client, colleague.username, PASSWORD)

    assert response.status_code == 302


def test_a_right_password_forgets_the_earlier_failures(client, member):
    for _ in range(4):
        _sign_in(client, member.username, "wrong")
    _sign_in(client, member.username, PASSWORD)
    client.post(reverse("logout"))

    for _ in range(4):
        assert WRONG in _sign_in(client, member.username, "wrong").text
    assert _sign_in(client, member.username, PASSWORD).status_code == 302


def test_failures_by_email_count_against_the_account_signed_in_by_username(client, member):
    for typed in ["MIA.MEMBER@example.com", "mia.member@EXAMPLE.com"] * 2 + ["Mia.Member"]:
        _sign_in(client, typed, "wrong")

    response = _sign_in(client, member.username, PASSWORD)

    assert LOCKED in response.text
    assert not _signed_in(client)


def test_failures_by_username_lock_signing_in_by_email(client, member):
    _fail_five_times(client, "Mia.member")

    response = _sign_in(client, member.email, PASSWORD)

    assert LOCKED in response.text
    assert not _signed_in(client)


@pytest.mark.parametrize("typed", ["no.such.person", "nobody@example.com"])
def test_an_unknown_name_is_locked_the_same_way_as_an_account(client, member, typed):
    known = [_sign_in(client, member.email, "wrong") for _ in range(6)]
    unknown = [_sign_in(client, typed, "wrong") for _ in range(6)]

    # Same answer at the same attempt: the lock does not tell whether an account exists.
    for known_page, unknown_page in zip(known, unknown, strict=True):
        assert known_page.status_code == unknown_page.status_code
        assert (LOCKED in known_page.text) == (LOCKED in unknown_page.text)
        assert (WRONG in known_page.text) == (WRONG in unknown_page.text)
    assert LOCKED in unknown[-1].text
    assert known[-1]["Retry-After"] == unknown[-1]["Retry-After"]


def test_a_locked_deactivated_account_gives_no_hint_about_the_password(client):
    UserFactory(username="dee.activated", is_active=False)
    _fail_five_times(client, "dee.activated")

    response = _sign_in(client, "dee.activated", PASSWORD)

    assert LOCKED in response.text
    assert "deactivated" not in response.text


def test_a_shared_email_is_locked_as_typed(client):
    # Several accounts share the address: it is counted as an unknown name would be.
    UserFactory(username="desk.one", email="desk@example.com")
    UserFactory(username="desk.two", email="desk@example.com")
    _fail_five_times(client, "desk@example.com")

    assert LOCKED in _sign_in(client, "desk@example.com", PASSWORD).text


# Every sign-in entry point: Django admin's too.


def _admin_sign_in(client, username, password):
    return client.post(reverse("admin:login"), {"username": username, "password": password})


def test_the_admin_sign_in_counts_failures_and_locks(client, admin):
    for _ in range(5):
        _admin_sign_in(client, admin.username, "wrong")

    response = _admin_sign_in(client, admin.username, PASSWORD)

    assert response.status_code == 429
    assert LOCKED in response.text
    assert "Retry-After" in response
    assert not _signed_in(client)
    # ... and on our own sign-in page too: one lock for the account.
    assert _sign_in(client, admin.username, PASSWORD).status_code == 429


def test_failures_on_the_sign_in_page_lock_the_admin_sign_in(client, admin):
    # What the outside probe found: the right password still worked at /admin/login/.
    _fail_five_times(client, admin.username)

    response = _admin_sign_in(client, admin.username, PASSWORD)

    assert response.status_code == 429
    assert not _signed_in(client)
    assert client.get(reverse("admin:index")).status_code == 302


def test_failures_at_the_admin_and_the_sign_in_page_add_up(client, admin):
    for _ in range(3):
        _admin_sign_in(client, admin.username, "wrong")
    for _ in range(2):
        _sign_in(client, admin.username, "wrong")

    assert _admin_sign_in(client, admin.username, PASSWORD).status_code == 429


# The client's address behind trusted proxies.


def _address(settings, count, forwarded=None, remote="192.0.2.1"):
    settings.TRUSTED_PROXY_COUNT = count
    settings.FORWARDED_ALLOW_IPS = ["192.0.2.0/28", "::1"]
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_address(RequestFactory().get("/", **meta))


def test_without_trusted_proxies_the_connecting_address_counts(settings):
    assert _address(settings, 0, forwarded="203.0.113.9") == "192.0.2.1"


def test_one_trusted_proxy_reads_the_right_most_entry(settings):
    assert _address(settings, 1, forwarded="203.0.113.9") == "203.0.113.9"
    # Whatever the client wrote itself stands to the left, and is ignored.
    assert _address(settings, 1, forwarded="1.2.3.4, 5.6.7.8, 203.0.113.9") == "203.0.113.9"


def test_two_trusted_proxies_read_the_second_entry_from_the_right(settings):
    forwarded = "1.2.3.4, 203.0.113.9, 10.0.0.7"  # spoofed, client, first proxy

    assert _address(settings, 2, forwarded=forwarded) == "203.0.113.9"


def test_too_few_or_malformed_entries_fall_back_to_the_connecting_address(settings):
    assert _address(settings, 2, forwarded="203.0.113.9") == "192.0.2.1"
    assert _address(settings, 1) == "192.0.2.1"
    assert _address(settings, 1, forwarded="not-an-address") == "192.0.2.1"


def test_forwarded_addresses_count_only_from_a_trusted_proxy(settings):
    """Someone who reaches the app server directly, not through the proxy, cannot claim to be
    another address."""
    assert _address(settings, 1, forwarded="203.0.113.9", remote="198.51.100.7") == "198.51.100.7"
    assert _address(settings, 1, forwarded="203.0.113.9", remote="192.0.2.9") == "203.0.113.9"
    settings.FORWARDED_ALLOW_IPS = ["*"]
    anyone = RequestFactory().get(
        "/", REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR="203.0.113.9"
    )
    assert client_address(anyone) == "203.0.113.9"


def test_behind_the_proxy_spoofed_entries_do_not_escape_the_lock(settings, member):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.FORWARDED_ALLOW_IPS = ["10.0.0.1"]
    attacker = Client(REMOTE_ADDR="10.0.0.1")  # the proxy
    for fake in range(5):
        _sign_in(attacker, member.username, "wrong", HTTP_X_FORWARDED_FOR=f"6.6.6.{fake}, 7.7.7.7")

    locked = _sign_in(attacker, member.username, PASSWORD, HTTP_X_FORWARDED_FOR="9.9.9.9, 7.7.7.7")
    assert locked.status_code == 429
    # A colleague behind the same proxy, from their own computer, still signs in.
    colleague = Client(REMOTE_ADDR="10.0.0.1")
    response = _sign_in(colleague, member.username, PASSWORD, HTTP_X_FORWARDED_FOR="8.8.4.4")
    assert response.status_code == 302


# A password reset lifts the lock.


def test_a_password_reset_lifts_the_lock_from_every_address(client, member, mailoutbox):
    _fail_five_times(client, member.username)
    other = Client(REMOTE_ADDR="10.0.0.3")
    _fail_five_times(other, member.username)

    client.post(reverse("password_reset"), {"email": member.email})
    link = re.search(r"https?://testserver(/accounts/reset/\S+/)", mailoutbox[0].body).group(1)
    set_url = client.get(link, follow=True).redirect_chain[-1][0]
    new = "a-fresh-long-passphrase-42"
    client.post(set_url, {"new_password1": new, "new_password2": new})

    assert _sign_in(client, member.username, new).status_code == 302
    assert _sign_in(other, member.email, new).status_code == 302


def test_old_failures_are_forgotten(client, member, colleague):
    _sign_in(client, member.username, "wrong")
    _sign_in(client, colleague.username, "wrong")
    AccessAttempt.objects.filter(username=member.username).update(
        attempt_time=timezone.now() - timedelta(hours=1)
    )

    assert forget_old_sign_in_failures() == 1
    assert list(AccessAttempt.objects.values_list("username", flat=True)) == [colleague.username]
