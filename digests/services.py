"""Who is told what. Only this module creates inbox rows (STYLE.md, rule 16).

The inbox holds what is addressed to a person (ARCHITECTURE.md rule 3): a mention, a reply
to their post or to a thread they commented in, reactions to their post (one row, updated),
a new follower, an invitation, the decision on their join request, a moderator's action on
their content, a change of their role in a group, their comment accepted as the answer to a
question. A new post by someone they follow, in a
group they are in or with a hashtag they follow is never an inbox row: it is in the feed and
the digest.

Other apps record an event inside their own transaction (`record(post_published, ...)`:
one `InboxEvent` row, O(1) whatever the audience). After the commit a Celery worker turns it
into inbox rows (`deliver_event`), so a comment in a 300-person thread costs its author one
INSERT, not 300. Delivery is idempotent (the event row is locked and marked in the same
transaction as the rows it makes), retried with back-off, and a failure is logged with the
event and kept on its row (`last_error`); the sweep retries events the worker never got.
Each handler:
- never tells people about their own actions;
- tells only people who may see the content now (the visibility policy, asked for all
  recipients at once);
- stays silent for recipients who blocked or muted the acting person, or muted the group it
  happened in.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime, time, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from notifications.signals import notify

from access.people import site_admins_q, visible_person_ids
from access.posts import can_view_post, live_q, removed_q
from access.viewer import Ties, Viewer
from digests.models import InboxEvent, InboxItem
from esn import generations
from groups.models import Group, Invitation, JoinRequest, Membership, Report
from people.models import Follow, User
from posts.models import Comment, Post, Reaction

log = logging.getLogger(__name__)
Kind = InboxItem.Kind


def _silenced(ties: Ties, *, actor_id: int, group_id: int | None) -> bool:
    """The recipient blocked or muted the actor, or muted the group the event happened in."""
    return (
        actor_id in ties.blocking
        or actor_id in ties.muted_people
        or (group_id is not None and group_id in ties.muted_groups)
    )


def _send(recipients: Iterable[User], *, actor: User, kind: str, verb: str, **fields) -> None:
    told = []
    for recipient in recipients:
        notify.send(actor, recipient=recipient, verb=verb, kind=kind, actor_user=actor, **fields)
        told.append(recipient.pk)
    # The notifications app writes rows with bulk_create: no post_save for the badge to hear.
    generations.forget_inboxes(told)


def _refresh_or_send(recipient: User, *, key: str, changes: dict, **send) -> None:
    """The recipient's one row under `key`: brought back to the top as unread with
    `changes`, or sent (with `send`) the first time. Two events at the same moment cannot
    make two rows (the key is unique per recipient): the one that loses updates the row the
    other made."""
    for _attempt in range(2):
        with transaction.atomic():
            if InboxItem.objects.filter(recipient=recipient, key=key).update(
                unread=True, deleted=False, **changes
            ):
                generations.forget_inboxes([recipient.pk])
                return
            try:
                with transaction.atomic():
                    _send([recipient], key=key, **send)
                return
            except IntegrityError:
                continue


def _audience(post: Post, candidate_ids: Iterable[int], actor_id: int) -> list[User]:
    """Of `candidate_ids`, the people to tell about something `actor_id` did on `post`: who
    may see the post now (a row addressed to someone shows the whole conversation, so
    `hide_blocked=False`; a block silences the actor instead) and did not silence the actor.
    Two queries: the people, and their ties."""
    ids = set(candidate_ids) - {actor_id}
    if not ids:
        return []
    viewers = Viewer.for_users(User.objects.filter(pk__in=ids).order_by("pk"))
    return [
        viewer.user
        for viewer in viewers.values()
        if can_view_post(viewer, post, hide_blocked=False)
        and not _silenced(viewer.ties, actor_id=actor_id, group_id=post.group_id)
    ]


def post_published(*, post_id: int, mentioned_user_ids: list[int]) -> None:
    """Tell the people mentioned in a post: once per person and post, ever (a mention edited
    out and back in, or a delivery repeated, tells nobody twice)."""
    post = Post.objects.select_related("author", "group").filter(pk=post_id).first()
    if post is None or not mentioned_user_ids:
        return
    told = set(
        InboxItem.objects.filter(
            post=post, comment__isnull=True, kind=Kind.MENTION, recipient_id__in=mentioned_user_ids
        ).values_list("recipient_id", flat=True)
    )
    recipients = _audience(post, set(mentioned_user_ids) - told, post.author_id)
    _send(
        recipients,
        actor=post.author,
        kind=Kind.MENTION,
        verb="mentioned you",
        post=post,
        target=post,
        timestamp=post.edited_at or post.created_at,
    )


def comment_published(*, comment_id: int, mentioned_user_ids: list[int]) -> None:
    """Tell the people mentioned in a comment, the post's author and the others who commented
    in the thread. Each person gets one row: a mention wins over a reply."""
    comment = (
        Comment.objects.select_related("author", "post__author", "post__group")
        .filter(live_q(), pk=comment_id)
        .first()
    )
    if comment is None:
        return
    post = comment.post
    mentioned = _audience(post, mentioned_user_ids, comment.author_id)
    _send(
        mentioned,
        actor=comment.author,
        kind=Kind.MENTION,
        verb="mentioned you",
        post=post,
        comment=comment,
        target=post,
        action_object=comment,
        timestamp=comment.created_at,
    )
    # Those who had commented before this comment (not those who come later).
    participants = set(
        Comment.objects.filter(live_q(), post=post)
        .filter(created_at__lte=comment.created_at)
        .exclude(pk=comment.pk)
        .values_list("author_id", flat=True)
    )
    told = {u.pk for u in mentioned}
    repliers = _audience(post, (participants | {post.author_id}) - told, comment.author_id)
    for person in repliers:
        verb = "replied to your post" if person.pk == post.author_id else "replied in a thread"
        _send(
            [person],
            actor=comment.author,
            kind=Kind.REPLY,
            verb=verb,
            post=post,
            comment=comment,
            target=post,
            action_object=comment,
            timestamp=comment.created_at,
        )


def post_liked(*, post_id: int, user_id: int) -> None:
    """Update the author's one row of reactions to this post ("Ana and 4 others liked your
    post"), moving it to the top as unread; create it on the first like."""
    post = Post.objects.select_related("author", "group").filter(pk=post_id).first()
    liker = User.objects.filter(pk=user_id).first()
    if post is None or liker is None or post.author_id == user_id:
        return
    if not _audience(post, [post.author_id], user_id):
        return
    likers = list(
        Reaction.objects.filter(post=post, kind=Reaction.Kind.LIKE)
        .exclude(user_id=post.author_id)
        .order_by("-created_at", "-id")
        .values_list("user__first_name", "user__last_name", "user__username", "created_at")[:2]
    )
    if not likers:  # the like was taken back before we got here
        return
    count = Reaction.objects.filter(post=post).exclude(user_id=post.author_id).count()
    names = [f"{first} {last}".strip() or username for first, last, username, _at in likers]
    _refresh_or_send(
        post.author,
        key=f"reactions:{post.pk}",
        changes={
            "actor_user": liker,
            "actor_object_id": str(liker.pk),
            "count": count,
            "data": {"names": names},
            "timestamp": likers[0][3],
        },
        actor=liker,
        kind=Kind.REACTION,
        verb="liked your post",
        post=post,
        target=post,
        count=count,
        names=names,
        timestamp=likers[0][3],
    )


