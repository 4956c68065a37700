from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-fresh-long-passphrase-42"


def _sign_in(client, username, password, **extra):
    return client.post(reverse("login"), {"username": username, "password": password, **extra})


def test_sign_in_takes_you_to_your_feed(client, member):
    page = client.get(reverse("login"))
    response = _sign_in(client, member.username, PASSWORD)

    assert page.status_code == 200
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    home = client.get(reverse("home"))
    assert home.status_code == 200
    assert "Sign out" in home.text


def test_sign_in_returns_to_the_page_you_wanted(client, member):
    wanted = reverse("people:directory")
    bounced = client.get(wanted)

    response = _sign_in(client, member.username, PASSWORD, next=wanted)

    assert bounced["Location"] == f"{reverse('login')}?next={wanted}"
    assert response["Location"] == wanted


def test_sign_in_never_returns_to_another_site(client, member):
    response = _sign_in(client, member.username, PASSWORD, next="https://evil.example/")

    assert response["Location"] == reverse("home")


def test_wrong_password_shows_a_clear_message_and_keeps_the_username(client, member):
    response = _sign_in(client, member.username, "not-my-password")

    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.text
    assert f'value="{member.username}"' in response.text
    assert "_auth_user_id" not in client.session


def test_unknown_user_gets_the_same_message_as_a_wrong_password(client):
    response = _sign_in(client, "no.such.person", "whatever")

    assert "Please enter a correct username and password" in response.text


def test_signed_in_person_visiting_sign_in_goes_to_the_feed(member_client):
    response = member_client.get(reverse("login"))

    assert response.status_code == 302
    assert response["Location"] == reverse("home")


def test_sign_out_ends_the_session(client, member):
    _sign_in(client, member.username, PASSWORD)

    response = client.post(reverse("logout"))

    assert response.status_code == 302
    assert response["Location"] == reverse("login")
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("home"))["Location"].startswith(reverse("login"))


def test_sign_out_needs_a_post_so_a_link_cannot_sign_you_out(member_client):
    response = member_client.get(reverse("logout"))

    assert response.status_code == 405
    assert member_client.get(reverse("home")).status_code == 200


def _reset_link(message) -> str:
    found = re.search(r"https?://testserver(/accounts/reset/\S+/)", message.body)
    assert found, message.body
    return found.group(1)


def test_password_reset_mails_one_working_link_and_the_new_password_signs_in(
    client, member, mailoutbox
):
    asked = client.post(reverse("password_reset"), {"email": member.email}, follow=True)

    assert "Check your email" in asked.text
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == [member.email]
    assert message.subject == "Choose a new ESN password"

    form = client.get(_reset_link(message), follow=True)
    assert "Choose a new password" in form.text
    set_url = form.redirect_chain[-1][0]
    done = client.post(
        set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}, follow=True
    )
    assert "Your password is changed" in done.text

    assert "_auth_user_id" not in client.session  # not signed in by the reset itself
    assert "correct username and password" in _sign_in(client, member.username, PASSWORD).text
    assert _sign_in(client, member.username, NEW_PASSWORD)["Location"] == reverse("home")


def test_a_reset_link_works_only_once(client, member, mailoutbox):
    client.post(reverse("password_reset"), {"email": member.email})
    link = _reset_link(mailoutbox[0])
    set_url = client.get(link, follow=True).redirect_chain[-1][0]
    client.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    again = client.get(link, follow=True)

    assert "This link no longer works" in again.text


def test_password_reset_for_an_unknown_address_sends_nothing_and_says_the_same(client, mailoutbox):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.com"}, follow=True)

    assert "Check your email" in response.text
    assert mailoutbox == []


def test_weak_new_password_is_refused_with_a_reason(client, member, mailoutbox):
    client.post(reverse("password_reset"), {"email": member.email})
    set_url = client.get(_reset_link(mailoutbox[0]), follow=True).redirect_chain[-1][0]

    response = client.post(set_url, {"new_password1": "12345678", "new_password2": "12345678"})

    assert response.status_code == 200
    assert "too common" in response.text
    member.refresh_from_db()
    assert member.check_password(PASSWORD)
