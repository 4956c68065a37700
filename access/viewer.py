"""The viewer: who is looking, and their ties.

`Viewer.of(user)` answers, without a query, the person's standing (signed out, no longer
allowed in, guest, employee, site admin). Their ties (group memberships and roles, pending
invitations, follows, blocks either way, per-source notification choices) are read on first
use in one query, and kept for the life of the Viewer: build it once per request or batch and
pass it down. `Viewer.for_users(users)` reads the ties of many people in one query (digests,
inbox fan-out).

This is the one loader of "a person's ties": the home feed, suggestions and digests all read
it (it replaced FeedSources, Circle and _Sources).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from typing import Any

from django.db import connection

from digests.models import Level, SiteSettings, SourceChoice, SourceKind
from groups.models import Invitation, Membership
from hashtags.models import HashtagFollow
from people.models import Block, Follow

# Site administration is a permission, not `is_staff` (README: "Who administers the site").
ADMINISTER_SITE = "people.administer_site"


class Standing(StrEnum):
    ANONYMOUS = "anonymous"
    INACTIVE = "inactive"  # deactivated, or a guest past their end date
    GUEST = "guest"
    EMPLOYEE = "employee"
    ADMIN = "admin"


def standing_of(user: Any) -> Standing:
    """No query for anyone but a staff account without superuser status (its permissions are
    read once and cached on the user object by Django)."""
    if user is None or not user.is_authenticated:
        return Standing.ANONYMOUS
    if not user.is_active or user.guest_expired:
        return Standing.INACTIVE
    if user.is_guest:
        return Standing.GUEST
    if user.is_superuser or (user.is_staff and user.has_perm(ADMINISTER_SITE)):
        return Standing.ADMIN
    return Standing.EMPLOYEE


@dataclass
class GroupTie:
    role: str
    muted: bool

    @property
    def can_manage(self) -> bool:
        return self.role in (Membership.Role.OWNER, Membership.Role.MANAGER)


@dataclass
class Ties:
    """What one person chose and belongs to."""

    following: set[int] = field(default_factory=set)  # people
    hashtags: set[int] = field(default_factory=set)  # hashtags followed
    groups: dict[int, GroupTie] = field(default_factory=dict)  # memberships
    invited: set[int] = field(default_factory=set)  # groups with a pending invitation
    blocking: set[int] = field(default_factory=set)  # people they blocked
    blocked_by: set[int] = field(default_factory=set)  # people who blocked them
    choices: dict[tuple[str, int], str] = field(default_factory=dict)  # (kind, id) -> level

    @property
    def blocked(self) -> set[int]:
        """Blocked either way: what each of the two sees of the other stops."""
        return self.blocking | self.blocked_by

    @property
    def member_groups(self) -> set[int]:
        return set(self.groups)

    @property
    def managed_groups(self) -> set[int]:
        return {pk for pk, tie in self.groups.items() if tie.can_manage}

    @property
    def muted_groups(self) -> set[int]:
        return {pk for pk, tie in self.groups.items() if tie.muted}

    def _muted(self, kind: str) -> set[int]:
        return {pk for (k, pk), level in self.choices.items() if k == kind and level == Level.MUTED}

    @property
    def muted_people(self) -> set[int]:
        return self._muted(SourceKind.PERSON)

    @property
    def muted_tags(self) -> set[int]:
        return self._muted(SourceKind.HASHTAG)

    def level(self, kind: str, object_id: int, site: SiteSettings) -> str:
        """How a followed source reaches the person: their own choice, else the site's
        current default; a group muted on the membership is muted whatever was chosen."""
        if kind == SourceKind.GROUP:
            tie = self.groups.get(object_id)
            if tie is not None and tie.muted:
                return Level.MUTED
        return self.choices.get((kind, object_id)) or site.default_level(kind)

    def chose(self, kind: str, object_id: int) -> str | None:
        """The person's own level for a source, or None if they never chose."""
        return self.choices.get((kind, object_id))