def answer_accepted(*, post_id: int, comment_id: int, accepted_by_id: int) -> None:
    """Tell a comment's author that it was accepted as the answer to a question ("Ana
    accepted your answer"). One row per answer: accepting it again after taking it back
    brings the same row back as unread. A row about an earlier answer to the same question
    goes away."""
    comment = (
        Comment.objects.select_related("author", "post__group")
        .filter(live_q(), pk=comment_id, post_id=post_id)
        .first()
    )
    actor = User.objects.filter(pk=accepted_by_id).first()
    if comment is None or actor is None:
        return
    post = comment.post
    answer_withdrawn(post_id=post.pk)
    if post.accepted_answer_id != comment.pk:  # taken back or replaced before we got here
        return
    if not _audience(post, [comment.author_id], actor.pk):
        return
    timestamp = post.answered_at or comment.created_at
    _refresh_or_send(
        comment.author,
        key=f"answer:{comment.pk}",
        changes={"actor_user": actor, "actor_object_id": str(actor.pk), "timestamp": timestamp},
        actor=actor,
        kind=Kind.ANSWER,
        verb="accepted your answer",
        post=post,
        comment=comment,
        target=post,
        action_object=comment,
        timestamp=timestamp,
    )


def answer_withdrawn(*, post_id: int) -> None:
    """Take "accepted your answer" rows about this question out of the inbox, except the
    one about its current answer: the answer was taken back, replaced, removed by a
    moderator, or the post is no longer a question."""
    current = Post.objects.filter(pk=post_id).values_list("accepted_answer_id", flat=True).first()
    rows = InboxItem.objects.filter(post_id=post_id, kind=Kind.ANSWER, deleted=False).exclude(
        comment_id=current
    )
    recipients = list(rows.values_list("recipient_id", flat=True))
    rows.update(deleted=True)
    generations.forget_inboxes(recipients)


