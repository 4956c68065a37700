from __future__ import annotations

import threading
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection

from hashtags.models import TaggedPost
from posts import services
from posts.models import Comment, Post, PostImage, Reaction
from posts.selectors import thread
from tests.factories import UserFactory, image_upload, make_post

pytestmark = pytest.mark.django_db


def _tags(post: Post) -> set[str]:
    return set(TaggedPost.objects.filter(content_object=post).values_list("tag__slug", flat=True))


# --- posts ---------------------------------------------------------------------------------


def test_create_post_saves_text_rendered_html_hashtags_and_mentions(member, colleague):
    post = services.create_post(
        author=member, body="  Welcome @carl.colleague to **#Sales_Onboarding**  "
    )

    post.refresh_from_db()
    assert post.body == "Welcome @carl.colleague to **#Sales_Onboarding**"
    assert "<strong>" in post.body_html
    assert f'href="{colleague.get_absolute_url()}"' in post.body_html
    assert _tags(post) == {"sales_onboarding"}
    assert list(post.mentions.all()) == [colleague]
    assert post.edited_at is None


def test_mention_of_someone_who_does_not_exist_stays_plain_text(member):
    post = services.create_post(author=member, body="thanks @nobody.here")

    assert list(post.mentions.all()) == []
    assert "@nobody.here" in post.body_html
    assert "<a" not in post.body_html


def test_mention_of_a_deactivated_person_is_not_linked(member, colleague):
    colleague.is_active = False
    colleague.save()

    post = services.create_post(author=member, body="hi @carl.colleague")

    assert list(post.mentions.all()) == []
    assert colleague.get_absolute_url() not in post.body_html


def test_create_post_keeps_images_in_the_order_chosen(member):
    post = services.create_post(
        author=member,
        body="two pictures",
        images=[
            image_upload("first.png", size=(10, 10)),
            image_upload("second.png", size=(20, 10)),
        ],
    )

    images = list(post.images.all())
    assert [(i.position, i.width) for i in images] == [(0, 10), (1, 20)]
    assert all(Path(i.image.path).exists() for i in images)


def test_editing_a_post_marks_it_edited_and_updates_hashtags_and_mentions(
    member, colleague, outsider
):
    post = make_post(member, "ping @carl.colleague about #old_topic")

    services.edit_post(post=post, editor=member, body="ping @olga.outsider about #new_topic")

    post.refresh_from_db()
    assert post.edited_at is not None
    assert post.body == "ping @olga.outsider about #new_topic"
    assert "#new_topic" in post.body_html and "old_topic" not in post.body_html
    assert _tags(post) == {"new_topic"}
    assert list(post.mentions.all()) == [outsider]


def test_editing_keeps_the_images(member):
    post = make_post(member, "with a picture", images=[image_upload()])

    services.edit_post(post=post, editor=member, body="new words")

    assert post.images.count() == 1


def test_editing_to_empty_text_is_refused_and_keeps_the_old_text(member):
    post = make_post(member, "the original")

    with pytest.raises(ValidationError, match="Write something"):
        services.edit_post(post=post, editor=member, body="   ")

    post.refresh_from_db()
    assert post.body == "the original"
    assert post.edited_at is None


def test_nobody_can_edit_someone_elses_post(member, colleague):
    post = make_post(member, "mine #kept")

    with pytest.raises(PermissionDenied):
        services.edit_post(post=post, editor=colleague, body="hijacked #stolen")

    post.refresh_from_db()
    assert post.body == "mine #kept"
    assert post.edited_at is None
    assert _tags(post) == {"kept"}


def test_deleting_own_post_removes_it_with_comments_likes_tags_and_image_files(
    member, colleague, django_capture_on_commit_callbacks
):
    post = make_post(member, "short-lived #gone", images=[image_upload()])
    services.add_comment(post=post, author=colleague, body="a reply")
    services.toggle_like(post=post, user=colleague)
    image_path = Path(post.images.get().image.path)
    assert image_path.exists()

    with django_capture_on_commit_callbacks(execute=True):
        services.delete_post(post=post, user=member)

    assert not Post.objects.exists()
    assert not Comment.objects.exists()
    assert not Reaction.objects.exists()
    assert not TaggedPost.objects.exists()
    assert not PostImage.objects.exists()
    assert not image_path.exists()


def test_nobody_can_delete_someone_elses_post(member, colleague):
    post = make_post(member, "stays")

    with pytest.raises(PermissionDenied):
        services.delete_post(post=post, user=colleague)

    assert Post.objects.filter(pk=post.pk).exists()


