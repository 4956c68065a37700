"""A page of posts costs a fixed number of queries whatever its size, and publishing costs a
fixed number of writes whatever the author's audience (ARCHITECTURE.md rule 2).

Each count is asserted twice: with a few posts, then after adding many more rows (posts with
images, hashtags, likes, comments and mentions), with the same bound."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from groups import services as group_services
from groups.models import Group
from hashtags.models import Hashtag
from hashtags.services import follow_hashtag
from people.models import Follow, User
from people.services import follow_person
from posts import selectors as feed_selectors
from posts import services
from posts.selectors import all_stream, home_feed, posts_by, posts_tagged
from tests.factories import UserFactory, image_upload, make_post, now
from tests.groups.helpers import make_group
from welcome.models import GetStartedDismissal, WelcomeSettings

pytestmark = pytest.mark.django_db

POST_RE = re.compile(r'<article class="card post" id="post-\d+"')
_clock = {"n": 0}


def _publish_rich(count: int, *, authors: list[User], viewer: User, fan: User) -> None:
    """Posts as they look in real life: an image, hashtags, a mention, likes, a comment."""
    for i in range(count):
        _clock["n"] += 1
        author = authors[i % len(authors)]
        post = make_post(
            author,
            f"note {_clock['n']} on #topic and #extra_{i % 7}, cc @{viewer.username}",
            images=[image_upload()],
            created_at=now() - timedelta(days=60) + timedelta(minutes=_clock["n"]),
        )
        services.toggle_like(post=post, user=viewer)
        services.toggle_like(post=post, user=fan)
        services.add_comment(post=post, author=fan, body=f"reply to @{author.username}")


def _add_followers(person: User, count: int) -> None:
    start = User.objects.count()
    people = User.objects.bulk_create(
        [User(username=f"audience{start + i}", first_name="Aud") for i in range(count)]
    )
    Follow.objects.bulk_create([Follow(follower=p, followee=person) for p in people])


@pytest.fixture
def feed_world(member, colleague, outsider):
    """Mia follows Carl and #topic; Olga (not followed) also posts on #topic."""
    follow_person(follower=member, followee=colleague)
    follow_person(follower=colleague, followee=outsider)
    colleague.skills.add("negotiation", "python")
    # So every side card and "who knows" query runs: Olga lists #topic as a skill, and Carl
    # (whom Mia follows) is in an open group Mia is not in.
    outsider.skills.add("Topic")
    group_services.join_group(
        user=outsider,
        group=group_services.create_group(creator=colleague, name="Guild", kind="open"),
    )
    _publish_rich(1, authors=[colleague], viewer=member, fan=outsider)
    follow_hashtag(user=member, hashtag=Hashtag.objects.get(slug="topic"))
    return {"authors": [colleague, outsider], "viewer": member, "fan": outsider}


def _grow(world, count):
    _publish_rich(count, authors=world["authors"], viewer=world["viewer"], fan=world["fan"])


# --- selectors: limit 5 and limit 50 cost the same -------------------------------------------


def test_home_feed_selector_costs_the_same_for_5_and_50_posts(
    feed_world, member, django_assert_max_num_queries
):
    _grow(feed_world, 60)

    for limit in (5, 50):
        # 1 the viewer's ties (access.viewer: follows, groups, blocks, mutes), 2 candidate ids
        # (per-source index scans),
        # 3 the posts with authors, groups and whether I liked each, 4 images, 5 the names
        # of the followed hashtags they carry (for the reasons)
        with django_assert_max_num_queries(5):
            page = home_feed(member, limit=limit)
            for item in page.items:
                item.post.image_list()
        assert len(page.items) == limit
        assert all(item.reasons for item in page.items)


def test_home_feed_selector_costs_the_same_for_a_heavy_follower(
    feed_world, member, django_assert_max_num_queries, monkeypatch
):
    # More followed sources than PER_SOURCE_MAX: the single time-ordered query is used.
    monkeypatch.setattr(feed_selectors, "PER_SOURCE_MAX", 50)
    for person in UserFactory.create_batch(55, password=None):
        follow_person(follower=member, followee=person)
    _grow(feed_world, 60)

    for limit in (5, 50):
        # 1 the viewer's ties (access.viewer: follows, groups, blocks, mutes), 2 candidate ids
        # (one time-index scan),
        # 3 posts with authors, groups and whether I liked each, 4 images, 5 hashtags
        with django_assert_max_num_queries(5):
            page = home_feed(member, limit=limit)
        assert len(page.items) == limit


