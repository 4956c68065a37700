"""Who may know a group exists, and who may read its posts.

- Knowing a group (its name, description, member count, cover): admins know every group;
  employees know open and private groups; anyone knows the groups they belong to or hold a
  pending invitation to (the invitation names the group). A guest knows only those.
- Reading a group (its posts and comments): admins read every group; employees read open
  groups; members read their own groups. A guest reads only their own groups.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Case, Exists, F, OuterRef, Q, QuerySet, Value, When

from access import terms
from access.rules import EVERYTHING, NOTHING, Rule, either
from access.viewer import Standing, as_viewer
from groups.models import Group, Membership


def read_rule(standing: Standing, at: str = "") -> Rule:
    """May read the group's posts. `at`: "" on a group row, "group" on a post row."""
    if standing is Standing.ADMIN:
        return EVERYTHING
    if standing is Standing.EMPLOYEE:
        return either(terms.member(at), terms.open_group(at))
    if standing is Standing.GUEST:
        return terms.member(at)
    return NOTHING


def know_rule(standing: Standing) -> Rule:
    """May know the group exists (on a group row)."""
    if standing is Standing.ADMIN:
        return EVERYTHING
    mine = either(terms.member(), terms.invited())
    if standing is Standing.EMPLOYEE:
        return either(terms.listed_group(), mine)
    if standing is Standing.GUEST:
        return mine
    return NOTHING


# --- knowing a group ------------------------------------------------------------------------


def known_group_q(who: Any, prefix: str = "") -> Q:
    viewer = as_viewer(who)
    return know_rule(viewer.standing).q(viewer, prefix)


def visible_groups(who: Any) -> QuerySet[Group]:
    """Groups whose name and description the viewer may see."""
    viewer = as_viewer(who)
    if not viewer.can_use_site:
        return Group.objects.none()
    return Group.objects.filter(known_group_q(viewer))


def can_know_group(who: Any, group: Group) -> bool:
    viewer = as_viewer(who)
    return know_rule(viewer.standing).holds(viewer, group)


# --- reading a group --------------------------------------------------------------------------


def readable_group_q(who: Any, prefix: str = "") -> Q:
    viewer = as_viewer(who)
    return read_rule(viewer.standing).q(viewer, prefix)


def readable_groups(who: Any) -> QuerySet[Group]:
    """Groups whose posts the viewer may read: exactly the groups `visible_posts` lets
    through (both come from `read_rule`)."""
    viewer = as_viewer(who)
    if not viewer.can_use_site:
        return Group.objects.none()
    return Group.objects.filter(readable_group_q(viewer))


def can_read_group(who: Any, group: Group) -> bool:
    viewer = as_viewer(who)
    return read_rule(viewer.standing).holds(viewer, group)


def readable_group_ids(who: Any, groups: list[Group]) -> set[int]:
    """The batch check: which of `groups` the viewer may read (its ties read once)."""
    viewer = as_viewer(who)
    rule = read_rule(viewer.standing)
    return {g.pk for g in groups if rule.holds(viewer, g)}


def can_see_guidelines(who: Any, group: Group) -> bool:
    """A group's guidelines are part of its card for people deciding whether to join: whoever
    may know an open or private group sees them. A secret group's stay with those who read
    it (its members, admins), never its invitees or anyone else."""
    viewer = as_viewer(who)
    if can_read_group(viewer, group):
        return True
    return group.kind != Group.Kind.SECRET and can_know_group(viewer, group)


# --- the viewer's own groups ------------------------------------------------------------------


def member_group_ids(who: Any) -> Any:
    """Ids of the viewer's groups, as a subquery."""
    return terms.member_group_ids(as_viewer(who))


def my_groups(who: Any) -> QuerySet[Group]:
    """The groups the viewer belongs to, most active first."""
    viewer = as_viewer(who)
    if not viewer.can_use_site:
        return Group.objects.none()
    return Group.objects.filter(terms.member().q(viewer)).order_by("-last_activity_at", "-id")


def managed_group_q(who: Any, prefix: str = "") -> Q:
    """Groups the viewer manages (owner or manager), or every group for a site admin."""
    viewer = as_viewer(who)
    if viewer.is_admin:
        return Q()
    if not viewer.can_use_site:
        return Q(**{f"{prefix}pk__in": []})
    return Q(
        **{
            f"{prefix}pk__in": terms.member_group_ids(viewer).filter(
                role__in=[Membership.Role.OWNER, Membership.Role.MANAGER]
            )
        }
    )


def with_is_member(qs: QuerySet[Group], who: Any) -> QuerySet[Group]:
    viewer = as_viewer(who)
    return qs.annotate(
        is_member=Exists(terms.member_group_ids(viewer).filter(group=OuterRef("pk")))
    )


def with_activity(qs: QuerySet[Group], who: Any) -> QuerySet[Group]:
    """Annotates `active_at`: when the group last had a post or comment, for groups whose
    posts the viewer may read (`activity_known`); for the others, when the group was made.
    A member posting in a private group must not move it in an outsider's directory nor
    change its "active" time: that would tell them something happened inside."""
    viewer = as_viewer(who)
    readable = readable_group_q(viewer)
    if not readable:  # reads every group (an admin)
        return qs.annotate(active_at=F("last_activity_at"), activity_known=Value(True))
    return qs.annotate(
        active_at=Case(When(readable, then=F("last_activity_at")), default=F("created_at")),
        activity_known=Case(When(readable, then=Value(True)), default=Value(False)),
    )
