"""Writes to posts, comments and reactions. One function per user intention.

Publishing writes O(1) rows whatever the author's follower count (ARCHITECTURE.md rule 2):
the post, its images, hashtag links and mention links. Nothing is fanned out to followers.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from access.actions import audience_refusal, can_accept_answer, comment_refusal
from access.posts import can_view_post
from digests import services as inbox
from esn.text import has_visible_text, strip_spoofing_characters
from groups import services as group_services
from groups.models import Group
from hashtags.services import set_post_hashtags
from people.models import User
from posts.images import check_image
from posts.language import DETECT, detect_language
from posts.markup import Markup, render
from posts.models import IMAGE_ALT_MAX_LENGTH, Comment, Post, PostImage, Reaction


@dataclass
class _Rendered:
    markup: Markup
    mentioned: list[User]


def _render_text(text: str, *, max_length: int, what: str) -> _Rendered:
    text = text.strip()
    if not has_visible_text(text):
        raise ValidationError(
            _("Write something before publishing your %(what)s.") % {"what": what}
        )
    if len(text) > max_length:
        raise ValidationError(
            _("Your %(what)s is %(length)d characters long; the limit is %(max)d.")
            % {"what": what, "length": len(text), "max": max_length}
        )
    first = render(text)
    too_long = [t for t in first.hashtags if len(t) > settings.HASHTAG_MAX_LENGTH]
    if too_long:
        raise ValidationError(
            _("Hashtags can be at most %(max)d characters: #%(tag)s is %(length)d.")
            % {
                "max": settings.HASHTAG_MAX_LENGTH,
                "tag": too_long[0][:70] + "…",
                "length": len(too_long[0]),
            }
        )
    if len(first.mentions) > settings.MENTIONS_MAX_PER_POST:
        raise ValidationError(
            _("A %(what)s can mention at most %(max)d people.")
            % {"what": what, "max": settings.MENTIONS_MAX_PER_POST}
        )
    people = {}
    if first.mentions:
        wanted = {m.lower() for m in first.mentions}
        people = {
            u.username.lower(): u
            for u in User.objects.annotate(lname=Lower("username")).filter(
                lname__in=wanted, is_active=True
            )
        }
    markup = render(
        text,
        resolve_mention=lambda name: (
            people[name.lower()].get_absolute_url() if name.lower() in people else None
        ),
    )
    mentioned = [people[m.lower()] for m in markup.mentions if m.lower() in people]
    return _Rendered(markup=markup, mentioned=list(dict.fromkeys(mentioned)))


def unknown_mentions(text: str) -> list[str]:
    """The @names in `text` that are nobody's username (as typed, in order)."""
    names = render(text or "").mentions
    if not names or len(names) > settings.MENTIONS_MAX_PER_POST:
        return []  # too many: publishing refuses them with the limit
    known = set(
        User.objects.annotate(lname=Lower("username"))
        .filter(lname__in={n.lower() for n in names}, is_active=True)
        .values_list("lname", flat=True)
    )
    return [n for n in names if n.lower() not in known]


def external_images(text: str) -> list[str]:
    """Markdown images in `text` (`![chart](https://…)`): posts show uploaded images only, so
    the sanitiser leaves these out; the author is told which ones."""
    return render(text or "").images


def _check_images(images: Sequence[UploadedFile], *, already: int = 0) -> list[UploadedFile]:
    if already + len(images) > settings.POST_MAX_IMAGES:
        if already:
            raise ValidationError(
                _(
                    "A post can have at most %(n)d images; with your changes it would have "
                    "%(count)d. Remove some, or add fewer."
                )
                % {"n": settings.POST_MAX_IMAGES, "count": already + len(images)}
            )
        raise ValidationError(
            _("A post can have at most %(n)d images; you chose %(count)d.")
            % {"n": settings.POST_MAX_IMAGES, "count": len(images)}
        )
    return [check_image(image) for image in images]


def _clean_alts(alts: Sequence[str], count: int) -> list[str]:
    """One description per image (missing ones empty), on one line, within the limit."""
    cleaned = []
    for text in list(alts)[:count]:
        text = " ".join(strip_spoofing_characters(text or "").replace("\x00", "").split())
        if len(text) > IMAGE_ALT_MAX_LENGTH:
            raise ValidationError(
                _("An image description can be at most %(max)d characters; one is %(length)d.")
                % {"max": IMAGE_ALT_MAX_LENGTH, "length": len(text)}
            )
        cleaned.append(text)
    return cleaned + [""] * (count - len(cleaned))