def test_both_home_feed_strategies_give_the_same_pages(feed_world, member, monkeypatch):
    for person in UserFactory.create_batch(5, password=None):
        follow_person(follower=member, followee=person)
        make_post(person, "from a quiet colleague #topic")
    _grow(feed_world, 30)

    def all_pages():
        seen, cursor = [], None
        while True:
            page = home_feed(member, limit=7, cursor=cursor)
            seen += [(item.post.pk, sorted(map(str, item.reasons))) for item in page.items]
            if not page.next_cursor:
                return seen
            cursor = feed_selectors.Cursor.decode(page.next_cursor)

    per_source = all_pages()
    monkeypatch.setattr(feed_selectors, "PER_SOURCE_MAX", 1)
    single_query = all_pages()

    assert per_source == single_query
    assert len(per_source) >= 35


@pytest.mark.parametrize("selector", ["all", "tagged", "by_author"])
def test_stream_selectors_cost_the_same_for_5_and_50_posts(
    feed_world, member, colleague, selector, django_assert_max_num_queries
):
    _grow(feed_world, 110)
    topic = Hashtag.objects.get(slug="topic")
    read = {
        "all": lambda limit: all_stream(member, limit=limit),
        "tagged": lambda limit: posts_tagged(member, hashtag=topic, limit=limit),
        "by_author": lambda limit: posts_by(member, author=colleague, limit=limit),
    }[selector]

    for limit in (5, 50):
        # 1 candidate ids, 2 the posts with their authors and whether I liked each, 3 images
        # (no hashtag links: the cards' HTML has them)
        with django_assert_max_num_queries(3):
            page = read(limit)
        assert len(page.items) == limit


# --- views: a page with 5 posts and a page among 50+ cost the same --------------------------


def _assert_view_bounded(client, url, *, n_queries, world, assert_max, expected_small):
    with assert_max(n_queries):
        small = client.get(url)
    assert small.status_code == 200
    assert len(POST_RE.findall(small.text)) == expected_small

    _grow(world, 50)
    _add_followers(world["authors"][0], 20)

    with assert_max(n_queries):
        large = client.get(url)
    assert large.status_code == 200
    assert len(POST_RE.findall(large.text)) == 20  # a full page

    with assert_max(n_queries):  # and the htmx "Load more" page behind it
        more = client.get(url, {"cursor": _cursor_of(large.text)}, HTTP_HX_REQUEST="true")
    assert len(POST_RE.findall(more.text)) > 0


def _cursor_of(html: str) -> str:
    return re.search(r'id="load-more">\s*<a[^>]* href="[^"]*\?cursor=([^"]+)"', html).group(1)


def test_home_view_runs_a_bounded_number_of_queries(
    feed_world, member_client, django_assert_max_num_queries
):
    _grow(feed_world, 4)
    # The member follows little: their Home has the Get started card, with a featured group
    # and hashtag configured (the settings are cached, as on a running site).
    welcome = WelcomeSettings.current()
    welcome.featured_groups.set([make_group(UserFactory(), Group.Kind.OPEN, name="Welcome")])
    welcome.featured_hashtags.set([Hashtag.objects.create(name="welcome_here")])
    WelcomeSettings.current()
    # 1 session, 2 signed-in user, 3 the viewer's ties (follows, groups, invitations, who is
    # muted or blocked either way: access.viewer), 4 candidate ids, 5 posts with authors,
    # groups and whether I liked each, 6 images, 7 hashtags, 8 the inbox's unread badge,
    # 9 when announcements are pinned (cached after the first look); the Get started card:
    # 10 whether they closed it, 11 featured groups, 12 featured hashtags, 13 people of their
    # department and location. No group and no invitation in their ties: neither is looked
    # up. The side cards are loaded afterwards (the next test).
    _assert_view_bounded(
        member_client,
        reverse("home"),
        n_queries=13,
        world=feed_world,
        assert_max=django_assert_max_num_queries,
        expected_small=5,
    )