# --- comments ------------------------------------------------------------------------------


def test_comments_are_flat_and_newest_last(member, colleague, outsider):
    post = make_post(member, "discuss")
    first = services.add_comment(post=post, author=colleague, body="first")
    second = services.add_comment(post=post, author=outsider, body="second")
    third = services.add_comment(post=post, author=colleague, body="third")

    assert list(thread(member, post)) == [first, second, third]
    post.refresh_from_db()
    assert post.comment_count == 3


def test_comment_mentions_are_linked_and_recorded(member, colleague):
    post = make_post(member, "discuss")

    comment = services.add_comment(
        post=post, author=member, body="@carl.colleague what do you think?"
    )

    assert list(comment.mentions.all()) == [colleague]
    assert colleague.get_absolute_url() in comment.body_html


def test_editing_own_comment_marks_it_edited(member, colleague):
    post = make_post(member, "discuss")
    comment = services.add_comment(post=post, author=colleague, body="typo hree")

    services.edit_comment(comment=comment, editor=colleague, body="typo here")

    comment.refresh_from_db()
    assert comment.body == "typo here"
    assert comment.edited_at is not None


def test_deleting_own_comment_lowers_the_count(member, colleague):
    post = make_post(member, "discuss")
    comment = services.add_comment(post=post, author=colleague, body="oops")

    services.delete_comment(comment=comment, user=colleague)

    post.refresh_from_db()
    assert post.comment_count == 0
    assert not Comment.objects.exists()


def test_nobody_can_edit_or_delete_someone_elses_comment(member, colleague):
    post = make_post(member, "my post")
    comment = services.add_comment(post=post, author=colleague, body="their words")

    # Not even the post's author.
    with pytest.raises(PermissionDenied):
        services.edit_comment(comment=comment, editor=member, body="changed")
    with pytest.raises(PermissionDenied):
        services.delete_comment(comment=comment, user=member)

    comment.refresh_from_db()
    assert comment.body == "their words"
    post.refresh_from_db()
    assert post.comment_count == 1


def test_comment_longer_than_the_limit_is_refused_with_the_limit(member, settings):
    post = make_post(member, "discuss")

    with pytest.raises(ValidationError, match=f"the limit is {settings.COMMENT_MAX_LENGTH}"):
        services.add_comment(post=post, author=member, body="x" * (settings.COMMENT_MAX_LENGTH + 1))

    assert not Comment.objects.exists()


# --- likes ---------------------------------------------------------------------------------


def test_like_toggles_on_and_off_with_the_count(member, colleague, outsider):
    post = make_post(member, "like me")

    assert services.toggle_like(post=post, user=colleague) is True
    assert services.toggle_like(post=post, user=outsider) is True
    post.refresh_from_db()
    assert post.like_count == 2

    assert services.toggle_like(post=post, user=colleague) is False
    post.refresh_from_db()
    assert post.like_count == 1
    assert list(Reaction.objects.values_list("user", flat=True)) == [outsider.pk]


def test_liking_own_post_counts(member):
    post = make_post(member, "self-love")

    services.toggle_like(post=post, user=member)

    post.refresh_from_db()
    assert post.like_count == 1


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_likes_by_one_person_count_once(monkeypatch):
    """A double click: two requests both find no like and both insert one. The unique row
    decides; the loser's IntegrityError is taken as "already liked", not counted again."""
    author, fan = UserFactory(), UserFactory()
    post = make_post(author, "double click me")
    both_looked = threading.Barrier(2, timeout=10)
    real_create = Reaction.objects.create

    refused = []

    def create_after_both_looked(**kwargs):
        both_looked.wait()  # both requests have deleted nothing and now insert
        try:
            return real_create(**kwargs)
        except IntegrityError:
            refused.append(kwargs)
            raise

    monkeypatch.setattr(Reaction.objects, "create", create_after_both_looked)
    results, errors = [], []

    def click():
        try:
            results.append(services.toggle_like(post=post, user=fan))
        except Exception as exc:  # reported below; a thread must not swallow failures
            errors.append(exc)
        finally:
            connection.close()

    clicks = [threading.Thread(target=click) for _ in range(2)]
    for t in clicks:
        t.start()
    for t in clicks:
        t.join(timeout=30)

    assert errors == []
    assert len(refused) == 1  # the second insert met the first one's row
    assert results == [True, True]
    assert Reaction.objects.filter(post=post, user=fan).count() == 1
    post.refresh_from_db()
    assert post.like_count == 1