def _add_images(post: Post, images: Sequence[UploadedFile], alts: Sequence[str], start: int):
    for position, (image, alt) in enumerate(zip(images, alts, strict=True), start=start):
        PostImage.objects.create(
            post=post,
            image=image,
            content_type=image.content_type or "",
            position=position,
            alt=alt,
        )


def _check_audience(author: User, group: Group | None) -> None:
    """Company-wide posts are for employees; a group post needs a member of a group that is
    not archived (`access.actions.audience_refusal`)."""
    refusal, forbidden = audience_refusal(author, group)
    if refusal:
        raise (PermissionDenied if forbidden else ValidationError)(refusal)


def _require_writable(post: Post) -> None:
    """Archived groups are read-only; a removed post takes no new comments or likes."""
    if post.group is not None and post.group.is_archived:
        raise ValidationError(_("This group is archived: it is read-only."))
    if post.is_removed:
        raise ValidationError(_("This post was removed by a moderator."))


@transaction.atomic
def create_post(
    *,
    author: User,
    body: str,
    images: Sequence[UploadedFile] = (),
    image_alts: Sequence[str] = (),
    group: Group | None = None,
    is_question: bool = False,
) -> Post:
    """Publish a post, company-wide or in a group the author belongs to; a question waits
    for an accepted answer. `image_alts[i]` describes `images[i]` (empty: none given).
    Raises ValidationError with a readable message for bad input; nothing is saved then."""
    _check_audience(author, group)
    rendered = _render_text(body, max_length=settings.POST_MAX_LENGTH, what=_("post"))
    clean_images = _check_images(images)
    alts = _clean_alts(image_alts, len(clean_images))
    post = Post.objects.create(
        author=author,
        body=body.strip(),
        body_html=rendered.markup.html,
        group=group,
        is_question=bool(is_question),
        language=detect_language(rendered.markup.html),
    )
    if group is not None:
        group_services.touch(group.pk)
    _add_images(post, clean_images, alts, start=0)
    set_post_hashtags(post=post, names=rendered.markup.hashtags)
    post.mentions.set(rendered.mentioned)
    mentioned_ids = [u.pk for u in rendered.mentioned if u.pk != author.pk]
    if mentioned_ids:
        inbox.record(inbox.post_published, post_id=post.pk, mentioned_user_ids=mentioned_ids)
    return post


def _require_author(obj: Post | Comment, user: User) -> None:
    if obj.author_id != user.pk:
        raise PermissionDenied(_("Only the author can change this."))


@transaction.atomic
def edit_post(
    *,
    post: Post,
    editor: User,
    body: str,
    is_question: bool | None = None,
    image_alts: Mapping[int, str] | None = None,
    remove_images: Collection[int] = (),
    add_images: Sequence[UploadedFile] = (),
    add_image_alts: Sequence[str] = (),
    language: str | None = None,
) -> Post:
    """Change a post's text, whether it is a question (None: as it is) and its images:
    new descriptions by image id (`image_alts`), images taken off (`remove_images`, ids of
    this post's images; others are ignored) and new ones added after the rest, within the
    limits that hold when publishing. Marks it edited; people newly mentioned are told,
    people already mentioned are not told again. A post that stops being a question loses
    its accepted answer. `language`: the author's choice of the post's language (a code of
    settings.LANGUAGES, or "" for none), `posts.language.DETECT` to have it detected again, or
    None to leave it as it is; a language the author chose is kept when the text changes,
    a detected one is detected again. Raises ValidationError with a readable message;
    nothing changes then."""
    _require_author(post, editor)
    if language not in (None, DETECT, "", *dict(settings.LANGUAGES)):
        raise ValidationError(_("Choose one of the languages offered."))
    _require_writable(post)
    rendered = _render_text(body, max_length=settings.POST_MAX_LENGTH, what=_("post"))
    before = set(post.mentions.values_list("pk", flat=True))
    post = Post.objects.select_for_update(of=("self",)).select_related("group").get(pk=post.pk)
    present = list(post.images.all())
    removing = set(remove_images)
    kept = [image for image in present if image.pk not in removing]
    gone = [image for image in present if image.pk in removing]
    # Only what is added counts against the limit: a post from before a lower limit can
    # still have its text edited.
    new_images = _check_images(add_images, already=len(kept)) if add_images else []
    new_alts = _clean_alts(add_image_alts, len(new_images))
    wanted = image_alts or {}
    kept_alts = _clean_alts([wanted.get(image.pk, image.alt) for image in kept], len(kept))
    text_changed = post.body != body.strip()
    post.body = body.strip()
    post.body_html = rendered.markup.html
    post.edited_at = timezone.now()
    fields = ["body", "body_html", "edited_at", "updated_at"]
    fields += _set_language(post, language, detect=text_changed)
    withdrawn = False
    if is_question is not None and bool(is_question) != post.is_question:
        post.is_question = bool(is_question)
        fields.append("is_question")
        if not post.is_question and post.accepted_answer_id is not None:
            post.accepted_answer, post.answered_at, withdrawn = None, None, True
            fields += ["accepted_answer", "answered_at"]
    post.save(update_fields=fields)
    _replace_images(post, kept=kept, kept_alts=kept_alts, gone=gone)
    _add_images(post, new_images, new_alts, start=len(kept))
    if withdrawn:
        inbox.record(inbox.answer_withdrawn, post_id=post.pk)
    set_post_hashtags(post=post, names=rendered.markup.hashtags)
    post.mentions.set(rendered.mentioned)
    new_ids = [u.pk for u in rendered.mentioned if u.pk not in before and u.pk != editor.pk]
    if new_ids:
        inbox.record(inbox.post_published, post_id=post.pk, mentioned_user_ids=new_ids)
    return post


