"""groups.services: consent first (ARCHITECTURE.md rule 5), roles, scope of managers,
archiving and the audit log."""

from __future__ import annotations

import ast
import inspect
from types import SimpleNamespace

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from access import posts as access_posts
from groups import moderation, services
from groups.models import AuditEntry, Ban, Group, Invitation, JoinRequest, Membership, Report
from posts import services as post_services
from posts.models import Comment
from tests.factories import DepartmentFactory, LocationFactory, UserFactory, make_post
from tests.groups.helpers import (
    add_manager,
    add_member,
    is_member,
    make_group,
    member_count,
    pending_request,
    refreshed,
)

pytestmark = pytest.mark.django_db

Action = AuditEntry.Action


def entries(group, action, **filters):
    return AuditEntry.objects.filter(group=group, action=action, **filters)


# --- creating and joining -------------------------------------------------------------------


def test_create_group_makes_the_creator_its_only_member_and_owner(owner):
    group = make_group(owner, Group.Kind.PRIVATE, name="Pricing Council")

    assert group.slug == "pricing-council"
    assert member_count(group) == 1
    assert Membership.objects.get(group=group).user == owner
    assert Membership.objects.get(group=group).role == Membership.Role.OWNER
    assert entries(group, Action.CREATED, actor=owner).count() == 1


def test_create_group_needs_a_name(owner):
    with pytest.raises(ValidationError):
        services.create_group(creator=owner, name="   ", kind=Group.Kind.OPEN)
    assert not Group.objects.exists()


def test_joining_an_open_group_is_one_click_and_idempotent(open_group, member):
    first = services.join_group(user=member, group=open_group)
    second = services.join_group(user=member, group=open_group)

    assert first.pk == second.pk
    assert first.role == Membership.Role.MEMBER
    assert member_count(open_group) == 2
    assert entries(open_group, Action.JOINED, actor=member).count() == 1


@pytest.mark.parametrize("kind", [Group.Kind.PRIVATE, Group.Kind.SECRET])
def test_join_group_refuses_groups_that_are_not_open(owner, member, kind):
    group = make_group(owner, kind)

    with pytest.raises(PermissionDenied):
        services.join_group(user=member, group=group)

    assert not is_member(member, group)
    assert member_count(group) == 1


def test_a_guest_cannot_join_even_an_open_group_that_allows_guests(owner, guest):
    group = make_group(owner, Group.Kind.OPEN, allow_guests=True)

    with pytest.raises(PermissionDenied):
        services.join_group(user=guest, group=group)

    assert not is_member(guest, group)


# --- join requests --------------------------------------------------------------------------


def test_a_request_to_join_is_pending_once_however_often_it_is_sent(private_group, member):
    first = services.request_to_join(user=member, group=private_group, message=" let me in ")
    second = services.request_to_join(user=member, group=private_group, message="again")

    assert first.pk == second.pk
    assert first.status == JoinRequest.Status.PENDING
    assert first.message == "let me in"
    assert JoinRequest.objects.filter(group=private_group, user=member).count() == 1
    assert entries(private_group, Action.REQUESTED, actor=member).count() == 1
    assert not is_member(member, private_group)


@pytest.mark.parametrize("kind", [Group.Kind.SECRET, Group.Kind.OPEN])
def test_requests_are_only_for_private_groups(owner, member, kind):
    group = make_group(owner, kind)

    with pytest.raises(PermissionDenied):
        services.request_to_join(user=member, group=group)

    assert not JoinRequest.objects.exists()


def test_approving_a_request_makes_the_requester_a_member_once(private_group, owner, member):
    request = pending_request(private_group, member)

    first = services.approve_request(request=request, manager=owner)
    second = services.approve_request(request=request, manager=owner)

    assert first.pk == second.pk
    assert first.user == member and first.role == Membership.Role.MEMBER
    assert member_count(private_group) == 2
    request.refresh_from_db()
    assert request.status == JoinRequest.Status.APPROVED
    assert request.decided_by == owner
    assert entries(private_group, Action.APPROVED, actor=owner, target_user=member).count() == 1


