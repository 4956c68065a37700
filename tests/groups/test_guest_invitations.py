"""Sponsors invite guests by email, within the groups they manage (issue 13): a guest account
with no password (a one-time link to choose one), sponsored by the manager, and an invitation
to that group only, which the guest accepts like anyone else."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from groups.models import Group, Invitation
from people.models import User
from tests.factories import UserFactory
from tests.groups.helpers import make_group

pytestmark = pytest.mark.django_db


@pytest.fixture
def kofi(db):
    return UserFactory(username="kofi.owner", first_name="Kofi", last_name="Owner")


def post_guest(client, group, **fields):
    data = {
        "email": "gina@client.example",
        "first_name": "Gina",
        "last_name": "Client",
        "organisation": "Client BV",
        "access_end": "2099-01-31",
        **fields,
    }
    return client.post(reverse("groups:invite_guest", args=[group.slug]), data)


def test_a_manager_invites_a_guest_by_email_and_becomes_their_sponsor(
    client, kofi, django_capture_on_commit_callbacks, settings
):
    settings.SITE_URL = "http://testserver"
    room = make_group(kofi, Group.Kind.PRIVATE, name="Client room", allow_guests=True)
    client.force_login(kofi)
    assert (
        "Invite a guest by email"
        in client.get(reverse("groups:member_invitations", args=[room.slug])).content.decode()
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = post_guest(client, room)
    assert response.status_code == 302
    gina = User.objects.get(email="gina@client.example")
    assert gina.is_guest and gina.sponsor == kofi and gina.organisation == "Client BV"
    assert not gina.has_usable_password()
    assert Invitation.objects.get(group=room, invitee=gina).status == Invitation.Status.PENDING
    assert not room.memberships.filter(user=gina).exists()  # she accepts, or not
    [message] = mail.outbox
    assert message.to == ["gina@client.example"] and "/accounts/reset/" in message.body

    # Invited again into another group: the same account, no second email.
    other = make_group(kofi, Group.Kind.SECRET, name="Second room", allow_guests=True)
    with django_capture_on_commit_callbacks(execute=True):
        post_guest(client, other)
    assert User.objects.filter(email__iexact="gina@client.example").count() == 1
    assert len(mail.outbox) == 1


def test_refusals_say_why_where_the_manager_looks_and_keep_what_was_typed(client, kofi):
    closed = make_group(kofi, Group.Kind.PRIVATE, name="Staff only", allow_guests=False)
    room = make_group(kofi, Group.Kind.PRIVATE, name="Client room", allow_guests=True)
    UserFactory(username="emp", email="emp@example.com")
    client.force_login(kofi)
    page = post_guest(client, room, email="emp@example.com", first_name="Typed")
    assert page.status_code == 422
    html = page.content.decode()
    assert "belongs to an employee" in html and 'value="Typed"' in html
    page = post_guest(client, room, access_end="2001-01-01")
    assert page.status_code == 422 and "Choose a day after today" in page.content.decode()
    # A group that does not accept guests offers no form, and refuses the post.
    assert (
        "Invite a guest by email"
        not in client.get(reverse("groups:member_invitations", args=[closed.slug])).content.decode()
    )
    assert post_guest(client, closed).status_code == 422
    assert not User.objects.filter(email="gina@client.example").exists()


def test_only_the_groups_managers_may_invite_guests(client, kofi, member):
    room = make_group(kofi, Group.Kind.PRIVATE, name="Client room", allow_guests=True)
    client.force_login(member)
    assert post_guest(client, room).status_code in (403, 404)
    assert not User.objects.filter(email="gina@client.example").exists()
