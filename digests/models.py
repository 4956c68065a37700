"""Notification defaults (one row, edited by admins) and each person's own choices.

Defaults are data (ARCHITECTURE.md rule 6): a person's empty choice means "whatever the site
default is now", so an admin changing a default changes it at once for everyone who never
chose. Nothing here copies a default onto a person.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from notifications.base.models import AbstractNotification

from esn.singleton import SiteSettingsRow


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


class UnreadEmail(models.TextChoices):
    """What happens to a mention, reply or invitation still unread after a while."""

    DELAY = "delay", _("Email me what is still unread after a while")
    DIGEST = "digest", _("Only in my digest")
    OFF = "off", _("Never email it")


class SiteSettings(SiteSettingsRow):
    """The site's notification defaults. One row; read through `SiteSettings.current()`
    (cached) or, in background work, `SiteSettings.load()`."""

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
        _("include unanswered questions in my groups"),
        default=True,
        help_text=_(
            "Questions asked in a person's groups since their last digest that are still "
            "open when it is sent. Not from groups they set to feed only or muted."
        ),
    )
    max_items = models.PositiveSmallIntegerField(
        _("at most this many items per digest"),
        default=15,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
    )
    mentions_in_digest = models.BooleanField(
        _("mentions also go into the digest"),
        # An @mention is addressed to the person: it should reach them even if they do not
        # open the site before their digest.
        default=True,
        help_text=_("They are always in the inbox."),
    )
    guests_get_digests = models.BooleanField(_("guests get digests"), default=False)
    unread_email = models.BooleanField(
        _("email unread mentions, replies and invitations"),
        default=True,
        help_text=_(
            "One email listing what is addressed to a person and still unread after the delay "
            "below, then nothing more until the delay has passed again. Never new posts from "
            "what they follow. Each person can turn it off for themselves."
        ),
    )
    unread_email_delay = models.PositiveSmallIntegerField(
        _("after this many minutes unread"),
        default=30,
        validators=[MinValueValidator(5), MaxValueValidator(24 * 60)],
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = _("notification defaults")

    def __str__(self) -> str:
        return str(_("Notification defaults"))

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
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="digest_choice",
        verbose_name=_("person"),
    )
    frequency = models.CharField(_("digest"), max_length=10, choices=Frequency.choices, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True)
    unread_email = models.CharField(
        _("unread mentions, replies and invitations"),
        max_length=10,
        choices=UnreadEmail.choices,
        blank=True,
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("digest setting")
        verbose_name_plural = _("digest settings")

    def __str__(self) -> str:
        return f"{self.user}: {self.frequency or 'default'}"


class SourceChoice(models.Model):
    """A person's level for one group, hashtag or person they follow. No row: the default."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="source_choices",
        verbose_name=_("person"),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=SourceKind.choices)
    object_id = models.PositiveBigIntegerField(_("object id"))
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("source setting")
        verbose_name_plural = _("source settings")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind", "object_id"], name="digests_one_choice_per_source"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.kind} {self.object_id} → {self.level}"


class InboxItem(AbstractNotification):
    """One row of a person's inbox: something addressed to them (ARCHITECTURE.md rule 3).

    The notifications app's model, swapped in (NOTIFICATIONS_NOTIFICATION_MODEL) so that what
    a row is about is a real foreign key: deleting the post or comment deletes the row, and
    the inbox can ask the visibility policy about rows in SQL, not one by one."""

    class Kind(models.TextChoices):
        MENTION = "mention", _("Mention")
        REPLY = "reply", _("Reply")
        REACTION = "reaction", _("Reactions")
        FOLLOWER = "follower", _("New follower")
        INVITATION = "invitation", _("Invitation")
        JOIN_DECISION = "join_decision", _("Join request decision")
        MODERATION = "moderation", _("Moderation")
        ROLE = "role", _("Role change")
        ANSWER = "answer", _("Accepted answer")
        JOIN_REQUESTS = "join_requests", _("Requests to join a group you manage")
        REPORTS = "reports", _("Reports to moderate")
        REPORT_OUTCOME = "report_outcome", _("The outcome of your report")
        MEMBERSHIP_ENDED = "membership_ended", _("Removed from a group")
        SPONSOR_LEFT = "sponsor_left", _("A guest in a group you manage lost their sponsor")
        GROUP_UNMANAGED = "group_unmanaged", _("A group left without an owner or manager")

    # What is addressed to the person and reaches email if left unread (digests.unread), or
    # their digest if they chose so.
    ADDRESSED_KINDS = ("mention", "reply", "invitation")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    # The person who acted (the generic `actor` of the notifications app points at the same
    # row); a plain foreign key so a page of rows loads its people in the same query.
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("by")
    )
    post = models.ForeignKey(
        "posts.Post",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("post"),
    )
    comment = models.ForeignKey(
        "posts.Comment",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("comment"),
    )
    group = models.ForeignKey(
        "groups.Group",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("group"),
    )
    # Rows that are updated rather than repeated ("Ana and 4 others liked your post") share
    # a key; at most one row per recipient and key.
    key = models.CharField(_("key"), max_length=80, blank=True, default="")
    count = models.PositiveIntegerField(_("count"), default=1)
    # Claimed by the unread-email sender before it mails the row: never mailed twice.
    emailed_at = models.DateTimeField(_("emailed"), null=True, blank=True)

    class Meta(AbstractNotification.Meta):
        abstract = False
        indexes = [
            *AbstractNotification.Meta.indexes,
            models.Index(fields=["recipient", "-timestamp", "-id"], name="digests_inbox_newest"),
            models.Index(
                fields=["recipient"],
                condition=models.Q(unread=True, deleted=False),
                name="digests_inbox_unread",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "key"],
                condition=~models.Q(key=""),
                name="digests_inbox_one_row_per_key",
            )
        ]