def test_a_declined_request_leaves_the_requester_outside(private_group, owner, member):
    request = pending_request(private_group, member)

    services.decline_request(request=request, manager=owner, reason="Finance only")
    services.decline_request(request=request, manager=owner, reason="again")

    request.refresh_from_db()
    assert request.status == JoinRequest.Status.DECLINED
    assert not is_member(member, private_group)
    declined = entries(private_group, Action.DECLINED_REQUEST, actor=owner, target_user=member)
    assert [e.reason for e in declined] == ["Finance only"]
    with pytest.raises(ValidationError):
        services.approve_request(request=request, manager=owner)
    assert not is_member(member, private_group)


def test_a_withdrawn_request_cannot_be_approved(private_group, owner, member):
    request = pending_request(private_group, member)

    services.withdraw_request(user=member, group=private_group)
    services.withdraw_request(user=member, group=private_group)

    request.refresh_from_db()
    assert request.status == JoinRequest.Status.WITHDRAWN
    assert entries(private_group, Action.WITHDREW, actor=member).count() == 1
    with pytest.raises(ValidationError):
        services.approve_request(request=request, manager=owner)
    assert not is_member(member, private_group)


def test_after_a_decline_the_person_may_ask_again(private_group, owner, member):
    services.decline_request(request=pending_request(private_group, member), manager=owner)

    again = services.request_to_join(user=member, group=private_group)

    assert again.status == JoinRequest.Status.PENDING
    assert JoinRequest.objects.filter(group=private_group, user=member).count() == 2


# --- invitations ----------------------------------------------------------------------------


def test_an_invitation_makes_nobody_a_member_until_they_accept(secret_group, owner, member):
    sent, skipped = services.invite(group=secret_group, inviter=owner, people=[member])

    assert (sent, skipped) == (1, [])
    invitation = Invitation.objects.get(group=secret_group, invitee=member)
    assert invitation.status == Invitation.Status.PENDING
    assert invitation.invited_by == owner
    assert not is_member(member, secret_group)
    assert member_count(secret_group) == 1
    secret = make_post(owner, "the merger date", group=secret_group)
    assert not access_posts.can_view_post(member, secret)
    with pytest.raises(PermissionDenied):
        post_services.create_post(author=member, body="me too", group=secret_group)

    membership = services.accept_invitation(invitation=invitation, user=member)

    assert membership.user == member and membership.role == Membership.Role.MEMBER
    assert member_count(secret_group) == 2
    assert access_posts.can_view_post(member, secret)
    assert entries(secret_group, Action.INVITED, actor=owner, target_user=member).count() == 1
    assert entries(secret_group, Action.ACCEPTED, actor=member).count() == 1


def test_inviting_twice_sends_one_invitation_and_says_why(secret_group, owner, member):
    services.invite(group=secret_group, inviter=owner, people=[member])

    sent, skipped = services.invite(group=secret_group, inviter=owner, people=[member])

    assert sent == 0
    assert skipped == ["Mia Member is already invited."]
    assert Invitation.objects.filter(group=secret_group, invitee=member).count() == 1


def test_inviting_members_and_banned_people_is_skipped_with_reasons(
    secret_group, owner, member, colleague
):
    add_member(secret_group, owner, member)
    services.ban_member(group=secret_group, manager=owner, person=colleague, reason="spam")

    sent, skipped = services.invite(group=secret_group, inviter=owner, people=[member, colleague])

    assert sent == 0
    assert skipped == [
        "Mia Member is already a member.",
        "Carl Colleague is banned from this group.",
    ]
    assert not Invitation.objects.filter(invitee=colleague).exists()


def test_inviting_a_deactivated_person_is_skipped(secret_group, owner, outsider):
    outsider.is_active = False
    outsider.save()

    sent, skipped = services.invite(group=secret_group, inviter=owner, people=[outsider])

    assert sent == 0
    assert skipped == ["Olga Outsider cannot sign in."]


def test_invite_department_invites_its_eligible_people_and_enrols_nobody(
    private_group, owner, member
):
    sales = member.department  # "Sales"
    already = UserFactory(department=sales)
    add_member(private_group, owner, already)
    banned = UserFactory(department=sales)
    services.ban_member(group=private_group, manager=owner, person=banned, reason="abuse")
    gone = UserFactory(department=sales, is_active=False)
    fresh = UserFactory(department=sales)
    elsewhere = UserFactory(department=DepartmentFactory(name="Legal"))
    before = member_count(private_group)

    sent, skipped = services.invite_department(group=private_group, inviter=owner, department=sales)

    assert sent == 2
    invited = set(
        Invitation.objects.filter(group=private_group, status="pending").values_list(
            "invitee_id", flat=True
        )
    )
    assert invited == {member.pk, fresh.pk}
    assert gone.pk not in invited and elsewhere.pk not in invited
    assert len(skipped) == 2  # the member and the banned person, each with a reason
    assert member_count(private_group) == before
    assert not is_member(member, private_group) and not is_member(fresh, private_group)


