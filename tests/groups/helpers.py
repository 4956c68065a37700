"""Building blocks for group tests. Everything goes through groups.services, so owner
memberships, invitations and audit entries are the real ones."""

from __future__ import annotations

import itertools

from groups import services
from groups.models import Group, Invitation, JoinRequest, Membership
from people.models import User

_names = itertools.count(1)


def make_group(owner: User, kind: str = Group.Kind.OPEN, *, name: str = "", **fields) -> Group:
    """A group created by `owner` (who becomes its owner), fresh from the database."""
    group = services.create_group(
        creator=owner, name=name or f"Test group {next(_names)}", kind=kind, **fields
    )
    return refreshed(group)


def refreshed(group: Group) -> Group:
    return Group.objects.get(pk=group.pk)


def add_member(group: Group, manager: User, person: User) -> Membership:
    """Bring `person` in the consenting way: a manager invites, the person accepts."""
    sent, skipped = services.invite(group=group, inviter=manager, people=[person])
    assert sent == 1, skipped
    invitation = Invitation.objects.get(
        group=group, invitee=person, status=Invitation.Status.PENDING
    )
    return services.accept_invitation(invitation=invitation, user=person)


def add_manager(group: Group, owner: User, person: User) -> Membership:
    add_member(group, owner, person)
    return services.set_role(group=group, manager=owner, person=person, role="manager")


def pending_request(group: Group, person: User, message: str = "") -> JoinRequest:
    made = services.request_to_join(user=person, group=group, message=message)
    assert isinstance(made, JoinRequest)
    return made


def is_member(person: User, group: Group) -> bool:
    return Membership.objects.filter(group=group, user=person).exists()


def member_count(group: Group) -> int:
    """The stored counter, checked against the rows it counts."""
    stored = refreshed(group).member_count
    assert stored == Membership.objects.filter(group=group).count()
    return stored
