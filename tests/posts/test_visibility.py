"""The visibility seam: one policy (`visible_posts` / `can_view_post`), and every read path
honours it. Each post carries a unique marker string that must not reach a viewer who may
not see it, in any page (RELIABILITY.md, "How the trusted projects test it")."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client
from django.urls import reverse

from access.posts import can_view_post, visible_posts
from hashtags.models import Hashtag
from hashtags.services import follow_hashtag
from people.services import follow_person
from posts import services
from posts.models import Post
from posts.selectors import all_stream, home_feed, posts_by, posts_tagged, thread
from tests.factories import PASSWORD, UserFactory, image_upload, make_post

pytestmark = pytest.mark.django_db

DELETED_MARKER = "zq-deleted-marker-51f0"
DELETED_COMMENT_MARKER = "zq-deleted-comment-marker-8c2d"
KEPT_MARKER = "zq-kept-marker-3b77"


@pytest.fixture
def author(colleague):
    return colleague


@pytest.fixture
def doomed(member, author, outsider):
    """A post Mia would see everywhere: she follows its author and its hashtag; it has an
    image, a comment and a like. A second post keeps the hashtag alive."""
    follow_person(follower=member, followee=author)
    post = make_post(author, f"{DELETED_MARKER} about #Marker_Topic", images=[image_upload()])
    make_post(outsider, f"{KEPT_MARKER} also on #marker_topic")
    follow_hashtag(user=member, hashtag=Hashtag.objects.get(slug="marker_topic"))
    services.add_comment(post=post, author=outsider, body=DELETED_COMMENT_MARKER)
    services.toggle_like(post=post, user=member)
    return post


def _pages(author) -> list[str]:
    return [
        reverse("home"),
        reverse("all"),
        reverse("people:profile", args=[author.username]),
        reverse("hashtags:detail", args=["marker_topic"]),
        reverse("hashtags:directory"),
        reverse("people:directory"),
        reverse("people:followers", args=[author.username]),
        reverse("search") + "?q=marker",
    ]


def _browser(user) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


def test_a_deleted_post_appears_nowhere(member, author, outsider, doomed):
    tag = Hashtag.objects.get(slug="marker_topic")
    detail_url = doomed.get_absolute_url()
    image_url = doomed.images.get().get_absolute_url()
    comment = doomed.comments.get()
    viewers = [_browser(member), _browser(author), _browser(outsider)]
    # Before: the marker is on the pages (so its absence below means something).
    before = viewers[0]
    assert DELETED_MARKER in before.get(reverse("home")).text
    assert DELETED_MARKER in before.get(reverse("hashtags:detail", args=["marker_topic"])).text
    assert "2 posts" in before.get(reverse("hashtags:directory")).text
    assert before.get(image_url).status_code == 200

    services.delete_post(post=Post.objects.get(pk=doomed.pk), user=author)

    for browser in viewers:
        for url in _pages(author):
            response = browser.get(url)
            assert response.status_code == 200, url
            assert DELETED_MARKER not in response.text, url
            assert DELETED_COMMENT_MARKER not in response.text, url
        assert browser.get(detail_url).status_code == 404
        assert browser.get(image_url).status_code == 404
        assert browser.post(reverse("posts:like", args=[doomed.pk])).status_code == 404
        assert (
            browser.post(reverse("posts:comment", args=[doomed.pk]), {"body": "x"}).status_code
            == 404
        )
        assert browser.get(reverse("posts:edit_comment", args=[comment.pk])).status_code == 404
    directory = viewers[0].get(reverse("hashtags:directory")).text
    assert "1 post ·" in directory and "2 posts" not in directory
    assert KEPT_MARKER in viewers[0].get(reverse("hashtags:detail", args=["marker_topic"])).text
    for viewer in (member, author, outsider):
        assert doomed.pk not in [p.pk for p in home_feed(viewer).posts]
        assert doomed.pk not in [p.pk for p in all_stream(viewer).posts]
        assert doomed.pk not in [p.pk for p in posts_by(viewer, author=author).posts]
        assert doomed.pk not in [p.pk for p in posts_tagged(viewer, hashtag=tag).posts]
        assert list(thread(viewer, doomed)) == []


def test_hashtag_whose_only_post_is_deleted_leaves_the_directory(member, author):
    post = make_post(author, "the one and only #lonely_tag")

    services.delete_post(post=post, user=author)

    html = _browser(member).get(reverse("hashtags:directory")).text
    assert "#lonely_tag" not in html


# --- the policy table: can_view_post and visible_posts agree in every cell --------------------

VIEWERS = ["member", "author", "anonymous", "deactivated"]
# (post state, viewer) -> may see
POLICY = {
    ("live", "member"): True,
    ("live", "author"): True,
    ("live", "anonymous"): False,
    ("live", "deactivated"): False,
    ("deleted", "member"): False,
    ("deleted", "author"): False,
    ("deleted", "anonymous"): False,
    ("deleted", "deactivated"): False,
}


@pytest.mark.parametrize(("state", "viewer_name"), POLICY.keys())
def test_per_object_check_and_queryset_agree_with_the_policy_table(
    member, author, state, viewer_name
):
    viewer = {
        "member": member,
        "author": author,
        "anonymous": AnonymousUser(),
        "deactivated": UserFactory(username="dee.activated", is_active=False),
    }[viewer_name]
    post = make_post(author, f"marker for {state}")
    pk = post.pk
    if state == "deleted":
        services.delete_post(post=post, user=author)

    in_queryset = visible_posts(viewer).filter(pk=pk).exists()
    per_object = can_view_post(viewer, post)

    assert in_queryset == per_object == POLICY[(state, viewer_name)]


# --- anonymous visitors ------------------------------------------------------------------------


def test_anonymous_visitor_is_sent_to_sign_in_from_every_page_and_sees_no_post(
    client, member, author, doomed
):
    comment = doomed.comments.get()
    pages = [
        *_pages(author),
        doomed.get_absolute_url(),
        doomed.images.get().get_absolute_url(),
        reverse("posts:edit", args=[doomed.pk]),
        reverse("posts:edit_comment", args=[comment.pk]),
        reverse("people:following", args=[author.username]),
        reverse("people:avatar", args=[author.username]),
        reverse("people:edit_profile"),
        reverse("digests:inbox"),
    ]

    for url in pages:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login") + "?next="), url
        assert DELETED_MARKER not in response.content.decode(), url


def test_anonymous_form_posts_change_nothing(client, author, doomed):
    posts = [
        (reverse("posts:create"), {"body": "anonymous words"}),
        (reverse("posts:like", args=[doomed.pk]), {}),
        (reverse("posts:comment", args=[doomed.pk]), {"body": "anonymous comment"}),
        (reverse("posts:delete", args=[doomed.pk]), {}),
        (reverse("people:follow", args=[author.username]), {}),
        (reverse("hashtags:follow", args=["marker_topic"]), {}),
    ]
    likes_before = Post.objects.get(pk=doomed.pk).like_count

    for url, data in posts:
        response = client.post(url, data)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login")), url

    assert Post.objects.count() == 2
    assert Post.objects.get(pk=doomed.pk).like_count == likes_before
    assert doomed.comments.count() == 1


def test_sign_in_page_shows_no_posts(client, doomed):
    response = client.get(reverse("login"))

    assert response.status_code == 200
    assert DELETED_MARKER not in response.text


# --- deactivated people -----------------------------------------------------------------------


def test_deactivated_person_sees_nothing_through_the_policy(author):
    make_post(author, "anything at all")
    gone = UserFactory(username="dee.activated", is_active=False)

    assert list(visible_posts(gone)) == []
    assert home_feed(gone).items == []
    assert all_stream(gone).items == []


def test_deactivated_person_cannot_sign_in(client):
    UserFactory(username="dee.activated", is_active=False)

    response = client.post(reverse("login"), {"username": "dee.activated", "password": PASSWORD})

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    # They typed the right password, so they are told why (tests/esn/test_auth.py has more).
    assert "This account is deactivated" in response.text


def test_deactivation_ends_an_open_session_on_the_next_request(member, author, doomed):
    browser = _browser(member)
    assert DELETED_MARKER in browser.get(reverse("home")).text

    member.is_active = False
    member.save()
    response = browser.get(reverse("home"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert DELETED_MARKER not in response.content.decode()
