"""Reads of groups: the directory, search, members, requests and invitations. Who may know
or read a group, and who may act in it, is decided in `access.groups` and `access.actions`."""

from __future__ import annotations

from django.db.models import Case, Count, Q, QuerySet, Value, When

from access.groups import my_groups, visible_groups, with_activity, with_is_member
from access.posts import visible_posts
from esn.textsearch import NAME_BOUNDARY, folded, word_start
from groups.models import Ban, Group, Invitation, JoinRequest, Membership, Report
from posts.models import Post


def directory(user, *, query: str = "", kind: str = "") -> QuerySet[Group]:
    """The group directory: listed groups plus the viewer's own, most active first."""
    qs = visible_groups(user)
    if query:
        qs = qs.filter(Q(name__icontains=query) | Q(description__icontains=query))
    if kind in Group.Kind.values:
        qs = qs.filter(kind=kind)
    return with_activity(with_is_member(qs, user), user).order_by("-active_at", "-id")


def search_groups(user, words: list[str]) -> QuerySet[Group]:
    """Groups `user` may know of (`visible_groups`: a secret group only for its members,
    invitees and admins) with every word at the start of a word of the name or description,
    accents and case ignored. Most active first, each with `is_member`."""
    if not words:
        return Group.objects.none()
    qs = visible_groups(user).annotate(search_text=folded("name", "description"))
    for word in words[:5]:
        qs = qs.filter(search_text__regex=word_start(word))
    return with_activity(with_is_member(qs, user), user).order_by("-active_at", "-id")


def groups_for_picker(viewer, words: list[str], *, limit: int) -> list[Group]:
    """What the search box offers as one types: groups `viewer` may know of with every word at
    the start of a word of the name (not the description: an offer whose name does not show
    the typed word looks wrong). Whose name starts with the first word first, then the
    biggest. One small query: no activity or membership annotations, which the search box
    does not show."""
    if not words:
        return []
    name = folded("name")
    qs = visible_groups(viewer).annotate(folded_name=name)
    for word in words[:5]:
        qs = qs.filter(folded_name__regex=word_start(word, boundary=NAME_BOUNDARY))
    first = Case(
        When(folded_name__regex=word_start(words[0], boundary="^"), then=Value(0)),
        default=Value(1),
    )
    return list(qs.only("name", "slug").order_by(first, "-member_count", "name")[:limit])


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


def pending_invitation_count(group: Group) -> int:
    return Invitation.objects.filter(group=group, status=Invitation.Status.PENDING).count()


def post_below(user, post: Post) -> int | None:
    """The id of the post shown below `post` in its group's feed (the next older one `user`
    may see), if any: where a moderator lands after removing `post`."""
    if post.group_id is None:
        return None
    older = Q(created_at__lt=post.created_at) | Q(created_at=post.created_at, id__lt=post.pk)
    return (
        visible_posts(user, hide_blocked=False)
        .filter(older, group_id=post.group_id)
        .order_by("-created_at", "-id")
        .values_list("id", flat=True)
        .first()
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


def bans(group: Group) -> QuerySet[Ban]:
    return Ban.objects.filter(group=group).select_related("user", "banned_by").order_by("-id")


def waiting_for_managers(group: Group) -> tuple[int, int]:
    """Pending join requests and open reports of the group, in one query."""
    counts = Group.objects.filter(pk=group.pk).aggregate(
        requests=Count(
            "join_requests",
            filter=Q(join_requests__status=JoinRequest.Status.PENDING),
            distinct=True,
        ),
        reports=Count("reports", filter=Q(reports__status=Report.Status.OPEN), distinct=True),
    )
    return counts["requests"], counts["reports"]


def open_site_reports() -> int:
    """Open reports of company-wide content (the site queue)."""
    return Report.objects.filter(group__isnull=True, status=Report.Status.OPEN).count()
