from __future__ import annotations

import re

import pytest
from django.urls import reverse

from groups import services
from groups.models import Group, Invitation, JoinRequest, Membership
from tests.factories import DepartmentFactory, UserFactory, make_post

pytestmark = pytest.mark.django_db


def _group(owner, kind=Group.Kind.OPEN, name="Standing desks", **fields):
    return services.create_group(creator=owner, name=name, kind=kind, **fields)


def test_directory_lists_open_and_private_groups_but_not_secret_ones(member_client, colleague):
    _group(colleague, Group.Kind.OPEN, "Open sesame")
    _group(colleague, Group.Kind.PRIVATE, "Private parts")
    _group(colleague, Group.Kind.SECRET, "Secret sauce")

    response = member_client.get(reverse("groups:directory"))

    assert response.status_code == 200
    assert "Open sesame" in response.text
    assert "Private parts" in response.text
    assert "Secret sauce" not in response.text


def test_directory_searches_and_filters_by_kind(member_client, colleague):
    _group(colleague, Group.Kind.OPEN, "Cycling club", description="bikes to work")
    _group(colleague, Group.Kind.PRIVATE, "Board games")

    by_text = member_client.get(reverse("groups:directory"), {"q": "BIKES"})
    by_kind = member_client.get(reverse("groups:directory"), {"kind": "private"})

    assert "Cycling club" in by_text.text and "Board games" not in by_text.text
    assert "Board games" in by_kind.text and "Cycling club" not in by_kind.text


def test_directory_runs_a_bounded_number_of_queries(
    member_client, colleague, django_assert_max_num_queries
):
    for i in range(3):
        _group(colleague, name=f"Group {i}")
    with django_assert_max_num_queries(8):
        small = member_client.get(reverse("groups:directory"))
    for i in range(3, 30):
        _group(colleague, name=f"Group {i}")
    with django_assert_max_num_queries(8):
        large = member_client.get(reverse("groups:directory"))
    assert small.text.count('class="card group-card"') == 3
    assert large.text.count('class="card group-card"') == 30


def test_create_a_group_makes_me_its_owner(member_client, member):
    response = member_client.post(
        reverse("groups:create"),
        {"name": "Sales onboarding", "description": "Help new sellers", "kind": "private"},
    )

    group = Group.objects.get(name="Sales onboarding")
    assert response.status_code == 302 and response["Location"] == group.get_absolute_url()
    assert Membership.objects.get(group=group).user == member
    assert Membership.objects.get(group=group).role == Membership.Role.OWNER


def test_create_a_group_without_a_name_keeps_what_was_typed(member_client):
    response = member_client.post(
        reverse("groups:create"), {"name": "  ", "description": "my careful words", "kind": "open"}
    )

    assert response.status_code == 422
    assert "Give the group a name." in response.text
    assert "my careful words" in response.text
    assert not Group.objects.exists()


def test_join_an_open_group_and_post_in_it(member_client, member, colleague):
    group = _group(colleague)

    member_client.post(reverse("groups:join", args=[group.slug]))
    response = member_client.post(
        reverse("posts:create"), {"body": "hello desks", "group": group.pk}, follow=True
    )

    assert Membership.objects.filter(group=group, user=member).exists()
    assert response.status_code == 200
    page = member_client.get(group.get_absolute_url())
    assert "hello desks" in page.text


def test_posting_into_a_group_i_am_not_in_is_refused_and_keeps_the_text(member_client, colleague):
    group = _group(colleague, Group.Kind.OPEN)

    response = member_client.post(
        reverse("posts:create"), {"body": "sneaky words", "group": group.pk}
    )

    assert response.status_code == 422
    assert "sneaky words" in response.text
    assert not group.posts.exists()


def test_private_group_page_shows_the_card_but_no_posts_to_outsiders(member_client, colleague):
    group = _group(colleague, Group.Kind.PRIVATE, "Inner circle")
    make_post(colleague, "PRIVATE-MARKER-1", group=group)

    response = member_client.get(group.get_absolute_url())

    assert response.status_code == 200
    assert "Inner circle" in response.text and "Ask to join" in response.text
    assert "PRIVATE-MARKER-1" not in response.text


def test_secret_group_page_is_a_404_to_outsiders(member_client, colleague):
    group = _group(colleague, Group.Kind.SECRET, "Hidden")

    assert member_client.get(group.get_absolute_url()).status_code == 404
    assert member_client.get(reverse("groups:members", args=[group.slug])).status_code == 404


def test_request_then_manager_approves(client, member, colleague):
    group = _group(colleague, Group.Kind.PRIVATE)
    client.force_login(member)
    client.post(reverse("groups:join", args=[group.slug]), {"message": "let me in"})
    join_request = JoinRequest.objects.get(group=group, user=member)
    assert join_request.message == "let me in"

    client.force_login(colleague)
    page = client.get(reverse("groups:member_requests", args=[group.slug]))
    assert "let me in" in page.text
    client.post(reverse("groups:approve", args=[group.slug, join_request.pk]))
    client.post(reverse("groups:approve", args=[group.slug, join_request.pk]))  # double submit

    assert Membership.objects.filter(group=group, user=member).count() == 1
    group.refresh_from_db()
    assert group.member_count == 2


