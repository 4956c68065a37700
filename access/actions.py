"""Who may act: post, comment, join, invite, manage and moderate a group, resolve a report,
administer the site. Each check is asked of the database as it is now (services call these
inside their transaction, after locking the rows they change); the refusals are sentences a
person can read, since services raise them as they are.

Site administration is `Viewer.is_admin`: superusers, and staff accounts holding the
"Can administer the site" permission (`people.administer_site`). Staff status alone gives
only the Django admin screens its permissions allow.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _

from access.viewer import as_viewer
from groups.models import Ban, Group, GroupSettings, Membership
from people.models import User
from posts.models import Post


def membership_of(who: Any, group: Group) -> Membership | None:
    """The viewer's membership of `group`, read now (not from loaded ties: a service decides
    on the row it is about to change)."""
    viewer = as_viewer(who)
    if viewer.pk is None:
        return None
    return Membership.objects.filter(user_id=viewer.pk, group=group).first()


def is_banned(who: Any, group: Group) -> bool:
    viewer = as_viewer(who)
    return viewer.pk is not None and Ban.objects.filter(user_id=viewer.pk, group=group).exists()


def banned_group_ids(who: Any) -> Any:
    """The groups the viewer was banned from, as a subquery (never suggested to them)."""
    return Ban.objects.filter(user_id=as_viewer(who).row_id).values("group_id")


def can_administer_site(who: Any) -> bool:
    return as_viewer(who).is_admin


def can_manage_group(who: Any, group: Group, membership: Membership | None = None) -> bool:
    """Owners and managers of this group, and site admins. Nobody else, in no other group.
    A caller holding the viewer's membership passes it and saves the query."""
    viewer = as_viewer(who)
    if not viewer.can_use_site:
        return False
    if viewer.is_admin:
        return True
    membership = membership or membership_of(viewer, group)
    return membership is not None and membership.can_manage


def is_group_owner(who: Any, group: Group) -> bool:
    """Owners, and site admins (who may act as owners)."""
    viewer = as_viewer(who)
    if viewer.is_admin:
        return True
    membership = membership_of(viewer, group)
    return membership is not None and membership.role == Membership.Role.OWNER


def can_moderate_post(who: Any, post: Post) -> bool:
    """Managers of the post's group, and site admins. Company-wide posts: site admins only."""
    if post.group is None:
        return as_viewer(who).is_admin
    return can_manage_group(who, post.group)


def can_use_report_queue(who: Any, group: Group | None) -> bool:
    """A group's queue: its managers and site admins; the site queue (company-wide
    content): site admins."""
    return can_manage_group(who, group) if group is not None else as_viewer(who).is_admin


def can_create_groups(who: Any) -> bool:
    viewer = as_viewer(who)
    if not viewer.is_employee:
        return False
    return viewer.is_admin or not GroupSettings.current().only_admins_create_groups


def create_group_refusal(who: Any) -> str:
    viewer = as_viewer(who)
    if viewer.is_guest:
        return _("Guests cannot start groups.")
    if not can_create_groups(viewer):
        return _("Group creation is limited to administrators on this site.")
    return ""


def audience_refusal(who: Any, group: Group | None) -> tuple[str, bool]:
    """Why the viewer may not post to `group` (None: company-wide), or "" if they may; the
    flag says whether it is a permission matter (403) rather than bad input."""
    viewer = as_viewer(who)
    if group is None:
        if not viewer.is_employee:
            return _("Guests post in their groups: choose one."), False
        return "", False
    if membership_of(viewer, group) is None:
        return _("Join %(group)s to post in it.") % {"group": group}, True
    # Asked of the database, not of the object handed in, which may be stale.
    if Group.objects.filter(pk=group.pk, archived_at__isnull=False).exists():
        return _("%(group)s is archived: it is read-only.") % {"group": group}, False
    return "", False


