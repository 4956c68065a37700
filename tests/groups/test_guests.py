"""Guests, expiry, deactivation and revocation, and group posts in the home feed: what each
viewer may see, through the one policy (access.posts: visible_posts / can_view_post)."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.contrib.auth import authenticate
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from access import actions as access_actions
from access import groups as access_groups
from access import posts as access_posts
from access.viewer import Viewer
from groups import services
from groups.models import Group, GroupSettings, Invitation
from hashtags.models import Hashtag
from hashtags.services import follow_hashtag
from people.forms import SignInForm
from people.services import follow_person
from posts import selectors as post_selectors
from posts import services as post_services
from posts.models import Post
from tests.factories import PASSWORD, UserFactory, make_post
from tests.groups.helpers import add_member, is_member, make_group

pytestmark = pytest.mark.django_db


def visible_ids(viewer) -> set[int]:
    return set(access_posts.visible_posts(viewer).values_list("pk", flat=True))


def agree(viewer, posts) -> set[int]:
    """The ids of `posts` that `viewer` sees, asserting the queryset and the per-object check
    give the same answer for each."""
    in_queryset = visible_ids(viewer)
    seen = set()
    for post in posts:
        per_object = access_posts.can_view_post(
            viewer, Post.objects.select_related("group").get(pk=post.pk)
        )
        assert (post.pk in in_queryset) == per_object, (viewer, post.body)
        if per_object:
            seen.add(post.pk)
    return seen


def home_ids(viewer) -> set[int]:
    return {p.pk for p in post_selectors.home_feed(viewer, limit=50).posts}


@pytest.fixture
def world(owner, colleague, guest):
    """Posts everywhere: company-wide, an open group, a private group, a secret group, and a
    guest-friendly private group the guest accepted an invitation to."""
    open_g = make_group(owner, Group.Kind.OPEN)
    private = make_group(owner, Group.Kind.PRIVATE)
    secret = make_group(owner, Group.Kind.SECRET)
    client_room = make_group(owner, Group.Kind.PRIVATE, name="Client Room", allow_guests=True)
    add_member(client_room, owner, guest)
    return SimpleNamespace(
        company=make_post(colleague, "company-wide news"),
        open=make_post(owner, "open group post", group=open_g),
        private=make_post(owner, "private group post", group=private),
        secret=make_post(owner, "secret group post", group=secret),
        client=make_post(owner, "client room post", group=client_room),
        client_room=client_room,
        private_group=private,
    )


def every(world):
    return [world.company, world.open, world.private, world.secret, world.client]


# --- guests ---------------------------------------------------------------------------------


def test_a_guest_sees_only_the_posts_of_their_own_groups(world, guest):
    assert agree(guest, every(world)) == {world.client.pk}
    assert visible_ids(guest) == {world.client.pk}


def test_a_guest_sees_nothing_of_people_they_follow_outside_their_groups(world, guest, colleague):
    follow_person(follower=guest, followee=colleague)

    assert home_ids(guest) == {world.client.pk}
    assert post_selectors.posts_by(guest, author=colleague).posts == []


def test_an_employee_sees_company_wide_open_and_own_groups_only(world, colleague):
    assert agree(colleague, every(world)) == {world.company.pk, world.open.pk}


def test_guests_cannot_create_groups(guest, owner):
    assert not access_actions.can_create_groups(guest)
    assert access_actions.can_create_groups(owner)

    with pytest.raises(PermissionDenied):
        services.create_group(creator=guest, name="Guest club", kind=Group.Kind.OPEN)
    assert not Group.objects.filter(name="Guest club").exists()


def test_when_only_admins_create_groups_employees_cannot_either(owner, admin):
    rules = GroupSettings.current()
    rules.only_admins_create_groups = True
    rules.save()

    assert not access_actions.can_create_groups(owner)
    assert access_actions.can_create_groups(admin)


def test_guests_are_invited_only_into_groups_that_allow_guests(owner, guest):
    closed = make_group(owner, Group.Kind.PRIVATE, name="Internal")
    welcoming = make_group(owner, Group.Kind.PRIVATE, name="Partners", allow_guests=True)

    sent, skipped = services.invite(group=closed, inviter=owner, people=[guest])

    assert sent == 0
    assert skipped == ["Gina Guest is a guest, and this group does not accept guests."]
    assert not Invitation.objects.filter(group=closed).exists()

    sent, skipped = services.invite(group=welcoming, inviter=owner, people=[guest])

    assert (sent, skipped) == (1, [])
    assert not is_member(guest, welcoming)
    services.accept_invitation(invitation=Invitation.objects.get(group=welcoming), user=guest)
    assert is_member(guest, welcoming)


def test_a_guest_whose_group_stopped_allowing_guests_cannot_accept(owner, guest):
    group = make_group(owner, Group.Kind.PRIVATE, allow_guests=True)
    services.invite(group=group, inviter=owner, people=[guest])
    services.update_group(group=group, editor=owner, allow_guests=False)

    with pytest.raises(PermissionDenied):
        services.accept_invitation(invitation=Invitation.objects.get(group=group), user=guest)
    assert not is_member(guest, group)


def test_department_invitations_skip_guests(owner, member):
    group = make_group(owner, Group.Kind.PRIVATE, allow_guests=True)
    visitor = UserFactory(is_guest=True, sponsor=member, department=member.department)

    services.invite_department(group=group, inviter=owner, department=member.department)

    assert set(Invitation.objects.values_list("invitee_id", flat=True)) == {member.pk}
    assert not Invitation.objects.filter(invitee=visitor).exists()


def test_guests_cannot_ask_to_join_or_post_company_wide(owner, guest):
    group = make_group(owner, Group.Kind.PRIVATE, allow_guests=True)

    with pytest.raises(PermissionDenied):
        services.request_to_join(user=guest, group=group)
    with pytest.raises(ValidationError):
        post_services.create_post(author=guest, body="hello everyone")
    assert not Post.objects.filter(author=guest).exists()


def test_a_guest_member_posts_in_their_group_but_is_never_made_a_manager(world, owner, guest):
    post = post_services.create_post(author=guest, body="hi team", group=world.client_room)

    with pytest.raises(ValidationError):
        services.set_role(group=world.client_room, manager=owner, person=guest, role="manager")
    assert post.group == world.client_room
    assert not access_actions.can_manage_group(guest, world.client_room)


# --- guest expiry ---------------------------------------------------------------------------


def expire(user):
    user.guest_expires_on = timezone.localdate() - timedelta(days=1)
    user.save(update_fields=["guest_expires_on"])


def test_a_guest_is_in_until_the_end_of_their_last_day(guest):
    guest.guest_expires_on = timezone.localdate()
    guest.save()

    assert Viewer.of(guest).can_use_site and not guest.guest_expired


def test_an_expired_guest_sees_nothing(world, guest):
    assert visible_ids(guest) == {world.client.pk}

    expire(guest)

    assert guest.guest_expired
    assert not Viewer.of(guest).can_use_site
    assert agree(guest, every(world)) == set()
    assert visible_ids(guest) == set()
    assert post_selectors.home_feed(guest).posts == []
    assert not access_groups.visible_groups(guest).exists()
    assert is_member(guest, world.client_room)  # still a member: access ends, rows stay


def test_an_expired_guest_cannot_authenticate(guest):
    assert authenticate(username=guest.username, password=PASSWORD) == guest

    expire(guest)

    assert authenticate(username=guest.username, password=PASSWORD) is None


def sign_in(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_an_expired_guest_learns_why_only_with_the_right_password(client, guest):
    expire(guest)

    wrong = sign_in(client, guest.username, "not-the-password")
    right = sign_in(client, guest.username, PASSWORD)

    assert "guest access ended" not in wrong.text
    assert "correct username and password" in wrong.text
    assert "guest access ended" in right.text
    assert "_auth_user_id" not in client.session


def test_sign_in_form_gives_the_expiry_error_code(rf, guest):
    expire(guest)
    form = SignInForm(request=rf.post("/"), data={"username": guest.username, "password": PASSWORD})

    assert not form.is_valid()
    assert [e.code for e in form.non_field_errors().as_data()] == ["guest_expired"]


def test_an_expired_guests_open_session_ends_at_the_next_request(client, guest):
    client.force_login(guest)
    assert client.get("/").status_code == 200

    expire(guest)
    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_session_forced_for_an_already_expired_guest_is_signed_out(client, guest):
    expire(guest)
    client.force_login(guest)

    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# --- deactivation, removal, bans ------------------------------------------------------------


def test_a_deactivated_member_sees_nothing(world, owner):
    assert agree(owner, every(world)) == {p.pk for p in every(world)}

    owner.is_active = False
    owner.save()

    assert agree(owner, every(world)) == set()
    assert post_selectors.home_feed(owner).posts == []
    assert not access_actions.can_manage_group(owner, world.private_group)


@pytest.mark.parametrize("kind", [Group.Kind.PRIVATE, Group.Kind.SECRET])
@pytest.mark.parametrize("how", ["removed", "banned"])
def test_a_member_put_out_stops_seeing_the_groups_posts_at_once(owner, member, kind, how):
    group = make_group(owner, kind)
    add_member(group, owner, member)
    post = make_post(owner, "members only", group=group)
    assert agree(member, [post]) == {post.pk}
    assert post.pk in home_ids(member)

    if how == "removed":
        services.remove_member(group=group, manager=owner, person=member, reason="moved on")
    else:
        services.ban_member(group=group, manager=owner, person=member, reason="leaks")

    assert agree(member, [post]) == set()
    assert post.pk not in home_ids(member)
    assert not access_groups.can_read_group(member, group)
    assert post_selectors.posts_in_group(member, group=group).posts == []


def test_leaving_a_private_group_ends_access_too(owner, member):
    group = make_group(owner, Group.Kind.PRIVATE)
    add_member(group, owner, member)
    post = make_post(owner, "members only", group=group)

    services.leave_group(user=member, group=group)

    assert agree(member, [post]) == set()


# --- group posts in the home feed -------------------------------------------------------------


@pytest.fixture
def crew(owner, member):
    group = make_group(owner, Group.Kind.PRIVATE, name="Night Shift")
    add_member(group, owner, member)
    return SimpleNamespace(group=group, post=make_post(owner, "handover notes", group=group))


def test_a_members_home_feed_has_their_groups_posts_with_the_reason(crew, member):
    items = {item.post.pk: item for item in post_selectors.home_feed(member).items}

    assert crew.post.pk in items
    assert items[crew.post.pk].reasons == ["you are in Night Shift"]


def test_a_muted_group_leaves_the_home_feed_but_not_the_group(crew, member):
    services.set_muted(user=member, group=crew.group, muted=True)

    assert crew.post.pk not in home_ids(member)
    assert agree(member, [crew.post]) == {crew.post.pk}
    assert [p.pk for p in post_selectors.posts_in_group(member, group=crew.group).posts] == [
        crew.post.pk
    ]

    services.set_muted(user=member, group=crew.group, muted=False)

    assert crew.post.pk in home_ids(member)


@pytest.mark.parametrize("per_source_max", [None, 0], ids=["per-source", "single-query"])
def test_a_followed_persons_secret_group_post_never_reaches_the_home_feed(
    monkeypatch, owner, member, colleague, per_source_max
):
    if per_source_max is not None:
        monkeypatch.setattr(post_selectors, "PER_SOURCE_MAX", per_source_max)
    follow_person(follower=member, followee=colleague)
    public = make_post(colleague, "company-wide #launch")
    follow_hashtag(user=member, hashtag=Hashtag.objects.get(slug="launch"))
    open_group = make_group(owner, Group.Kind.OPEN)
    services.join_group(user=colleague, group=open_group)
    in_open = make_post(colleague, "in an open group", group=open_group)
    hidden = []
    for kind in (Group.Kind.SECRET, Group.Kind.PRIVATE):
        group = make_group(owner, kind)
        add_member(group, owner, colleague)
        hidden.append(make_post(colleague, f"in a {kind} group #launch", group=group))

    ids = home_ids(member)

    assert public.pk in ids and in_open.pk in ids
    assert not ids & {p.pk for p in hidden}
    # Nor through pagination: one post per page never shows them either.
    seen, cursor = set(), None
    for _ in range(10):
        page = post_selectors.home_feed(member, cursor=cursor, limit=1)
        seen |= {p.pk for p in page.posts}
        if not page.next_cursor:
            break
        cursor = post_selectors.Cursor.decode(page.next_cursor)
    assert not seen & {p.pk for p in hidden}
    assert {public.pk, in_open.pk} <= seen


@pytest.mark.parametrize("per_source_max", [None, 0], ids=["per-source", "single-query"])
def test_a_guest_following_an_employee_sees_only_their_group_posts_in_the_home_feed(
    monkeypatch, world, guest, owner, per_source_max
):
    if per_source_max is not None:
        monkeypatch.setattr(post_selectors, "PER_SOURCE_MAX", per_source_max)
    follow_person(follower=guest, followee=owner)

    assert home_ids(guest) == {world.client.pk}
