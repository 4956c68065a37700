"""One definition, four readings: for generated worlds, the `Q`, the per-object check, the
batch check and the SQL fragments of each access rule select exactly the same things, for
every kind of viewer (signed out, deactivated, expired guest, guest, employee, staff without
the permission, site admin), with and without blocking.

A world is random but seeded (the seed is in the test id), so a failure can be replayed.
"""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser, Permission
from django.db import connection
from django.utils import timezone

from access import groups as access_groups
from access import people as access_people
from access import posts as access_posts
from access.rules import SqlFacts
from access.viewer import Standing, Viewer
from groups.models import Group, Invitation, Membership
from people.models import Block, User
from posts.models import Comment, Post
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SEEDS = [11, 23, 42, 77, 2026]


def build_world(seed: int) -> list:
    """Groups of every kind, people of every standing, posts and comments (some removed),
    memberships with roles, pending invitations and blocks, all drawn at random."""
    rnd = random.Random(seed)
    founder = UserFactory(username=f"founder{seed}")
    groups = [
        Group.objects.create(
            name=f"g{seed}-{n}", slug=f"g{seed}-{n}", kind=kind, created_by=founder
        )
        for n, kind in enumerate(
            [Group.Kind.OPEN, Group.Kind.PRIVATE, Group.Kind.SECRET]
            + [rnd.choice(Group.Kind.values) for _ in range(3)]
        )
    ]
    employees = [UserFactory(username=f"e{seed}-{n}") for n in range(6)]
    guests = [UserFactory(username=f"guest{seed}-{n}", is_guest=True) for n in range(2)]
    expired = UserFactory(
        username=f"expired{seed}",
        is_guest=True,
        guest_expires_on=timezone.localdate() - timedelta(days=1),
    )
    gone = UserFactory(username=f"gone{seed}", is_active=False)
    admin = UserFactory(username=f"admin{seed}", is_staff=True, is_superuser=True)
    staff_only = UserFactory(username=f"staff{seed}", is_staff=True)
    granted = UserFactory(username=f"granted{seed}", is_staff=True)
    granted.user_permissions.add(Permission.objects.get(codename="administer_site"))
    people = [*employees, *guests, expired, gone, admin, staff_only, granted]
    members = [p for p in people if p is not admin]
    for group in groups:
        for person in rnd.sample(members, 5):
            role = rnd.choice(Membership.Role.values)
            Membership.objects.get_or_create(
                group=group, user=person, defaults={"role": role, "muted": rnd.random() < 0.2}
            )
        for person in rnd.sample(members, 2):
            if not Membership.objects.filter(group=group, user=person).exists():
                Invitation.objects.create(group=group, invitee=person, invited_by=founder)
    for _ in range(6):
        a, b = rnd.sample(people, 2)
        Block.objects.get_or_create(blocker=a, blocked=b)
    now = timezone.now()
    for n in range(40):
        author = rnd.choice(people)
        group = rnd.choice([None, None, *groups])
        post = Post.objects.create(
            author=author,
            group=group,
            body=f"post {n}",
            body_html=f"<p>post {n}</p>",
            removed_at=now if rnd.random() < 0.15 else None,
        )
        for m in range(rnd.randint(0, 2)):
            Comment.objects.create(
                post=post,
                author=rnd.choice(people),
                body=f"comment {n}.{m}",
                body_html=f"<p>comment {n}.{m}</p>",
                removed_at=now if rnd.random() < 0.15 else None,
            )
    return [AnonymousUser(), founder, *people]


def _ids(qs) -> set[int]:
    return set(qs.values_list("pk", flat=True))


def _sql_ids(sql: str, params: dict) -> set[int]:
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return {row[0] for row in cur.fetchall()}


def _array(ids) -> str:
    return "{" + ",".join(str(i) for i in sorted(ids)) + "}"


