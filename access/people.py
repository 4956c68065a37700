"""Whose profile (name, title, avatar, posts list) the viewer may open.

Employees and admins meet every active account. A guest meets themselves and the members of
their own groups. Blocking: lists that suggest or rank people (suggestions, "who knows", the
directory, pickers) leave out anyone blocked either way; a profile itself stays reachable
(`hide_blocked=False`), so a block can be undone from it.

Service accounts (`User.is_service_account`: the site admin's own login, integrations) are
no colleagues: lists that offer people (`listed=True`: the directory, people search,
suggestions, pickers) leave them out; their profile and posts stay reachable.

A deactivated person is a former colleague: whoever could see them while they were active
(employees; a guest who shares a group with them) may open a short "former colleague" page
(`visible_former_people`); they are in no list and nobody can follow them.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Permission
from django.db.models import Q, QuerySet

from access import terms
from access.rules import EVERYTHING, NOTHING, Rule, either, every
from access.viewer import ADMINISTER_SITE, Standing, as_viewer
from people.models import Block, User

blocked_either_way_q = terms.blocked_either_way_q


def _reach(standing: Standing) -> Rule:
    """Whom the viewer meets at all: everyone for employees, for a guest themselves and the
    members of their groups."""
    if standing in (Standing.EMPLOYEE, Standing.ADMIN):
        return EVERYTHING
    if standing is Standing.GUEST:
        return either(terms.oneself(), terms.shares_a_group())
    return NOTHING


def person_rule(standing: Standing, *, hide_blocked: bool = False, listed: bool = False) -> Rule:
    """Active people the viewer meets; `listed`: as a list offers them (no service
    accounts); `hide_blocked`: nobody blocked either way."""
    rule = every(terms.active_person(), _reach(standing))
    if listed:
        rule = every(rule, terms.colleague_account())
    return every(rule, terms.not_blocked("")) if hide_blocked else rule


def visible_person_q(
    who: Any, prefix: str = "", *, hide_blocked: bool = False, listed: bool = False
) -> Q:
    """Profiles the viewer may open, as a condition on a user row (or, with `prefix`, on the
    user a relation points at)."""
    viewer = as_viewer(who)
    return person_rule(viewer.standing, hide_blocked=hide_blocked, listed=listed).q(viewer, prefix)


def visible_people(who: Any, *, hide_blocked: bool = False, listed: bool = False) -> QuerySet[User]:
    viewer = as_viewer(who)
    if not viewer.can_use_site:
        return User.objects.none()
    return User.objects.filter(
        visible_person_q(viewer, hide_blocked=hide_blocked, listed=listed)
    ).select_related("department", "location")


def can_view_person(
    who: Any, person: User, *, hide_blocked: bool = False, listed: bool = False
) -> bool:
    viewer = as_viewer(who)
    return person_rule(viewer.standing, hide_blocked=hide_blocked, listed=listed).holds(
        viewer, person
    )


def former_person_rule(standing: Standing) -> Rule:
    """Deactivated people the viewer met while they were active (memberships outlive the
    deactivation, so a guest still shares the group)."""
    return every(terms.deactivated_person(), _reach(standing))


def visible_former_people(who: Any) -> QuerySet[User]:
    """Former colleagues whose short page the viewer may open (never a list: one is looked
    up by the username on an old post)."""
    viewer = as_viewer(who)
    if not viewer.can_use_site:
        return User.objects.none()
    return User.objects.filter(former_person_rule(viewer.standing).q(viewer))


def can_view_former_person(who: Any, person: User) -> bool:
    viewer = as_viewer(who)
    return viewer.can_use_site and former_person_rule(viewer.standing).holds(viewer, person)


def employees_q(prefix: str = "") -> Q:
    """Active employees (not guests): whom a people directory or a department invitation
    lists."""
    return Q(**{f"{prefix}is_active": True, f"{prefix}is_guest": False})


def has_blocked(who: Any, person: User) -> bool:
    """The viewer blocked `person` (their profile offers Unblock)."""
    viewer = as_viewer(who)
    return (
        viewer.pk is not None
        and Block.objects.filter(blocker_id=viewer.pk, blocked=person).exists()
    )


def sees_the_company(who: Any) -> bool:
    """Employees (and admins) browse the company: the people directory, who follows whom,
    the All stream. A guest sees their own groups only."""
    return as_viewer(who).is_employee


def listed_person_q(prefix: str = "") -> Q:
    """Not a service account, as a condition on a user row: for candidate queries of lists
    that offer people (suggestions) before they pass `visible_people`."""
    return terms.colleague_account_q(prefix)


def may_be_suggested(who: Any, person: User) -> bool:
    """Suggestions never offer an employee a guest: employees meet guests in the groups they
    share, not in "people you might follow"; nor anyone a service account."""
    if person.is_service_account:
        return False
    return not person.is_guest or as_viewer(who).is_guest


def visible_person_ids(
    who: Any, people: list[User], *, hide_blocked: bool = False, listed: bool = False
) -> set[int]:
    """The batch form: which of `people` the viewer may see (one query for a guest's
    co-members, none for anyone else)."""
    viewer = as_viewer(who)
    if viewer.is_guest:
        return set(
            visible_people(viewer, hide_blocked=hide_blocked, listed=listed)
            .filter(pk__in=[p.pk for p in people])
            .values_list("pk", flat=True)
        )
    rule = person_rule(viewer.standing, hide_blocked=hide_blocked, listed=listed)
    return {p.pk for p in people if rule.holds(viewer, p)}


def site_admins_q() -> Q:
    """Site admins as a condition on user rows (`Viewer.is_admin`, in SQL): superusers, and
    staff holding the administer-site permission directly or through a group."""
    app_label, codename = ADMINISTER_SITE.split(".")
    perm = {"content_type__app_label": app_label, "codename": codename}
    granted = Q(user_permissions__in=Permission.objects.filter(**perm)) | Q(
        groups__permissions__in=Permission.objects.filter(**perm)
    )
    return Q(is_active=True, is_guest=False) & (Q(is_superuser=True) | (Q(is_staff=True) & granted))
