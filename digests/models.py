"""Notification defaults (one row, edited by admins) and each person's own choices.

Defaults are data (ARCHITECTURE.md rule 6): a person's empty choice means "whatever the site
default is now", so an admin changing a default changes it at once for everyone who never
chose. Nothing here copies a default onto a person.
"""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class Frequency(models.TextChoices):
    OFF = "off", _("Off")
    DAILY = "daily", _("Daily")
    WEEKLY = "weekly", _("Weekly")


class Level(models.TextChoices):
    DIGEST = "digest", _("Feed and digest")
    FEED = "feed", _("Feed only")
    MUTED = "muted", _("Muted")


class SourceKind(models.TextChoices):
    GROUP = "group", _("Group")
    HASHTAG = "hashtag", _("Hashtag")
    PERSON = "person", _("Person")


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class SiteSettings(models.Model):
    """The site's notification defaults. One row; read through `SiteSettings.current()`,
    which is cached and refreshed whenever an admin saves."""

    CACHE_KEY = "digests:site-settings:v1"

    digest_frequency = models.CharField(
        _("default digest frequency"),
        max_length=10,
        choices=Frequency.choices,
        default=Frequency.WEEKLY,
        help_text=_("For everyone who has not chosen their own."),
    )
    send_hour = models.PositiveSmallIntegerField(
        _("send at hour"),
        default=8,
        validators=[MaxValueValidator(23)],
        help_text=_("0-23, in the site's time zone (or the person's own, if they set one)."),
    )
    send_weekday = models.PositiveSmallIntegerField(
        _("weekly digests go out on"), choices=Weekday.choices, default=Weekday.MONDAY
    )
    include_groups = models.BooleanField(_("include my groups"), default=True)
    include_hashtags = models.BooleanField(_("include followed hashtags"), default=True)
    include_people = models.BooleanField(_("include followed people"), default=True)
    include_unanswered = models.BooleanField(
        _("include unanswered questions in my groups"), default=True
    )
    max_items = models.PositiveSmallIntegerField(
        _("at most this many items per digest"),
        default=15,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
    )
    mentions_in_digest = models.BooleanField(
        _("mentions also go into the digest"),
        default=False,
        help_text=_("They are always in the inbox."),
    )
    guests_get_digests = models.BooleanField(_("guests get digests"), default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = _("notification defaults")

    def __str__(self) -> str:
        return str(_("Notification defaults"))

    def save(self, *args, **kwargs):
        self.pk = 1
        super().save(*args, **kwargs)
        cache.delete(self.CACHE_KEY)

    @classmethod
    def current(cls) -> SiteSettings:
        found = cache.get(cls.CACHE_KEY)
        if found is None:
            found = cls.objects.get_or_create(pk=1)[0]
            cache.set(cls.CACHE_KEY, found, 300)
        return found

    def default_level(self, kind: str) -> str:
        included = {
            SourceKind.GROUP: self.include_groups,
            SourceKind.HASHTAG: self.include_hashtags,
            SourceKind.PERSON: self.include_people,
        }[kind]
        return Level.DIGEST if included else Level.FEED


class DigestChoice(models.Model):
    """A person's own digest settings. Blank means "the site default", now and later."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digest_choice"
    )
    frequency = models.CharField(_("digest"), max_length=10, choices=Frequency.choices, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.user}: {self.frequency or 'default'}"


class SourceChoice(models.Model):
    """A person's level for one group, hashtag or person they follow. No row: the default."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="source_choices"
    )
    kind = models.CharField(max_length=10, choices=SourceKind.choices)
    object_id = models.PositiveBigIntegerField()
    level = models.CharField(max_length=10, choices=Level.choices)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind", "object_id"], name="digests_one_choice_per_source"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.kind} {self.object_id} → {self.level}"
