from __future__ import annotations

import html
import re
import uuid
from functools import cache
from pathlib import PurePath

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.translation import gettext_lazy as _
from taggit.managers import TaggableManager

from esn.textsearch import SEARCH_CONFIG, Unaccent
from hashtags.models import TaggedPost

_PK_SLOT = "987654321"


@cache
def _pk_url_pattern(name: str) -> str:
    """'/posts/{}/' for a URL name that takes one integer, reversed once per process.
    A feed page links each post several times; reverse() each time cost ~10% of the page."""
    return reverse(name, args=[_PK_SLOT]).replace(_PK_SLOT, "{}")


def pk_url(name: str, pk: int) -> str:
    return _pk_url_pattern(name).format(int(pk))


# Where a block ends a word ends too; inline markup (<strong>, <a>) joins its neighbours.
_BLOCK_END = re.compile(r"</(?:p|li|h[1-6]|blockquote|pre|td|th)>|<br\s*/?>", re.IGNORECASE)


def plain_text(body_html: str) -> str:
    """The words of rendered markdown without its markup, for previews and email: `**focus**`
    reads as `focus`, and a list's items are not run together."""
    spaced = _BLOCK_END.sub(" ", body_html)
    return " ".join(html.unescape(strip_tags(spaced)).split())


class Moderated(models.Model):
    """Removal by a moderator hides content from everyone but keeps it, so it can be
    restored; the author is told why."""

    removed_at = models.DateTimeField(_("removed"), null=True, blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("removed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    removal_reason = models.TextField(_("reason for removal"), blank=True)

    class Meta:
        abstract = True

    @property
    def is_removed(self) -> bool:
        return self.removed_at is not None


def searchable_text():
    """The column PostgreSQL keeps in step with `body` on every insert and update (and drops
    with the row): what full-text search matches, accents folded (see esn/textsearch.py)."""
    return models.GeneratedField(
        expression=SearchVector(Unaccent(F("body")), config=SEARCH_CONFIG),
        output_field=SearchVectorField(),
        db_persist=True,
        verbose_name=_("search index"),
    )


class Post(Moderated):
    """A post, company-wide or in a group. Rows are written only through posts.services and
    read only through posts.selectors."""

    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.CASCADE,
        related_name="posts",
    )
    body = models.TextField(_("text"))
    # Markdown rendered and sanitised once, when the post is saved.
    body_html = models.TextField(_("text (HTML)"), editable=False)
    mentions = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("mentioned people"),
        related_name="mentioned_in_posts",
        blank=True,
    )
    hashtags = TaggableManager(through=TaggedPost, blank=True, related_name="posts")
    # Null: company-wide. PROTECT: groups are archived, not deleted, while they hold posts.
    group = models.ForeignKey(
        "groups.Group",
        verbose_name=_("group"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="posts",
    )
    pinned_at = models.DateTimeField(_("pinned"), null=True, blank=True)
    comments_locked = models.BooleanField(_("comments locked"), default=False)
    like_count = models.PositiveIntegerField(_("likes"), default=0)
    comment_count = models.PositiveIntegerField(_("comments"), default=0)
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    edited_at = models.DateTimeField(_("edited"), null=True, blank=True)
    # Questions: the author (or a manager of the group) may accept one comment as the answer.
    is_question = models.BooleanField(_("question"), default=False, db_default=False)
    accepted_answer = models.ForeignKey(
        "Comment",
        verbose_name=_("accepted answer"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    # The language the post is written in (posts.language guesses it on save; the author
    # may correct it), or "" when unknown: a feed limited to some languages still shows it.
    language = models.CharField(
        _("language"),
        max_length=8,
        blank=True,
        default="",
        db_default="",
        choices=settings.LANGUAGES,
    )
    # The author chose `language` themselves: editing the text does not guess it again.
    language_set_by_author = models.BooleanField(
        _("language set by author"), default=False, db_default=False
    )
    search_vector = searchable_text()

    class Meta:
        verbose_name = _("post")
        verbose_name_plural = _("posts")
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="posts_newest"),
            # The Unanswered view: open questions, newest first.
            models.Index(
                fields=["-created_at", "-id"],
                condition=Q(is_question=True, accepted_answer__isnull=True),
                name="posts_open_questions",
            ),
            # Its "Answered" tab: answered questions are few among all posts, so walking
            # posts_newest for them would read most of the table for one page.
            models.Index(
                fields=["-created_at", "-id"],
                condition=Q(is_question=True, accepted_answer__isnull=False),
                name="posts_answered_questions",
            ),
            GinIndex(fields=["search_vector"], name="posts_search"),
            models.Index(fields=["author", "-created_at", "-id"], name="posts_author_newest"),
            models.Index(fields=["group", "-created_at", "-id"], name="posts_group_newest"),
        ]

    def __str__(self) -> str:
        return f"{self.author}: {self.body[:40]}"

    def get_absolute_url(self) -> str:
        return pk_url("posts:detail", self.pk)

    @property
    def plain_text(self) -> str:
        return plain_text(self.body_html)

    def image_list(self) -> list[PostImage]:
        """The post's images in their order: the list `posts.selectors.with_post_details`
        fetched with the page (PAGE_IMAGES), else read now."""
        fetched = self.__dict__.get(PAGE_IMAGES)
        return list(self.images.all()) if fetched is None else fetched

    @property
    def is_answered(self) -> bool:
        return self.accepted_answer_id is not None

    @property
    def like_url(self) -> str:
        return pk_url("posts:like", self.pk)

    @property
    def edit_url(self) -> str:
        return pk_url("posts:edit", self.pk)

    @property
    def delete_url(self) -> str:
        return pk_url("posts:delete", self.pk)


IMAGE_ALT_MAX_LENGTH = 500
# Where a page of posts keeps each post's images: a plain list (`Prefetch(to_attr=...)`), so
# no related manager and queryset is built per post to hold them.
PAGE_IMAGES = "page_images"


def image_path(instance: PostImage, filename: str) -> str:
    return f"posts/{instance.key.hex}{PurePath(filename).suffix.lower()}"


class PostImage(models.Model):
    """An image on a post, served only through posts.views.post_image (which applies the
    visibility policy) under an unguessable key."""

    post = models.ForeignKey(
        Post, verbose_name=_("post"), on_delete=models.CASCADE, related_name="images"
    )
    key = models.UUIDField(_("key"), default=uuid.uuid4, unique=True, editable=False)
    image = models.ImageField(
        _("image"), upload_to=image_path, width_field="width", height_field="height"
    )
    width = models.PositiveIntegerField(_("width"), default=0)
    height = models.PositiveIntegerField(_("height"), default=0)
    content_type = models.CharField(_("content type"), max_length=40)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    # What the image shows, for people who cannot see it (screen readers, a failed load).
    # Empty: the author gave none, and the post says "Image 1 of the post".
    alt = models.CharField(
        _("image description"), max_length=IMAGE_ALT_MAX_LENGTH, blank=True, default=""
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("post image")
        verbose_name_plural = _("post images")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"image {self.position} of post {self.post_id}"

    def get_absolute_url(self) -> str:
        return reverse("posts:image", args=[self.key])


class Comment(Moderated):
    post = models.ForeignKey(
        Post, verbose_name=_("post"), on_delete=models.CASCADE, related_name="comments"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.CASCADE,
        related_name="comments",
    )
    body = models.TextField(_("comment"))
    body_html = models.TextField(_("text (HTML)"), editable=False)
    mentions = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("mentioned people"),
        related_name="mentioned_in_comments",
        blank=True,
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    edited_at = models.DateTimeField(_("edited"), null=True, blank=True)
    search_vector = searchable_text()

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["post", "created_at", "id"], name="comments_thread"),
            GinIndex(fields=["search_vector"], name="comments_search"),
            # Search ranks the newest matching comments: for a common word PostgreSQL walks
            # this index and stops after the window instead of sorting every match.
            models.Index(fields=["-created_at", "-id"], name="comments_newest"),
        ]

    def __str__(self) -> str:
        return f"{self.author} on post {self.post_id}: {self.body[:40]}"

    def get_absolute_url(self) -> str:
        return f"{self.post.get_absolute_url()}#comment-{self.pk}"

    @property
    def plain_text(self) -> str:
        return plain_text(self.body_html)


class Reaction(models.Model):
    class Kind(models.TextChoices):
        LIKE = "like", _("Like")

    post = models.ForeignKey(
        Post, verbose_name=_("post"), on_delete=models.CASCADE, related_name="reactions"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        related_name="reactions",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.LIKE)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("reaction")
        verbose_name_plural = _("reactions")
        constraints = [
            models.UniqueConstraint(fields=["post", "user", "kind"], name="posts_react_once")
        ]
        indexes = [models.Index(fields=["user", "post"], name="posts_reaction_user")]

    def __str__(self) -> str:
        return f"{self.user} {self.kind}s post {self.post_id}"
