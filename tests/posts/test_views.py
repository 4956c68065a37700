from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from posts import services
from posts.models import Comment, Post, Reaction
from tests.factories import image_upload, make_post

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def colleague_client(colleague):
    """A second browser, so that tests can use it next to member_client."""
    browser = Client()
    browser.force_login(colleague)
    return browser


# --- publishing ------------------------------------------------------------------------------


def test_publishing_with_a_plain_form_redirects_home_where_the_post_shows(member_client, member):
    response = member_client.post(
        reverse("posts:create"), {"body": "Hello from the *plain* form #launch"}, follow=True
    )

    assert response.redirect_chain[-1][0] == reverse("home")
    assert "Your post is published." in response.text
    assert "<em>plain</em>" in response.text
    assert Post.objects.get().author == member


def test_publishing_with_htmx_returns_a_fresh_composer_and_the_new_post(member_client):
    response = member_client.post(reverse("posts:create"), {"body": "via htmx"}, **HTMX)

    assert response.status_code == 200
    post = Post.objects.get()
    assert 'id="composer"' in response.text
    assert f'id="post-{post.pk}"' in response.text
    assert 'hx-swap-oob="afterbegin:#feed-items"' in response.text
    assert "<html" not in response.text


def test_published_images_are_shown_and_served_to_colleagues(member_client, colleague_client):
    member_client.post(
        reverse("posts:create"), {"body": "look", "images": [image_upload(), image_upload()]}
    )
    post = Post.objects.get()
    urls = [image.get_absolute_url() for image in post.images.all()]

    detail = member_client.get(post.get_absolute_url())
    served = colleague_client.get(urls[0])

    assert all(url in detail.text for url in urls)
    assert served.status_code == 200
    assert served["Content-Type"] == "image/png"
    assert b"".join(served.streaming_content).startswith(b"\x89PNG")


# --- editing and deleting posts ---------------------------------------------------------------


def test_author_edits_a_post_and_it_shows_as_edited(member_client, member):
    post = make_post(member, "first draft #draft")

    form = member_client.get(reverse("posts:edit", args=[post.pk]))
    response = member_client.post(
        reverse("posts:edit", args=[post.pk]), {"body": "final text #final"}, follow=True
    )

    assert "first draft #draft" in form.text  # the form starts from the current text
    assert response.redirect_chain[-1][0] == post.get_absolute_url()
    assert "final text" in response.text
    assert "edited" in response.text
    assert "first draft" not in response.text
    assert "/hashtags/final/" in response.text


def test_editing_to_nothing_keeps_the_post_and_says_why(member_client, member):
    post = make_post(member, "keep me")

    response = member_client.post(reverse("posts:edit", args=[post.pk]), {"body": "  "})

    assert response.status_code == 422
    assert "Write something before publishing your post." in response.text
    post.refresh_from_db()
    assert post.body == "keep me"


def test_someone_elses_post_cannot_be_edited_through_the_page(colleague_client, member):
    post = make_post(member, "not yours")

    page = colleague_client.get(reverse("posts:edit", args=[post.pk]))
    attempt = colleague_client.post(reverse("posts:edit", args=[post.pk]), {"body": "mine now"})

    assert page.status_code == 403
    assert attempt.status_code == 403
    assert "Only the author can edit this post." in attempt.text
    post.refresh_from_db()
    assert post.body == "not yours"


def test_someone_elses_post_cannot_be_deleted_through_the_page(colleague_client, member):
    post = make_post(member, "not yours")

    response = colleague_client.post(reverse("posts:delete", args=[post.pk]))

    assert response.status_code == 403
    assert Post.objects.filter(pk=post.pk).exists()


def test_only_the_author_sees_edit_and_delete_links(member_client, colleague_client, member):
    post = make_post(member, "whose is it")
    edit_url = reverse("posts:edit", args=[post.pk])

    assert edit_url in member_client.get(post.get_absolute_url()).text
    assert edit_url not in colleague_client.get(post.get_absolute_url()).text


