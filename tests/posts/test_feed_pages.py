"""The pages people read: home feed, All stream, profile, and "Load more" paging."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse

from hashtags.models import Hashtag
from hashtags.services import follow_hashtag
from people.services import follow_person
from tests.factories import UserFactory, make_post, now

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
POST_RE = re.compile(r'<article class="card post" id="post-(\d+)"')
MORE_RE = re.compile(r'id="load-more">\s*<a class="btn btn-secondary" href="([^"]+)"')


def post_ids(html: str) -> list[int]:
    return [int(pk) for pk in POST_RE.findall(html)]


def more_link(html: str) -> str | None:
    found = MORE_RE.search(html)
    return found.group(1).replace("&amp;", "&") if found else None


def _reason_of(html: str, post) -> str:
    article = html.split(f'id="post-{post.pk}"', 1)[1]
    return article.split('<header class="post-head">', 1)[0]


# --- home ----------------------------------------------------------------------------------


def test_home_shows_own_followed_people_and_followed_hashtags_with_the_reason(
    member_client, member, colleague, outsider
):
    follow_person(follower=member, followee=colleague)
    mine = make_post(member, "my own thoughts")
    theirs = make_post(colleague, "from a colleague I follow")
    tagged = make_post(outsider, "a story about #remote_work")
    follow_hashtag(user=member, hashtag=Hashtag.objects.get(slug="remote_work"))
    both = make_post(colleague, "colleague on #Remote_Work")
    unrelated = make_post(outsider, "nothing for Mia here")

    html = member_client.get(reverse("home")).text

    assert set(post_ids(html)) == {mine.pk, theirs.pk, tagged.pk, both.pk}
    assert unrelated.pk not in post_ids(html)
    assert "your post" in _reason_of(html, mine)
    assert "you follow @carl.colleague" in _reason_of(html, theirs)
    assert "you follow #remote_work" in _reason_of(html, tagged)
    assert "you follow @carl.colleague · you follow #remote_work" in _reason_of(html, both)


def test_home_is_newest_first(member_client, member, colleague):
    follow_person(follower=member, followee=colleague)
    old = make_post(colleague, "old", created_at=now() - timedelta(days=3))
    new = make_post(member, "new", created_at=now() - timedelta(days=1))
    middle = make_post(colleague, "middle", created_at=now() - timedelta(days=2))

    html = member_client.get(reverse("home")).text

    assert post_ids(html) == [new.pk, middle.pk, old.pk]


def test_unfollowing_takes_their_posts_out_of_home(member_client, member, colleague):
    follow_person(follower=member, followee=colleague)
    post = make_post(colleague, "soon gone from your home")

    member_client.post(reverse("people:follow", args=[colleague.username]), {"action": "unfollow"})

    assert post.pk not in post_ids(member_client.get(reverse("home")).text)


def test_empty_home_for_a_new_person_suggests_people_and_hashtags(client, colleague, outsider):
    make_post(colleague, "talking about #onboarding")
    newcomer = UserFactory(username="nina.new", first_name="Nina")
    client.force_login(newcomer)

    response = client.get(reverse("home"))

    assert response.status_code == 200
    assert post_ids(response.text) == []
    assert "Your feed is what you follow" in response.text
    assert reverse("all") in response.text
    # The suggestions arrive beside it once the page has loaded (htmx).
    assert f'hx-get="{reverse("discover")}"' in response.text
    cards = client.get(reverse("discover"), headers={"HX-Request": "true"}).text
    assert "People you might follow" in cards
    assert colleague.display_name in cards
    assert reverse("people:follow", args=[colleague.username]) in cards
    assert "Hashtags you might follow" in cards
    assert "#onboarding" in cards
    assert reverse("hashtags:follow", args=["onboarding"]) in cards


def test_suggestions_leave_out_people_already_followed(client, colleague, outsider):
    newcomer = UserFactory(username="nina.new")
    follow_person(follower=newcomer, followee=colleague)
    client.force_login(newcomer)

    html = client.get(reverse("discover")).text

    assert reverse("people:follow", args=[outsider.username]) in html
    assert reverse("people:follow", args=[colleague.username]) not in html


# --- All ---------------------------------------------------------------------------------


def test_all_stream_shows_everything_newest_first(member_client, member, colleague, outsider):
    posts = [
        make_post(author, f"post {i}", created_at=now() - timedelta(hours=10 - i))
        for i, author in enumerate([outsider, colleague, member, outsider])
    ]

    html = member_client.get(reverse("all")).text

    assert post_ids(html) == [p.pk for p in reversed(posts)]
    assert "you follow" not in html  # All has no reasons: it is everything


def test_empty_all_stream_invites_the_first_post(member_client):
    assert "Be the first to share something." in member_client.get(reverse("all")).text


# --- profile -------------------------------------------------------------------------------


def test_profile_shows_the_persons_posts_and_details(member_client, member, colleague):
    theirs = make_post(colleague, "colleague speaking")
    make_post(member, "not on Carl's profile")

    response = member_client.get(reverse("people:profile", args=[colleague.username]))

    assert response.status_code == 200
    assert post_ids(response.text) == [theirs.pk]
    assert "@carl.colleague" in response.text
    assert "Engineering" in response.text


def test_profile_shows_following_and_followers(member_client, member, colleague, outsider):
    follow_person(follower=colleague, followee=outsider)
    follow_person(follower=member, followee=colleague)
    follow_person(follower=outsider, followee=colleague)

    html = member_client.get(reverse("people:profile", args=[colleague.username])).text

    follows = html.split('id="following-title"', 1)[1].split("</section>", 1)[0]
    followed_by = html.split('id="followers-title"', 1)[1].split("</section>", 1)[0]
    assert outsider.display_name in follows and member.display_name not in follows
    assert member.display_name in followed_by and outsider.display_name in followed_by
    assert "<strong>1</strong> following" in html
    assert "<strong>2</strong> followers" in html
    assert 'value="unfollow"' in html  # Mia already follows Carl


def test_follow_lists_name_the_people(member_client, member, colleague, outsider):
    follow_person(follower=member, followee=colleague)
    follow_person(follower=outsider, followee=colleague)

    followers = member_client.get(reverse("people:followers", args=[colleague.username]))
    following = member_client.get(reverse("people:following", args=[member.username]))

    assert member.display_name in followers.text and outsider.display_name in followers.text
    assert colleague.display_name in following.text


def test_deactivated_people_are_left_out_of_follow_counts_and_lists(
    member_client, member, colleague, outsider
):
    follow_person(follower=member, followee=colleague)
    follow_person(follower=outsider, followee=colleague)
    outsider.is_active = False
    outsider.save()

    html = member_client.get(reverse("people:profile", args=[colleague.username])).text
    followers = member_client.get(reverse("people:followers", args=[colleague.username])).text

    assert "<strong>1</strong> follower" in html
    assert outsider.display_name not in followers


def test_own_profile_offers_edit_instead_of_follow(member_client, member):
    html = member_client.get(reverse("people:profile", args=[member.username])).text

    assert reverse("people:edit_profile") in html
    assert reverse("people:follow", args=[member.username]) not in html


# --- Load more ------------------------------------------------------------------------------


def _posts_by(author, count):
    start = now() - timedelta(days=30)
    return [
        make_post(author, f"numbered post {i}", created_at=start + timedelta(hours=i))
        for i in range(count)
    ]


@pytest.mark.parametrize(
    "url_of",
    [
        lambda person: reverse("home"),
        lambda person: reverse("all"),
        lambda person: reverse("people:profile", args=[person.username]),
    ],
    ids=["home", "all", "profile"],
)
def test_load_more_with_htmx_returns_only_the_next_items_and_a_new_link(
    member_client, member, url_of
):
    newest_first = [p.pk for p in reversed(_posts_by(member, 45))]

    first = member_client.get(url_of(member))
    second = member_client.get(more_link(first.text), **HTMX)
    third = member_client.get(more_link(second.text), **HTMX)

    assert post_ids(first.text) == newest_first[:20]
    assert post_ids(second.text) == newest_first[20:40]
    assert post_ids(third.text) == newest_first[40:]
    assert "<html" not in second.text and 'id="composer"' not in second.text
    assert more_link(second.text) not in (None, more_link(first.text))
    assert more_link(third.text) is None


def test_load_more_on_a_hashtag_page(member_client, member):
    start = now() - timedelta(days=30)
    tagged = [
        make_post(member, f"#weekly note {i}", created_at=start + timedelta(hours=i))
        for i in range(23)
    ]

    first = member_client.get(reverse("hashtags:detail", args=["weekly"]))
    second = member_client.get(more_link(first.text), **HTMX)

    assert post_ids(first.text) + post_ids(second.text) == [p.pk for p in reversed(tagged)]
    assert more_link(second.text) is None


def test_load_more_link_works_without_javascript(member_client, member):
    newest_first = [p.pk for p in reversed(_posts_by(member, 25))]

    first = member_client.get(reverse("all"))
    second = member_client.get(more_link(first.text))

    assert "<html" in second.text  # a whole page
    assert post_ids(second.text) == newest_first[20:]


def test_posts_published_while_paging_do_not_shift_the_next_page(member_client, member):
    newest_first = [p.pk for p in reversed(_posts_by(member, 25))]
    first = member_client.get(reverse("all"))

    make_post(member, "breaking news")  # newer than everything, must not push items along
    second = member_client.get(more_link(first.text), **HTMX)

    assert post_ids(second.text) == newest_first[20:]


def test_a_page_of_exactly_twenty_has_no_load_more(member_client, member):
    _posts_by(member, 20)

    html = member_client.get(reverse("all")).text

    assert len(post_ids(html)) == 20
    assert more_link(html) is None
