"""The inbox holds what is addressed to you, nothing else, and only while you may see it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from digests import preferences, selectors
from digests.models import InboxItem, Level, SourceKind
from groups import moderation
from groups import services as group_services
from groups.models import Group, JoinRequest
from hashtags.models import Hashtag
from hashtags.services import follow_hashtag
from people.services import follow_person
from posts import services as post_services
from tests.factories import UserFactory
from tests.groups.helpers import add_member, make_group, pending_request

pytestmark = pytest.mark.django_db
Kind = InboxItem.Kind


def rows(user) -> list[InboxItem]:
    return list(selectors.inbox_items(user))


def kinds(user) -> list[str]:
    return [row.kind for row in rows(user)]


@pytest.fixture
def owner(db):
    return UserFactory(username="otto.owner", first_name="Otto", last_name="Owner")


def test_a_mention_in_a_post_lands_in_the_inbox_linking_to_the_post(
    member, colleague, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        post = post_services.create_post(author=colleague, body="Ask @mia.member about pricing")

    [row] = rows(member)
    assert (row.kind, row.actor_user, row.post) == (Kind.MENTION, colleague, post)
    client.force_login(member)
    page = client.get(reverse("digests:inbox")).content.decode()
    assert "Carl Colleague</strong> mentioned you in a post" in page
    assert "Ask @mia.member about pricing" in page
    response = client.get(reverse("digests:open", args=[row.pk]))
    assert response.status_code == 302 and response["Location"] == post.get_absolute_url()
    assert not InboxItem.objects.get(pk=row.pk).unread


def test_a_new_post_from_what_i_follow_never_lands_in_the_inbox(
    member, colleague, django_capture_on_commit_callbacks
):
    follow_person(follower=member, followee=colleague)
    InboxItem.objects.all().delete()  # the follow itself told Carl, not Mia
    tag = Hashtag.objects.create(name="standing_desk", slug="standing_desk")
    follow_hashtag(user=member, hashtag=tag)
    group = make_group(colleague, Group.Kind.OPEN)
    group_services.join_group(user=member, group=group)
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(5):
            post_services.create_post(author=colleague, body=f"#standing_desk day {n}")
            post_services.create_post(author=colleague, body=f"group news {n}", group=group)

    assert InboxItem.objects.filter(recipient=member).count() == 0


def test_replies_reach_the_author_and_the_thread_but_not_the_replier(
    member, colleague, outsider, django_capture_on_commit_callbacks
):
    post = post_services.create_post(author=member, body="Standing desks: worth it?")
    with django_capture_on_commit_callbacks(execute=True):
        post_services.add_comment(post=post, author=outsider, body="Yes, after a week")
    with django_capture_on_commit_callbacks(execute=True):
        comment = post_services.add_comment(post=post, author=colleague, body="Mine too")

    assert [(r.kind, r.actor_user) for r in rows(member)] == [
        (Kind.REPLY, colleague),
        (Kind.REPLY, outsider),
    ]
    assert [(r.kind, r.comment) for r in rows(outsider)] == [(Kind.REPLY, comment)]
    assert rows(colleague) == []  # never told about one's own comment


def test_a_mention_in_a_comment_wins_over_the_reply_row(
    member, colleague, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        post = post_services.create_post(author=member, body="Lunch?")
        post_services.add_comment(post=post, author=colleague, body="@mia.member yes!")

    assert kinds(member) == [Kind.MENTION]


def test_likes_are_one_row_updated_not_one_row_each(
    member, client, django_capture_on_commit_callbacks
):
    post = post_services.create_post(author=member, body="Our new office plants")
    likers = [
        UserFactory(username=f"liker{n}", first_name=name, last_name="L")
        for n, name in enumerate(["Ana", "Bo", "Cy", "Di", "Ed"])
    ]
    with django_capture_on_commit_callbacks(execute=True):
        for person in likers:
            post_services.toggle_like(post=post, user=person)
        post_services.toggle_like(post=post, user=member)  # the author's own like: silent

    [row] = rows(member)
    assert (row.kind, row.count, row.actor_user.first_name, row.unread) == (
        Kind.REACTION,
        5,
        "Ed",
        True,
    )
    client.force_login(member)
    assert (
        "Ed L</strong> and 4 others liked your post"
        in client.get(reverse("digests:inbox")).content.decode()
    )


def test_a_like_after_reading_brings_the_row_back_as_unread(
    member, colleague, outsider, django_capture_on_commit_callbacks
):
    post = post_services.create_post(author=member, body="Plants")
    with django_capture_on_commit_callbacks(execute=True):
        post_services.toggle_like(post=post, user=colleague)
    InboxItem.objects.update(unread=False)
    with django_capture_on_commit_callbacks(execute=True):
        post_services.toggle_like(post=post, user=outsider)

    [row] = rows(member)
    assert row.unread and row.count == 2


def test_follower_invitation_decision_and_promotion_each_tell_the_person(
    member, owner, colleague, django_capture_on_commit_callbacks
):
    private = make_group(owner, Group.Kind.PRIVATE, name="Pricing")
    with django_capture_on_commit_callbacks(execute=True):
        follow_person(follower=colleague, followee=member)
        group_services.invite(group=private, inviter=owner, people=[member])
    assert kinds(member) == [Kind.INVITATION, Kind.FOLLOWER]

    other = make_group(owner, Group.Kind.PRIVATE, name="Roadmap")
    request = pending_request(other, colleague)
    with django_capture_on_commit_callbacks(execute=True):
        group_services.decline_request(request=request, manager=owner, reason="Full for now")
    [decision] = rows(colleague)
    assert decision.kind == Kind.JOIN_DECISION
    assert decision.data["approved"] is False and decision.data["reason"] == "Full for now"
    assert JoinRequest.objects.get(pk=request.pk).status == JoinRequest.Status.DECLINED

    add_member(private, owner, colleague)
    with django_capture_on_commit_callbacks(execute=True):
        group_services.set_role(group=private, manager=owner, person=colleague, role="manager")
    assert rows(colleague)[0].kind == Kind.ROLE
    assert rows(colleague)[0].data["role"] == "manager"


def test_moderation_tells_the_author_why_and_the_row_stays_while_content_is_hidden(
    member, owner, client, django_capture_on_commit_callbacks
):
    group = make_group(owner, Group.Kind.PRIVATE)
    add_member(group, owner, member)
    post = post_services.create_post(author=member, body="Buy my old bike", group=group)
    with django_capture_on_commit_callbacks(execute=True):
        moderation.remove_post(post=post, user=owner, reason="No selling here")

    [row] = rows(member)
    assert row.kind == Kind.MODERATION and row.data["reason"] == "No selling here"
    client.force_login(member)
    page = client.get(reverse("digests:inbox")).content.decode()
    assert "removed your post" in page and "No selling here" in page


def test_no_self_notifications(member, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        post = post_services.create_post(author=member, body="Note to self @mia.member")
        post_services.add_comment(post=post, author=member, body="and @mia.member again")
        post_services.toggle_like(post=post, user=member)

    assert InboxItem.objects.count() == 0


def test_muting_a_person_or_a_group_silences_their_events(
    member, colleague, owner, django_capture_on_commit_callbacks
):
    preferences.set_source_level(
        user=member, kind=SourceKind.PERSON, object_id=colleague.pk, level=Level.MUTED
    )
    group = make_group(owner, Group.Kind.OPEN)
    group_services.join_group(user=member, group=group)
    group_services.set_muted(user=member, group=group, muted=True)
    with django_capture_on_commit_callbacks(execute=True):
        post_services.create_post(author=colleague, body="@mia.member look")
        follow_person(follower=colleague, followee=member)
        post_services.create_post(author=owner, body="@mia.member in the group", group=group)
        post_services.create_post(author=owner, body="@mia.member company-wide")

    assert [r.post.body for r in rows(member)] == ["@mia.member company-wide"]


def test_rows_about_content_i_can_no_longer_see_disappear(
    member, owner, colleague, client, django_capture_on_commit_callbacks
):
    group = make_group(owner, Group.Kind.PRIVATE, name="Secretive")
    add_member(group, owner, member)
    with django_capture_on_commit_callbacks(execute=True):
        in_group = post_services.create_post(
            author=owner, body="PRIVATE-MARKER @mia.member", group=group
        )
        doomed = post_services.create_post(author=colleague, body="DELETED-MARKER @mia.member")
        removed = post_services.create_post(author=colleague, body="REMOVED-MARKER @mia.member")
    assert len(rows(member)) == 3

    group_services.leave_group(user=member, group=group)
    post_services.delete_post(post=doomed, user=colleague)
    moderation.remove_post(
        post=removed, user=UserFactory(is_staff=True, is_superuser=True), reason="spam"
    )

    assert rows(member) == []
    assert selectors.unread_count(member) == 0
    client.force_login(member)
    page = client.get(reverse("digests:inbox")).content.decode()
    for marker in ("PRIVATE-MARKER", "DELETED-MARKER", "REMOVED-MARKER"):
        assert marker not in page
    row = InboxItem.objects.get(post=in_group)
    assert client.get(reverse("digests:open", args=[row.pk])).status_code == 404


def test_a_guest_is_told_only_about_what_they_may_see(
    member, owner, django_capture_on_commit_callbacks
):
    guest = UserFactory(username="gina.guest", is_guest=True, sponsor=owner)
    group = make_group(owner, Group.Kind.PRIVATE, allow_guests=True)
    add_member(group, owner, guest)
    with django_capture_on_commit_callbacks(execute=True):
        post_services.create_post(author=owner, body="@gina.guest company-wide, not for guests")
        post_services.create_post(author=owner, body="@gina.guest welcome", group=group)

    assert [r.post.body for r in rows(guest)] == ["@gina.guest welcome"]


def test_unread_badge_counts_and_mark_all_read_clears_it(
    member, colleague, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(3):
            post_services.create_post(author=colleague, body=f"@mia.member question {n}")
    client.force_login(member)

    page = client.get(reverse("home")).content.decode()
    assert 'id="inbox-unread">3<' in page

    response = client.post(reverse("digests:read_all"))
    assert response.status_code == 302
    assert selectors.unread_count(member) == 0
    assert 'id="inbox-unread"' not in client.get(reverse("home")).content.decode()


def test_opening_someone_elses_row_is_a_404(member, colleague, client, outsider):
    with_row = post_services.create_post(author=colleague, body="hi")
    row = InboxItem.objects.create(
        recipient=outsider,
        actor_user=colleague,
        actor_object_id=str(colleague.pk),
        actor_content_type_id=_user_type().pk,
        verb="mentioned you",
        kind=Kind.MENTION,
        post=with_row,
    )
    client.force_login(member)
    assert client.get(reverse("digests:open", args=[row.pk])).status_code == 404


def _user_type():
    from django.contrib.contenttypes.models import ContentType

    from people.models import User

    return ContentType.objects.get_for_model(User)


def test_inbox_page_queries_do_not_grow_with_rows(
    member, client, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    authors = [UserFactory() for _ in range(3)]

    def mention_me(n):
        with django_capture_on_commit_callbacks(execute=True):
            for i in range(n):
                post_services.create_post(author=authors[i % 3], body=f"@mia.member {i}")

    client.force_login(member)
    mention_me(5)
    # session + user, the rows with actor/post/comment/group joined (visibility as subqueries),
    # the unread badge, and the savepoint pair the test client opens for the view.
    with django_assert_max_num_queries(5):
        assert client.get(reverse("digests:inbox")).status_code == 200
    mention_me(20)
    with django_assert_max_num_queries(5):
        page = client.get(reverse("digests:inbox")).content.decode()
    assert page.count('class="inbox-row') == 25


def test_load_more_pages_by_keyset(member, colleague, client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(35):
            post_services.create_post(author=colleague, body=f"@mia.member number {n}")
    client.force_login(member)
    first = client.get(reverse("digests:inbox")).content.decode()
    assert first.count('class="inbox-row') == 30
    page = selectors.inbox_page(member)
    more = client.get(
        reverse("digests:inbox"), {"cursor": page.next_cursor}, headers={"HX-Request": "true"}
    ).content.decode()
    assert more.count('class="inbox-row') == 5 and "<html" not in more
    assert client.get(reverse("digests:inbox"), {"cursor": "garbage"}).status_code == 400


def test_mark_one_row_read_without_opening_it(
    member, colleague, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        post_services.create_post(author=colleague, body="@mia.member first")
        post_services.create_post(author=colleague, body="@mia.member second")
    first, second = rows(member)[::-1]
    client.force_login(member)

    swapped = client.post(
        reverse("digests:mark_read", args=[first.pk]), headers={"HX-Request": "true"}
    ).content.decode()

    assert f'id="inbox-{first.pk}"' in swapped and "is-unread" not in swapped
    assert 'hx-swap-oob="true"' in swapped and 'id="inbox-unread">1<' in swapped
    assert selectors.unread_count(member) == 1
    plain = client.post(reverse("digests:mark_read", args=[second.pk]))
    assert plain.status_code == 302 and selectors.unread_count(member) == 0


def test_blocking_a_person_silences_them_and_ends_the_follows(
    member, colleague, client, django_capture_on_commit_callbacks
):
    from people.models import Follow

    follow_person(follower=member, followee=colleague)
    follow_person(follower=colleague, followee=member)
    mine = post_services.create_post(author=member, body="my post")
    InboxItem.objects.all().delete()
    client.force_login(member)
    response = client.post(reverse("people:block", args=[colleague.username]), follow=True)
    assert "You blocked Carl Colleague" in response.content.decode()
    assert not Follow.objects.filter(follower__in=[member, colleague]).exists()

    from django.core.exceptions import ValidationError

    with django_capture_on_commit_callbacks(execute=True):
        post_services.create_post(author=colleague, body="@mia.member hey")
        post_services.toggle_like(post=mine, user=colleague)
    # Replying into the blocker's thread is refused outright.
    with pytest.raises(ValidationError, match="cannot comment"):
        post_services.add_comment(post=mine, author=colleague, body="hello")
    assert rows(member) == []

    with pytest.raises(ValidationError, match="blocked"):
        follow_person(follower=colleague, followee=member)

    page = client.get(colleague.get_absolute_url()).content.decode()
    assert "You blocked Carl Colleague." in page
    client.post(reverse("people:block", args=[colleague.username]), {"action": "unblock"})
    with django_capture_on_commit_callbacks(execute=True):
        post_services.create_post(author=colleague, body="@mia.member again")
    assert kinds(member) == [Kind.MENTION]


# --- accepted answers ----------------------------------------------------------------------


def _question_with_answer(asker, answerer, group=None):
    question = post_services.create_post(
        author=asker, body="Where is the VPN guide?", group=group, is_question=True
    )
    answer = post_services.add_comment(post=question, author=answerer, body="ANSWER-TEXT wiki")
    InboxItem.objects.all().delete()  # the reply row to the asker is not what this is about
    return question, answer


def test_an_accepted_answer_tells_its_author(
    member, colleague, client, django_capture_on_commit_callbacks
):
    question, answer = _question_with_answer(member, colleague)
    with django_capture_on_commit_callbacks(execute=True):
        post_services.accept_answer(post=question, comment=answer, by=member)

    [row] = rows(colleague)
    assert (row.kind, row.actor_user, row.post, row.comment) == (
        Kind.ANSWER,
        member,
        question,
        answer,
    )
    assert rows(member) == []
    client.force_login(colleague)
    page = client.get(reverse("digests:inbox")).content.decode()
    assert "Mia Member</strong> accepted your answer" in page
    assert "ANSWER-TEXT wiki" in page
    response = client.get(reverse("digests:open", args=[row.pk]))
    assert response["Location"] == f"{question.get_absolute_url()}#comment-{answer.pk}"


def test_accepting_ones_own_comment_tells_nobody(member, django_capture_on_commit_callbacks):
    question, mine = _question_with_answer(member, member)
    with django_capture_on_commit_callbacks(execute=True):
        post_services.accept_answer(post=question, comment=mine, by=member)
    assert InboxItem.objects.count() == 0


def test_a_manager_accepting_is_named_as_who_accepted(
    member, colleague, owner, django_capture_on_commit_callbacks
):
    group = make_group(owner, Group.Kind.OPEN)
    for person in (member, colleague):
        group_services.join_group(user=person, group=group)
    question, answer = _question_with_answer(member, colleague, group)
    with django_capture_on_commit_callbacks(execute=True):
        post_services.accept_answer(post=question, comment=answer, by=owner)
    [row] = rows(colleague)
    assert row.actor_user == owner


def test_an_accepted_answer_respects_blocks_and_mutes(
    member, colleague, outsider, owner, django_capture_on_commit_callbacks
):
    from people.services import block_person

    question, answer = _question_with_answer(member, colleague)
    block_person(blocker=colleague, blocked=member)
    with django_capture_on_commit_callbacks(execute=True):
        post_services.accept_answer(post=question, comment=answer, by=member)
    assert rows(colleague) == []

    group = make_group(owner, Group.Kind.OPEN)
    for person in (member, outsider):
        group_services.join_group(user=person, group=group)
    group_services.set_muted(user=outsider, group=group, muted=True)
    in_group, reply = _question_with_answer(member, outsider, group)
    with django_capture_on_commit_callbacks(execute=True):
        post_services.accept_answer(post=in_group, comment=reply, by=member)
    assert rows(outsider) == []


def test_the_row_goes_when_the_answer_is_taken_back_replaced_or_removed(
    member, colleague, outsider, django_capture_on_commit_callbacks
):
    question, answer = _question_with_answer(member, colleague)
    with django_capture_on_commit_callbacks(execute=True):
        post_services.accept_answer(post=question, comment=answer, by=member)
    with django_capture_on_commit_callbacks(execute=True):
        post_services.unaccept_answer(post=question, by=member)
    assert rows(colleague) == []

    # Accepted again: the same row comes back, unread, not a second one.
    InboxItem.objects.update(unread=False)
    with django_capture_on_commit_callbacks(execute=True):
        post_services.accept_answer(post=question, comment=answer, by=member)
    [row] = rows(colleague)
    assert row.unread and InboxItem.objects.filter(recipient=colleague).count() == 1

    better = post_services.add_comment(post=question, author=outsider, body="Better")
    with django_capture_on_commit_callbacks(execute=True):
        post_services.accept_answer(post=question, comment=better, by=member)
    assert rows(colleague) == []
    assert [r.kind for r in rows(outsider)] == [Kind.ANSWER]

    admin = UserFactory(username="site.admin", is_staff=True, is_superuser=True)
    with django_capture_on_commit_callbacks(execute=True):
        moderation.remove_comment(comment=better, user=admin, reason="wrong")
    with django_capture_on_commit_callbacks(execute=True):
        moderation.restore_comment(comment=better, user=admin)
    # Restored, but no longer the answer: "accepted your answer" would be untrue.
    assert [r.kind for r in rows(outsider)] == [Kind.MODERATION]


def test_no_row_about_a_question_the_answerer_can_no_longer_see(
    member, colleague, owner, django_capture_on_commit_callbacks
):
    group = make_group(owner, Group.Kind.PRIVATE)
    add_member(group, owner, member)
    add_member(group, owner, colleague)
    question, answer = _question_with_answer(member, colleague, group)
    with django_capture_on_commit_callbacks(execute=True):
        post_services.accept_answer(post=question, comment=answer, by=member)
    assert len(rows(colleague)) == 1
    group_services.leave_group(user=colleague, group=group)
    assert rows(colleague) == []


def test_new_followers_are_one_row_per_day(member, client, django_capture_on_commit_callbacks):
    from datetime import timedelta

    from django.utils import timezone

    from people.models import Follow

    vera = UserFactory(username="vera.v", first_name="Vera", last_name="V")
    others = [UserFactory(username=f"f{n}", first_name=f"F{n}", last_name="X") for n in range(11)]
    yesterday = UserFactory(username="old.friend", first_name="Old", last_name="Friend")
    with django_capture_on_commit_callbacks(execute=True):
        follow_person(follower=yesterday, followee=member)
    Follow.objects.filter(follower=yesterday).update(created_at=timezone.now() - timedelta(days=1))
    InboxItem.objects.filter(recipient=member).update(
        key=f"followers:{timezone.localdate() - timedelta(days=1)}"
    )
    for person in [*others, vera]:
        with django_capture_on_commit_callbacks(execute=True):
            follow_person(follower=person, followee=member)

    today, before = rows(member)
    assert today.kind == before.kind == Kind.FOLLOWER
    assert today.count == 12 and today.actor_user == vera and today.unread
    client.force_login(member)
    html = client.get(reverse("digests:inbox")).content.decode()
    assert "<strong>Vera V</strong> and 11 others started following you" in html
    # The row leads to the list of followers, not to Vera alone.
    opened = client.get(reverse("digests:open", args=[today.pk]))
    assert opened["Location"] == reverse("people:followers", args=[member.username])


def test_an_invitation_row_offers_join_and_no_thanks_in_place(
    member, owner, client, django_capture_on_commit_callbacks
):
    private = make_group(owner, Group.Kind.PRIVATE, name="Pricing")
    roadmap = make_group(owner, Group.Kind.PRIVATE, name="Roadmap")
    withdrawn = make_group(owner, Group.Kind.PRIVATE, name="Withdrawn one")
    with django_capture_on_commit_callbacks(execute=True):
        for group in (private, roadmap, withdrawn):
            group_services.invite(group=group, inviter=owner, people=[member])
    invitation = withdrawn.invitations.get(invitee=member)
    group_services.revoke_invitation(invitation=invitation, manager=owner)

    client.force_login(member)
    html = client.get(reverse("digests:inbox")).content.decode()
    assert "Withdrawn one" not in html  # a withdrawn invitation leaves the inbox
    assert html.count(">Join<span") == 2 and html.count(">No, thanks<span") == 2
    assert "<title>(2) Inbox" in html  # the unread count in the page title

    mine = private.invitations.get(invitee=member)
    response = client.post(reverse("groups:accept", args=[mine.pk]))
    assert response.status_code == 302 and private.memberships.filter(user=member).exists()
    theirs = roadmap.invitations.get(invitee=member)
    client.post(reverse("groups:decline", args=[theirs.pk]), {"next": reverse("digests:inbox")})
    html = client.get(reverse("digests:inbox")).content.decode()
    assert ">Join<span" not in html and html.count("Answered or withdrawn.") == 2
    assert "<title>Inbox" in html  # both rows read: answering is reading


def test_a_guest_is_never_told_which_employees_outside_their_groups_follow_them(
    owner, client, django_capture_on_commit_callbacks
):
    guest = UserFactory(username="gus.guest", is_guest=True, sponsor=owner)
    room = make_group(owner, Group.Kind.PRIVATE, name="Partner room", allow_guests=True)
    add_member(room, owner, guest)
    stranger = UserFactory(username="zed.s", first_name="Zed", last_name="Stranger")
    with django_capture_on_commit_callbacks(execute=True):
        follow_person(follower=stranger, followee=guest)
    with django_capture_on_commit_callbacks(execute=True):
        follow_person(follower=owner, followee=guest)
    client.force_login(guest)
    html = client.get(reverse("digests:inbox")).content.decode()
    assert "Zed" not in html and "and 1 other" not in html
    assert f"<strong>{owner.display_name}</strong> started following you" in html
    [row] = rows(guest)
    opened = client.get(reverse("digests:open", args=[row.pk]))
    assert opened["Location"] == owner.get_absolute_url()  # a guest has no followers page