def _set_language(post: Post, choice: str | None, *, detect: bool) -> list[str]:
    """Apply the author's `choice` (see edit_post) to `post`; the fields it changed."""
    if choice is not None and choice != DETECT:
        post.language, post.language_set_by_author = choice, True
    elif choice == DETECT or (detect and not post.language_set_by_author):
        post.language, post.language_set_by_author = detect_language(post.body_html), False
    return ["language", "language_set_by_author"]


def _replace_images(
    post: Post, *, kept: list[PostImage], kept_alts: list[str], gone: list[PostImage]
) -> None:
    """Keep `kept` in their order with their new descriptions; delete `gone` with their
    files (after commit, so a rolled-back edit still has them)."""
    changed = []
    for position, (image, alt) in enumerate(zip(kept, kept_alts, strict=True)):
        if image.position != position or image.alt != alt:
            image.position, image.alt = position, alt
            changed.append(image)
    if changed:
        PostImage.objects.bulk_update(changed, ["position", "alt"])
    if gone:
        files = [image.image for image in gone]
        PostImage.objects.filter(post=post, pk__in=[image.pk for image in gone]).delete()
        transaction.on_commit(lambda: [f.delete(save=False) for f in files])


@transaction.atomic
def delete_post(*, post: Post, user: User) -> None:
    """Delete one's own post with its comments, likes and images."""
    _require_author(post, user)
    files = [img.image for img in post.images.all()]
    post.delete()
    transaction.on_commit(lambda: [f.delete(save=False) for f in files])


@transaction.atomic
def add_comment(*, post: Post, author: User, body: str) -> Comment:
    _require_writable(post)
    if post.comments_locked:
        raise ValidationError(_("A moderator locked the comments on this post."))
    refusal = comment_refusal(post=post, who=author)
    if refusal:
        raise ValidationError(refusal)
    rendered = _render_text(body, max_length=settings.COMMENT_MAX_LENGTH, what=_("comment"))
    comment = Comment.objects.create(
        post=post, author=author, body=body.strip(), body_html=rendered.markup.html
    )
    comment.mentions.set(rendered.mentioned)
    Post.objects.filter(pk=post.pk).update(comment_count=F("comment_count") + 1)
    if post.group_id:
        group_services.touch(post.group_id)
    mentioned_ids = [u.pk for u in rendered.mentioned if u.pk != author.pk]
    inbox.record(inbox.comment_published, comment_id=comment.pk, mentioned_user_ids=mentioned_ids)
    return comment