def person_followed(*, follower_id: int, followee_id: int) -> None:
    """Tell someone they have new followers: one row per day ("Vera and 11 others started
    following you"), brought back to the top as each one comes in. Who follows the person
    is theirs to know; one row per follower buried everything else on a busy first day."""
    follower = User.objects.filter(pk=follower_id, is_active=True).first()
    followee = User.objects.filter(pk=followee_id, is_active=True).first()
    if follower is None or followee is None or follower_id == followee_id:
        return
    followed_at = (
        Follow.objects.filter(follower_id=follower_id, followee_id=followee_id)
        .values_list("created_at", flat=True)
        .first()
    )
    if followed_at is None:  # unfollowed again before we got here
        return
    viewer = Viewer(followee)
    if _silenced(viewer.ties, actor_id=follower_id, group_id=None):
        return
    # The day in the site's time zone: a row per calendar day, as people count them.
    day = timezone.localdate(followed_at)
    start = timezone.make_aware(datetime.combine(day, time.min))
    that_day = list(
        User.objects.filter(
            following_links__followee_id=followee_id,
            following_links__created_at__gte=start,
            following_links__created_at__lt=start + timedelta(days=1),
            is_active=True,
        ).order_by("-following_links__created_at", "-pk")
    )
    # Only followers the person may see are named or counted (a guest is not told which
    # employees outside their groups follow them); the inbox checks again when it shows it.
    seen = visible_person_ids(viewer, that_day, hide_blocked=True)
    followers = [
        p
        for p in that_day
        if p.pk in seen and not _silenced(viewer.ties, actor_id=p.pk, group_id=None)
    ]
    if not followers:
        return
    latest = followers[0]
    _refresh_or_send(
        followee,
        key=f"followers:{day.isoformat()}",
        changes={
            "actor_user": latest,
            "actor_object_id": str(latest.pk),
            "count": len(followers),
            "data": {"ids": [p.pk for p in followers]},
            "timestamp": followed_at,
        },
        actor=latest,
        kind=Kind.FOLLOWER,
        verb="started following you",
        count=len(followers),
        ids=[p.pk for p in followers],
        timestamp=followed_at,
    )