def test_invite_location_invites_everyone_there_and_enrols_nobody(secret_group, owner, member):
    utrecht = member.location
    neighbour = UserFactory(location=utrecht)
    UserFactory(location=LocationFactory(name="Lyon"))

    sent, skipped = services.invite_location(group=secret_group, inviter=owner, location=utrecht)

    assert (sent, skipped) == (2, [])
    assert set(
        Invitation.objects.filter(group=secret_group).values_list("invitee_id", flat=True)
    ) == {member.pk, neighbour.pk}
    assert member_count(secret_group) == 1


def test_accepting_twice_is_a_no_op(secret_group, owner, member):
    services.invite(group=secret_group, inviter=owner, people=[member])
    invitation = Invitation.objects.get(invitee=member)

    first = services.accept_invitation(invitation=invitation, user=member)
    second = services.accept_invitation(invitation=invitation, user=member)

    assert first.pk == second.pk
    assert member_count(secret_group) == 2
    assert entries(secret_group, Action.ACCEPTED, actor=member).count() == 1


def test_a_declined_invitation_cannot_be_accepted_later(secret_group, owner, member):
    services.invite(group=secret_group, inviter=owner, people=[member])
    invitation = Invitation.objects.get(invitee=member)

    services.decline_invitation(invitation=invitation, user=member)
    services.decline_invitation(invitation=invitation, user=member)

    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.DECLINED
    assert entries(secret_group, Action.DECLINED_INVITATION, actor=member).count() == 1
    with pytest.raises(ValidationError):
        services.accept_invitation(invitation=invitation, user=member)
    assert not is_member(member, secret_group)


def test_a_revoked_invitation_cannot_be_accepted(secret_group, owner, member):
    services.invite(group=secret_group, inviter=owner, people=[member])
    invitation = Invitation.objects.get(invitee=member)

    services.revoke_invitation(invitation=invitation, manager=owner)

    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.REVOKED
    assert entries(secret_group, Action.REVOKED, actor=owner, target_user=member).count() == 1
    with pytest.raises(ValidationError):
        services.accept_invitation(invitation=invitation, user=member)
    assert not is_member(member, secret_group)


def test_nobody_can_accept_or_decline_someone_elses_invitation(
    secret_group, owner, member, colleague
):
    services.invite(group=secret_group, inviter=owner, people=[member])
    invitation = Invitation.objects.get(invitee=member)

    with pytest.raises(PermissionDenied):
        services.accept_invitation(invitation=invitation, user=colleague)
    with pytest.raises(PermissionDenied):
        services.accept_invitation(invitation=invitation, user=owner)
    with pytest.raises(PermissionDenied):
        services.decline_invitation(invitation=invitation, user=owner)

    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.PENDING
    assert not is_member(member, secret_group) and not is_member(colleague, secret_group)


def test_accepting_an_invitation_answers_a_pending_request(private_group, owner, member):
    request = pending_request(private_group, member)
    services.invite(group=private_group, inviter=owner, people=[member])

    services.accept_invitation(invitation=Invitation.objects.get(invitee=member), user=member)

    request.refresh_from_db()
    assert request.status == JoinRequest.Status.APPROVED
    assert member_count(private_group) == 2
    assert services.approve_request(request=request, manager=owner).user == member
    assert member_count(private_group) == 2


# --- bans -----------------------------------------------------------------------------------


def test_a_banned_person_cannot_join_an_open_group(open_group, owner, member):
    services.join_group(user=member, group=open_group)
    services.ban_member(group=open_group, manager=owner, person=member, reason="harassment")

    assert not is_member(member, open_group)
    with pytest.raises(PermissionDenied):
        services.join_group(user=member, group=open_group)
    assert not is_member(member, open_group)
    ban = Ban.objects.get(group=open_group, user=member)
    assert ban.reason == "harassment" and ban.banned_by == owner


