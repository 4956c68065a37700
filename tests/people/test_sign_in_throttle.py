from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from people.models import SignInFailure
from people.services import forget_old_sign_in_failures
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def _sign_in(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_five_wrong_passwords_block_the_account_even_with_the_right_one(client, member):
    for _ in range(5):
        response = _sign_in(client, member.username, "wrong")
        assert response.status_code == 200
        assert "correct username and password" in response.text

    response = _sign_in(client, member.username, PASSWORD)

    assert "Too many failed attempts" in response.text
    assert "_auth_user_id" not in client.session


def test_the_block_lifts_after_thirty_minutes(client, member):
    for _ in range(5):
        _sign_in(client, member.username, "wrong")
    SignInFailure.objects.update(created_at=timezone.now() - timedelta(minutes=31))

    response = _sign_in(client, member.username, PASSWORD)

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(member.pk)


def test_failures_on_one_account_do_not_block_another(client, member, colleague):
    for _ in range(5):
        _sign_in(client, member.username, "wrong")

    response = _sign_in(client, colleague.username, PASSWORD)

    assert response.status_code == 302


def test_old_failures_are_forgotten():
    SignInFailure.objects.create(username_key="someone", ip="10.0.0.1")
    old = SignInFailure.objects.create(username_key="someone", ip="10.0.0.1")
    SignInFailure.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=1))

    assert forget_old_sign_in_failures() == 1
    assert SignInFailure.objects.count() == 1


def test_failures_by_email_count_against_the_account_signed_in_by_username(client, member):
    for typed in ["MIA.MEMBER@example.com", "mia.member@EXAMPLE.com"] * 2 + ["Mia.Member"]:
        _sign_in(client, typed, "wrong")

    response = _sign_in(client, member.username, PASSWORD)

    assert "Too many failed attempts" in response.text
    assert "_auth_user_id" not in client.session


def test_failures_by_username_block_signing_in_by_email(client, member):
    for _ in range(5):
        _sign_in(client, "Mia.member", "wrong")

    response = _sign_in(client, member.email, PASSWORD)

    assert "Too many failed attempts" in response.text
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("typed", ["no.such.person", "nobody@example.com"])
def test_an_unknown_name_is_throttled_the_same_way_as_an_account(client, member, typed):
    known = [_sign_in(client, member.email, "wrong").text for _ in range(6)]
    unknown = [_sign_in(client, typed, "wrong").text for _ in range(6)]

    # Same message at the same attempt: the throttle does not tell whether an account exists.
    for known_page, unknown_page in zip(known, unknown, strict=True):
        assert ("Too many failed attempts" in known_page) == (
            "Too many failed attempts" in unknown_page
        )
        assert ("correct username and password" in known_page) == (
            "correct username and password" in unknown_page
        )
    assert "Too many failed attempts" in unknown[-1]


def test_a_name_that_fits_two_accounts_counts_against_both(client):
    first = UserFactory(username="desk.one", email="desk@example.com")
    second = UserFactory(username="desk.two", email="desk@example.com")
    for _ in range(5):
        _sign_in(client, "desk@example.com", "wrong")

    for person in (first, second):
        assert "Too many failed attempts" in _sign_in(client, person.username, PASSWORD).text


def test_the_admin_sign_in_is_held_to_the_same_throttle(client, admin):
    for _ in range(5):
        client.post(reverse("admin:login"), {"username": admin.username, "password": "wrong"})

    client.post(reverse("admin:login"), {"username": admin.username, "password": PASSWORD})

    assert "_auth_user_id" not in client.session