@transaction.atomic
def edit_comment(*, comment: Comment, editor: User, body: str) -> Comment:
    _require_author(comment, editor)
    _require_writable(comment.post)
    refusal = comment_refusal(post=comment.post, who=editor)
    if refusal:
        # A block stands between the two: no rewriting old replies in the other's thread.
        raise ValidationError(refusal)
    if comment.is_removed:
        raise ValidationError(_("This comment was removed by a moderator."))
    rendered = _render_text(body, max_length=settings.COMMENT_MAX_LENGTH, what=_("comment"))
    comment.body = body.strip()
    comment.body_html = rendered.markup.html
    comment.edited_at = timezone.now()
    comment.save(update_fields=["body", "body_html", "edited_at", "updated_at"])
    comment.mentions.set(rendered.mentioned)
    return comment


@transaction.atomic
def delete_comment(*, comment: Comment, user: User) -> None:
    _require_author(comment, user)
    # The foreign key would forget the answer by itself (SET_NULL); its date goes with it.
    Post.objects.filter(pk=comment.post_id, accepted_answer_id=comment.pk).update(
        accepted_answer=None, answered_at=None
    )
    # A removed comment was already taken out of the count.
    deleted, _rows = Comment.objects.filter(pk=comment.pk).delete()
    if deleted and not comment.is_removed:
        Post.objects.filter(pk=comment.post_id, comment_count__gt=0).update(
            comment_count=F("comment_count") - 1
        )


@transaction.atomic
def toggle_like(*, post: Post, user: User) -> bool:
    """Like the post, or take the like back. Returns whether the user now likes it.
    A double-click cannot count twice: the unique (post, user) row decides."""
    _require_writable(post)
    removed, _rows = Reaction.objects.filter(post=post, user=user, kind=Reaction.Kind.LIKE).delete()
    if removed:
        Post.objects.filter(pk=post.pk, like_count__gt=0).update(like_count=F("like_count") - 1)
        return False
    try:
        with transaction.atomic():
            Reaction.objects.create(post=post, user=user, kind=Reaction.Kind.LIKE)
    except IntegrityError:
        return True
    Post.objects.filter(pk=post.pk).update(like_count=F("like_count") + 1)
    if post.author_id != user.pk:
        inbox.record(inbox.post_liked, post_id=post.pk, user_id=user.pk)
    return True


# --- questions and their accepted answer --------------------------------------------------


def _locked_question(post: Post, user: User) -> Post:
    post = Post.objects.select_for_update(of=("self",)).select_related("group").get(pk=post.pk)
    if not can_view_post(user, post, hide_blocked=False):
        raise PermissionDenied(_("You cannot see this post."))
    if not post.is_question:
        raise ValidationError(
            _("Only questions have an accepted answer: mark the post as a question first.")
        )
    if not can_accept_answer(user, post):
        raise PermissionDenied(
            _("Only the person who asked, or a manager of the group, can accept an answer.")
        )
    _require_writable(post)
    return post


@transaction.atomic
def accept_answer(*, post: Post, comment: Comment, by: User) -> Post:
    """Mark `comment` as the answer to the question `post`, replacing any earlier one. The
    comment's author is told (after commit). Accepting the accepted answer again changes
    nothing and tells nobody twice, so a double submit is harmless."""
    # The comment first, then the post: the order moderation takes them in when it removes a
    # comment, so the two cannot deadlock, and a removal waits for this (or this for it).
    chosen = (
        Comment.objects.select_for_update(of=("self",))
        .filter(pk=comment.pk, post_id=post.pk)
        .first()
    )
    post = _locked_question(post, by)
    if chosen is None:
        raise ValidationError(_("Only a comment on this question can be its answer."))
    if chosen.is_removed:
        raise ValidationError(_("A moderator removed this comment: it cannot be the answer."))
    if post.accepted_answer_id == chosen.pk:
        return post
    post.accepted_answer, post.answered_at = chosen, timezone.now()
    post.save(update_fields=["accepted_answer", "answered_at"])
    inbox.record(inbox.answer_accepted, post_id=post.pk, comment_id=chosen.pk, accepted_by_id=by.pk)
    return post


@transaction.atomic
def unaccept_answer(*, post: Post, by: User) -> Post:
    """Take the accepted answer back: the question is open again. Nothing to take back is
    no error (a double submit)."""
    post = _locked_question(post, by)
    if post.accepted_answer_id is None:
        return post
    post.accepted_answer, post.answered_at = None, None
    post.save(update_fields=["accepted_answer", "answered_at"])
    inbox.record(inbox.answer_withdrawn, post_id=post.pk)
    return post
