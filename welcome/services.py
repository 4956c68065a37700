"""Changes to the first day and announcements. Who may do what is asked of `access.actions`."""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Value
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from access.actions import announce_refusal, can_announce
from access.posts import can_view_post
from people.models import User
from posts.models import Post
from welcome.models import (
    MAX_ACTIVE_ANNOUNCEMENTS,
    Announcement,
    AnnouncementDismissal,
    GetStartedDismissal,
    WelcomeSettings,
)
from welcome.selectors import forget_pinned

# How long an announcement may stay pinned, in days (welcome.selectors.DURATION_CHOICES).
DURATIONS = (1, 3, 7, 14)


def active(now=None):
    now = now or timezone.now()
    return Announcement.objects.filter(starts_at__lte=now, ends_at__gt=now)


@transaction.atomic
def announce(*, post: Post, by: User, days: int) -> Announcement:
    """Pin `post` to everyone's Home for `days`. At most MAX_ACTIVE_ANNOUNCEMENTS at once;
    announcing a pinned post again sets its new end."""
    if days not in DURATIONS:
        raise ValidationError(_("Choose how long the announcement stays."))
    # One lock for every announcer: two admins pinning at the same moment cannot make three.
    WelcomeSettings.objects.get_or_create(pk=1)
    WelcomeSettings.objects.select_for_update().get(pk=1)
    post = Post.objects.select_related("group").get(pk=post.pk)
    refusal = announce_refusal(by, post)
    if refusal:
        raise PermissionDenied(refusal)
    now = timezone.now()
    ends = now + timedelta(days=days)
    # What still counts as pinned: a post that was removed, or whose group is no longer open,
    # shows on nobody's Home and takes no place.
    pinned = [
        a
        for a in active(now).select_related("post", "post__group")
        if not announce_refusal(by, a.post)
    ]
    same = next((a for a in pinned if a.post_id == post.pk), None)
    if same is not None:
        same.ends_at = ends
        same.save(update_fields=["ends_at"])
        return same
    if len(pinned) >= MAX_ACTIVE_ANNOUNCEMENTS:
        # Named by their text only where the announcer may read them.
        names = ", ".join(
            f"“{a.post.plain_text[:60]}”" if can_view_post(by, a.post) else _("another post")
            for a in pinned
        )
        raise ValidationError(
            ngettext(
                "%(n)d announcement is pinned already (%(names)s): end it first.",
                "%(n)d announcements are pinned already (%(names)s): end one first.",
                len(pinned),
            )
            % {"n": len(pinned), "names": names}
        )
    announcement = Announcement.objects.create(
        post=post, created_by=by, starts_at=now, ends_at=ends
    )
    transaction.on_commit(forget_pinned)
    return announcement


@transaction.atomic
def end_announcement(*, announcement: Announcement, by: User) -> None:
    if not can_announce(by):
        raise PermissionDenied(_("Only site admins, and people they allow, can end announcements."))
    now = timezone.now()
    # Never before its start (the table says an announcement ends after it starts).
    Announcement.objects.filter(pk=announcement.pk, ends_at__gt=now).update(
        ends_at=Greatest(Value(now), F("starts_at") + timedelta(microseconds=1)), ended_by=by
    )
    transaction.on_commit(forget_pinned)


def dismiss_announcement(*, user: User, announcement: Announcement) -> None:
    try:
        with transaction.atomic():
            AnnouncementDismissal.objects.get_or_create(announcement=announcement, user=user)
    except IntegrityError:
        pass  # dismissed twice at once: once is what counts


def dismiss_get_started(*, user: User) -> None:
    GetStartedDismissal.objects.get_or_create(user=user)
