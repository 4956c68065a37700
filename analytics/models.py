"""Community health, counted in aggregate (issue 15). Nothing here names a person: the
roll-up keeps counts per period and segment, each with the number of distinct people it rests
on (for small-number suppression, analytics.privacy), and the audit log records who looked at
the figures, not what anybody did."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from analytics.privacy import MINIMUM_K
from esn.singleton import SiteSettingsRow


class Period(models.TextChoices):
    DAY = "day", _("day")
    WEEK = "week", _("week")
    MONTH = "month", _("month")


class Segment(models.TextChoices):
    SITE = "site", _("whole network")
    DEPARTMENT = "department", _("department")
    LOCATION = "location", _("location")
    GROUP = "group", _("group")
    HASHTAG = "hashtag", _("hashtag")
    # Interactions from one department (segment_id) with another's posts (other_id).
    DEPARTMENT_PAIR = "department_pair", _("department with department")


class Figure(models.Model):
    """One aggregate: `metric` over `period` starting on `start`, for one segment. `value` is
    a count, or seconds for the medians; `people` is how many distinct people it rests on."""

    period = models.CharField(_("period"), max_length=5, choices=Period.choices)
    start = models.DateField(_("start"))
    segment = models.CharField(_("segment"), max_length=16, choices=Segment.choices)
    # The department, location, group or hashtag; 0 for the whole network, and for people
    # with no department or location.
    segment_id = models.BigIntegerField(_("segment id"), default=0)
    other_id = models.BigIntegerField(_("other segment id"), default=0)
    metric = models.CharField(_("metric"), max_length=40)
    value = models.BigIntegerField(_("value"))
    people = models.IntegerField(_("people"), null=True, blank=True)
    computed_at = models.DateTimeField(_("computed"), default=timezone.now)

    class Meta:
        verbose_name = _("figure")
        verbose_name_plural = _("figures")
        constraints = [
            models.UniqueConstraint(
                fields=["period", "start", "segment", "segment_id", "other_id", "metric"],
                name="analytics_one_figure",
            )
        ]
        indexes = [
            models.Index(
                fields=["segment", "segment_id", "period", "start"], name="analytics_by_segment"
            )
        ]

    def __str__(self) -> str:
        return f"{self.metric} {self.segment}:{self.segment_id} {self.period} {self.start}"


class AnalyticsSettings(SiteSettingsRow):
    """How small a group of people may be before its figures are hidden. One row, cached."""

    CACHE_KEY = "analytics:settings:v1"

    k = models.PositiveSmallIntegerField(
        _("smallest group of people shown"),
        default=MINIMUM_K,
        validators=[MinValueValidator(MINIMUM_K)],
        help_text=_(
            "A figure resting on fewer people than this is shown as 'fewer than …'. "
            "It can be raised, never set below 5."
        ),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = _("community health settings")
        permissions = [
            ("view_site_analytics", _("Can see the network's community health figures")),
        ]

    def __str__(self) -> str:
        return str(_("Community health settings"))

    def clean(self) -> None:
        if self.k < MINIMUM_K:
            raise ValidationError({"k": _("It can be raised, never set below 5.")})


class AuditEntry(models.Model):
    """Every look at the figures and every export: who (an admin or manager acting in that
    role), which page, which segment, when. Readable by admins; never shown in analytics."""

    class Kind(models.TextChoices):
        SITE_PAGE = "site_page", _("network figures viewed")
        SITE_CSV = "site_csv", _("network figures downloaded")
        GROUP_PAGE = "group_page", _("group insights viewed")
        GROUP_CSV = "group_csv", _("group insights downloaded")
        HASHTAG_PAGE = "hashtag_page", _("hashtag figures viewed")

    viewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("viewed by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    kind = models.CharField(_("what"), max_length=16, choices=Kind.choices)
    segment = models.CharField(_("segment"), max_length=16, choices=Segment.choices)
    segment_id = models.BigIntegerField(_("segment id"), default=0)
    detail = models.CharField(_("detail"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("analytics audit entry")
        verbose_name_plural = _("analytics audit log")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.created_at:%Y-%m-%d %H:%M}"
