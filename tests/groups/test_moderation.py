"""groups.moderation: pins, locks, removals and reports, in the group a moderator runs."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from access import posts as access_posts
from groups import moderation, services
from groups.models import AuditEntry, Group, Report
from posts import selectors as post_selectors
from posts import services as post_services
from posts.models import Comment, Post
from tests.factories import UserFactory, make_post
from tests.groups.helpers import add_manager, add_member, make_group

pytestmark = pytest.mark.django_db

Action = AuditEntry.Action


@pytest.fixture
def room(owner, member, colleague):
    """A private group: `owner`, manager `member`, plain member `colleague`, and a post of
    the colleague's in it."""
    group = make_group(owner, Group.Kind.PRIVATE, name="Support Desk")
    add_manager(group, owner, member)
    add_member(group, owner, colleague)
    post = make_post(colleague, "a group post", group=group)
    return SimpleNamespace(group=group, manager=member, author=colleague, post=post)


def fresh(obj):
    return type(obj).objects.get(pk=obj.pk)


def seen_by(viewer, post) -> bool:
    """Whether `viewer` sees `post`, asserting the queryset and the per-object check agree."""
    in_queryset = access_posts.visible_posts(viewer).filter(pk=post.pk).exists()
    per_object = access_posts.can_view_post(
        viewer, Post.objects.select_related("group").get(pk=post.pk)
    )
    assert in_queryset == per_object, (viewer, post)
    return in_queryset


# --- pins -----------------------------------------------------------------------------------


def test_a_manager_pins_up_to_three_posts(room):
    posts = [make_post(room.author, f"post {i}", group=room.group) for i in range(3)]
    for post in posts:
        moderation.set_pinned(post=post, user=room.manager, pinned=True)

    with pytest.raises(ValidationError):
        moderation.set_pinned(post=room.post, user=room.manager, pinned=True)

    assert fresh(room.post).pinned_at is None
    pinned = post_selectors.pinned_in_group(room.author, group=room.group)
    assert {p.pk for p in pinned} == {p.pk for p in posts}
    assert AuditEntry.objects.filter(group=room.group, action=Action.PINNED).count() == 3


def test_unpinning_makes_room_for_another_pin(room):
    posts = [make_post(room.author, f"post {i}", group=room.group) for i in range(3)]
    for post in posts:
        moderation.set_pinned(post=post, user=room.manager, pinned=True)

    moderation.set_pinned(post=posts[0], user=room.manager, pinned=False)
    moderation.set_pinned(post=room.post, user=room.manager, pinned=True)

    assert fresh(posts[0]).pinned_at is None
    assert fresh(room.post).pinned_at is not None
    assert AuditEntry.objects.filter(
        group=room.group, action=Action.UNPINNED, post=posts[0], actor=room.manager
    ).exists()


def test_pinning_twice_is_one_pin(room):
    moderation.set_pinned(post=room.post, user=room.manager, pinned=True)
    first = fresh(room.post).pinned_at
    moderation.set_pinned(post=room.post, user=room.manager, pinned=True)

    assert fresh(room.post).pinned_at == first
    assert AuditEntry.objects.filter(action=Action.PINNED).count() == 1


def test_company_wide_posts_cannot_be_pinned(admin, member):
    post = make_post(member, "company-wide")

    with pytest.raises(ValidationError):
        moderation.set_pinned(post=post, user=admin, pinned=True)
    assert fresh(post).pinned_at is None


def test_a_plain_member_cannot_pin(room):
    with pytest.raises(PermissionDenied):
        moderation.set_pinned(post=room.post, user=room.author, pinned=True)
    assert fresh(room.post).pinned_at is None


# --- locked comments ------------------------------------------------------------------------


