from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db.models import Max, Min
from django.utils import timezone

from groups.models import AuditEntry, Group, Membership
from hashtags.models import Hashtag, TaggedPost
from hashtags.selectors import trending_hashtags, who_knows
from people.models import Department, Location, User
from posts.models import Comment, Post, Reaction
from posts.selectors import home_feed

pytestmark = pytest.mark.django_db


def _counts():
    return {
        model.__name__: model.objects.count()
        for model in (User, Department, Location, Post, Comment, Reaction, Group, Membership)
    }


@pytest.fixture
def seeded():
    out = io.StringIO()
    call_command("seed_demo", password="pw-test", stdout=out)
    return out.getvalue()


def test_seed_builds_a_believable_company(seeded):
    """One seeding, several checks: seeding takes seconds, so it is done once here."""
    _people_and_accounts(seeded)
    _content_spreads_over_weeks()
    _ana_has_a_populated_home_feed_and_groups()
    _every_group_membership_is_the_members_own_act()
    _some_posts_are_questions_and_some_are_answered()
    _something_trends_and_someone_knows()


def _people_and_accounts(seeded):
    assert User.objects.filter(is_active=True, is_guest=False).count() >= 60
    assert Department.objects.filter(people__isnull=False).distinct().count() >= 6
    assert Location.objects.filter(people__isnull=False).distinct().count() >= 3
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff and admin.check_password("pw-test")
    assert User.objects.get(username="ana.jansen").check_password("pw-test")
    assert "ana.jansen / pw-test" in seeded


def _content_spreads_over_weeks():
    span = Post.objects.aggregate(first=Min("created_at"), last=Max("created_at"))
    assert span["last"] - span["first"] >= timedelta(weeks=3)
    assert span["last"] <= timezone.now()
    assert not Comment.objects.filter(created_at__gt=timezone.now()).exists()
    assert TaggedPost.objects.filter(tag__name__contains="_").count() >= 50
    assert Post.objects.filter(mentions__isnull=False).distinct().count() >= 10
    assert Comment.objects.count() >= 100 and Reaction.objects.count() >= 100
    for link in TaggedPost.objects.select_related("content_object")[:200]:
        assert link.created_at == link.content_object.created_at
    for comment in Comment.objects.select_related("post")[:200]:
        assert comment.created_at >= comment.post.created_at
    likes = Reaction.objects.aggregate(first=Min("created_at"), last=Max("created_at"))
    assert likes["last"] - likes["first"] >= timedelta(weeks=3)
    assert likes["last"] <= timezone.now()
    for like in Reaction.objects.select_related("post")[:200]:
        assert like.created_at >= like.post.created_at


def _ana_has_a_populated_home_feed_and_groups():
    ana = User.objects.get(username="ana.jansen")

    page = home_feed(ana, limit=20)

    assert len(page.items) == 20 and page.next_cursor
    assert Membership.objects.filter(user=ana).exists()


def _every_group_membership_is_the_members_own_act():
    consent = {
        AuditEntry.Action.CREATED,
        AuditEntry.Action.JOINED,
        AuditEntry.Action.ACCEPTED,
        AuditEntry.Action.APPROVED,
    }
    for membership in Membership.objects.select_related("group"):
        entries = AuditEntry.objects.filter(group=membership.group, action__in=consent)
        own = entries.filter(actor=membership.user).exclude(action=AuditEntry.Action.APPROVED)
        approved = entries.filter(action=AuditEntry.Action.APPROVED, target_user=membership.user)
        assert own.exists() or approved.exists(), membership
    assert Group.objects.filter(kind=Group.Kind.SECRET).exists()
    guest = User.objects.get(username="gus.partner")
    assert guest.is_guest and guest.sponsor and guest.memberships.count() == 1


def _some_posts_are_questions_and_some_are_answered():
    questions = Post.objects.filter(is_question=True)
    answered = questions.filter(accepted_answer__isnull=False).select_related("accepted_answer")
    assert questions.filter(accepted_answer__isnull=True).count() >= 10
    assert answered.count() >= 10
    for post in answered:
        answer = post.accepted_answer
        assert answer.post_id == post.pk and answer.author_id != post.author_id
        assert post.created_at < answer.created_at < post.answered_at <= timezone.now()
    assert not Post.objects.filter(is_question=False, accepted_answer__isnull=False).exists()


def _something_trends_and_someone_knows():
    ana = User.objects.get(username="ana.jansen")
    trending = trending_hashtags(ana, limit=100)
    assert trending[0].slug == "town_hall" and trending[0].authors >= 5
    loud = next(t for t in trending if t.slug == "sales_q3_targets")
    assert loud.recent >= 6 and trending.index(loud) > 0  # many posts, few people
    for slug in ("town_hall", "eng_code_review"):
        assert len(who_knows(ana, Hashtag.objects.get(slug=slug))) >= 3
    assert Post.objects.filter(accepted_answer__isnull=False).exists()
    skilled = Hashtag.objects.filter(slug__in=User.skills.values("name")).distinct()
    assert skilled.count() >= 5
    assert any(e.has_skill for tag in skilled for e in who_knows(ana, tag))


def test_seed_is_idempotent(seeded):
    before = _counts()
    out = io.StringIO()

    call_command("seed_demo", stdout=out)

    assert _counts() == before
    assert "already loaded" in out.getvalue()
    # The second run did not change anyone's password either.
    assert User.objects.get(username="ana.jansen").check_password("pw-test")