def test_a_banned_person_cannot_ask_to_join(private_group, owner, member):
    request = pending_request(private_group, member)
    services.ban_member(group=private_group, manager=owner, person=member, reason="spam")

    request.refresh_from_db()
    assert request.status == JoinRequest.Status.DECLINED
    with pytest.raises(PermissionDenied):
        services.request_to_join(user=member, group=private_group)
    with pytest.raises(ValidationError):
        services.approve_request(request=request, manager=owner)
    assert not is_member(member, private_group)


def test_a_banned_persons_pending_invitation_is_revoked_and_cannot_be_accepted(
    secret_group, owner, member
):
    services.invite(group=secret_group, inviter=owner, people=[member])
    invitation = Invitation.objects.get(invitee=member)

    services.ban_member(group=secret_group, manager=owner, person=member, reason="leaked")

    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.REVOKED
    with pytest.raises((PermissionDenied, ValidationError)):
        services.accept_invitation(invitation=invitation, user=member)
    assert not is_member(member, secret_group)


@pytest.mark.parametrize("how", ["banned", "removed"])
def test_a_member_who_lost_access_cannot_rejoin_through_their_old_invitation(
    secret_group, owner, member, how
):
    add_member(secret_group, owner, member)
    invitation = Invitation.objects.get(invitee=member, status=Invitation.Status.ACCEPTED)
    if how == "banned":
        services.ban_member(group=secret_group, manager=owner, person=member, reason="leaked")
    else:
        services.remove_member(group=secret_group, manager=owner, person=member, reason="moved")

    with pytest.raises((PermissionDenied, ValidationError)):
        services.accept_invitation(invitation=invitation, user=member)

    assert not is_member(member, secret_group)


def test_after_unban_the_person_may_join_again(open_group, owner, member):
    services.ban_member(group=open_group, manager=owner, person=member, reason="cool off")
    services.unban(group=open_group, manager=owner, person=member)

    services.join_group(user=member, group=open_group)

    assert is_member(member, open_group)
    assert entries(open_group, Action.UNBANNED, actor=owner, target_user=member).count() == 1


def test_a_ban_needs_a_reason_and_nobody_bans_themselves(open_group, owner, member):
    with pytest.raises(ValidationError):
        services.ban_member(group=open_group, manager=owner, person=member, reason="  ")
    with pytest.raises(ValidationError):
        services.ban_member(group=open_group, manager=owner, person=owner, reason="oops")
    assert not Ban.objects.exists()
    assert member_count(open_group) == 1


# --- consent: no path enrols someone else -----------------------------------------------------


def test_every_membership_goes_back_to_the_members_own_act(owner, member, colleague, outsider):
    group = make_group(owner, Group.Kind.PRIVATE)
    open_group = make_group(owner, Group.Kind.OPEN)
    services.invite(group=group, inviter=owner, people=[member, outsider])
    services.accept_invitation(invitation=Invitation.objects.get(invitee=member), user=member)
    request = pending_request(group, colleague)
    services.approve_request(request=request, manager=owner)
    services.join_group(user=outsider, group=open_group)
    services.set_role(group=group, manager=owner, person=member, role="manager")
    services.invite_department(group=group, inviter=member, department=colleague.department)

    assert not is_member(outsider, group)  # invited, never accepted
    for membership in Membership.objects.all():
        user, g = membership.user, membership.group
        own_act = AuditEntry.objects.filter(
            group=g,
            actor=user,
            action__in=[Action.CREATED, Action.JOINED, Action.ACCEPTED],
        ).exists()
        approved_own_request = (
            entries(g, Action.APPROVED, target_user=user).exists()
            and entries(g, Action.REQUESTED, actor=user).exists()
        )
        assert own_act or approved_own_request, membership
    # The consenting acts are always the person's own: nobody else's name is on them.
    for entry in AuditEntry.objects.filter(
        action__in=[Action.JOINED, Action.ACCEPTED, Action.REQUESTED, Action.LEFT]
    ):
        assert entry.target_user is None
        assert is_member(entry.actor, entry.group) or entry.action == Action.REQUESTED