def test_locked_comments_refuse_new_comments_until_unlocked(room):
    moderation.set_comments_locked(post=room.post, user=room.manager, locked=True)

    with pytest.raises(ValidationError):
        post_services.add_comment(post=fresh(room.post), author=room.author, body="but wait")
    assert not Comment.objects.exists()

    moderation.set_comments_locked(post=room.post, user=room.manager, locked=False)
    post_services.add_comment(post=fresh(room.post), author=room.author, body="thanks")

    assert fresh(room.post).comment_count == 1
    actions = list(
        AuditEntry.objects.filter(group=room.group, post=room.post)
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == [Action.LOCKED, Action.UNLOCKED]


# --- removing posts -------------------------------------------------------------------------


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_removing_a_post_needs_a_reason(room, reason):
    with pytest.raises(ValidationError):
        moderation.remove_post(post=room.post, user=room.manager, reason=reason)
    assert not fresh(room.post).is_removed


def test_a_reason_over_1000_characters_is_refused(room):
    with pytest.raises(ValidationError):
        moderation.remove_post(post=room.post, user=room.manager, reason="x" * 1001)
    assert not fresh(room.post).is_removed


def test_a_removed_post_is_hidden_from_everyone_but_kept_with_its_reason(room, owner, admin):
    viewers = [room.author, room.manager, owner, admin]
    assert all(seen_by(v, room.post) for v in viewers)

    moderation.remove_post(post=room.post, user=room.manager, reason="Customer data in it")

    assert not any(seen_by(v, room.post) for v in viewers)
    assert not any(
        room.post.pk in [p.pk for p in post_selectors.posts_in_group(v, group=room.group).posts]
        for v in viewers
    )
    stored = fresh(room.post)
    assert stored.is_removed
    assert stored.removal_reason == "Customer data in it"
    assert stored.removed_by == room.manager
    entry = AuditEntry.objects.get(action=Action.REMOVED_POST)
    assert (entry.group, entry.actor, entry.post, entry.target_user, entry.reason) == (
        room.group,
        room.manager,
        stored,
        room.author,
        "Customer data in it",
    )


def test_restoring_a_post_brings_it_back(room, admin):
    moderation.remove_post(post=room.post, user=room.manager, reason="spam?")

    moderation.restore_post(post=room.post, user=room.manager)

    assert seen_by(room.author, room.post) and seen_by(admin, room.post)
    assert AuditEntry.objects.filter(
        action=Action.RESTORED_POST, actor=room.manager, post=room.post
    ).exists()


def test_removing_twice_is_one_removal(room):
    moderation.remove_post(post=room.post, user=room.manager, reason="first")
    moderation.remove_post(post=room.post, user=room.manager, reason="second")

    assert fresh(room.post).removal_reason == "first"
    assert AuditEntry.objects.filter(action=Action.REMOVED_POST).count() == 1


def test_a_removed_post_loses_its_pin_and_takes_no_comments_or_likes(room):
    moderation.set_pinned(post=room.post, user=room.manager, pinned=True)
    moderation.remove_post(post=room.post, user=room.manager, reason="off-topic")

    post = fresh(room.post)
    assert post.pinned_at is None
    with pytest.raises(ValidationError):
        post_services.add_comment(post=post, author=room.manager, body="hm")
    with pytest.raises(ValidationError):
        post_services.toggle_like(post=post, user=room.manager)
    with pytest.raises(ValidationError):
        moderation.set_pinned(post=post, user=room.manager, pinned=True)


def test_company_wide_posts_are_moderated_by_admins_only(room, admin, outsider):
    post = make_post(outsider, "company-wide")

    with pytest.raises(PermissionDenied):
        moderation.remove_post(post=post, user=room.manager, reason="I manage a group")
    assert seen_by(room.author, post)

    moderation.remove_post(post=post, user=admin, reason="against policy")

    assert not seen_by(room.author, post)
    entry = AuditEntry.objects.get(action=Action.REMOVED_POST)
    assert entry.group is None and entry.actor == admin


# --- removing comments ----------------------------------------------------------------------


@pytest.fixture
def comment(room):
    post_services.add_comment(post=room.post, author=room.author, body="first!")
    made = post_services.add_comment(post=room.post, author=room.author, body="rude words")
    return Comment.objects.get(pk=made.pk)


def visible_comment_ids(viewer):
    return set(access_posts.visible_comments(viewer).values_list("pk", flat=True))


def test_removing_a_comment_hides_it_and_lowers_the_count(room, comment, owner):
    assert fresh(room.post).comment_count == 2

    moderation.remove_comment(comment=comment, user=room.manager, reason="rude")

    assert fresh(room.post).comment_count == 1
    for viewer in (room.author, room.manager, owner):
        assert comment.pk not in visible_comment_ids(viewer)
        assert comment.pk not in [c.pk for c in post_selectors.thread(viewer, room.post)]
    stored = fresh(comment)
    assert stored.is_removed and stored.removal_reason == "rude"
    entry = AuditEntry.objects.get(action=Action.REMOVED_COMMENT)
    assert (entry.actor, entry.comment, entry.target_user) == (room.manager, stored, room.author)


def test_removing_a_comment_twice_counts_once(room, comment):
    moderation.remove_comment(comment=comment, user=room.manager, reason="rude")
    moderation.remove_comment(comment=comment, user=room.manager, reason="still rude")

    assert fresh(room.post).comment_count == 1
    assert AuditEntry.objects.filter(action=Action.REMOVED_COMMENT).count() == 1


def test_restoring_a_comment_brings_it_and_its_count_back(room, comment):
    moderation.remove_comment(comment=comment, user=room.manager, reason="rude")

    moderation.restore_comment(comment=comment, user=room.manager)
    moderation.restore_comment(comment=comment, user=room.manager)

    assert fresh(room.post).comment_count == 2
    assert comment.pk in visible_comment_ids(room.author)
    assert AuditEntry.objects.filter(action=Action.RESTORED_COMMENT).count() == 1


def test_a_plain_member_cannot_remove_comments(room, comment):
    with pytest.raises(PermissionDenied):
        moderation.remove_comment(comment=comment, user=room.author, reason="mine")
    assert not fresh(comment).is_removed


# --- reports --------------------------------------------------------------------------------


def test_reporting_twice_is_one_open_report(room):
    first = moderation.report(reporter=room.manager, post=room.post, reason="spam")
    second = moderation.report(reporter=room.manager, post=room.post, reason="spam!!")

    assert first.pk == second.pk
    assert Report.objects.filter(status=Report.Status.OPEN).count() == 1
    assert AuditEntry.objects.filter(action=Action.REPORTED).count() == 1


def test_a_report_needs_a_reason(room):
    with pytest.raises(ValidationError):
        moderation.report(reporter=room.manager, post=room.post, reason="  ")
    assert not Report.objects.exists()


def test_group_reports_go_to_the_groups_queue(room, owner, comment):
    on_post = moderation.report(reporter=owner, post=room.post, reason="spam")
    on_comment = moderation.report(reporter=owner, comment=comment, reason="rude")

    assert on_post.group == room.group and on_comment.group == room.group
    queue = moderation.report_queue(room.manager, room.group)
    assert [r.pk for r in queue] == [on_post.pk, on_comment.pk]
    with pytest.raises(PermissionDenied):
        moderation.report_queue(room.author, room.group)


def test_company_wide_reports_go_to_the_admins_site_queue(room, admin, outsider):
    post = make_post(outsider, "company-wide")

    made = moderation.report(reporter=room.author, post=post, reason="offensive")

    assert made.group is None
    assert [r.pk for r in moderation.report_queue(admin, None)] == [made.pk]
    for not_admin in (room.manager, room.author, outsider):
        with pytest.raises(PermissionDenied):
            moderation.report_queue(not_admin, None)
    assert list(moderation.report_queue(room.manager, room.group)) == []


def test_resolving_by_removal_removes_and_answers_every_report_on_it(room, owner, admin):
    other_post = make_post(room.author, "another post", group=room.group)
    first = moderation.report(reporter=owner, post=room.post, reason="spam")
    second = moderation.report(reporter=admin, post=room.post, reason="also spam")
    unrelated = moderation.report(reporter=owner, post=other_post, reason="meh")

    moderation.resolve_report(report=first, user=room.manager, resolution="removed", note="Ad")

    post = fresh(room.post)
    assert post.is_removed and post.removal_reason == "Ad"
    assert not seen_by(room.author, post)
    for answered in (fresh(first), fresh(second)):
        assert answered.status == Report.Status.RESOLVED
        assert answered.resolution == Report.Resolution.REMOVED
        assert answered.resolved_by == room.manager
    assert fresh(unrelated).status == Report.Status.OPEN
    assert [r.pk for r in moderation.report_queue(room.manager, room.group)] == [unrelated.pk]


def test_resolving_twice_is_a_no_op(room, owner):
    made = moderation.report(reporter=owner, post=room.post, reason="spam")
    moderation.resolve_report(report=made, user=room.manager, resolution="kept")
    resolved_at = fresh(made).resolved_at

    again = moderation.resolve_report(report=made, user=room.manager, resolution="removed")

    assert again.resolution == Report.Resolution.KEPT
    assert fresh(made).resolved_at == resolved_at
    assert not fresh(room.post).is_removed
    assert AuditEntry.objects.filter(action=Action.RESOLVED_REPORT).count() == 1


def test_resolving_a_comment_report_by_removal_removes_the_comment(room, owner, comment):
    made = moderation.report(reporter=owner, comment=comment, reason="rude")

    moderation.resolve_report(report=made, user=room.manager, resolution="removed")

    stored = fresh(comment)
    assert stored.is_removed and stored.removal_reason == "rude"
    assert fresh(room.post).comment_count == 1
    assert not fresh(room.post).is_removed


def test_a_resolution_must_be_one_of_the_choices(room, owner):
    made = moderation.report(reporter=owner, post=room.post, reason="spam")

    with pytest.raises(ValidationError):
        moderation.resolve_report(report=made, user=room.manager, resolution="shrug")
    assert fresh(made).status == Report.Status.OPEN


def test_only_admins_resolve_reports_on_company_wide_posts(room, admin, outsider):
    post = make_post(outsider, "company-wide")
    made = moderation.report(reporter=room.author, post=post, reason="offensive")

    with pytest.raises(PermissionDenied):
        moderation.resolve_report(report=made, user=room.manager, resolution="removed")
    moderation.resolve_report(report=made, user=admin, resolution="removed")

    assert fresh(post).is_removed
    assert fresh(made).resolved_by == admin


def test_a_manager_sees_only_their_own_groups_queue(room, owner):
    elsewhere = make_group(UserFactory(), Group.Kind.OPEN)
    services.join_group(user=owner, group=elsewhere)
    post = make_post(owner, "elsewhere", group=elsewhere)
    moderation.report(reporter=owner, post=post, reason="spam")

    with pytest.raises(PermissionDenied):
        moderation.report_queue(room.manager, elsewhere)
    assert list(moderation.report_queue(room.manager, room.group)) == []


def test_the_audit_log_refuses_bulk_changes_and_deletes(owner):
    make_group(owner)

    with pytest.raises(PermissionError):
        AuditEntry.objects.all().update(reason="rewritten")
    with pytest.raises(PermissionError):
        AuditEntry.objects.all().delete()
    assert AuditEntry.objects.filter(reason="rewritten").count() == 0


def test_someone_banned_from_an_open_group_cannot_comment_in_it(owner):
    from django.core.exceptions import ValidationError

    from groups import services
    from posts.services import add_comment
    from tests.factories import UserFactory, make_post

    group = make_group(owner, Group.Kind.OPEN)
    troll = UserFactory()
    services.join_group(user=troll, group=group)
    services.ban_member(group=group, manager=owner, person=troll, reason="spam")
    post = make_post(owner, "open to all", group=group)

    with pytest.raises(ValidationError, match="banned"):
        add_comment(post=post, author=troll, body="still here")
    assert not post.comments.exists()