class DigestRun(models.Model):
    """The ledger of digests: one row per person and period, claimed before anything is sent,
    so a retried, duplicated or crashed task can never mail anyone twice (rule 4)."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        SENDING = "sending", _("Being built and sent")
        SENT = "sent", _("Sent")
        EMPTY = "empty", _("Nothing new: not sent")
        SKIPPED = "skipped", _("No longer due: not sent")
        FAILED = "failed", _("Refused by the mail server, or failed too often")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="digest_runs",
        verbose_name=_("person"),
    )
    # "2026-11-23" for a daily digest, "2026-W48" for a weekly one (the person's calendar).
    period = models.CharField(_("period"), max_length=20)
    frequency = models.CharField(_("frequency"), max_length=10, choices=Frequency.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PLANNED
    )
    # When planned, then when last handed to the broker: a planned run older than the lease
    # was lost on the way (broker down, message dropped) and is enqueued again.
    planned_at = models.DateTimeField(_("planned"), default=timezone.now)
    # When a chunk took the row; a row left "sending" longer than the lease was taken by a
    # worker that died, and is taken again.
    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # What the digest covered: posts published after `since`, up to `until`.
    since = models.DateTimeField(_("since"), null=True, blank=True)
    until = models.DateTimeField(_("until"), null=True, blank=True)
    post_ids = models.JSONField(_("posts"), default=list, blank=True)
    more_count = models.PositiveIntegerField(_("more posts"), default=0)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("digest run")
        verbose_name_plural = _("digest runs")
        constraints = [
            models.UniqueConstraint(fields=["user", "period"], name="digests_one_run_per_period")
        ]
        indexes = [
            models.Index(fields=["status", "claimed_at"], name="digests_run_status"),
            models.Index(fields=["user", "-until"], name="digests_run_user_latest"),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.period}: {self.status}"


class InboxEvent(models.Model):
    """Something happened that someone must hear of (a mention, a reply, a decision): one row
    written in the same transaction as the act itself, whatever the number of people it
    concerns, and turned into inbox rows by a worker (`digests.services.deliver_event`).
    The web request never waits for that, nor for the broker: a row the worker was not told
    about (Redis down) is found by the sweep (`digests.tasks.sweep_inbox_events`)."""

    # The digests.services function that tells.
    handler = models.CharField(_("handler"), max_length=40)
    arguments = models.JSONField(_("arguments"), default=dict)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)

    class Meta:
        verbose_name = _("inbox event")
        verbose_name_plural = _("inbox events")
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=models.Q(delivered_at__isnull=True),
                name="digests_event_pending",
            )
        ]

    def __str__(self) -> str:
        state = "delivered" if self.delivered_at else f"pending, {self.attempts} attempts"
        return f"{self.handler}({self.arguments}) {state}"


class UnreadEmailSent(models.Model):
    """The ledger of unread-message emails: one row per email, made in the same transaction
    that claims its inbox rows. It also paces them: nobody gets a second one before the
    site's delay has passed again."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="unread_emails",
        verbose_name=_("person"),
    )
    sent_at = models.DateTimeField(_("sent"), default=timezone.now)
    item_count = models.PositiveIntegerField(_("items"))

    class Meta:
        verbose_name = _("unread email")
        verbose_name_plural = _("unread emails")
        indexes = [models.Index(fields=["user", "-sent_at"], name="digests_unread_email_user")]

    def __str__(self) -> str:
        return f"{self.user}: {self.item_count} unread at {self.sent_at}"