def content_removed(*, post_id: int, comment_id: int | None) -> None:
    """Tell the author that a moderator removed their post or comment, and why."""
    post = Post.objects.select_related("group").filter(pk=post_id).first()
    if post is None:
        return
    subject: Post | Comment | None
    if comment_id is not None:
        subject = (
            Comment.objects.select_related("removed_by", "author")
            .filter(removed_q(), pk=comment_id)
            .first()
        )
    else:
        subject = post if post.is_removed else None
        if subject is not None:
            post = Post.objects.select_related("group", "author", "removed_by").get(pk=post_id)
            subject = post
    if subject is None or subject.removed_by is None or subject.removed_by_id == subject.author_id:
        return
    _send(
        [subject.author],
        actor=subject.removed_by,
        kind=Kind.MODERATION,
        verb="removed your comment" if comment_id else "removed your post",
        post=post,
        comment=subject if comment_id else None,
        group=post.group,
        reason=subject.removal_reason,
    )


def author_warned(*, report_id: int) -> None:
    """Tell an author that a moderator, resolving a report, warned them (with the note)."""
    report = (
        Report.objects.select_related(
            "post__group", "post__author", "comment__author", "resolved_by"
        )
        .filter(pk=report_id, resolution=Report.Resolution.WARNED)
        .first()
    )
    if report is None or report.resolved_by is None:
        return
    subject: Post | Comment | None = report.comment or report.post
    if subject is None or subject.author_id == report.resolved_by_id:
        return
    post = report.comment.post if report.comment is not None else report.post
    if post is None:
        return
    _send(
        [subject.author],
        actor=report.resolved_by,
        kind=Kind.MODERATION,
        verb="warned you about your comment" if report.comment_id else "warned you about your post",
        post=post,
        comment=report.comment,
        group=post.group,
        reason=report.note,
        # The sentence is chosen from this at read time, in the reader's language (the verb
        # above is the notifications app's English, never shown).
        action="warned",
    )


def invited_to_group(*, invitation_ids: list[int]) -> None:
    """Put each new invitation in the invitee's inbox (they accept or decline there)."""
    invitations = Invitation.objects.select_related("group", "invitee", "invited_by").filter(
        pk__in=invitation_ids, status=Invitation.Status.PENDING
    )
    for invitation in invitations:
        if invitation.invited_by is None or invitation.invited_by_id == invitation.invitee_id:
            continue
        _send(
            [invitation.invitee],
            actor=invitation.invited_by,
            kind=Kind.INVITATION,
            verb="invited you to join",
            group=invitation.group,
            target=invitation.group,
        )


def join_request_decided(*, request_id: int, reason: str = "") -> None:
    """Tell the requester whether a manager let them in (with the reason, if declined)."""
    request = (
        JoinRequest.objects.select_related("group", "user", "decided_by")
        .filter(pk=request_id)
        .first()
    )
    if request is None or request.decided_by is None or request.status == request.Status.PENDING:
        return
    approved = request.status == JoinRequest.Status.APPROVED
    _send(
        [request.user],
        actor=request.decided_by,
        kind=Kind.JOIN_DECISION,
        verb="approved your request to join" if approved else "declined your request to join",
        group=request.group,
        target=request.group,
        approved=approved,
        reason=reason,
    )


def role_changed(*, membership_id: int, changed_by_id: int) -> None:
    """Tell a member their role in a group changed (promoted to manager, and so on)."""
    membership = Membership.objects.select_related("group", "user").filter(pk=membership_id).first()
    actor = User.objects.filter(pk=changed_by_id).first()
    if membership is None or actor is None or actor.pk == membership.user_id:
        return
    _send(
        [membership.user],
        actor=actor,
        kind=Kind.ROLE,
        verb="changed your role in",
        group=membership.group,
        target=membership.group,
        role=membership.role,
    )


def _managers(group_id: int) -> list[User]:
    return list(
        User.objects.filter(
            is_active=True,
            memberships__group_id=group_id,
            memberships__role__in=[Membership.Role.OWNER, Membership.Role.MANAGER],
        ).order_by("pk")
    )


