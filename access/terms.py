"""The facts access rules are made of, each spelled once as a Q, a Python test and SQL.

A group term takes `at`: "" for a group row itself, or the name of the foreign key that
leads from a row (a post) to its group. That is how the post rule is derived from the group
rule instead of restating it (`access.posts`)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from access.rules import SqlFacts, Term
from access.viewer import Viewer
from groups.models import Group, Invitation, Membership
from people.models import Block

OPEN = Group.Kind.OPEN.value
SECRET = Group.Kind.SECRET.value


def member_group_ids(viewer: Viewer) -> Any:
    """The viewer's groups as a subquery: querysets stay one statement."""
    return Membership.objects.filter(user_id=viewer.row_id).values("group_id")


def _group_id(obj: Any, at: str) -> int | None:
    return obj.pk if not at else getattr(obj, f"{at}_id")


def _group(obj: Any, at: str) -> Group | None:
    if not at:
        return obj
    return getattr(obj, at) if getattr(obj, f"{at}_id") is not None else None


def _field(at: str, name: str) -> str:
    return f"{at}__{name}" if at else name


def member(at: str = "") -> Term:
    """The viewer belongs to the group."""
    return Term(
        "member",
        lambda v, prefix: Q(**{f"{prefix}{at or 'pk'}__in": member_group_ids(v)}),
        lambda v, obj: _group_id(obj, at) in v.ties.groups,
        lambda alias, facts: f"{alias}.{f'{at}_id' if at else 'id'} = ANY({facts.member_groups})",
    )


def open_group(at: str = "") -> Term:
    """The group is open: every employee reads it."""

    def sql(alias: str, facts: SqlFacts) -> str:
        if not at:
            return f"{alias}.kind = '{OPEN}'"
        table = Group._meta.db_table
        return (
            # Table, column and kind are our own names, never input.
            f"EXISTS (SELECT 1 FROM {table} AS g WHERE g.id = {alias}.{at}_id "  # noqa: S608
            f"AND g.kind = '{OPEN}')"
        )

    def test(v: Viewer, obj: Any) -> bool:
        group = _group(obj, at)
        return group is not None and group.kind == OPEN

    return Term("open_group", lambda v, prefix: Q(**{prefix + _field(at, "kind"): OPEN}), test, sql)


def listed_group() -> Term:
    """Not secret: employees may know it exists."""
    return Term(
        "listed_group",
        lambda v, prefix: ~Q(**{f"{prefix}kind": SECRET}),
        lambda v, obj: obj.kind != SECRET,
        lambda alias, facts: f"{alias}.kind <> '{SECRET}'",
    )


def invited() -> Term:
    """The viewer holds a pending invitation to the group (it names the group to them)."""
    return Term(
        "invited",
        lambda v, prefix: Q(
            **{
                f"{prefix}pk__in": Invitation.objects.filter(
                    invitee_id=v.row_id, status=Invitation.Status.PENDING
                ).values("group_id")
            }
        ),
        lambda v, obj: obj.pk in v.ties.invited,
    )


def company_wide() -> Term:
    """A post in no group."""
    return Term(
        "company_wide",
        lambda v, prefix: Q(**{f"{prefix}group__isnull": True}),
        lambda v, obj: obj.group_id is None,
        lambda alias, facts: f"{alias}.group_id IS NULL",
    )


def not_removed() -> Term:
    """Not removed by a moderator (a post or a comment)."""
    return Term(
        "not_removed",
        lambda v, prefix: Q(**{f"{prefix}removed_at__isnull": True}),
        lambda v, obj: obj.removed_at is None,
        lambda alias, facts: f"{alias}.removed_at IS NULL",
    )


def blocked_either_way_q(viewer: Viewer, field: str = "pk") -> Q:
    """`field` (a user id) is someone the viewer blocked or someone who blocked the viewer.
    Two small subqueries PostgreSQL hashes once: a stream that excludes them still walks its
    own index, and spends no extra round trip."""
    return Q(
        **{f"{field}__in": Block.objects.filter(blocker_id=viewer.row_id).values("blocked_id")}
    ) | Q(**{f"{field}__in": Block.objects.filter(blocked_id=viewer.row_id).values("blocker_id")})


def not_blocked(field: str) -> Term:
    """The person in `field` ("author" for content, "" for a person row) is not blocked by
    the viewer and has not blocked them."""
    column = f"{field}_id" if field else "pk"

    def sql(alias: str, facts: SqlFacts) -> str:
        return f"NOT {alias}.{column if field else 'id'} = ANY({facts.blocked})"

    return Term(
        "not_blocked",
        lambda v, prefix: ~blocked_either_way_q(v, prefix + column),
        lambda v, obj: getattr(obj, column) not in v.ties.blocked,
        sql,
    )


def active_person() -> Term:
    return Term(
        "active_person",
        lambda v, prefix: Q(**{f"{prefix}is_active": True}),
        lambda v, obj: obj.is_active,
        lambda alias, facts: f"{alias}.is_active",
    )


def deactivated_person() -> Term:
    """An account an admin deactivated: a former colleague."""
    return Term(
        "deactivated_person",
        lambda v, prefix: Q(**{f"{prefix}is_active": False}),
        lambda v, obj: not obj.is_active,
        lambda alias, facts: f"NOT {alias}.is_active",
    )


def colleague_account_q(prefix: str = "") -> Q:
    return Q(**{f"{prefix}is_service_account": False})


def colleague_account() -> Term:
    """Not a service account (the site admin's own login, an integration): lists that offer
    people to follow, mention or invite leave those out."""
    return Term(
        "colleague_account",
        lambda v, prefix: colleague_account_q(prefix),
        lambda v, obj: not obj.is_service_account,
        lambda alias, facts: f"NOT {alias}.is_service_account",
    )


def oneself() -> Term:
    return Term(
        "oneself",
        lambda v, prefix: Q(**{f"{prefix}pk": v.row_id}),
        lambda v, obj: obj.pk == v.pk,
        lambda alias, facts: f"{alias}.id = {facts.user}",
    )


def shares_a_group() -> Term:
    """The person is a member of one of the viewer's groups."""

    def test(v: Viewer, obj: Any) -> bool:
        groups = v.ties.member_groups
        return bool(groups) and (
            Membership.objects.filter(user_id=obj.pk, group_id__in=groups).exists()
        )

    return Term(
        "shares_a_group",
        lambda v, prefix: Q(
            **{
                f"{prefix}pk__in": Membership.objects.filter(group__in=member_group_ids(v)).values(
                    "user_id"
                )
            }
        ),
        test,
    )
