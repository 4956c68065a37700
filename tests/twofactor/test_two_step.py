"""Two-step sign-in: turning it on with the app's code, recovery codes, turning it off, the
code step after a correct password (ours and Django admin's), the lock and the throttle on
wrong codes, and the site's requirement for administrators."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import BACKEND_SESSION_KEY, SESSION_KEY
from django.core import mail
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import PASSWORD, UserFactory
from tests.twofactor.conftest import code_at
from twofactor import selectors, services
from twofactor.models import TwoStepPolicy
from twofactor.pending import PENDING_SESSION_KEY

pytestmark = pytest.mark.django_db

ENROL = "/two-step/on/"
SETTINGS = "/two-step/"
CODE_STEP = "/accounts/login/code/"


def _secret_on_page(html: str) -> str:
    return re.search(r'id="two-step-secret">([A-Z2-7 ]+)<', html).group(1)


def _turn_on(user, clock) -> tuple[str, list[str]]:
    """Two-step sign-in on for `user` through the services: (secret, recovery codes)."""
    device = services.start_enrolment(user=user)
    secret = selectors.secret_for_typing(device)
    codes = services.confirm_enrolment(user=user, code=code_at(secret, clock.now))
    return secret, codes


def _signed_in(client) -> bool:
    return SESSION_KEY in client.session


def _password_step(client, user, *, next_page: str = "", url: str = "/accounts/login/"):
    data = {"username": user.username, "password": PASSWORD}
    if next_page:
        data["next"] = next_page
    return client.post(url, data)


# Turning it on.


def test_turning_on_refuses_a_wrong_code_and_keeps_the_same_secret(client, member, clock):
    client.force_login(member)
    page = client.get(ENROL)
    secret = _secret_on_page(page.text)
    assert "<svg" in page.text  # the QR code, drawn inline: no image from elsewhere

    wrong = client.post(ENROL, {"code": "000000"})

    assert wrong.status_code == 422
    assert "That code is not right" in wrong.text
    assert _secret_on_page(wrong.text) == secret
    assert not selectors.has_two_step(member)

    right = client.post(ENROL, {"code": code_at(secret, clock.now)})

    assert right.status_code == 200
    assert "Two-step sign-in is on." in right.text
    codes = re.findall(r"<code>([a-z2-7]{4}-[a-z2-7]{4})</code>", right.text)
    assert len(codes) == 10
    assert selectors.has_two_step(member)
    assert selectors.recovery_codes_left(member) == 10
    # This session typed the code: it counts as verified.
    assert client.session[DEVICE_ID_SESSION_KEY]


def test_a_code_typed_with_spaces_turns_it_on(member, clock):
    device = services.start_enrolment(user=member)
    code = code_at(selectors.secret_for_typing(device), clock.now)

    services.confirm_enrolment(user=member, code=f" {code[:3]} {code[3:]} ")

    assert selectors.has_two_step(member)


def test_a_guest_can_turn_it_on(client, clock):
    guest = UserFactory(username="gus.guest", is_guest=True)
    client.force_login(guest)
    secret = _secret_on_page(client.get(ENROL).text)

    client.post(ENROL, {"code": code_at(secret, clock.now)})

    assert selectors.has_two_step(guest)


def test_the_settings_page_is_linked_next_to_change_password(member_client):
    html = member_client.get("/").text

    assert html.index(reverse("password_change")) < html.index(f'href="{SETTINGS}"')


# Recovery codes and turning it off.


def test_new_recovery_codes_replace_the_old_ones(member_client, member, clock):
    _secret, old = _turn_on(member, clock)

    page = member_client.post("/two-step/recovery-codes/")

    new = re.findall(r"<code>([a-z2-7]{4}-[a-z2-7]{4})</code>", page.text)
    assert len(new) == 10
    assert page["Cache-Control"] == "no-store"
    tokens = set(StaticToken.objects.values_list("token", flat=True))
    assert tokens == {code.replace("-", "") for code in new}
    assert not tokens & {code.replace("-", "") for code in old}


def test_turning_off_with_the_password(member_client, member, clock):
    _turn_on(member, clock)

    response = member_client.post("/two-step/off/", {"proof": PASSWORD})

    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=member).exists()
    assert not StaticDevice.objects.filter(user=member).exists()


def test_turning_it_off_is_told_to_the_person_by_email_in_their_language(
    member_client, member, clock, django_capture_on_commit_callbacks, settings
):
    """If it was not them (a session left open), this is how they learn of it."""
    settings.SITE_URL = "https://esn.example.org"
    member.language = "nl"
    member.save(update_fields=["language"])
    _turn_on(member, clock)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        member_client.post("/two-step/off/", {"proof": PASSWORD})

    [notice] = mail.outbox
    assert notice.to == [member.email]
    assert notice.subject == "Tweestapsverificatie staat uit voor je account"
    assert "https://esn.example.org/accounts/password_change/" in notice.body
    assert "https://esn.example.org/two-step/" in notice.body
    assert PASSWORD not in notice.body


def test_a_refused_attempt_to_turn_it_off_sends_nothing(
    member_client, member, clock, django_capture_on_commit_callbacks
):
    _turn_on(member, clock)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        member_client.post("/two-step/off/", {"proof": "not-my-password"})

    assert mail.outbox == []


def test_turning_off_with_a_current_code(member_client, member, clock):
    secret, _codes = _turn_on(member, clock)
    clock.now += 30  # the next code: the one used to turn it on cannot be used twice

    member_client.post("/two-step/off/", {"proof": code_at(secret, clock.now)})

    assert not selectors.has_two_step(member)


def test_turning_off_refuses_a_wrong_proof(member_client, member, clock):
    _turn_on(member, clock)

    response = member_client.post("/two-step/off/", {"proof": "not-my-password"})

    assert response.status_code == 422
    assert "neither a current code nor your password" in response.text
    assert selectors.has_two_step(member)


# The code step of signing in.


def test_without_two_step_the_password_signs_in(client, member):
    response = _password_step(client, member, next_page="/groups/")

    assert response.status_code == 302
    assert response["Location"] == "/groups/"
    assert _signed_in(client)


def test_the_code_step_signs_in_and_keeps_next(client, member, clock):
    secret, _codes = _turn_on(member, clock)
    clock.now += 30

    first = _password_step(client, member, next_page="/groups/")

    assert first.status_code == 302
    assert first["Location"] == f"{CODE_STEP}?next=%2Fgroups%2F"
    assert not _signed_in(client)
    assert client.get("/").status_code == 302  # not signed in between the steps
    page = client.get(first["Location"])
    assert 'value="/groups/"' in page.text

    second = client.post(CODE_STEP, {"code": code_at(secret, clock.now), "next": "/groups/"})

    assert second.status_code == 302
    assert second["Location"] == "/groups/"
    assert _signed_in(client)
    assert client.session[DEVICE_ID_SESSION_KEY]
    assert PENDING_SESSION_KEY not in client.session
    assert client.get("/groups/").status_code == 200


def test_a_wrong_code_says_so_and_does_not_sign_in(client, member, clock):
    _turn_on(member, clock)
    _password_step(client, member)

    response = client.post(CODE_STEP, {"code": "123456"})

    assert response.status_code == 422
    assert "That code is not right" in response.text
    assert not _signed_in(client)


def test_a_recovery_code_works_once(client, member, clock):
    _secret, codes = _turn_on(member, clock)
    _password_step(client, member)

    response = client.post(CODE_STEP, {"code": codes[0].upper()})

    assert response.status_code == 302
    assert _signed_in(client)
    assert selectors.recovery_codes_left(member) == 9
    client.post(reverse("logout"))

    _password_step(client, member)
    again = client.post(CODE_STEP, {"code": codes[0]})

    assert again.status_code == 422
    assert not _signed_in(client)


def test_wrong_codes_wait_longer_each_time(client, member, clock):
    _turn_on(member, clock)
    _password_step(client, member)
    client.post(CODE_STEP, {"code": "123456"})
    # Several wrong codes ago: the next try must wait (django-otp doubles the wait each time).
    TOTPDevice.objects.filter(user=member).update(throttling_failure_count=8)

    response = client.post(CODE_STEP, {"code": "654321"})

    assert response.status_code == 422
    assert "Too many wrong codes. Wait" in response.text
    assert not _signed_in(client)


def test_wrong_codes_count_towards_the_sign_in_lock(client, member, clock, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # the lock alone, here
    secret, _codes = _turn_on(member, clock)
    clock.now += 30
    _password_step(client, member)
    for _ in range(4):
        assert client.post(CODE_STEP, {"code": "123456"}).status_code == 422

    fifth = client.post(CODE_STEP, {"code": "123456"})

    assert fifth.status_code == 429
    assert "Too many failed attempts" in fifth.text
    # Locked for this account and address: neither the right code nor the password help now.
    assert client.post(CODE_STEP, {"code": code_at(secret, clock.now)}).status_code == 429
    assert not _signed_in(client)
    assert _password_step(client, member).status_code == 429


def test_the_code_step_without_a_password_step_goes_back_to_sign_in(client):
    response = client.get(f"{CODE_STEP}?next=/groups/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_admin_sign_in_asks_for_the_code_too(client, admin, clock):
    secret, _codes = _turn_on(admin, clock)
    clock.now += 30

    first = _password_step(client, admin, url="/admin/login/", next_page="/admin/")

    assert first.status_code == 302
    assert first["Location"].startswith(CODE_STEP)
    assert not _signed_in(client)
    second = client.post(CODE_STEP, {"code": code_at(secret, clock.now), "next": "/admin/"})
    assert second["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_admin_sign_in_without_two_step_still_works(client, admin):
    response = client.post(
        "/admin/login/?next=/admin/", {"username": admin.username, "password": PASSWORD}
    )

    assert response.status_code == 302
    assert _signed_in(client)


# The site's requirement for administrators.


@pytest.fixture
def required():
    TwoStepPolicy(require_for_admins=True).save()


def test_the_requirement_is_off_by_default_and_cached(django_assert_num_queries):
    assert TwoStepPolicy.current().require_for_admins is False
    TwoStepPolicy(require_for_admins=True).save()
    with django_assert_num_queries(1):  # the row, once: later reads come from the cache
        assert TwoStepPolicy.current().require_for_admins is True
        assert TwoStepPolicy.current().require_for_admins is True


def test_required_sends_an_admin_without_a_device_to_set_it_up(client, admin, required):
    _password_step(client, admin)

    for path in ("/", "/admin/", "/groups/"):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith(ENROL)
    assert client.get(ENROL).status_code == 200


def test_required_sends_an_admin_through_the_code_step(client, admin, required, clock):
    secret, _codes = _turn_on(admin, clock)
    clock.now += 30

    assert _password_step(client, admin)["Location"].startswith(CODE_STEP)
    client.post(CODE_STEP, {"code": code_at(secret, clock.now)})

    assert client.get("/admin/").status_code == 200


def test_required_asks_an_older_admin_session_for_the_code(client, admin, required, clock):
    secret, _codes = _turn_on(admin, clock)
    clock.now += 30
    client.force_login(admin, backend="people.backends.AccountBackend")

    response = client.get("/admin/")

    assert response["Location"] == f"{CODE_STEP}?next=%2Fadmin%2F"
    client.post(CODE_STEP, {"code": code_at(secret, clock.now), "next": "/admin/"})
    assert client.get("/admin/").status_code == 200


def test_required_never_applies_to_ordinary_people(member_client, required):
    assert member_client.get("/").status_code == 200


def test_required_exempts_single_sign_on_sessions(client, admin, required):
    client.force_login(admin, backend="sso.backends.ProviderBackend")

    assert client.session[BACKEND_SESSION_KEY] == "sso.backends.ProviderBackend"
    assert client.get("/admin/").status_code == 200


def test_required_admin_cannot_turn_it_off(client, admin, required, clock):
    secret, _codes = _turn_on(admin, clock)
    clock.now += 30
    _password_step(client, admin)
    client.post(CODE_STEP, {"code": code_at(secret, clock.now)})

    response = client.post("/two-step/off/", {"proof": PASSWORD})

    assert response.status_code == 422
    assert selectors.has_two_step(admin)


def test_admins_change_the_requirement_in_django_admin(client, admin):
    client.force_login(admin)

    door = client.get("/admin/twofactor/twosteppolicy/")
    change = door["Location"]
    client.post(change, {"require_for_admins": "on"})

    assert TwoStepPolicy.current().require_for_admins is True