def _keep_count(
    recipients: Iterable[User], *, key: str, count: int, latest: Any, send: dict[str, Any]
) -> None:
    """The recipients' one row under `key`, holding `count` open things: brought to the top
    as unread when something new arrived (`latest` set), only recounted otherwise, and read
    once nothing is left."""
    for recipient in recipients:
        rows = InboxItem.objects.filter(recipient=recipient, key=key)
        if count == 0:
            rows.update(count=0, unread=False)
            generations.forget_inboxes([recipient.pk])
        elif latest is None:
            rows.update(count=count)
        else:
            _refresh_or_send(
                recipient,
                key=key,
                changes={
                    "actor_user": latest,
                    "actor_object_id": str(latest.pk),
                    "count": count,
                    "timestamp": timezone.now(),
                },
                actor=latest,
                count=count,
                **send,
            )


def join_requests_changed(*, group_id: int, requester_id: int | None = None) -> None:
    """Owners and managers: one row per group with the number of people waiting ("3 people
    asked to join Partner program"). A new request brings it to the top as unread; a
    decision, a withdrawal or an accepted invitation recounts it; none left, it is read."""
    group = Group.objects.filter(pk=group_id).first()
    if group is None:
        return
    pending = JoinRequest.objects.filter(group=group, status=JoinRequest.Status.PENDING)
    latest = (
        User.objects.filter(pk=requester_id, join_requests__in=pending).first()
        if requester_id
        else None
    )
    _keep_count(
        [m for m in _managers(group_id) if m.pk != requester_id],
        key=f"join_requests:{group_id}",
        count=pending.count(),
        latest=latest,
        send={"kind": Kind.JOIN_REQUESTS, "verb": "asked to join", "group": group, "target": group},
    )


def _moderators(group: Group | None) -> list[User]:
    if group is not None:
        return _managers(group.pk)
    return list(User.objects.filter(site_admins_q()).distinct().order_by("pk"))


def reports_changed(*, group_id: int | None, reporter_id: int | None = None) -> None:
    """Whoever moderates the queue (a group's owners and managers; site admins for
    company-wide content): one row per queue with the number of open reports. A new report
    brings it to the top as unread; resolving recounts it."""
    group = Group.objects.filter(pk=group_id).first() if group_id else None
    if group_id and group is None:
        return
    open_reports = Report.objects.filter(group=group, status=Report.Status.OPEN)
    latest = User.objects.filter(pk=reporter_id).first() if reporter_id else None
    send: dict[str, Any] = {"kind": Kind.REPORTS, "verb": "reported"}
    if group is not None:
        send.update(group=group, target=group)
    _keep_count(
        [m for m in _moderators(group) if m.pk != reporter_id],
        key=f"reports:{group_id or 'site'}",
        count=open_reports.count(),
        latest=latest,
        send=send,
    )


def report_resolved(*, report_ids: list[int]) -> None:
    """Tell each reporter what became of their report: removed, kept or the author warned.
    The moderator's note is theirs and the author's, not the reporter's."""
    reports = Report.objects.select_related("group", "resolved_by", "reporter").filter(
        pk__in=report_ids, status=Report.Status.RESOLVED
    )
    for report in reports:
        if report.resolved_by is None or report.reporter_id == report.resolved_by_id:
            continue
        _send(
            [report.reporter],
            actor=report.resolved_by,
            kind=Kind.REPORT_OUTCOME,
            verb="handled your report",
            group=report.group,
            resolution=report.resolution,
            what="comment" if report.comment_id else "post",
        )


def _membership_change(
    group_id: int, person_id: int, by_id: int
) -> tuple[Group, User, User] | None:
    """The group, the (still active) person a manager acted on, and the manager; None when
    one is gone or they acted on themselves (nobody is told of their own act)."""
    group = Group.objects.filter(pk=group_id).first()
    person = User.objects.filter(pk=person_id, is_active=True).first()
    by = User.objects.filter(pk=by_id).first()
    if group is None or person is None or by is None or person_id == by_id:
        return None
    return group, person, by


def membership_ended(
    *, group_id: int, person_id: int, by_id: int, banned: bool, reason: str
) -> None:
    """Tell someone, once, that a manager removed or banned them (with the reason)."""
    found = _membership_change(group_id, person_id, by_id)
    if found is None:
        return
    group, person, by = found
    _send(
        [person],
        actor=by,
        kind=Kind.MEMBERSHIP_ENDED,
        verb="banned you from" if banned else "removed you from",
        group=group,
        target=group,
        banned=banned,
        reason=reason,
    )