def comment_refusal(*, post: Post, who: Any) -> str:
    """Why the viewer may not comment on `post` (a ban from its group, a block), or "" if
    nothing stands in the way. Open groups take comments from every employee, but not from
    people banned from them. Blocking works both ways here: the blocked person cannot reply
    into the blocker's threads, and the blocker cannot reply to the person they blocked
    (unblocking first is a deliberate step)."""
    viewer = as_viewer(who)
    if viewer.pk is None:
        return ""
    if post.group_id and Ban.objects.filter(group_id=post.group_id, user_id=viewer.pk).exists():
        return _("You were banned from this group and cannot comment in it.")
    if post.author_id == viewer.pk:
        return ""
    name = post.author.display_name
    if post.author_id in viewer.ties.blocking:
        return _("You blocked %(name)s: unblock them to comment on their posts.") % {"name": name}
    if post.author_id in viewer.ties.blocked_by:
        return _("You cannot comment on %(name)s's posts.") % {"name": name}
    return ""


def can_accept_answer(who: Any, post: Post, *, moderator: bool | None = None) -> bool:
    """Who may accept (or unaccept) an answer to a question: the person who asked, and whoever
    may moderate the post. `moderator`: the caller's `can_moderate_post`, when it has it."""
    viewer = as_viewer(who)
    if not post.is_question or not viewer.can_use_site:
        return False
    if post.author_id == viewer.pk:
        return True
    return can_moderate_post(viewer, post) if moderator is None else moderator


def join_refusal(who: Any, group: Group) -> str:
    """Why the viewer may not join, ask to join or accept an invitation to `group` now."""
    viewer = as_viewer(who)
    if not viewer.can_use_site:
        return _("You cannot sign in.")
    if is_banned(viewer, group):
        return _("You were removed from this group and cannot rejoin.")
    if viewer.is_guest and not group.allow_guests:
        return _("This group does not accept guests.")
    return ""


def may_join_directly(who: Any, group: Group) -> bool:
    """One click in: open groups, for employees."""
    return group.kind == Group.Kind.OPEN and as_viewer(who).is_employee


def may_ask_to_join(who: Any, group: Group) -> bool:
    """A request a manager approves: private groups, for employees."""
    return group.kind == Group.Kind.PRIVATE and as_viewer(who).is_employee


def invitee_refusal(person: User, group: Group) -> str:
    """Why `person` cannot be invited into `group` (membership, pending invitations and bans
    are the caller's batch check), or ""."""
    viewer = as_viewer(person)
    if not viewer.can_use_site:
        return _("%(name)s cannot sign in.") % {"name": person}
    if viewer.is_guest and not group.allow_guests:
        return _("%(name)s is a guest, and this group does not accept guests.") % {"name": person}
    return ""


def role_refusal(person: User, role: str) -> str:
    if role != Membership.Role.MEMBER and person.is_guest:
        return _("Guests cannot manage groups.")
    return ""


def receives_digests(who: Any, site: Any) -> bool:
    """May be sent a digest now: someone who may use the site, and a guest only if the site
    mails guests (`SiteSettings.guests_get_digests`). Asked again at send time."""
    viewer = as_viewer(who)
    return viewer.can_use_site and (viewer.is_employee or site.guests_get_digests)


def digest_recipients_q(site: Any, today: Any) -> Q:
    """`receives_digests` as a condition on user rows, for the planner's batches."""
    people = Q(is_active=True) & (
        Q(is_guest=False) | Q(guest_expires_on__isnull=True) | Q(guest_expires_on__gte=today)
    )
    return people & Q(is_guest=False) if not site.guests_get_digests else people


# Announcements: a post pinned to everyone's Home (welcome app). People allowed to make them
# hold this permission; site admins always may.
MAKE_ANNOUNCEMENT = "welcome.make_announcement"


def can_announce(who: Any) -> bool:
    viewer = as_viewer(who)
    if not viewer.is_employee:
        return False
    return viewer.is_admin or viewer.user.has_perm(MAKE_ANNOUNCEMENT)


def announce_refusal(who: Any, post: Post) -> str:
    """Why the viewer may not pin `post` to everyone's Home, or "". Only a post every
    employee may read can be announced: a post of a private or secret group would be an
    announcement most people cannot open."""
    if not can_announce(who):
        return _("Only site admins, and people they allow, can make announcements.")
    if post.removed_at is not None:
        return _("A removed post cannot be an announcement.")
    group = post.group
    if group is not None and (group.kind != Group.Kind.OPEN or group.archived_at is not None):
        return _(
            "Only a company-wide post, or a post in an open group, can be an announcement: "
            "everyone must be able to read it."
        )
    return ""