def test_only_the_four_consent_paths_create_memberships():
    """A guard on the code itself: rows are created in `_add_member` only, and only
    create_group, join_group, approve_request and accept_invitation call it."""
    tree = ast.parse(inspect.getsource(services))
    callers, creators = set(), set()
    for func in tree.body:
        if not isinstance(func, ast.FunctionDef):
            continue
        for node in ast.walk(func):
            if not isinstance(node, ast.Call) or not isinstance(
                node.func, ast.Attribute | ast.Name
            ):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id
            if name == "_add_member":
                callers.add(func.name)
            if (
                isinstance(node.func, ast.Attribute)
                and name in {"create", "get_or_create", "bulk_create", "update_or_create"}
                and "Membership" in ast.unparse(node.func.value)
            ):
                creators.add(func.name)
    assert creators == {"_add_member"}
    assert callers == {"create_group", "join_group", "approve_request", "accept_invitation"}


# --- leaving --------------------------------------------------------------------------------


def test_a_member_leaves_in_one_call(open_group, member):
    services.join_group(user=member, group=open_group)

    services.leave_group(user=member, group=open_group)
    services.leave_group(user=member, group=open_group)

    assert not is_member(member, open_group)
    assert member_count(open_group) == 1
    assert entries(open_group, Action.LEFT, actor=member).count() == 1


def test_the_last_owner_cannot_leave_while_others_remain(open_group, owner, member):
    services.join_group(user=member, group=open_group)

    with pytest.raises(ValidationError):
        services.leave_group(user=owner, group=open_group)

    assert Membership.objects.get(group=open_group, user=owner).role == Membership.Role.OWNER
    assert member_count(open_group) == 2


def test_an_owner_can_leave_once_someone_else_is_owner(open_group, owner, member):
    services.join_group(user=member, group=open_group)
    services.set_role(group=open_group, manager=owner, person=member, role="owner")

    services.leave_group(user=owner, group=open_group)

    assert not is_member(owner, open_group)
    assert Membership.objects.get(group=open_group, user=member).role == Membership.Role.OWNER
    assert member_count(open_group) == 1


def test_the_only_member_may_leave(open_group, owner):
    services.leave_group(user=owner, group=open_group)

    assert member_count(open_group) == 0
    assert Group.objects.filter(pk=open_group.pk).exists()


# --- roles ----------------------------------------------------------------------------------


@pytest.fixture
def staffed(owner, member, colleague, outsider):
    """A private group: owner, a manager (member), plain members colleague and outsider."""
    group = make_group(owner, Group.Kind.PRIVATE)
    add_manager(group, owner, member)
    add_member(group, owner, colleague)
    add_member(group, owner, outsider)
    return SimpleNamespace(
        group=group, owner=owner, manager=member, plain=colleague, other=outsider
    )


def test_a_manager_removes_a_member(staffed):
    services.remove_member(
        group=staffed.group, manager=staffed.manager, person=staffed.plain, reason="left"
    )

    assert not is_member(staffed.plain, staffed.group)
    assert member_count(staffed.group) == 3
    entry = entries(staffed.group, Action.REMOVED_MEMBER).get()
    assert (entry.actor, entry.target_user, entry.reason) == (
        staffed.manager,
        staffed.plain,
        "left",
    )


def test_a_manager_cannot_remove_or_ban_an_owner(staffed):
    with pytest.raises(PermissionDenied):
        services.remove_member(group=staffed.group, manager=staffed.manager, person=staffed.owner)
    with pytest.raises(PermissionDenied):
        services.ban_member(
            group=staffed.group, manager=staffed.manager, person=staffed.owner, reason="coup"
        )

    assert is_member(staffed.owner, staffed.group)
    assert not Ban.objects.exists()


def test_a_manager_cannot_remove_another_manager(staffed):
    services.set_role(
        group=staffed.group, manager=staffed.owner, person=staffed.plain, role="manager"
    )

    with pytest.raises(PermissionDenied):
        services.remove_member(group=staffed.group, manager=staffed.manager, person=staffed.plain)

    assert is_member(staffed.plain, staffed.group)


def test_only_owners_make_owners(staffed):
    with pytest.raises(PermissionDenied):
        services.set_role(
            group=staffed.group, manager=staffed.manager, person=staffed.plain, role="owner"
        )
    with pytest.raises(PermissionDenied):
        services.set_role(
            group=staffed.group, manager=staffed.manager, person=staffed.manager, role="owner"
        )
    assert not Membership.objects.filter(
        group=staffed.group, role="owner", user__in=[staffed.plain, staffed.manager]
    ).exists()

    promoted = services.set_role(
        group=staffed.group, manager=staffed.owner, person=staffed.plain, role="owner"
    )

    assert promoted.role == Membership.Role.OWNER
    entry = entries(staffed.group, Action.PROMOTED, target_user=staffed.plain).get()
    assert entry.actor == staffed.owner
    assert entry.detail == "member → owner"