def _ties_sql() -> str:
    follow, tag = Follow._meta.db_table, HashtagFollow._meta.db_table
    member, invite = Membership._meta.db_table, Invitation._meta.db_table
    block, choice = Block._meta.db_table, SourceChoice._meta.db_table
    pending = Invitation.Status.PENDING.value
    # Table names come from the models; the ids travel as a parameter.
    return f"""
SELECT follower_id, 'person', followee_id, NULL FROM {follow} WHERE follower_id = ANY(%(ids)s)
UNION ALL
SELECT user_id, 'hashtag', hashtag_id, NULL FROM {tag} WHERE user_id = ANY(%(ids)s)
UNION ALL
SELECT user_id, CASE WHEN muted THEN 'muted_group' ELSE 'group' END, group_id, role
FROM {member} WHERE user_id = ANY(%(ids)s)
UNION ALL
SELECT invitee_id, 'invited', group_id, NULL FROM {invite}
WHERE invitee_id = ANY(%(ids)s) AND status = '{pending}'
UNION ALL
SELECT blocker_id, 'blocked', blocked_id, NULL FROM {block} WHERE blocker_id = ANY(%(ids)s)
UNION ALL
SELECT blocked_id, 'blocked_by', blocker_id, NULL FROM {block} WHERE blocked_id = ANY(%(ids)s)
UNION ALL
SELECT user_id, 'choice', object_id, kind || ':' || level FROM {choice}
WHERE user_id = ANY(%(ids)s)
"""  # noqa: S608


def load_ties(user_ids: Iterable[int]) -> dict[int, Ties]:
    """The ties of every person in `user_ids`, in one query."""
    ties = {pk: Ties() for pk in user_ids}
    if not ties:
        return ties
    with connection.cursor() as cur:
        cur.execute(_ties_sql(), {"ids": sorted(ties)})
        for user_id, kind, object_id, extra in cur.fetchall():
            mine = ties[user_id]
            if kind == "person":
                mine.following.add(object_id)
            elif kind == "hashtag":
                mine.hashtags.add(object_id)
            elif kind in ("group", "muted_group"):
                mine.groups[object_id] = GroupTie(role=extra, muted=kind == "muted_group")
            elif kind == "invited":
                mine.invited.add(object_id)
            elif kind == "blocked":
                mine.blocking.add(object_id)
            elif kind == "blocked_by":
                mine.blocked_by.add(object_id)
            else:
                source_kind, _sep, level = extra.partition(":")
                mine.choices[(source_kind, object_id)] = level
    return ties


class Viewer:
    """Someone looking at the site (or a person a digest or inbox row is built for)."""

    def __init__(self, user: Any, ties: Ties | None = None) -> None:
        self.user = user
        self.standing = standing_of(user)
        if ties is not None:
            self.__dict__["ties"] = ties

    @classmethod
    def of(cls, user: Any) -> Viewer:
        return cls(user)

    @classmethod
    def for_users(cls, users: Iterable[Any]) -> dict[int, Viewer]:
        """Viewers for many people, their ties read in one query."""
        users = list(users)
        ties = load_ties(u.pk for u in users)
        return {u.pk: cls(u, ties[u.pk]) for u in users}

    def __repr__(self) -> str:
        return f"<Viewer {self.pk} {self.standing}>"

    @property
    def pk(self) -> int | None:
        return self.user.pk if self.standing is not Standing.ANONYMOUS else None

    @property
    def row_id(self) -> int:
        """The viewer's id for a query condition: 0, which no row has, when signed out."""
        return self.pk or 0

    @cached_property
    def ties(self) -> Ties:
        if self.pk is None:
            return Ties()
        return load_ties([self.pk])[self.pk]

    @property
    def can_use_site(self) -> bool:
        return self.standing in (Standing.GUEST, Standing.EMPLOYEE, Standing.ADMIN)

    @property
    def is_admin(self) -> bool:
        return self.standing is Standing.ADMIN

    @property
    def is_guest(self) -> bool:
        return self.standing is Standing.GUEST

    @property
    def is_employee(self) -> bool:
        """An employee or an admin: someone who sees the company, not only their groups."""
        return self.standing in (Standing.EMPLOYEE, Standing.ADMIN)


def as_viewer(who: Any) -> Viewer:
    """`who` as a Viewer: a Viewer is passed through (with the ties it loaded), a user is
    wrapped in a new one."""
    return who if isinstance(who, Viewer) else Viewer(who)
