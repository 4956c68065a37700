"""Who may see which group, and who may act in it. The post-level policy is in
posts/selectors.py (`visible_posts`); both rest on the same facts: membership, the group's
kind, and whether the viewer is an employee, a guest or an admin."""

from __future__ import annotations

from django.db.models import Count, Exists, Min, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Concat
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from esn.textsearch import folded, word_start
from groups.models import Ban, Group, GroupSettings, Invitation, JoinRequest, Membership
from people.models import User


def can_use_site(user) -> bool:
    return bool(user.is_authenticated and user.can_use_site)


def is_admin(user) -> bool:
    return bool(user.is_authenticated and user.can_use_site and user.is_site_admin)


def member_group_ids(user) -> QuerySet:
    """Ids of the groups `user` belongs to, as a subquery."""
    return Membership.objects.filter(user=user).values("group_id")


def visible_groups(user) -> QuerySet[Group]:
    """Groups whose name and description `user` may see: open and private groups for
    employees, any group they belong to or are invited to, everything for admins. A guest
    sees their own groups and the ones they are invited to, nothing else."""
    if not can_use_site(user):
        return Group.objects.none()
    if is_admin(user):
        return Group.objects.all()
    mine = Q(pk__in=member_group_ids(user)) | Q(
        pk__in=Invitation.objects.filter(invitee=user, status=Invitation.Status.PENDING).values(
            "group_id"
        )
    )
    if user.is_guest:
        return Group.objects.filter(mine)
    return Group.objects.filter(mine | ~Q(kind=Group.Kind.SECRET))


def readable_groups(user) -> QuerySet[Group]:
    """Groups whose posts `user` may read: what `visible_posts` lets through."""
    if not can_use_site(user):
        return Group.objects.none()
    if is_admin(user):
        return Group.objects.all()
    mine = Q(pk__in=member_group_ids(user))
    if user.is_guest:
        return Group.objects.filter(mine)
    return Group.objects.filter(mine | Q(kind=Group.Kind.OPEN))


def membership_of(user, group: Group) -> Membership | None:
    if not user.is_authenticated:
        return None
    return Membership.objects.filter(user=user, group=group).first()


def _standing(user, group: Group, membership: Membership | None) -> bool | Membership | None:
    """False for who may do nothing, True for admins, else the viewer's membership (or None).
    A caller that has the membership already passes it in and saves the query."""
    if not can_use_site(user):
        return False
    if is_admin(user):
        return True
    return membership if membership is not None else membership_of(user, group)


def can_read_group(user, group: Group, membership: Membership | None = None) -> bool:
    """The per-object form of `readable_groups`."""
    standing = _standing(user, group, membership)
    if isinstance(standing, bool):
        return standing
    if standing is not None:
        return True
    return group.kind == Group.Kind.OPEN and not user.is_guest


def can_manage_group(user, group: Group, membership: Membership | None = None) -> bool:
    """Owners and managers of this group, and admins. Nobody else, in no other group."""
    standing = _standing(user, group, membership)
    if isinstance(standing, bool):
        return standing
    return standing is not None and standing.can_manage


def can_create_groups(user) -> bool:
    if not can_use_site(user) or user.is_guest:
        return False
    return is_admin(user) or not GroupSettings.current().only_admins_create_groups


def directory(user, *, query: str = "", kind: str = "") -> QuerySet[Group]:
    """The group directory: listed groups plus the viewer's own, most active first."""
    qs = visible_groups(user)
    if query:
        qs = qs.filter(Q(name__icontains=query) | Q(description__icontains=query))
    if kind in Group.Kind.values:
        qs = qs.filter(kind=kind)
    if user.is_authenticated:
        qs = qs.annotate(
            is_member=Exists(Membership.objects.filter(group=OuterRef("pk"), user=user))
        )
    return qs.order_by("-last_activity_at", "-id")


def search_groups(user, words: list[str]) -> QuerySet[Group]:
    """Groups `user` may know of (`visible_groups`: a secret group only for its members,
    invitees and admins) with every word at the start of a word of the name or description,
    accents and case ignored. Most active first, each with `is_member`."""
    if not words:
        return Group.objects.none()
    qs = visible_groups(user).annotate(search_text=folded("name", "description"))
    for word in words[:5]:
        qs = qs.filter(search_text__regex=word_start(word))
    return qs.annotate(
        is_member=Exists(Membership.objects.filter(group=OuterRef("pk"), user=user))
    ).order_by("-last_activity_at", "-id")


def my_groups(user) -> QuerySet[Group]:
    """The groups `user` belongs to, most active first (home page, composer)."""
    if not can_use_site(user):
        return Group.objects.none()
    return Group.objects.filter(memberships__user=user).order_by("-last_activity_at", "-id")