def test_a_plain_member_has_no_manager_powers(staffed):
    stranger = UserFactory()
    request = pending_request(staffed.group, stranger)

    with pytest.raises(PermissionDenied):
        services.approve_request(request=request, manager=staffed.plain)
    with pytest.raises(PermissionDenied):
        services.invite(group=staffed.group, inviter=staffed.plain, people=[stranger])
    with pytest.raises(PermissionDenied):
        services.remove_member(group=staffed.group, manager=staffed.plain, person=staffed.other)
    with pytest.raises(PermissionDenied):
        services.set_role(
            group=staffed.group, manager=staffed.plain, person=staffed.plain, role="manager"
        )

    assert not is_member(stranger, staffed.group)
    assert is_member(staffed.other, staffed.group)


def test_the_last_owner_cannot_be_demoted(staffed):
    with pytest.raises(ValidationError):
        services.set_role(
            group=staffed.group, manager=staffed.owner, person=staffed.owner, role="member"
        )
    assert Membership.objects.get(group=staffed.group, user=staffed.owner).role == "owner"


def test_set_role_never_creates_a_membership(staffed):
    stranger = UserFactory()

    with pytest.raises(ValidationError):
        services.set_role(group=staffed.group, manager=staffed.owner, person=stranger, role="owner")

    assert not is_member(stranger, staffed.group)


def test_set_role_rejects_unknown_roles(staffed):
    with pytest.raises(ValidationError):
        services.set_role(
            group=staffed.group, manager=staffed.owner, person=staffed.plain, role="emperor"
        )


# --- a manager's power ends at their own group ---------------------------------------------


@pytest.fixture
def other_group(owner, member, colleague, outsider):
    """Manager `member` runs group A; group B (private) belongs to `owner` with `colleague`
    in it, a pending request from `outsider`, an invitation, a post, a comment, a report."""
    a = make_group(UserFactory(username="alma.a-owner"), Group.Kind.OPEN)
    services.join_group(user=member, group=a)
    services.set_role(group=a, manager=a.created_by, person=member, role="manager")
    b = make_group(owner, Group.Kind.PRIVATE, name="Group B")
    add_member(b, owner, colleague)
    invitee = UserFactory(username="ivan.invitee")
    services.invite(group=b, inviter=owner, people=[invitee])
    banned = UserFactory(username="bert.banned")
    services.ban_member(group=b, manager=owner, person=banned, reason="spam")
    post = make_post(colleague, "in group B", group=b)
    comment = post_services.add_comment(post=post, author=owner, body="a comment")
    report = moderation.report(reporter=owner, post=post, reason="off-topic")
    return SimpleNamespace(
        a=a,
        b=b,
        manager=member,
        member_of_b=colleague,
        request=pending_request(b, outsider),
        invitation=Invitation.objects.get(invitee=invitee),
        banned=banned,
        post=post,
        comment=Comment.objects.get(pk=comment.pk),
        report=report,
    )


MANAGER_ACTIONS = {
    "approve": lambda s: services.approve_request(request=s.request, manager=s.manager),
    "decline": lambda s: services.decline_request(request=s.request, manager=s.manager),
    "invite": lambda s: services.invite(group=s.b, inviter=s.manager, people=[UserFactory()]),
    "invite_department": lambda s: services.invite_department(
        group=s.b, inviter=s.manager, department=s.member_of_b.department
    ),
    "revoke": lambda s: services.revoke_invitation(invitation=s.invitation, manager=s.manager),
    "remove": lambda s: services.remove_member(group=s.b, manager=s.manager, person=s.member_of_b),
    "ban": lambda s: services.ban_member(
        group=s.b, manager=s.manager, person=s.member_of_b, reason="because"
    ),
    "unban": lambda s: services.unban(group=s.b, manager=s.manager, person=s.banned),
    "set_role": lambda s: services.set_role(
        group=s.b, manager=s.manager, person=s.member_of_b, role="manager"
    ),
    "update_group": lambda s: services.update_group(group=s.b, editor=s.manager, name="Mine now"),
    "archive": lambda s: services.archive_group(group=s.b, user=s.manager),
    "pin": lambda s: moderation.set_pinned(post=s.post, user=s.manager, pinned=True),
    "lock": lambda s: moderation.set_comments_locked(post=s.post, user=s.manager, locked=True),
    "remove_post": lambda s: moderation.remove_post(post=s.post, user=s.manager, reason="spam"),
    "restore_post": lambda s: moderation.restore_post(post=s.post, user=s.manager),
    "remove_comment": lambda s: moderation.remove_comment(
        comment=s.comment, user=s.manager, reason="spam"
    ),
    "restore_comment": lambda s: moderation.restore_comment(comment=s.comment, user=s.manager),
    "resolve_report": lambda s: moderation.resolve_report(
        report=s.report, user=s.manager, resolution="removed"
    ),
    "report_queue": lambda s: moderation.report_queue(s.manager, s.b),
}


