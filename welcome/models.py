"""A newcomer's first day and company announcements, without enrolling or mailing anyone.

Admins choose what newcomers are offered (`WelcomeSettings`); a person takes it or leaves
it on their Home ("Get started"). An announcement pins a post everyone may read to
everyone's Home for a set time; each person may dismiss it, and it is in their next digest,
never an email of its own."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.db import models
from django.utils.translation import gettext_lazy as _

from esn.singleton import SiteSettingsRow

# A welcome text longer than this is no longer a welcome.
WELCOME_TEXT_MAX_LENGTH = 2000


class WelcomeSettings(SiteSettingsRow):
    """What newcomers are offered. One row; read through `WelcomeSettings.current()`."""

    CACHE_KEY = "welcome:settings:v1"

    welcome_text = models.TextField(
        _("welcome text"),
        blank=True,
        max_length=WELCOME_TEXT_MAX_LENGTH,
        help_text=_(
            "Shown at the top of the Get started card. Markdown works: **bold**, lists, links."
        ),
    )
    featured_groups = models.ManyToManyField(
        "groups.Group",
        blank=True,
        related_name="+",
        verbose_name=_("featured groups"),
        help_text=_(
            "Open groups a newcomer is offered with a one-click Join. Nobody is enrolled: "
            "only open groups can be featured."
        ),
    )
    featured_hashtags = models.ManyToManyField(
        "hashtags.Hashtag",
        blank=True,
        related_name="+",
        verbose_name=_("featured hashtags"),
        help_text=_("Hashtags a newcomer is offered with a one-click Follow."),
    )
    enough_follows = models.PositiveSmallIntegerField(
        _("the card goes away after this many follows"),
        default=3,
        help_text=_(
            "People, hashtags and groups together. Anyone may also dismiss it; someone who "
            "follows fewer sees it again, whenever they joined."
        ),
    )

    # Filled in by current(): the featured ids, cached with the row.
    featured_group_ids: list[int]
    featured_hashtag_ids: list[int]

    class Meta:
        verbose_name = _("first-day settings")
        verbose_name_plural = _("first-day settings")

    def __str__(self) -> str:
        return str(_("First-day settings"))

    @classmethod
    def load(cls) -> WelcomeSettings:
        """The row with `featured_group_ids` and `featured_hashtag_ids` (lists), cached with
        it by current(): a Home page asks nothing of the database for what nobody configured."""
        found, _created = cls.objects.get_or_create(pk=1)
        found.featured_group_ids = list(found.featured_groups.values_list("pk", flat=True))
        found.featured_hashtag_ids = list(found.featured_hashtags.values_list("pk", flat=True))
        return found

    @classmethod
    def forget(cls) -> None:
        cache.delete(cls.CACHE_KEY)


def _forget_on_change(sender, **kwargs) -> None:
    WelcomeSettings.forget()


# The featured lists change through the admin's many-to-many widgets after save().
models.signals.m2m_changed.connect(
    _forget_on_change, sender=WelcomeSettings.featured_groups.through, weak=False
)
models.signals.m2m_changed.connect(
    _forget_on_change, sender=WelcomeSettings.featured_hashtags.through, weak=False
)


class GetStartedDismissal(models.Model):
    """The person closed their Get started card."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("person"),
    )
    dismissed_at = models.DateTimeField(_("dismissed"), auto_now_add=True)

    class Meta:
        verbose_name = _("Get started dismissal")
        verbose_name_plural = _("Get started dismissals")

    def __str__(self) -> str:
        return f"{self.user_id} closed Get started"


# At most this many announcements are pinned at once: more is a noticeboard nobody reads.
MAX_ACTIVE_ANNOUNCEMENTS = 2


class Announcement(models.Model):
    """A post pinned to everyone's Home from `starts_at` until `ends_at`."""

    post = models.ForeignKey(
        "posts.Post",
        on_delete=models.CASCADE,
        related_name="announcements",
        verbose_name=_("post"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("ended by"),
    )

    class Meta:
        verbose_name = _("announcement")
        verbose_name_plural = _("announcements")
        ordering = ["-starts_at", "-id"]
        indexes = [models.Index(fields=["ends_at", "starts_at"], name="welcome_announce_active")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="welcome_announcement_ends_after_start",
            )
        ]
        permissions = [
            ("make_announcement", "Can pin announcements to everyone's Home"),
        ]

    def __str__(self) -> str:
        return f"{self.post} ({self.starts_at:%Y-%m-%d} – {self.ends_at:%Y-%m-%d})"


class AnnouncementDismissal(models.Model):
    """One person no longer wants to see one announcement."""

    announcement = models.ForeignKey(
        Announcement,
        on_delete=models.CASCADE,
        related_name="dismissals",
        verbose_name=_("announcement"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("person"),
    )
    dismissed_at = models.DateTimeField(_("dismissed"), auto_now_add=True)

    class Meta:
        verbose_name = _("announcement dismissal")
        verbose_name_plural = _("announcement dismissals")
        constraints = [
            models.UniqueConstraint(fields=["announcement", "user"], name="welcome_dismissed_once")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} dismissed {self.announcement_id}"