def sponsor_left(*, guest_id: int, sponsor_id: int, until: str) -> None:
    """A guest's sponsor left the company. The managers of each group the guest is in are
    told (once per group), so that one of them can sponsor the guest before their access
    ends on `until` (an ISO date); where no one else manages any of the guest's groups, the
    site admins are told instead. The guest is told too: they may ask someone to sponsor them."""
    guest = User.objects.filter(pk=guest_id, is_active=True, is_guest=True).first()
    sponsor = User.objects.filter(pk=sponsor_id).first()
    if guest is None or sponsor is None:
        return
    data = {"until": until, "sponsor": sponsor.display_name}

    def tell(recipient: User, key: str, *, actor: User, group: Group | None, **extra: Any) -> None:
        _refresh_or_send(
            recipient,
            key=f"sponsor_left:{guest_id}:{key}",
            changes={"data": {**data, **extra}},
            actor=actor,
            kind=Kind.SPONSOR_LEFT,
            verb="lost their sponsor",
            group=group,
            target=group or guest,
            **data,
            **extra,
        )

    groups = list(Group.objects.filter(memberships__user=guest).distinct().order_by("pk"))
    told_a_manager = False
    for group in groups:
        for manager in _managers(group.pk):
            if manager.pk != sponsor_id:
                tell(manager, str(group.pk), actor=guest, group=group)
                told_a_manager = True
    first_group = groups[0] if groups else None
    if not told_a_manager:
        for admin in User.objects.filter(site_admins_q(), is_active=True).distinct():
            tell(admin, "admins", actor=guest, group=first_group)
    # The guest's own row: the sponsor is who it is about.
    tell(guest, "self", actor=sponsor, group=first_group, yours=True)


def group_unmanaged(*, group_id: int, person_id: int) -> None:
    """The site admins are told that a group has no active owner or manager left (its last
    one left the company), unless someone took it over in the meantime."""
    group = Group.objects.filter(pk=group_id, archived_at__isnull=True).first()
    person = User.objects.filter(pk=person_id).first()
    if group is None or person is None or _managers(group_id):
        return
    for admin in User.objects.filter(site_admins_q(), is_active=True).distinct().order_by("pk"):
        _refresh_or_send(
            admin,
            key=f"group_unmanaged:{group_id}",
            changes={"actor_user": person, "actor_object_id": str(person.pk)},
            actor=person,
            kind=Kind.GROUP_UNMANAGED,
            verb="left a group without an owner or manager",
            group=group,
            target=group,
        )


def ban_lifted(*, group_id: int, person_id: int, by_id: int) -> None:
    """Tell someone a manager lifted their ban: they may ask to join (or be invited) again."""
    found = _membership_change(group_id, person_id, by_id)
    if found is None:
        return
    group, person, by = found
    _send(
        [person],
        actor=by,
        kind=Kind.MEMBERSHIP_ENDED,
        verb="lifted your ban from",
        group=group,
        target=group,
        lifted=True,
    )


def invitation_settled(*, group_id: int, invitee_id: int, withdrawn: bool) -> None:
    """The invitation rows of this group in the invitee's inbox: read once they answered
    (from the row or elsewhere), gone once a manager withdrew it (a ban withdraws it too).
    Right away, in the same transaction as the answer: the badge must not count it."""
    rows = InboxItem.objects.filter(
        recipient_id=invitee_id, group_id=group_id, kind=Kind.INVITATION, deleted=False
    )
    if withdrawn:
        rows.update(deleted=True)
    else:
        rows.filter(unread=True).update(unread=False)
    generations.forget_inboxes([invitee_id])