def test_author_deletes_own_post_after_confirming(member_client, member):
    post = make_post(member, "regrettable")

    confirm = member_client.get(reverse("posts:delete", args=[post.pk]))
    response = member_client.post(reverse("posts:delete", args=[post.pk]), follow=True)

    assert confirm.status_code == 200 and "regrettable" in confirm.text
    assert Post.objects.filter(pk=post.pk).exists() is False
    assert response.redirect_chain[-1][0] == reverse("home")
    assert "Your post is deleted." in response.text
    assert "regrettable" not in response.text


def test_editing_or_deleting_a_post_that_does_not_exist_is_404(member_client):
    assert member_client.get(reverse("posts:edit", args=[999999])).status_code == 404
    assert member_client.post(reverse("posts:delete", args=[999999])).status_code == 404


# --- comments ------------------------------------------------------------------------------


def test_comment_with_a_plain_form_lands_on_the_post_under_older_comments(
    colleague_client, member, outsider
):
    post = make_post(member, "discuss")
    services.add_comment(post=post, author=outsider, body="older comment")

    response = colleague_client.post(
        reverse("posts:comment", args=[post.pk]), {"body": "newer comment"}, follow=True
    )

    new = Comment.objects.get(body="newer comment")
    assert response.redirect_chain[-1][0] == f"{post.get_absolute_url()}#comment-{new.pk}"
    assert response.text.index("older comment") < response.text.index("newer comment")
    assert "2 comments" in response.text


def test_comment_with_htmx_returns_the_refreshed_thread(colleague_client, member):
    post = make_post(member, "discuss")

    response = colleague_client.post(
        reverse("posts:comment", args=[post.pk]), {"body": "quick reply"}, **HTMX
    )

    assert response.status_code == 200
    assert 'id="comments"' in response.text
    assert "quick reply" in response.text
    assert "<html" not in response.text


def test_empty_comment_is_refused_with_a_message(colleague_client, member):
    post = make_post(member, "discuss")

    plain = colleague_client.post(reverse("posts:comment", args=[post.pk]), {"body": " "})
    htmx = colleague_client.post(reverse("posts:comment", args=[post.pk]), {"body": ""}, **HTMX)

    for response in (plain, htmx):
        assert response.status_code == 422
        assert "Write something before publishing your comment." in response.text
    assert not Comment.objects.exists()


def test_author_edits_and_deletes_own_comment(colleague_client, member, colleague):
    post = make_post(member, "discuss")
    comment = services.add_comment(post=post, author=colleague, body="frist")

    edited = colleague_client.post(
        reverse("posts:edit_comment", args=[comment.pk]), {"body": "first"}, follow=True
    )
    assert "first" in edited.text and "frist" not in edited.text
    assert "edited" in edited.text

    deleted = colleague_client.post(reverse("posts:delete_comment", args=[comment.pk]), follow=True)
    assert "Your comment is deleted." in deleted.text
    assert "No comments yet." in deleted.text


def test_someone_elses_comment_cannot_be_edited_or_deleted(member_client, member, colleague):
    post = make_post(member, "my post")
    comment = services.add_comment(post=post, author=colleague, body="their comment")

    edit = member_client.post(reverse("posts:edit_comment", args=[comment.pk]), {"body": "x"})
    delete = member_client.post(reverse("posts:delete_comment", args=[comment.pk]))

    assert edit.status_code == 403
    assert delete.status_code == 403
    comment.refresh_from_db()
    assert comment.body == "their comment"


# --- likes ---------------------------------------------------------------------------------


def test_like_with_a_plain_form_shows_the_count_on_the_post(colleague_client, member):
    post = make_post(member, "like me")

    response = colleague_client.post(reverse("posts:like", args=[post.pk]), follow=True)

    assert response.redirect_chain[-1][0] == post.get_absolute_url()
    assert 'aria-label="1 like"' in response.text
    assert 'aria-pressed="true"' in response.text


def test_like_with_htmx_returns_just_the_button_and_toggles(colleague_client, member):
    post = make_post(member, "like me")
    url = reverse("posts:like", args=[post.pk])

    liked = colleague_client.post(url, **HTMX)
    unliked = colleague_client.post(url, **HTMX)

    assert liked.status_code == 200
    assert liked.text.strip().startswith('<form class="like-form"')
    assert 'aria-label="1 like"' in liked.text and 'aria-pressed="true"' in liked.text
    assert 'aria-label="0 likes"' in unliked.text and 'aria-pressed="false"' in unliked.text
    assert not Reaction.objects.exists()


