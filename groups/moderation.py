"""Community management: pins, locks, removals, reports. Managers act in their own groups,
admins everywhere and on company-wide posts. Removal hides content without destroying it;
the author is told why (digests seam) and a moderator can restore it. Every action is in the
audit log."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from access.actions import can_moderate_post, can_use_report_queue
from access.posts import removed_q
from digests import services as inbox
from groups.models import AuditEntry, Group, Report
from groups.services import audit, reason_text
from people.models import User
from posts.models import Comment, Post

Action = AuditEntry.Action
PIN_LIMIT = 3


def _require_moderator(user: User, post: Post) -> None:
    if not can_moderate_post(user, post):
        raise PermissionDenied(_("Only this group's managers can moderate its posts."))


def _reason(reason: str) -> str:
    return reason_text(reason, required=_("Give a reason: the author will see it."))


def _locked_post(post: Post) -> Post:
    # of=self: the group join is nullable, and PostgreSQL cannot lock an outer join's side.
    return Post.objects.select_for_update(of=("self",)).select_related("group").get(pk=post.pk)


@transaction.atomic
def set_pinned(*, post: Post, user: User, pinned: bool) -> Post:
    """Pin a group post to the top of its group page (at most three)."""
    if post.group_id is None:
        raise ValidationError(_("Only group posts can be pinned."))
    Group.objects.select_for_update().get(pk=post.group_id)  # one pinner at a time
    post = _locked_post(post)
    _require_moderator(user, post)
    if (post.pinned_at is not None) == pinned:
        return post
    if pinned:
        if post.is_removed:
            raise ValidationError(_("A removed post cannot be pinned."))
        count = Post.objects.filter(group_id=post.group_id, pinned_at__isnull=False).count()
        if count >= PIN_LIMIT:
            raise ValidationError(
                _("Up to %(n)d posts can be pinned. Unpin one first.") % {"n": PIN_LIMIT}
            )
    post.pinned_at = timezone.now() if pinned else None
    post.save(update_fields=["pinned_at"])
    audit(post.group, user, Action.PINNED if pinned else Action.UNPINNED, post=post)
    return post


@transaction.atomic
def set_comments_locked(*, post: Post, user: User, locked: bool) -> Post:
    post = _locked_post(post)
    _require_moderator(user, post)
    if post.comments_locked != locked:
        post.comments_locked = locked
        post.save(update_fields=["comments_locked"])
        audit(post.group, user, Action.LOCKED if locked else Action.UNLOCKED, post=post)
    return post


@transaction.atomic
def remove_post(*, post: Post, user: User, reason: str) -> Post:
    reason = _reason(reason)
    post = _locked_post(post)
    _require_moderator(user, post)
    if post.is_removed:
        return post
    post.removed_at, post.removed_by, post.removal_reason = timezone.now(), user, reason
    post.pinned_at = None
    post.save(update_fields=["removed_at", "removed_by", "removal_reason", "pinned_at"])
    audit(post.group, user, Action.REMOVED_POST, post=post, target_user=post.author, reason=reason)
    inbox.record(inbox.content_removed, post_id=post.pk, comment_id=None)
    return post


@transaction.atomic
def restore_post(*, post: Post, user: User) -> Post:
    post = _locked_post(post)
    _require_moderator(user, post)
    if not post.is_removed:
        return post
    post.removed_at, post.removed_by = None, None
    post.save(update_fields=["removed_at", "removed_by"])
    audit(post.group, user, Action.RESTORED_POST, post=post, target_user=post.author)
    return post


def _locked_comment(comment: Comment) -> Comment:
    return (
        Comment.objects.select_for_update(of=("self",))
        .select_related("post", "post__group")
        .get(pk=comment.pk)
    )


@transaction.atomic
def remove_comment(*, comment: Comment, user: User, reason: str) -> Comment:
    reason = _reason(reason)
    comment = _locked_comment(comment)
    _require_moderator(user, comment.post)
    if comment.is_removed:
        return comment
    comment.removed_at, comment.removed_by, comment.removal_reason = timezone.now(), user, reason
    comment.save(update_fields=["removed_at", "removed_by", "removal_reason"])
    Post.objects.filter(pk=comment.post_id, comment_count__gt=0).update(
        comment_count=F("comment_count") - 1
    )
    # A removed comment cannot stay the accepted answer: the question is open again (and a
    # restore does not accept it again; the asker decides that).
    was_answer = Post.objects.filter(pk=comment.post_id, accepted_answer_id=comment.pk).update(
        accepted_answer=None, answered_at=None
    )
    if was_answer:
        inbox.record(inbox.answer_withdrawn, post_id=comment.post_id)
    audit(
        comment.post.group,
        user,
        Action.REMOVED_COMMENT,
        post=comment.post,
        comment=comment,
        target_user=comment.author,
        reason=reason,
    )
    inbox.record(inbox.content_removed, post_id=comment.post_id, comment_id=comment.pk)
    return comment


@transaction.atomic
def restore_comment(*, comment: Comment, user: User) -> Comment:
    comment = _locked_comment(comment)
    _require_moderator(user, comment.post)
    if not comment.is_removed:
        return comment
    comment.removed_at, comment.removed_by = None, None
    comment.save(update_fields=["removed_at", "removed_by"])
    Post.objects.filter(pk=comment.post_id).update(comment_count=F("comment_count") + 1)
    audit(
        comment.post.group,
        user,
        Action.RESTORED_COMMENT,
        post=comment.post,
        comment=comment,
        target_user=comment.author,
    )
    return comment


# --- reports ------------------------------------------------------------------------------


def report(*, reporter: User, reason: str, post: Post | None = None, comment=None) -> Report:
    """Anyone who can see the content can report it; reporting it twice is one report.
    The caller has checked visibility (the view answers 404 otherwise)."""
    reason = reason_text(reason, required=_("Say what is wrong, so the moderators can act on it."))
    target_post = post if post is not None else comment.post
    fields = {"post": post} if post is not None else {"comment": comment}
    try:
        with transaction.atomic():
            made = Report.objects.create(
                reporter=reporter, reason=reason, group_id=target_post.group_id, **fields
            )
            audit(
                target_post.group,
                reporter,
                Action.REPORTED,
                post=target_post,
                comment=comment,
                reason=reason,
            )
            inbox.record(
                inbox.reports_changed, group_id=target_post.group_id, reporter_id=reporter.pk
            )
            return made
    except IntegrityError:
        return Report.objects.get(reporter=reporter, status=Report.Status.OPEN, **fields)


def removed_content(user: User, group: Group | None) -> tuple[QuerySet[Post], QuerySet[Comment]]:
    """What moderators removed in `group` (or company-wide), newest first, for those who may
    use its queue (a moderator restores from here)."""
    if not can_use_report_queue(user, group):
        raise PermissionDenied
    posts = Post.objects.filter(removed_q(), group=group).select_related("author", "removed_by")
    comments = Comment.objects.filter(removed_q(), post__group=group).select_related(
        "author", "removed_by", "post"
    )
    return posts.order_by("-removed_at"), comments.order_by("-removed_at")


def report_queue(user: User, group: Group | None) -> QuerySet[Report]:
    """Open reports a moderator may act on: a group's (its managers, admins), or the site
    queue of company-wide content (admins)."""
    if not can_use_report_queue(user, group):
        raise PermissionDenied
    return (
        Report.objects.filter(group=group, status=Report.Status.OPEN)
        .select_related("reporter", "post", "post__author", "comment", "comment__author")
        .order_by("created_at", "id")
    )


@transaction.atomic
def resolve_report(*, report: Report, user: User, resolution: str, note: str = "") -> Report:
    report = (
        Report.objects.select_for_update(of=("self",))
        .select_related("post", "post__group", "comment", "comment__post__group")
        .get(pk=report.pk)
    )
    target_post = report.post or report.comment.post
    _require_moderator(user, target_post)
    if report.status == Report.Status.RESOLVED:
        return report
    if resolution not in Report.Resolution.values:
        raise ValidationError(_("Choose what to do: remove, keep or warn."))
    note = reason_text(note)
    if resolution == Report.Resolution.REMOVED:
        why = note or report.reason
        if report.comment_id:
            remove_comment(comment=report.comment, user=user, reason=why)
        else:
            remove_post(post=report.post, user=user, reason=why)
    report.status, report.resolution = Report.Status.RESOLVED, resolution
    report.note, report.resolved_by, report.resolved_at = note.strip(), user, timezone.now()
    report.save(update_fields=["status", "resolution", "note", "resolved_by", "resolved_at"])
    if resolution == Report.Resolution.WARNED:
        inbox.record(inbox.author_warned, report_id=report.pk)
    # Everyone else who reported the same thing gets the same answer.
    same = Report.objects.filter(
        status=Report.Status.OPEN, post_id=report.post_id, comment_id=report.comment_id
    )
    answered = [report.pk, *same.values_list("pk", flat=True)]
    same.update(
        status=Report.Status.RESOLVED,
        resolution=resolution,
        note=report.note,
        resolved_by=user,
        resolved_at=report.resolved_at,
    )
    audit(
        target_post.group,
        user,
        Action.RESOLVED_REPORT,
        post=target_post,
        comment=report.comment,
        reason=note,
        detail=resolution,
    )
    inbox.record(inbox.report_resolved, report_ids=answered)
    inbox.record(inbox.reports_changed, group_id=report.group_id)
    return report