def test_home_without_the_get_started_card_costs_one_query_more_than_the_feed(
    feed_world, member_client, django_assert_max_num_queries
):
    _grow(feed_world, 4)
    GetStartedDismissal.objects.create(user=feed_world["viewer"])
    WelcomeSettings.current()
    # The first nine above and whether they closed the card (they did).
    _assert_view_bounded(
        member_client,
        reverse("home"),
        n_queries=10,
        world=feed_world,
        assert_max=django_assert_max_num_queries,
        expected_small=5,
    )


def test_load_more_on_home_asks_only_for_the_next_posts(
    feed_world, member_client, django_assert_max_num_queries
):
    _grow(feed_world, 30)
    first = member_client.get(reverse("home"))
    # 1 session, 2 signed-in user, 3 ties, 4 candidate ids, 5 posts with authors, groups and
    # whether I liked each, 6 images, 7 hashtags: no composer, groups, invitations, badge or
    # cards, which the next posts do not show.
    with django_assert_max_num_queries(7):
        more = member_client.get(
            reverse("home"), {"cursor": _cursor_of(first.text)}, HTTP_HX_REQUEST="true"
        )
    assert len(POST_RE.findall(more.text)) > 0
    assert "<html" not in more.text


def test_side_cards_run_a_bounded_number_of_queries(
    feed_world, member_client, django_assert_max_num_queries
):
    def load_cards():
        response = member_client.get(reverse("discover"), headers={"HX-Request": "true"})
        assert response.status_code == 200
        return response.content.decode()

    # 1 session, 2 signed-in user, 3 the viewer's ties (read once for all the cards),
    # 4 trending hashtags, 5 people active in other departments, 6 people followed by people
    # I follow, 7 people of my department (only when those two are short), 8 the suggested
    # people (and the followers named), 9 hashtags my colleagues follow, 10 which of them I
    # may know exists, 11 open groups my colleagues joined, 12 those groups
    with django_assert_max_num_queries(12):
        first = load_cards()
    assert "Suggestions for you" in first and "<html" not in first
    _grow(feed_world, 20)
    with django_assert_max_num_queries(12):
        load_cards()


def test_all_stream_view_runs_a_bounded_number_of_queries(
    feed_world, member_client, django_assert_max_num_queries
):
    _grow(feed_world, 4)
    # 1 session, 2 signed-in user, 3 candidate ids, 4 posts with authors and whether I liked
    # each, 5 images, 6 the composer's groups, 7 the inbox's unread badge
    _assert_view_bounded(
        member_client,
        reverse("all"),
        n_queries=7,
        world=feed_world,
        assert_max=django_assert_max_num_queries,
        expected_small=5,
    )


def test_hashtag_page_runs_a_bounded_number_of_queries(
    feed_world, member_client, django_assert_max_num_queries
):
    _grow(feed_world, 4)
    # 1 session, 2 signed-in user, 3 the hashtag with whether I follow and muted it, 4 whether
    # I may see a post carrying it, 5 candidate ids from the tag's index, 6 posts with authors
    # and whether I liked each, 7 images, 8 the inbox's unread badge; "who knows" (first page
    # only): 9 posts per author, 10 answers per person, 11 skills spelled like the tag, 12
    # people listing one, 13 those people; 14 the tag's use over time (community health, one
    # query)
    _assert_view_bounded(
        member_client,
        reverse("hashtags:detail", args=["topic"]),
        n_queries=14,
        world=feed_world,
        assert_max=django_assert_max_num_queries,
        expected_small=5,
    )


def test_profile_view_runs_a_bounded_number_of_queries(
    feed_world, member_client, colleague, django_assert_max_num_queries
):
    _grow(feed_world, 8)  # authors alternate: Carl has 1 + 4 posts
    # 1 session, 2 signed-in user, 3 the person, 4 candidate ids, 5 posts with authors and
    # whether I liked each, 6 images, 7 following count, 8 followers count, 9 whether I follow
    # them, 10 whether I blocked them, 11 whether I muted them, 12 skills, 13 which of the
    # skills' hashtags have a page (the chips' links), 14 following preview, 15 followers
    # preview, 16 the inbox's unread badge
    _assert_view_bounded(
        member_client,
        reverse("people:profile", args=[colleague.username]),
        n_queries=16,
        world=feed_world,
        assert_max=django_assert_max_num_queries,
        expected_small=5,
    )