@pytest.mark.parametrize("also_a_member_of_b", [False, True], ids=["outside-b", "member-of-b"])
@pytest.mark.parametrize(
    "action",
    [name for name in MANAGER_ACTIONS],
)
def test_a_manager_of_one_group_cannot_act_in_another(other_group, action, also_a_member_of_b):
    s = other_group
    if also_a_member_of_b:
        add_member(s.b, s.b.created_by, s.manager)
    audit_before = list(AuditEntry.objects.filter(group=s.b).values_list("pk", flat=True))
    members_before = set(Membership.objects.filter(group=s.b).values_list("user_id", "role"))

    with pytest.raises(PermissionDenied):
        MANAGER_ACTIONS[action](s)

    assert list(AuditEntry.objects.filter(group=s.b).values_list("pk", flat=True)) == audit_before
    assert set(Membership.objects.filter(group=s.b).values_list("user_id", "role")) == (
        members_before
    )
    b = refreshed(s.b)
    assert (b.name, b.archived_at) == ("Group B", None)
    s.post.refresh_from_db()
    assert (s.post.pinned_at, s.post.removed_at, s.post.comments_locked) == (None, None, False)
    s.request.refresh_from_db()
    assert s.request.status == JoinRequest.Status.PENDING
    s.report.refresh_from_db()
    assert s.report.status == Report.Status.OPEN


# --- admins manage every group, without joining it ---------------------------------------------


def test_an_admin_manages_a_secret_group_they_are_not_in(owner, member, colleague, admin):
    group = make_group(owner, Group.Kind.SECRET)
    add_member(group, owner, member)
    post = make_post(member, "hello", group=group)

    sent, _skipped = services.invite(group=group, inviter=admin, people=[colleague])
    services.set_role(group=group, manager=admin, person=member, role="owner")
    services.remove_member(group=group, manager=admin, person=owner, reason="left company")
    services.update_group(group=group, editor=admin, description="Now documented")
    moderation.remove_comment(
        comment=post_services.add_comment(post=post, author=member, body="rude"),
        user=admin,
        reason="rude",
    )
    assert list(moderation.report_queue(admin, group)) == []
    services.archive_group(group=group, user=admin)

    group = refreshed(group)
    assert sent == 1
    assert group.is_archived and group.description == "Now documented"
    assert Membership.objects.get(group=group, user=member).role == Membership.Role.OWNER
    assert not is_member(owner, group)
    assert not is_member(admin, group)
    assert not is_member(colleague, group)  # invited, not enrolled
    assert set(
        AuditEntry.objects.filter(group=group, actor=admin).values_list("action", flat=True)
    ) == {
        Action.INVITED,
        Action.PROMOTED,
        Action.REMOVED_MEMBER,
        Action.EDITED,
        Action.REMOVED_COMMENT,
        Action.ARCHIVED,
    }


def test_an_admin_approves_requests_in_any_group(private_group, member, admin):
    request = pending_request(private_group, member)

    services.approve_request(request=request, manager=admin)

    assert is_member(member, private_group)
    assert entries(private_group, Action.APPROVED, actor=admin, target_user=member).exists()


def test_a_deactivated_owner_loses_manager_powers(private_group, owner, member):
    request = pending_request(private_group, member)
    owner.is_active = False
    owner.save()

    with pytest.raises(PermissionDenied):
        services.approve_request(request=request, manager=owner)
    assert not is_member(member, private_group)


