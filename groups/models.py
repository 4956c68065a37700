"""Opt-in groups (ARCHITECTURE.md rule 5).

A Membership row exists only because the member acted: they joined an open group, a manager
approved their own request, or they accepted an invitation. Rows are written only through
groups.services; who may see what is decided in access/.
"""

from __future__ import annotations

import uuid
from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from esn.singleton import SiteSettingsRow


def cover_path(instance: Group, filename: str) -> str:
    return f"groups/{uuid.uuid4().hex}{PurePath(filename).suffix.lower()}"


class Group(models.Model):
    class Kind(models.TextChoices):
        OPEN = "open", _("Open: anyone can join, every employee can read")
        PRIVATE = "private", _("Private: listed, join on request or invitation, members read")
        SECRET = "secret", _("Secret: unlisted, invitation only, members read")

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("web address"), max_length=140, unique=True, allow_unicode=True)
    description = models.TextField(_("description"), max_length=2000, blank=True)
    guidelines = models.TextField(
        _("guidelines"),
        max_length=5000,
        blank=True,
        help_text=_("How members treat each other and what belongs here. Markdown works."),
    )
    cover = models.ImageField(_("cover image"), upload_to=cover_path, blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.OPEN)
    allow_guests = models.BooleanField(
        _("guests may be invited"),
        default=False,
        help_text=_("External guests (clients, partners) can be invited into this group."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    # Kept by the services: a count users see, and the directory's sort key.
    member_count = models.PositiveIntegerField(_("members"), default=0)
    last_activity_at = models.DateTimeField(_("last activity"), default=timezone.now)
    archived_at = models.DateTimeField(_("archived"), null=True, blank=True)

    class Meta:
        verbose_name = _("group")
        verbose_name_plural = _("groups")
        indexes = [
            models.Index(fields=["-last_activity_at", "-id"], name="groups_by_activity"),
            models.Index(fields=["kind"], name="groups_kind"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("groups:detail", args=[self.slug])

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


class Membership(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner", _("Owner")
        MANAGER = "manager", _("Manager")
        MEMBER = "member", _("Member")

    group = models.ForeignKey(
        Group, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("group")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("person"),
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.MEMBER)
    joined_at = models.DateTimeField(_("joined"), default=timezone.now)
    # The member keeps reading the group page but its posts leave their home feed.
    muted = models.BooleanField(_("muted"), default=False)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["group", "user"], name="groups_member_once"),
        ]
        indexes = [models.Index(fields=["user", "group"], name="groups_membership_user")]

    def __str__(self) -> str:
        return f"{self.user} in {self.group} ({self.role})"

    @property
    def can_manage(self) -> bool:
        return self.role in (self.Role.OWNER, self.Role.MANAGER)


class JoinRequest(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        DECLINED = "declined", _("Declined")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    group = models.ForeignKey(
        Group, on_delete=models.CASCADE, related_name="join_requests", verbose_name=_("group")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="join_requests",
        verbose_name=_("person"),
    )
    message = models.TextField(_("message to the managers"), max_length=1000, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    class Meta:
        verbose_name = _("join request")
        verbose_name_plural = _("join requests")
        constraints = [
            models.UniqueConstraint(
                fields=["group", "user"],
                condition=Q(status="pending"),
                name="groups_one_pending_request",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} asks to join {self.group} ({self.status})"


class Invitation(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        REVOKED = "revoked", _("Revoked")

    group = models.ForeignKey(
        Group, on_delete=models.CASCADE, related_name="invitations", verbose_name=_("group")
    )
    invitee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="group_invitations",
        verbose_name=_("invited person"),
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("invited by"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        constraints = [
            models.UniqueConstraint(
                fields=["group", "invitee"],
                condition=Q(status="pending"),
                name="groups_one_pending_invitation",
            )
        ]
        indexes = [models.Index(fields=["invitee", "status"], name="groups_invitation_invitee")]

    def __str__(self) -> str:
        return f"{self.invitee} invited to {self.group} ({self.status})"


class Ban(models.Model):
    group = models.ForeignKey(
        Group, on_delete=models.CASCADE, related_name="bans", verbose_name=_("group")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="group_bans",
        verbose_name=_("person"),
    )
    reason = models.TextField(_("reason"), max_length=1000)
    banned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("banned by"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("ban")
        verbose_name_plural = _("bans")
        constraints = [models.UniqueConstraint(fields=["group", "user"], name="groups_ban_once")]

    def __str__(self) -> str:
        return f"{self.user} banned from {self.group}"


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("Audit entries cannot be changed.")

    def delete(self):
        raise PermissionError("Audit entries cannot be deleted.")


class AuditEntry(models.Model):
    """What happened in a group, by whom, when and why. Written once, never changed: the
    model and its querysets refuse updates and deletes (groups are archived, not deleted)."""

    class Action(models.TextChoices):
        CREATED = "created", _("created the group")
        EDITED = "edited", _("edited the group")
        ARCHIVED = "archived", _("archived the group")
        UNARCHIVED = "unarchived", _("reopened the group")
        JOINED = "joined", _("joined")
        LEFT = "left", _("left")
        REQUESTED = "requested", _("asked to join")
        WITHDREW = "withdrew", _("withdrew a join request")
        APPROVED = "approved", _("approved a join request")
        DECLINED_REQUEST = "declined_request", _("declined a join request")
        INVITED = "invited", _("invited")
        INVITED_DEPARTMENT = "invited_department", _("invited a department")
        INVITED_LOCATION = "invited_location", _("invited a location")
        REVOKED = "revoked", _("revoked an invitation")
        ACCEPTED = "accepted", _("accepted an invitation")
        DECLINED_INVITATION = "declined_invitation", _("declined an invitation")
        REMOVED_MEMBER = "removed_member", _("removed a member")
        BANNED = "banned", _("banned")
        UNBANNED = "unbanned", _("lifted a ban")
        PROMOTED = "promoted", _("changed a role")
        PINNED = "pinned", _("pinned a post")
        UNPINNED = "unpinned", _("unpinned a post")
        LOCKED = "locked", _("locked comments")
        UNLOCKED = "unlocked", _("unlocked comments")
        REMOVED_POST = "removed_post", _("removed a post")
        RESTORED_POST = "restored_post", _("restored a post")
        REMOVED_COMMENT = "removed_comment", _("removed a comment")
        RESTORED_COMMENT = "restored_comment", _("restored a comment")
        REPORTED = "reported", _("reported content")
        RESOLVED_REPORT = "resolved_report", _("resolved a report")

    # Null for site-wide moderation (company-wide posts).
    group = models.ForeignKey(
        Group,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="audit_entries",
        verbose_name=_("group"),
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("by"),
    )
    action = models.CharField(_("action"), max_length=30, choices=Action.choices)
    target_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("concerning"),
    )
    post = models.ForeignKey(
        "posts.Post",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("post"),
    )
    comment = models.ForeignKey(
        "posts.Comment",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("comment"),
    )
    reason = models.TextField(_("reason"), blank=True)
    detail = models.CharField(_("detail"), max_length=200, blank=True)
    # How many people one row stands for (a department or location invited at once).
    people_count = models.PositiveIntegerField(_("people"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["group", "-created_at"], name="groups_audit_newest")]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")

    def __str__(self) -> str:
        return f"{self.actor} {self.get_action_display()} ({self.created_at:%Y-%m-%d %H:%M})"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("Audit entries cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Audit entries cannot be deleted.")


class Report(models.Model):
    """A member's report of a post or comment. Group content goes to the group's managers,
    company-wide content to the admins' site queue."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        RESOLVED = "resolved", _("Resolved")

    class Resolution(models.TextChoices):
        REMOVED = "removed", _("Removed the content")
        KEPT = "kept", _("Kept it")
        WARNED = "warned", _("Warned the author")

    group = models.ForeignKey(
        Group,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="reports",
        verbose_name=_("group"),
    )
    post = models.ForeignKey(
        "posts.Post",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="reports",
        verbose_name=_("post"),
    )
    comment = models.ForeignKey(
        "posts.Comment",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="reports",
        verbose_name=_("comment"),
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="reports_made",
        verbose_name=_("reported by"),
    )
    reason = models.TextField(_("what is wrong"), max_length=1000)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    resolution = models.CharField(
        _("resolution"), max_length=10, choices=Resolution.choices, blank=True
    )
    note = models.TextField(_("note"), max_length=1000, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("resolved by"),
    )
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        constraints = [
            models.CheckConstraint(
                condition=Q(post__isnull=False) ^ Q(comment__isnull=False),
                name="groups_report_one_target",
            ),
            # A double-submitted report is one report.
            models.UniqueConstraint(
                fields=["reporter", "post"],
                condition=Q(status="open", post__isnull=False),
                name="groups_report_post_once",
            ),
            models.UniqueConstraint(
                fields=["reporter", "comment"],
                condition=Q(status="open", comment__isnull=False),
                name="groups_report_comment_once",
            ),
        ]
        indexes = [models.Index(fields=["group", "status"], name="groups_report_queue")]

    def __str__(self) -> str:
        return f"report by {self.reporter} ({self.status})"


class GroupSettings(SiteSettingsRow):
    """Site-wide group rules, one row, edited by admins in Django admin."""

    only_admins_create_groups = models.BooleanField(
        _("only admins can create groups"),
        default=False,
        help_text=_("Off: any employee can start a group (guests never can)."),
    )

    class Meta:
        verbose_name = verbose_name_plural = _("group settings")

    def __str__(self) -> str:
        return str(_("Group settings"))