@pytest.mark.parametrize("seed", SEEDS)
def test_post_rule_reads_the_same_as_a_q_a_check_a_batch_and_both_sql_fragments(seed):
    viewers = build_world(seed)
    posts = list(Post.objects.select_related("group"))
    seen_standings = set()
    for user in viewers:
        for hide_blocked in (True, False):
            viewer = Viewer.of(user)
            seen_standings.add(viewer.standing)
            by_q = _ids(access_posts.visible_posts(viewer, hide_blocked=hide_blocked))
            by_check = {
                p.pk
                for p in posts
                if access_posts.can_view_post(user, p, hide_blocked=hide_blocked)
            }
            by_batch = access_posts.visible_post_ids(viewer, posts, hide_blocked=hide_blocked)
            where = f"viewer {user} ({viewer.standing}), hide_blocked={hide_blocked}"
            assert by_q == by_check == by_batch, where

            ties = viewer.ties
            facts = {
                "member_groups": _array(ties.member_groups),
                "blocked": _array(ties.blocked),
                "user": viewer.row_id,
            }
            # The home feed's fragment (bound parameters) ...
            fragment = access_posts.post_sql(viewer.standing, "p", hide_blocked=hide_blocked)
            by_sql = _sql_ids(f"SELECT p.id FROM posts_post AS p WHERE {fragment}", facts)
            assert by_sql == by_q, where
            if not hide_blocked:
                continue
            # ... and the digest's (one record per person, the standing a column).
            digest = access_posts.post_sql_by_standing(
                "u.standing",
                "p",
                SqlFacts(member_groups="u.member_groups", blocked="u.blocked", user="u.uid"),
            )
            by_digest_sql = _sql_ids(
                "SELECT p.id FROM posts_post AS p, (SELECT %(standing)s::text AS standing, "
                "%(member_groups)s::bigint[] AS member_groups, %(blocked)s::bigint[] AS blocked, "
                f"%(user)s::bigint AS uid) AS u WHERE {digest}",
                {**facts, "standing": viewer.standing.value},
            )
            assert by_digest_sql == by_q, where
    assert seen_standings == set(Standing)


@pytest.mark.parametrize("seed", SEEDS)
def test_comment_rule_reads_the_same_as_a_q_a_check_and_a_batch(seed):
    viewers = build_world(seed)
    comments = list(Comment.objects.select_related("post", "post__group"))
    for user in viewers:
        for hide_blocked in (True, False):
            by_q = _ids(access_posts.visible_comments(user, hide_blocked=hide_blocked))
            by_check = {
                c.pk
                for c in comments
                if access_posts.can_view_comment(user, c, hide_blocked=hide_blocked)
            }
            assert by_q == by_check, f"viewer {user}, hide_blocked={hide_blocked}"
            by_batch = access_posts.visible_comment_ids(user, comments, hide_blocked=hide_blocked)
            assert by_batch == by_q, f"viewer {user}, hide_blocked={hide_blocked}"


@pytest.mark.parametrize("seed", SEEDS)
def test_group_rules_read_the_same_as_a_q_a_check_a_batch_and_sql(seed):
    viewers = build_world(seed)
    groups = list(Group.objects.all())
    for user in viewers:
        viewer = Viewer.of(user)
        readable = _ids(access_groups.readable_groups(viewer))
        assert readable == {g.pk for g in groups if access_groups.can_read_group(user, g)}
        assert readable == access_groups.readable_group_ids(viewer, groups)
        rule = access_groups.read_rule(viewer.standing)
        by_sql = _sql_ids(
            f"SELECT g.id FROM groups_group AS g WHERE {rule.sql('g', SqlFacts())}",
            {"member_groups": _array(viewer.ties.member_groups)},
        )
        assert by_sql == readable, f"viewer {user} ({viewer.standing})"
        known = _ids(access_groups.visible_groups(viewer))
        assert known == {g.pk for g in groups if access_groups.can_know_group(user, g)}
        # Whoever may read a group may know it exists.
        assert readable <= known or not viewer.can_use_site


@pytest.mark.parametrize("seed", SEEDS)
def test_person_rule_reads_the_same_as_a_q_a_check_and_a_batch(seed):
    viewers = build_world(seed)
    everyone = list(User.objects.all())
    for user in viewers:
        for hide_blocked in (True, False):
            by_q = _ids(access_people.visible_people(user, hide_blocked=hide_blocked))
            by_check = {
                p.pk
                for p in everyone
                if access_people.can_view_person(user, p, hide_blocked=hide_blocked)
            }
            assert by_q == by_check, f"viewer {user}, hide_blocked={hide_blocked}"
            by_batch = access_people.visible_person_ids(user, everyone, hide_blocked=hide_blocked)
            assert by_batch == by_q, f"viewer {user}, hide_blocked={hide_blocked}"


def test_staff_status_alone_is_an_employee_and_the_permission_makes_an_admin(db):
    staff = UserFactory(is_staff=True)
    granted = UserFactory(is_staff=True)
    granted.user_permissions.add(Permission.objects.get(codename="administer_site"))
    superuser = UserFactory(is_staff=True, is_superuser=True)
    assert Viewer.of(staff).standing is Standing.EMPLOYEE
    assert Viewer.of(User.objects.get(pk=granted.pk)).standing is Standing.ADMIN
    assert Viewer.of(superuser).standing is Standing.ADMIN