# --- archived groups are read-only -----------------------------------------------------------


@pytest.fixture
def archived(open_group, owner, member):
    services.join_group(user=member, group=open_group)
    post = make_post(member, "before the archive", group=open_group)
    services.archive_group(group=open_group, user=owner)
    return SimpleNamespace(group=refreshed(open_group), post=post)


def _fresh(post):
    return type(post).objects.select_related("group").get(pk=post.pk)


def test_an_archived_group_takes_no_posts(archived, member):
    with pytest.raises(ValidationError):
        post_services.create_post(author=member, body="after", group=archived.group)
    assert archived.group.posts.count() == 1


def test_an_archived_group_takes_no_comments_likes_or_edits(archived, member):
    post = _fresh(archived.post)

    with pytest.raises(ValidationError):
        post_services.add_comment(post=post, author=member, body="late reply")
    with pytest.raises(ValidationError):
        post_services.toggle_like(post=post, user=member)
    with pytest.raises(ValidationError):
        post_services.edit_post(post=post, editor=member, body="rewritten")

    post = _fresh(post)
    assert (post.comment_count, post.like_count, post.body) == (0, 0, "before the archive")


def test_an_archived_group_takes_no_new_members_or_invitations(archived, owner, outsider):
    with pytest.raises(ValidationError):
        services.join_group(user=outsider, group=archived.group)
    with pytest.raises(ValidationError):
        services.invite(group=archived.group, inviter=owner, people=[outsider])
    with pytest.raises(ValidationError):
        services.update_group(group=archived.group, editor=owner, name="Renamed")
    assert not is_member(outsider, archived.group)


def test_an_archived_group_stays_readable(archived, member, outsider):
    for viewer in (member, outsider):
        assert access_posts.visible_posts(viewer).filter(pk=archived.post.pk).exists()
        assert access_posts.can_view_post(viewer, _fresh(archived.post))
    assert is_member(member, archived.group)


def test_archiving_twice_is_one_entry_and_unarchiving_reopens(archived, owner, member):
    services.archive_group(group=archived.group, user=owner)
    services.archive_group(group=archived.group, user=owner, archived=False)

    group = refreshed(archived.group)
    post = post_services.create_post(author=member, body="we are back", group=group)

    assert post.group_id == archived.group.pk
    assert entries(archived.group, Action.ARCHIVED).count() == 1
    assert entries(archived.group, Action.UNARCHIVED, actor=owner).count() == 1


# --- the audit log --------------------------------------------------------------------------


def test_editing_a_group_is_audited_with_what_changed(open_group, owner):
    services.update_group(group=open_group, editor=owner, name="Open Kitchen", description="Food")
    services.update_group(group=open_group, editor=owner, description="Food")

    entry = entries(open_group, Action.EDITED).get()
    assert (entry.actor, entry.detail) == (owner, "description")


def test_membership_actions_are_audited_with_actor_and_target(owner, member, colleague):
    group = make_group(owner, Group.Kind.PRIVATE)
    services.approve_request(request=pending_request(group, member), manager=owner)
    services.invite(group=group, inviter=owner, people=[colleague])
    services.accept_invitation(invitation=Invitation.objects.get(invitee=colleague), user=colleague)
    services.set_role(group=group, manager=owner, person=member, role="manager")
    services.ban_member(group=group, manager=member, person=colleague, reason="rude")
    services.leave_group(user=member, group=group)

    log = [
        (e.action, e.actor, e.target_user)
        for e in AuditEntry.objects.filter(group=group).order_by("id")
    ]
    assert log == [
        (Action.CREATED, owner, None),
        (Action.REQUESTED, member, None),
        (Action.APPROVED, owner, member),
        (Action.INVITED, owner, colleague),
        (Action.ACCEPTED, colleague, None),
        (Action.PROMOTED, owner, member),
        (Action.BANNED, member, colleague),
        (Action.LEFT, member, None),
    ]
    assert entries(group, Action.BANNED).get().reason == "rude"


def test_audit_entries_cannot_be_changed_or_deleted(open_group, owner):
    entry = entries(open_group, Action.CREATED).get()

    entry.reason = "rewriting history"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()

    stored = AuditEntry.objects.get(pk=entry.pk)
    assert stored.reason == ""
    assert stored.actor == owner