def test_pages_of_posts_read_neither_the_search_column_nor_hashtag_links(
    feed_world, member_client, colleague
):
    _grow(feed_world, 6)
    for url in (
        reverse("home"),
        reverse("all"),
        reverse("hashtags:detail", args=["topic"]),
        reverse("people:profile", args=[colleague.username]),
    ):
        with CaptureQueriesContext(connection) as ctx:
            response = member_client.get(url)
        assert response.status_code == 200
        assert 'href="/hashtags/topic/"' in response.text, url  # the cards still link the tag
        posts_read = [q["sql"] for q in ctx.captured_queries if 'FROM "posts_post"' in q["sql"]]
        assert posts_read, url
        assert not [sql for sql in posts_read if "search_vector" in sql.split(" FROM ")[0]], url
        # Home reads the names of the followed tags for its reasons; nobody reads link rows.
        links = 'SELECT "hashtags_taggedpost"."id"'
        assert not [q for q in ctx.captured_queries if q["sql"].startswith(links)], url


# --- publishing: O(1) writes whatever the audience --------------------------------------------


def _queries_to_publish(author: User) -> list[str]:
    with CaptureQueriesContext(connection) as ctx:
        services.create_post(
            author=author,
            body="Quarterly numbers are in #results cc @carl.colleague",
            images=[image_upload()],
        )
    return [q["sql"] for q in ctx.captured_queries]


def test_publishing_costs_the_same_for_3_or_300_followers(member, colleague):
    make_post(member, "warm-up #results")  # the hashtag exists in both measurements
    _add_followers(member, 3)
    with_three = _queries_to_publish(member)

    _add_followers(member, 297)
    with_three_hundred = _queries_to_publish(member)

    assert Follow.objects.filter(followee=member).count() == 300
    assert len(with_three) == len(with_three_hundred)
    # Nothing is fanned out: publishing does not even look at who follows the author.
    assert not any("people_follow" in sql for sql in with_three_hundred)
    writes = [sql for sql in with_three_hundred if sql.startswith(("INSERT", "UPDATE", "DELETE"))]
    # the post, its image, its hashtag link (and clearing stale ones), its mention, and one
    # inbox event for the person mentioned (a worker makes their inbox row)
    assert len(writes) <= 6
    assert sum('INSERT INTO "digests_inboxevent"' in sql for sql in writes) == 1


def test_publishing_costs_the_same_for_someone_who_follows_many_hashtags(member, colleague):
    make_post(member, "warm-up #results")
    for person in UserFactory.create_batch(3, password=None):
        follow_hashtag(user=person, hashtag=Hashtag.objects.get(slug="results"))
    few = _queries_to_publish(member)

    for person in UserFactory.create_batch(40, password=None):
        follow_hashtag(user=person, hashtag=Hashtag.objects.get(slug="results"))
    many = _queries_to_publish(member)

    assert len(few) == len(many)
    assert not any("hashtags_hashtagfollow" in sql for sql in many)


def test_post_page_runs_a_bounded_number_of_queries(feed_world, member_client, colleague, outsider):
    post = make_post(colleague, "A standing desk, day one #topic")
    for i in range(3):
        services.add_comment(post=post, author=outsider, body=f"comment {i}")
    url = reverse("posts:detail", args=[post.pk])
    member_client.get(url)  # the first look keeps the reader's permissions

    # 1 session, 2 signed-in user, 3 the post with its author, 4 its images, 5 whether I liked
    # it, 6 the viewer's ties, 7 the comments with their authors (the inbox's unread badge is
    # kept; the post's hashtags are links in its HTML, not read)
    with CaptureQueriesContext(connection) as few:
        small = member_client.get(url)
    assert small.status_code == 200
    assert small.text.count('class="comment"') == 3

    for i in range(40):
        services.add_comment(post=post, author=colleague if i % 2 else outsider, body=f"more {i}")
    member_client.get(url)  # new comments moved the badge's generation on
    with CaptureQueriesContext(connection) as many:
        large = member_client.get(url)
    assert large.status_code == 200
    assert large.text.count('class="comment"') == 43
    assert len(many) == len(few) == 7, [q["sql"][:60] for q in many.captured_queries]
    # Whether the reader may make announcements comes from the cache, not the permission tables.
    assert not [q for q in many.captured_queries if "auth_permission" in q["sql"]]
