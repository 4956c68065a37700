from __future__ import annotations

import io
import re
from collections import Counter
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db.models import Max, Min
from django.utils import timezone

from analytics.models import Figure, Period, Segment
from groups.models import AuditEntry, Group, Membership
from hashtags.models import Hashtag, TaggedPost
from hashtags.selectors import trending_hashtags, who_knows
from people.management.commands import _demo_texts as texts
from people.management.commands.seed_demo import DEPARTMENTS, GROUPS, TOPICS
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
    _community_health_has_figures_to_show()
    _something_trends_and_someone_knows()
    _posts_are_varied_and_on_topic()
    _a_newcomer_has_a_first_day()


def _people_and_accounts(seeded):
    assert User.objects.filter(is_active=True, is_guest=False).count() >= 60
    assert Department.objects.filter(people__isnull=False).distinct().count() >= 6
    assert Location.objects.filter(people__isnull=False).distinct().count() >= 3
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff and admin.check_password("pw-test")
    # The admin's own login is no colleague to follow or mention.
    assert admin.is_service_account
    assert User.objects.filter(is_service_account=True).count() == 1
    assert User.objects.get(username="gus.partner").organisation == "Acme Partners"
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


def _a_newcomer_has_a_first_day():
    from digests.models import InboxItem
    from welcome.models import WelcomeSettings
    from welcome.selectors import announcements, get_started

    nina = User.objects.get(username="nina.peeters")
    card = get_started(nina)
    assert card is not None and "Welcome" in [g.name for g in card.groups]
    assert card.hashtags and all("_" in t.slug for t in card.hashtags)  # #dept_topic tags
    assert card.people  # colleagues of her department and location
    assert "**ESN**" in WelcomeSettings.current().welcome_text
    [(_announcement, town_hall)] = announcements(nina)
    assert "Town hall" in town_hall.body
    # The demo inbox reads like a running site's: little is still unread.
    ana = User.objects.get(username="ana.jansen")
    rows = InboxItem.objects.filter(recipient=ana)
    assert rows.filter(unread=True).count() <= rows.count() // 2
    # Nobody is mailed about the made-up past on the demo's first start.
    assert not InboxItem.objects.filter(unread=True, emailed_at__isnull=True).exists()


def _plain(body: str) -> str:
    """A post's words without its #tags and @mentions: what a reader sees repeat."""
    return " ".join(re.sub(r"[#@][\w.+-]*\w", " ", body).split())


def _posts_are_varied_and_on_topic():
    posts = Post.objects.select_related("author__department").prefetch_related("tagged_items__tag")
    assert len({_plain(post.body) for post in posts}) >= 100
    written = {_plain(text.format(mention="x")): text for text in texts.all_posts()}
    demo = [post for post in posts if _plain(post.body) in written]
    assert len(demo) >= 160
    assert max(Counter(_plain(post.body) for post in demo).values()) <= 2
    for post in demo:
        tag = texts.tag_of(written[_plain(post.body)])
        # Its one hashtag is the topic the text is about, of a department that has that topic.
        assert [t.tag.name for t in post.tagged_items.all()] == [tag], post.body
        prefix, topic = tag.split("_", 1)
        assert topic in TOPICS[prefix]
        if post.group_id is None:
            assert DEPARTMENTS[post.author.department.name][0] == prefix, post.body
    # Replies are mostly about the post's topic.
    topical = {_plain(c.format(mention="x")) for cs in texts.COMMENTS.values() for c in cs}
    replies = [_plain(c.body) for c in Comment.objects.filter(post__in=demo)]
    assert sum(reply in topical for reply in replies) > len(replies) / 2


def test_demo_texts_each_carry_the_hashtag_of_their_topic():
    group_names = {name for name, *_rest in GROUPS}
    assert set(texts.GROUP_POSTS) <= group_names
    for tag, posts in texts.POSTS.items():
        prefix, topic = tag.split("_", 1)
        assert topic in TOPICS[prefix]
        for text in posts:
            assert re.findall(r"#(\w+)", text) == [tag], text
    for posts in texts.GROUP_POSTS.values():
        # A group has one topic, so its posts share one hashtag.
        assert len({texts.tag_of(text) for text in posts}) == 1
        for text in posts:
            assert len(re.findall(r"#(\w+)", text)) == 1, text
    every = texts.all_posts()
    assert len(set(every)) == len(every) >= 110
    for prefix in TOPICS:
        assert len([t for t in every if texts.tag_of(t).startswith(f"{prefix}_")]) >= 8
    for text in every:
        text.format(mention="x")  # no stray braces
    assert set(texts.COMMENTS) <= {texts.tag_of(text) for text in every}


def test_questions_are_recognised_by_their_own_opening_words():
    asks = [text for text in texts.all_posts() if isinstance(text, texts.Ask)]
    assert len(asks) >= 20 and len(texts.QUESTIONS) == len(asks)
    for start, answer in texts.QUESTIONS.items():
        assert "{" not in start and answer
        # Only the question itself starts like that (make_questions matches on the start).
        assert [t for t in texts.all_posts() if t.startswith(start)] == [
            a for a in asks if a.start == start
        ]
        assert not any(s.startswith(start) for s in texts.QUESTIONS if s != start)


def test_seed_is_idempotent(seeded):
    before = _counts()
    out = io.StringIO()

    call_command("seed_demo", stdout=out)

    assert _counts() == before
    assert "already loaded" in out.getvalue()
    # The second run did not change anyone's password either.
    assert User.objects.get(username="ana.jansen").check_password("pw-test")


def _community_health_has_figures_to_show():
    site = Figure.objects.filter(segment=Segment.SITE, period=Period.WEEK)
    assert site.filter(metric="posts", value__gt=0).exists()
    assert site.filter(metric="active_people", value__gt=0).exists()