def test_the_like_button_counts_others_likes_made_meanwhile(
    colleague_client, member, outsider, django_assert_max_num_queries
):
    post = make_post(member, "like me")
    services.toggle_like(post=post, user=outsider)  # after the page was read
    url = reverse("posts:like", args=[post.pk])

    # session, user, the post through the policy (with images, hashtags, whether I liked it),
    # the like (delete, insert, count, with their savepoints), the inbox event, and the
    # counts read again: not the post through the policy a second time
    with django_assert_max_num_queries(15):
        liked = colleague_client.post(url, **HTMX)
    assert 'aria-label="2 likes"' in liked.text and 'aria-pressed="true"' in liked.text
    unliked = colleague_client.post(url, **HTMX)
    assert 'aria-label="1 like"' in unliked.text and 'aria-pressed="false"' in unliked.text


def test_a_comment_with_htmx_shows_the_new_count_everywhere(colleague_client, member, outsider):
    post = make_post(member, "comment on me")
    services.add_comment(post=post, author=outsider, body="first")
    response = colleague_client.post(
        reverse("posts:comment", args=[post.pk]), {"body": "second"}, **HTMX
    )
    assert response.status_code == 200
    assert "second" in response.text and "2 comments" in response.text
    assert f'id="post-{post.pk}-comment-count" href="/posts/{post.pk}/#comments"' in response.text
    assert 'hx-swap-oob="true">2 comments</a>' in response.text


def test_swapped_like_button_still_points_back_at_the_page_it_sits_on(colleague_client, member):
    post = make_post(member, "like me")

    liked = colleague_client.post(
        reverse("posts:like", args=[post.pk]), {"next": "/all/?cursor=abc"}, **HTMX
    )

    assert 'name="next" value="/all/?cursor=abc"' in liked.text


def test_like_count_is_shown_in_the_feed(member_client, member, colleague, outsider):
    post = make_post(member, "popular")
    services.toggle_like(post=post, user=colleague)
    services.toggle_like(post=post, user=outsider)

    response = member_client.get(reverse("all"))

    assert 'aria-label="2 likes"' in response.text


def test_like_needs_a_post_request(colleague_client, member):
    post = make_post(member, "like me")

    response = colleague_client.get(reverse("posts:like", args=[post.pk]))

    assert response.status_code == 405
    assert not Reaction.objects.exists()


def test_home_loads_its_side_cards_after_the_feed_and_links_them_without_javascript(
    member_client, member, colleague
):
    from tests.factories import make_post

    make_post(colleague, "Our #town_hall is on Friday")
    home = member_client.get(reverse("home")).content.decode()
    assert f'hx-get="{reverse("discover")}"' in home
    assert "Trending this week" not in home  # not computed while the feed is served

    page = member_client.get(reverse("discover"))
    html = page.content.decode()
    assert page.status_code == 200 and "<h1>Discover</h1>" in html
    assert "#town_hall" in html and "Carl Colleague" in html  # trending, and whom to follow


def test_an_unknown_mention_is_flagged_once_then_published_as_typed(member_client, member):
    from people.models import User as Person
    from posts.models import Post as Posted

    Person.objects.create(username="marieke.devries", first_name="Marieke", last_name="de Vries")
    url = reverse("posts:create")
    first = member_client.post(url, {"body": "Thanks @marieke and @nobody.atall"})
    assert first.status_code == 422
    html = first.content.decode()
    assert "Nobody is called @marieke: did you mean Marieke de Vries (@marieke.devries)?" in html
    assert "Nobody is called @nobody.atall." in html
    assert 'name="unmatched_ok" value="marieke nobody.atall"' in html
    assert not Posted.objects.exists()
    again = member_client.post(
        url, {"body": "Thanks @marieke and @nobody.atall", "unmatched_ok": "marieke nobody.atall"}
    )
    assert again.status_code == 302
    assert Posted.objects.get(author=member).body == "Thanks @marieke and @nobody.atall"
    # A new unknown name is flagged again.
    third = member_client.post(url, {"body": "Hi @someone.else", "unmatched_ok": "marieke"})
    assert third.status_code == 422
