from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from people.models import SignInFailure
from people.services import forget_old_sign_in_failures
from tests.factories import PASSWORD

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
