from __future__ import annotations

import re

import pytest
from django.contrib import admin as django_admin
from django.forms.models import model_to_dict
from django.urls import reverse

from people.models import User
from tests.factories import PASSWORD, UserFactory

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


# Signing in by username or email, in any case.


def _signed_in_as(client) -> int | None:
    user_id = client.session.get("_auth_user_id")
    return int(user_id) if user_id else None


def test_a_capitalised_username_signs_in(client):
    zoe = UserFactory(username="zoe.mulder")

    response = _sign_in(client, "Zoe.mulder", PASSWORD)

    assert response["Location"] == reverse("home")
    assert _signed_in_as(client) == zoe.pk


def test_an_email_address_in_any_case_signs_in(client):
    zoe = UserFactory(username="zoe.mulder", email="zoe.mulder@example.com")

    response = _sign_in(client, "  ZOE.MULDER@Example.com ", PASSWORD)

    assert response["Location"] == reverse("home")
    assert _signed_in_as(client) == zoe.pk


def test_a_long_email_address_fits_the_field(client):
    address = f"{'x' * 170}@example.com"  # longer than a username may be
    person = UserFactory(username="long.address", email=address)

    _sign_in(client, address, PASSWORD)

    assert _signed_in_as(client) == person.pk


def test_an_exact_username_wins_over_one_differing_in_case(client):
    lower = UserFactory(username="zoe", password="lower-case-password-1")
    upper = UserFactory(username="Zoe", password="upper-case-password-1")

    wrong_one = _sign_in(client, "Zoe", "lower-case-password-1")
    assert "correct username and password" in wrong_one.text
    assert _signed_in_as(client) is None

    _sign_in(client, "Zoe", "upper-case-password-1")
    assert _signed_in_as(client) == upper.pk
    client.post(reverse("logout"))
    _sign_in(client, "zoe", "lower-case-password-1")
    assert _signed_in_as(client) == lower.pk


def test_a_name_fitting_two_accounts_signs_into_the_one_whose_password_it_is(client):
    lower = UserFactory(username="zoe", password="lower-case-password-1")
    UserFactory(username="Zoe", password="upper-case-password-1")

    _sign_in(client, "ZOE", "lower-case-password-1")

    assert _signed_in_as(client) == lower.pk


def test_a_shared_email_signs_into_the_account_whose_password_it_is(client):
    UserFactory(username="desk.one", email="desk@example.com", password="first-desk-password")
    second = UserFactory(
        username="desk.two", email="desk@example.com", password="second-desk-password"
    )

    _sign_in(client, "desk@example.com", "second-desk-password")

    assert _signed_in_as(client) == second.pk


def test_a_shared_email_and_password_sign_into_neither_and_ask_for_the_username(client):
    UserFactory(username="desk.one", email="desk@example.com")
    UserFactory(username="desk.two", email="desk@example.com")

    response = _sign_in(client, "desk@example.com", PASSWORD)
    wrong = _sign_in(client, "desk@example.com", "not-the-password")

    assert "Sign in with your exact username" in response.text
    assert _signed_in_as(client) is None
    # Without the password nobody learns that the address is shared.
    assert "exact username" not in wrong.text
    assert "correct username and password" in wrong.text


def test_the_username_is_matched_before_the_email(client):
    # Someone's username may look like an address; it is theirs, not the address owner's.
    named = UserFactory(username="sam@example.com", email="sam.named@example.com")
    UserFactory(username="sam.mailed", email="sam@example.com", password="mailed-password-1")

    _sign_in(client, "SAM@example.com", PASSWORD)
    assert _signed_in_as(client) == named.pk


def test_the_sign_in_field_is_ready_for_phones_and_password_managers(client):
    page = client.get(reverse("login")).text

    username = re.search(r"<input[^>]*name=\"username\"[^>]*>", page).group(0)
    password = re.search(r"<input[^>]*name=\"password\"[^>]*>", page).group(0)
    assert '<label for="id_username">Username or email</label>' in page
    for attribute in (
        'autocapitalize="none"',
        'autocorrect="off"',
        'spellcheck="false"',
        'autocomplete="username"',
    ):
        assert attribute in username
    assert 'autocomplete="current-password"' in password


def test_the_demo_hint_names_an_employee_the_admin_and_the_guest(client, settings):
    settings.DEMO_MODE = True

    page = client.get(reverse("login")).text

    assert "<strong>ana.jansen</strong> (an employee)" in page
    assert "<strong>admin</strong> (an administrator)" in page
    assert "<strong>gus.partner</strong> (an external guest)" in page


def test_no_demo_hint_outside_the_demo(client, settings):
    settings.DEMO_MODE = False

    assert "gus.partner" not in client.get(reverse("login")).text


# A deactivated account.


def test_a_deactivated_account_with_the_right_password_is_told_so(client):
    UserFactory(username="dee.activated", email="dee@example.com", is_active=False)

    by_name = _sign_in(client, "Dee.Activated", PASSWORD)
    by_email = _sign_in(client, "dee@example.com", PASSWORD)

    for response in (by_name, by_email):
        assert "This account is deactivated. Ask your administrator" in response.text
        assert "correct username and password" not in response.text
    assert _signed_in_as(client) is None


def test_a_deactivated_account_with_a_wrong_password_gets_the_ordinary_message(client):
    UserFactory(username="dee.activated", is_active=False)

    response = _sign_in(client, "dee.activated", "not-the-password")

    assert "deactivated" not in response.text
    assert "correct username and password" in response.text


# Signing out.


