from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from taggit.models import ItemBase, TagBase

from esn.textsearch import Unaccent


class Hashtag(TagBase):
    """A hashtag. `slug` is the normalised key (NFC, case-folded) that makes `#Sales_Onboarding`
    and `#sales_onboarding` one tag; `name` keeps the first spelling for display."""

    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # The slug with accents folded, kept by PostgreSQL and indexed by trigrams: the hashtag
    # picker and search match `_`-separated word starts in it without folding every tag on
    # every keystroke (~5 ms at 3,000 tags).
    folded_slug = models.GeneratedField(
        expression=Unaccent("slug"),
        output_field=models.TextField(),
        db_persist=True,
        verbose_name=_("slug for search"),
    )

    class Meta:
        verbose_name = _("hashtag")
        verbose_name_plural = _("hashtags")
        ordering = ["slug"]
        indexes = [
            GinIndex(
                fields=["folded_slug"],
                name="hashtags_folded_slug_trgm",
                opclasses=["gin_trgm_ops"],
            )
        ]

    def __str__(self) -> str:
        return f"#{self.name}"

    def slugify(self, tag, i=None):
        from hashtags.parsing import normalise_hashtag

        return normalise_hashtag(tag)

    def get_absolute_url(self) -> str:
        return reverse("hashtags:detail", args=[self.slug])


class TaggedPost(ItemBase):
    """A post carrying a hashtag. `created_at` is copied from the post so that a hashtag's
    newest posts come straight off the (tag, created_at, post) index."""

    tag = models.ForeignKey(
        Hashtag, verbose_name=_("hashtag"), on_delete=models.CASCADE, related_name="tagged_posts"
    )
    content_object = models.ForeignKey(
        "posts.Post", verbose_name=_("post"), on_delete=models.CASCADE, related_name="tagged_items"
    )
    created_at = models.DateTimeField(_("created"))

    class Meta:
        verbose_name = _("tagged post")
        verbose_name_plural = _("tagged posts")
        constraints = [
            models.UniqueConstraint(fields=["content_object", "tag"], name="hashtags_tag_post_once")
        ]
        indexes = [
            models.Index(
                fields=["tag", "-created_at", "-content_object"], name="hashtags_tagged_newest"
            ),
            # Trending and active tags read the last days' links of every tag.
            models.Index(fields=["-created_at"], name="hashtags_tagged_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.tag} on post {self.content_object_id}"


class HashtagFollow(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        related_name="hashtag_follows",
    )
    hashtag = models.ForeignKey(
        Hashtag, verbose_name=_("hashtag"), on_delete=models.CASCADE, related_name="follows"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("hashtag follow")
        verbose_name_plural = _("hashtag follows")
        constraints = [
            models.UniqueConstraint(fields=["user", "hashtag"], name="hashtags_follow_once")
        ]

    def __str__(self) -> str:
        return f"{self.user} follows {self.hashtag}"