def test_invite_a_department_makes_nobody_a_member(client, member, colleague):
    sales = DepartmentFactory(name="Sales")
    UserFactory.create_batch(3, department=sales)
    group = _group(colleague, Group.Kind.SECRET)
    client.force_login(colleague)

    response = client.post(
        reverse("groups:invite", args=[group.slug]), {"department": sales.pk}, follow=True
    )

    assert "4 invitations sent to Sales. Each person decides whether to join." in response.text
    assert Invitation.objects.filter(group=group).count() == sales.people.count() == 4
    assert Membership.objects.filter(group=group).count() == 1  # the owner only


def test_invitee_sees_the_invitation_and_accepts(client, member, colleague):
    group = _group(colleague, Group.Kind.SECRET, "Skunkworks")
    services.invite(group=group, inviter=colleague, people=[member])
    client.force_login(member)

    home = client.get(reverse("home"))
    assert "Skunkworks" in home.text
    invitation = Invitation.objects.get(invitee=member)
    response = client.post(reverse("groups:accept", args=[invitation.pk]))

    assert response["Location"] == group.get_absolute_url()
    assert Membership.objects.filter(group=group, user=member).exists()


def test_invite_unknown_usernames_says_who_is_unknown(client, colleague):
    group = _group(colleague)
    client.force_login(colleague)

    response = client.post(
        reverse("groups:invite", args=[group.slug]), {"usernames": "nobody.here"}, follow=True
    )

    assert "Nobody is called nobody.here." in response.text


def test_last_owner_cannot_leave_with_members_left(client, member, colleague):
    group = _group(colleague)
    services.join_group(user=member, group=group)
    client.force_login(colleague)

    response = client.post(reverse("groups:leave", args=[group.slug]), follow=True)

    assert "You are the last owner" in response.text
    assert Membership.objects.filter(group=group, user=colleague).exists()


def test_members_page_and_group_page_run_a_bounded_number_of_queries(
    client, colleague, django_assert_max_num_queries
):
    group = _group(colleague)
    client.force_login(colleague)
    for n in (3, 40):
        for person in UserFactory.create_batch(n):
            services.join_group(user=person, group=group)
            make_post(person, f"post by {person.username}", group=group)
        # The owner's pages: one query more than before issue 11, the requests and reports
        # waiting for them (one aggregate, for the counts beside the manage links).
        with django_assert_max_num_queries(13):
            members = client.get(reverse("groups:members", args=[group.slug]))
        with django_assert_max_num_queries(15):
            page = client.get(group.get_absolute_url())
        assert members.status_code == page.status_code == 200
        assert len(re.findall(r'<article class="card post', page.text)) == min(
            3 if n == 3 else 20, 20
        )


def test_admin_cannot_enrol_anyone_from_django_admin(client, admin, colleague):
    group = _group(colleague)
    client.force_login(admin)

    assert client.get(reverse("admin:groups_group_change", args=[group.pk])).status_code == 200
    assert client.get(reverse("admin:groups_membership_changelist")).status_code == 200
    assert client.get(reverse("admin:groups_membership_add")).status_code == 403
    assert client.get(reverse("admin:groups_invitation_add")).status_code == 403
    assert client.get(reverse("admin:groups_auditentry_changelist")).status_code == 200
    entry = group.audit_entries.first()
    assert (
        client.post(reverse("admin:groups_auditentry_delete", args=[entry.pk])).status_code == 403
    )


def test_guest_fields_are_in_the_admin_and_a_guest_needs_a_sponsor(client, admin):
    client.force_login(admin)
    guest = UserFactory(username="gus.guest", is_guest=True)
    url = reverse("admin:people_user_change", args=[guest.pk])

    page = client.get(url)
    assert "External guest" in page.text
    response = client.post(
        url,
        {
            "username": "gus.guest",
            "is_active": "on",
            "is_guest": "on",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
        },
    )
    assert response.status_code == 200
    assert "A guest needs a sponsor" in response.text


def test_a_cover_image_is_as_secret_as_its_group(client, member, colleague):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.factories import image_upload

    group = _group(colleague, Group.Kind.SECRET, "Skunkworks")
    client.force_login(colleague)
    edit = client.post(
        reverse("groups:edit", args=[group.slug]),
        {"name": "Skunkworks", "kind": "secret", "cover": image_upload("cover.png")},
    )
    assert edit.status_code == 302
    group.refresh_from_db()
    assert group.cover
    assert client.get(reverse("groups:cover", args=[group.slug])).status_code == 200

    client.force_login(member)
    assert client.get(reverse("groups:cover", args=[group.slug])).status_code == 404

    client.force_login(colleague)
    bad = client.post(
        reverse("groups:edit", args=[group.slug]),
        {
            "name": "Skunkworks renamed",
            "kind": "secret",
            "cover": SimpleUploadedFile("cover.png", b"not an image", "image/png"),
        },
    )
    assert bad.status_code == 422
    assert "Skunkworks renamed" in bad.text  # what was typed is kept


def test_an_invitation_to_nobody_comes_back_with_the_error_and_the_names_typed(client, colleague):
    group = _group(colleague)
    UserFactory(username="zoe.mulder")
    client.force_login(colleague)
    response = client.post(
        reverse("groups:invite", args=[group.slug]), {"usernames": "zoe.mulder, marieke"}
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "Nobody is called marieke." in html
    assert 'value="zoe.mulder, marieke"' in html
    empty = client.post(reverse("groups:invite", args=[group.slug]), {"usernames": ""})
    assert empty.status_code == 422
    assert "Name at least one person, a department or a location." in empty.content.decode()
