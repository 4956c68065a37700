"""What leaving does (issue 13): one service, whoever deactivates (an admin in Django admin,
later SCIM and the identity provider). Sessions end, open invitations are withdrawn, the
guests one sponsored get a grace period and their managers are told, groups left without an
owner or manager are flagged to the site admins; content stays. Coming back restores access,
not roles."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import formats, timezone

from digests.models import InboxItem
from digests.selectors import inbox_items
from groups import services as group_services
from groups.models import Group, Invitation, Membership
from people.models import User
from people.services import deactivate_person, reactivate_person
from tests.factories import UserFactory, make_post
from tests.groups.helpers import add_manager, add_member, make_group

pytestmark = pytest.mark.django_db
Kind = InboxItem.Kind


@pytest.fixture
def admin(db):
    return UserFactory(username="ada.admin", is_staff=True, is_superuser=True)


@pytest.fixture
def kofi(db):
    return UserFactory(username="kofi.owner", first_name="Kofi", last_name="Owner")


def test_leaving_ends_the_session_and_keeps_the_content(client, kofi, member):
    post = make_post(kofi, "My last words on standing desks")
    client.force_login(kofi)
    assert client.get(reverse("home")).status_code == 200
    assert deactivate_person(person=kofi) is True
    assert deactivate_person(person=kofi) is False  # once
    # The open session is refused at its next request.
    response = client.get(reverse("home"))
    assert response.status_code == 302 and reverse("login") in response["Location"]
    client.force_login(member)
    assert "My last words" in client.get(post.get_absolute_url()).content.decode()


def test_coming_back_does_not_revive_a_session_from_before_leaving(client, kofi):
    # A laptop handed in at leaving still holds its cookie when the person is rehired.
    client.force_login(kofi)
    deactivate_person(person=kofi)
    reactivate_person(person=kofi)
    response = client.get(reverse("home"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_after_ending_sessions_a_new_sign_in_works(client, kofi):
    from people.services import end_sessions

    client.force_login(kofi)
    end_sessions(kofi)
    assert client.get(reverse("home")).status_code == 302
    client.force_login(kofi)  # a new sign-in matches the new generation
    assert client.get(reverse("home")).status_code == 200


def test_their_open_invitations_are_withdrawn(kofi, member, django_capture_on_commit_callbacks):
    group = make_group(kofi, Group.Kind.PRIVATE, name="Partners")
    with django_capture_on_commit_callbacks(execute=True):
        group_services.invite(group=group, inviter=kofi, people=[member])
    assert inbox_items(member).filter(kind=Kind.INVITATION).exists()
    deactivate_person(person=kofi)
    assert group.invitations.get(invitee=member).status == Invitation.Status.REVOKED
    assert not inbox_items(member).filter(kind=Kind.INVITATION).exists()


def test_their_guests_get_a_grace_period_and_the_managers_are_told(
    kofi, settings, django_capture_on_commit_callbacks
):
    settings.GUEST_SPONSOR_GRACE_DAYS = 10
    room = make_group(kofi, Group.Kind.PRIVATE, name="Partner room", allow_guests=True)
    mo = UserFactory(username="mo.manager", first_name="Mo", last_name="Manager")
    add_manager(room, kofi, mo)
    far = timezone.localdate() + timedelta(days=90)
    soon = timezone.localdate() + timedelta(days=3)
    gus = UserFactory(username="gus.guest", is_guest=True, sponsor=kofi, guest_expires_on=far)
    gina = UserFactory(username="gina.guest", is_guest=True, sponsor=kofi, guest_expires_on=soon)
    add_member(room, kofi, gus)
    with django_capture_on_commit_callbacks(execute=True):
        deactivate_person(person=kofi)
    gus.refresh_from_db()
    gina.refresh_from_db()
    assert gus.guest_expires_on == timezone.localdate() + timedelta(days=10)
    assert gina.guest_expires_on == soon  # never longer than they had
    [told] = inbox_items(mo).filter(kind=Kind.SPONSOR_LEFT)
    assert told.group == room and told.actor_user == gus
    assert told.data["until"] == gus.guest_expires_on.isoformat()
    # The guest hears it too, with the day written out, and can reach their group.
    [own] = inbox_items(gus).filter(kind=Kind.SPONSOR_LEFT)
    assert own.actor_user == kofi and own.data["yours"] is True
    client = Client()
    client.force_login(gus)
    page = client.get(reverse("digests:inbox")).content.decode()
    day = formats.date_format(gus.guest_expires_on, "j F Y")
    assert f"Your sponsor <strong>{kofi.display_name}</strong> left the company" in page
    assert f"your access ends on {day}" in page
    opened = client.get(reverse("digests:open", args=[own.pk]))
    assert opened["Location"] == room.get_absolute_url()
    # Mo's row too shows the day, not an ISO date.
    client.force_login(mo)
    assert f"access ends on {day}" in client.get(reverse("digests:inbox")).content.decode()


def test_a_guest_whose_sponsor_managed_alone_is_flagged_to_the_site_admins(
    kofi, admin, django_capture_on_commit_callbacks
):
    room = make_group(kofi, Group.Kind.PRIVATE, name="Partner room", allow_guests=True)
    gus = UserFactory(username="gus.guest", is_guest=True, sponsor=kofi)
    add_member(room, kofi, gus)
    with django_capture_on_commit_callbacks(execute=True):
        deactivate_person(person=kofi)
    [told] = inbox_items(admin).filter(kind=Kind.SPONSOR_LEFT)
    assert told.actor_user == gus
    assert inbox_items(gus).filter(kind=Kind.SPONSOR_LEFT).count() == 1


def test_a_group_left_without_an_owner_or_manager_is_flagged_to_the_site_admins(
    kofi, member, admin, client, django_capture_on_commit_callbacks
):
    alone = make_group(kofi, Group.Kind.OPEN, name="Standing desks")
    shared = make_group(kofi, Group.Kind.OPEN, name="Python guild")
    add_member(alone, kofi, member)
    add_manager(shared, kofi, UserFactory(username="still.here"))
    with django_capture_on_commit_callbacks(execute=True):
        deactivate_person(person=kofi)
    [flag] = inbox_items(admin).filter(kind=Kind.GROUP_UNMANAGED)
    assert flag.group == alone
    assert not inbox_items(member).filter(kind=Kind.GROUP_UNMANAGED).exists()
    client.force_login(admin)
    html = client.get(reverse("digests:inbox")).content.decode()
    assert "<strong>Standing desks</strong> has no owner or manager left" in html
    listed = client.get(reverse("admin:groups_group_changelist"), {"led": "no"}).content.decode()
    assert "Standing desks" in listed and "Python guild" not in listed


def test_the_admin_deactivates_through_the_lifecycle(admin, kofi, member, client):
    group = make_group(kofi, Group.Kind.PRIVATE, name="Partners")
    group_services.invite(group=group, inviter=kofi, people=[member])
    client.force_login(admin)
    response = client.post(
        reverse("admin:people_user_changelist"),
        {"action": "deactivate", "_selected_action": [kofi.pk]},
    )
    assert response.status_code == 302
    assert not User.objects.get(pk=kofi.pk).is_active
    assert group.invitations.get(invitee=member).status == Invitation.Status.REVOKED


def test_coming_back_restores_access_not_the_roles_handed_over(kofi, member, client):
    group = make_group(kofi, Group.Kind.OPEN, name="Standing desks")
    add_member(group, kofi, member)
    deactivate_person(person=kofi)
    # Meanwhile an admin made the member owner and kofi a member.
    Membership.objects.filter(group=group, user=member).update(role=Membership.Role.OWNER)
    Membership.objects.filter(group=group, user=kofi).update(role=Membership.Role.MEMBER)
    assert reactivate_person(person=kofi) is True
    client.force_login(kofi)
    assert client.get(reverse("home")).status_code == 200
    assert Membership.objects.get(group=group, user=kofi).role == Membership.Role.MEMBER