def mark_read(*, user: User, item_id: int) -> InboxItem | None:
    item = InboxItem.objects.filter(recipient=user, pk=item_id).first()
    if item is not None and item.unread:
        InboxItem.objects.filter(pk=item.pk).update(unread=False)
        item.unread = False
        generations.forget_inboxes([user.pk])
    return item


def mark_all_read(*, user: User) -> int:
    read = InboxItem.objects.filter(recipient=user, unread=True).update(unread=False)
    generations.forget_inboxes([user.pk])
    return read


# --- events: recorded with the act, delivered by a worker ------------------------------------

# How a recorded event reaches a worker right after the commit: the `delay` of
# digests.tasks.deliver_inbox_event, wired by DigestsConfig.ready (a service never imports
# its own tasks). Until then, or when the broker refuses, events wait for the sweep.
hand_to_worker: Callable[[int], object] | None = None

# A worker gives up on an event after this many failed attempts (the sweep too); the row
# keeps its last error for an admin to read.
MAX_ATTEMPTS = 8


def _handlers() -> dict[str, Callable[..., None]]:
    return {
        f.__name__: f
        for f in (
            post_published,
            comment_published,
            post_liked,
            answer_accepted,
            answer_withdrawn,
            person_followed,
            content_removed,
            author_warned,
            invited_to_group,
            join_request_decided,
            role_changed,
            join_requests_changed,
            reports_changed,
            report_resolved,
            membership_ended,
            ban_lifted,
            sponsor_left,
            group_unmanaged,
        )
    }


def record(handler: Callable[..., None], **arguments: Any) -> InboxEvent:
    """Record that `handler(**arguments)` must tell people something, in the caller's
    transaction; after the commit a worker is asked to deliver it. Nothing here waits on the
    broker: a refused hand-over is logged and the sweep delivers the event later."""
    if handler.__name__ not in _handlers():
        raise ValueError(f"{handler.__name__} is not an inbox event")
    event = InboxEvent.objects.create(handler=handler.__name__, arguments=arguments)
    transaction.on_commit(lambda: _hand_over(event.pk))
    return event


def _hand_over(event_id: int) -> None:
    if hand_to_worker is None:
        return
    try:
        hand_to_worker(event_id)
    except Exception:  # the broker is down: the sweep delivers it
        log.warning(
            "inbox event %s not handed to a worker; the sweep will", event_id, exc_info=True
        )


def deliver_event(event_id: int) -> bool:
    """Turn one recorded event into inbox rows. Idempotent: the event row is locked (a
    second worker skips it) and marked delivered in the same transaction as the rows it
    makes, so a retry after a crash starts from nothing. A failure rolls the rows back, is
    kept on the event (attempts, last error) and raised again for the task to retry.
    Returns whether this call delivered it."""
    try:
        with transaction.atomic():
            event = (
                InboxEvent.objects.select_for_update(skip_locked=True)
                .filter(pk=event_id, delivered_at__isnull=True)
                .first()
            )
            if event is None:
                return False
            _handlers()[event.handler](**event.arguments)
            event.delivered_at = timezone.now()
            event.attempts += 1
            event.save(update_fields=["delivered_at", "attempts"])
            return True
    except Exception as exc:
        InboxEvent.objects.filter(pk=event_id).update(
            attempts=F("attempts") + 1, last_error=repr(exc)[:300]
        )
        log.exception("inbox event %s could not be delivered", event_id)
        raise


def deliver_pending(*, older_than: timedelta = timedelta(seconds=30), limit: int = 500) -> int:
    """The sweep: deliver events recorded more than `older_than` ago and still waiting (the
    worker was never told, or every retry failed), oldest first. Returns how many it
    delivered; one failing event does not stop the others."""
    due = timezone.now() - older_than
    ids = list(
        InboxEvent.objects.filter(
            delivered_at__isnull=True, created_at__lt=due, attempts__lt=MAX_ATTEMPTS
        )
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    delivered = 0
    for event_id in ids:
        try:
            delivered += deliver_event(event_id)
        except Exception:  # noqa: S112 -- logged with the event in deliver_event
            continue
    return delivered