def postable_groups(user) -> QuerySet[Group]:
    """Groups the composer may target: mine and not archived."""
    return my_groups(user).filter(archived_at__isnull=True)


def members(group: Group) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(group=group)
        .select_related("user", "user__department")
        .order_by("role", "user__first_name", "user__last_name", "user__username")
    )


def pending_requests(group: Group) -> QuerySet[JoinRequest]:
    return (
        JoinRequest.objects.filter(group=group, status=JoinRequest.Status.PENDING)
        .select_related("user", "user__department")
        .order_by("created_at", "id")
    )


def pending_invitations(group: Group) -> QuerySet[Invitation]:
    return (
        Invitation.objects.filter(group=group, status=Invitation.Status.PENDING)
        .select_related("invitee", "invited_by")
        .order_by("-created_at", "-id")
    )


def invitations_for(user) -> QuerySet[Invitation]:
    return (
        Invitation.objects.filter(invitee=user, status=Invitation.Status.PENDING)
        .select_related("group", "invited_by")
        .order_by("-created_at", "-id")
    )


def pending_request_of(user, group: Group) -> JoinRequest | None:
    return JoinRequest.objects.filter(
        user=user, group=group, status=JoinRequest.Status.PENDING
    ).first()


def pending_invitation_of(user, group: Group) -> Invitation | None:
    return Invitation.objects.filter(
        invitee=user, group=group, status=Invitation.Status.PENDING
    ).first()


def is_banned(user, group: Group) -> bool:
    return Ban.objects.filter(user=user, group=group).exists()


def visible_person_q(user, prefix: str = "") -> Q:
    """Profiles `user` may open, as a condition on a user row (or, with `prefix`, on the user
    a relation points at): every active account for employees; for a guest, themselves and
    the members of their groups."""
    active = Q(**{f"{prefix}is_active": True})
    if not can_use_site(user):
        return Q(**{f"{prefix}pk__in": []})
    if user.is_guest:
        return active & (
            Q(**{prefix + "pk": user.pk})
            | Q(
                **{
                    f"{prefix}pk__in": Membership.objects.filter(
                        group__in=member_group_ids(user)
                    ).values("user_id")
                }
            )
        )
    return active


def visible_people(user) -> QuerySet[User]:
    """Profiles `user` may open (the rules: `visible_person_q`)."""
    if not can_use_site(user):
        return User.objects.none()
    return User.objects.filter(visible_person_q(user)).select_related("department", "location")


def suggested_groups(user, circle=None, *, limit: int = 3) -> list:
    """Open groups `user` might join, with the reason: the ones most joined by people they
    follow, then by people they share a group with. Never a group they are in or banned
    from, never an archived one, never a private or secret one (an invitation is the way
    there). Nothing for guests. One query for the ranking, one for the groups."""
    from people.selectors import Circle, Suggestion

    if not can_use_site(user) or user.is_guest:
        return []
    circle = circle or Circle.of(user)
    followed = Q(user_id__in=circle.followed)
    rows = (
        Membership.objects.filter(circle.colleagues_q())
        # Deactivated people are neither counted nor named.
        .filter(user__is_active=True)
        .filter(group__kind=Group.Kind.OPEN, group__archived_at__isnull=True)
        .exclude(user_id=user.pk)
        .exclude(user_id__in=circle.blocked)
        .exclude(group_id__in=circle.groups)
        .exclude(group_id__in=Ban.objects.filter(user_id=user.pk).values("group_id"))
        .values("group_id")
        .annotate(
            n=Count("user_id", distinct=True),
            by_followed=Count("user_id", distinct=True, filter=followed),
            named=Min(
                Concat("user__first_name", Value(" "), "user__last_name"),
                filter=followed,
            ),
        )
        .order_by("-by_followed", "-n", "group_id")[:limit]
    )
    rows = list(rows)
    groups = visible_groups(user).in_bulk([row["group_id"] for row in rows])
    result = []
    for row in rows:
        group = groups.get(row["group_id"])
        if group is None:
            continue
        if row["by_followed"]:
            name, others = (row["named"] or "").strip() or _("someone"), row["by_followed"] - 1
            reason = (
                ngettext(
                    "joined by %(name)s and %(n)d other you follow",
                    "joined by %(name)s and %(n)d others you follow",
                    others,
                )
                % {"name": name, "n": others}
                if others
                else _("joined by %(name)s, whom you follow") % {"name": name}
            )
        else:
            reason = ngettext(
                "joined by %(n)d person from your groups",
                "joined by %(n)d people from your groups",
                row["n"],
            ) % {"n": row["n"]}
        result.append(Suggestion(group, reason))
    return result