def test_after_sign_out_the_sign_in_page_says_so(client, member):
    _sign_in(client, member.username, PASSWORD)

    response = client.post(reverse("logout"), follow=True)

    assert response.redirect_chain[-1][0] == reverse("login")
    assert "You are signed out." in response.text
    assert 'class="page-messages"' in response.text
    # Said once: reloading the sign-in page does not repeat it.
    assert "You are signed out." not in client.get(reverse("login")).text


# Changing the password, in the site's layout.


def _template_names(response) -> list[str]:
    return [t.name for t in response.templates if t.name]


def test_the_profile_menu_offers_change_password(member_client):
    page = member_client.get(reverse("home")).text

    assert f'href="{reverse("password_change")}"' in page
    assert "Change password" in page


def test_the_change_password_page_uses_the_site_layout_and_shows_the_rules(member_client):
    response = member_client.get(reverse("password_change"))

    assert response.status_code == 200
    names = _template_names(response)
    assert "base.html" in names
    assert not any(name.startswith("admin/") for name in names)
    assert "at least 8 characters" in response.text  # the rules, under the new password
    assert 'aria-describedby="id_new_password1_helptext"' in response.text
    assert "Other devices you were signed in on are signed out" in response.text
    assert "/admin/" not in response.text


def test_change_password_needs_sign_in(client):
    response = client.get(reverse("password_change"))

    assert response["Location"].startswith(reverse("login"))


def test_a_wrong_current_password_is_shown_next_to_its_field_and_changes_nothing(
    member_client, member
):
    response = member_client.post(
        reverse("password_change"),
        {"old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 200
    assert 'id="id_old_password_error"' in response.text
    assert "Your old password was entered incorrectly" in response.text
    member.refresh_from_db()
    assert member.check_password(PASSWORD)


def test_a_weak_new_password_is_refused_next_to_its_field(member_client, member):
    response = member_client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": "12345678", "new_password2": "12345678"},
    )

    assert 'id="id_new_password2_error"' in response.text
    assert "too common" in response.text
    member.refresh_from_db()
    assert member.check_password(PASSWORD)


def test_changing_the_password_keeps_you_signed_in_and_signs_out_other_devices(
    client, member, django_user_model
):
    other_device = type(client)()
    _sign_in(other_device, member.username, PASSWORD)
    _sign_in(client, member.username, PASSWORD)

    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )

    assert response.redirect_chain[-1][0] == reverse("password_change_done")
    assert "Your password is changed." in response.text  # the flash message
    assert "Password changed" in response.text
    assert not any(name.startswith("admin/") for name in _template_names(response))
    assert client.get(reverse("home")).status_code == 200
    assert other_device.get(reverse("home"))["Location"].startswith(reverse("login"))
    client.post(reverse("logout"))
    assert _sign_in(client, member.username, NEW_PASSWORD)["Location"] == reverse("home")


# No account page shows Django admin's templates.


def test_no_page_under_accounts_renders_admin_templates(client, member, mailoutbox):
    pages = [client.get(reverse("login"))]
    pages.append(client.post(reverse("password_reset"), {"email": member.email}, follow=True))
    link = _reset_link(mailoutbox[0])
    confirm = client.get(link, follow=True)
    pages.append(confirm)
    pages.append(
        client.post(
            confirm.redirect_chain[-1][0],
            {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
            follow=True,
        )
    )
    pages.append(client.get(link, follow=True))  # the used link
    pages.append(client.get(reverse("password_reset")))
    member.refresh_from_db()  # the session is tied to the new password
    client.force_login(member)
    pages.append(client.get(reverse("password_change")))
    pages.append(client.get(reverse("password_change_done")))
    pages.append(client.post(reverse("logout"), follow=True))

    for response in pages:
        assert response.status_code == 200
        names = _template_names(response)
        assert "base.html" in names, names
        assert not any(name.startswith("admin/") for name in names), names


def test_the_reset_email_links_to_the_sites_own_confirm_page(client, member, mailoutbox):
    client.post(reverse("password_reset"), {"email": "MIA.MEMBER@example.com"})

    message = mailoutbox[0]
    link = _reset_link(message)
    page = client.get(link, follow=True)

    assert message.body.startswith("Hello Mia,")
    assert link.startswith("/accounts/reset/")
    assert "base.html" in _template_names(page)
    assert 'aria-describedby="id_new_password1_helptext"' in page.text


# Django admin refuses usernames that differ from another only in case.


def _admin_form(rf, admin, obj=None):
    request = rf.get("/admin/")
    request.user = admin
    return django_admin.site._registry[User].get_form(request, obj)


def test_admin_cannot_add_a_username_differing_only_in_case(rf, admin, member):
    form_class = _admin_form(rf, admin)
    form = form_class(
        data={
            "username": "Mia.Member",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
            "usable_password": "true",
        }
    )

    assert not form.is_valid()
    assert "username" in form.errors


def test_admin_cannot_rename_someone_to_a_username_differing_only_in_case(
    rf, admin, member, colleague
):
    form_class = _admin_form(rf, admin, colleague)
    data = {**model_to_dict(colleague), "username": "MIA.member", "skills": ""}
    data = {key: value for key, value in data.items() if value is not None}
    form = form_class(data=data, instance=colleague)

    assert not form.is_valid()
    assert form.errors["username"] == [
        "A person with this username already exists: usernames are the same whatever the "
        "case of their letters."
    ]


def test_admin_may_change_the_case_of_a_persons_own_username(rf, admin, member):
    form_class = _admin_form(rf, admin, member)
    data = {**model_to_dict(member), "username": "Mia.Member", "skills": ""}
    data = {key: value for key, value in data.items() if value is not None}
    form = form_class(data=data, instance=member)

    assert "username" not in form.errors
