"""What blocking and muting a person do (README "Blocking and muting").

Blocking works both ways for what people see of each other: neither sees the other's posts
in the home feed, the All stream, hashtag pages or the digest, neither may comment on the
other's posts, neither is suggested to or listed for the other. The blocked person's
mentions, replies and likes never reach the blocker. Muting is one-sided and silent."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from digests.building import build_digests
from digests.models import InboxItem, Level, SiteSettings, SourceChoice, SourceKind
from discovery.suggestions import suggested_people
from groups import services as group_services
from groups.models import Group
from hashtags.models import Hashtag
from hashtags.services import follow_hashtag
from people.services import block_person, follow_person
from posts import services as post_services
from posts.models import Comment
from posts.selectors import all_stream, home_feed, posts_tagged
from tests.factories import UserFactory, make_post
from tests.groups.helpers import make_group

pytestmark = pytest.mark.django_db


def bodies(page) -> list[str]:
    return [p.body for p in page.posts]


@pytest.fixture
def blocked_pair(member, colleague):
    """Mia blocked Carl. Both post on #topic, both follow the tag, both are in one group."""
    group = make_group(colleague, Group.Kind.OPEN, name="Commons")
    group_services.join_group(user=member, group=group)
    make_post(member, "mia says #topic")
    make_post(colleague, "carl says #topic")
    make_post(colleague, "carl in the group", group=group)
    for person in (member, colleague):
        follow_hashtag(user=person, hashtag=Hashtag.objects.get(slug="topic"))
    block_person(blocker=member, blocked=colleague)
    return group


@pytest.mark.parametrize("side", ["blocker", "blocked"])
def test_neither_side_sees_the_other_in_home_all_or_hashtag_pages(
    blocked_pair, member, colleague, side
):
    viewer, other = (member, colleague) if side == "blocker" else (colleague, member)
    topic = Hashtag.objects.get(slug="topic")

    for page in (home_feed(viewer), all_stream(viewer), posts_tagged(viewer, hashtag=topic)):
        assert {p.author_id for p in page.posts} == {viewer.pk}


def test_group_pages_still_show_everyone(blocked_pair, member_client):
    # A group is a shared space: its page shows the conversation as it is.
    assert "carl in the group" in member_client.get(blocked_pair.get_absolute_url()).text


def test_others_are_unaffected(blocked_pair, outsider):
    assert len(all_stream(outsider).posts) == 3


def test_unblocking_brings_the_posts_back(blocked_pair, member, colleague, member_client):
    member_client.post(reverse("people:block", args=[colleague.username]), {"action": "unblock"})
    assert "carl says #topic" in bodies(all_stream(member))
    assert "carl says #topic" in bodies(home_feed(member))  # through the followed tag


def test_the_blocked_person_cannot_reply_in_the_blockers_threads(member, colleague, client):
    mine = make_post(member, "my thread")
    block_person(blocker=member, blocked=colleague)
    client.force_login(colleague)

    page = client.get(mine.get_absolute_url()).text
    refused = client.post(reverse("posts:comment", args=[mine.pk]), {"body": "let me in"})

    assert "You cannot comment on Mia Member&#x27;s posts." in page
    assert 'class="comment-form"' not in page
    assert refused.status_code == 422
    assert "You cannot comment on Mia Member&#x27;s posts." in refused.text
    assert "let me in" in refused.text  # what was typed is shown, not lost
    assert not Comment.objects.exists()


def test_the_blocker_cannot_reply_to_the_person_they_blocked(member, colleague, member_client):
    theirs = make_post(colleague, "their thread")
    block_person(blocker=member, blocked=colleague)

    page = member_client.get(theirs.get_absolute_url()).text

    assert "You blocked Carl Colleague: unblock them to comment on their posts." in page
    assert 'class="comment-form"' not in page
    with pytest.raises(ValidationError, match="unblock them"):
        post_services.add_comment(post=theirs, author=member, body="hi")


def test_a_blocked_persons_mention_neither_notifies_nor_is_hidden_from_others(
    member, colleague, outsider, django_capture_on_commit_callbacks
):
    block_person(blocker=member, blocked=colleague)
    with django_capture_on_commit_callbacks(execute=True):
        post = post_services.create_post(
            author=colleague, body="hey @mia.member and @olga.outsider"
        )

    assert not InboxItem.objects.filter(recipient=member).exists()
    assert InboxItem.objects.filter(recipient=outsider).exists()
    # The mention stays a link: the text is the same for every reader (README).
    assert f'href="{member.get_absolute_url()}"' in post.body_html


def test_a_blocked_persons_comment_in_a_third_thread_does_not_reach_the_blocker(
    member, colleague, outsider, django_capture_on_commit_callbacks
):
    thread = make_post(outsider, "open question")
    post_services.add_comment(post=thread, author=member, body="my take")
    block_person(blocker=member, blocked=colleague)
    with django_capture_on_commit_callbacks(execute=True):
        post_services.add_comment(post=thread, author=colleague, body="my other take")
    assert not InboxItem.objects.filter(recipient=member).exists()


@pytest.mark.parametrize("side", ["blocker", "blocked"])
def test_the_digest_holds_nothing_of_the_other_side(
    blocked_pair, member, colleague, outsider, side
):
    viewer, other = (member, colleague) if side == "blocker" else (colleague, member)
    make_post(outsider, "olga says #topic")
    make_post(other, "the other side again #topic")
    site = SiteSettings.current()
    since = {viewer.pk: timezone.now() - timedelta(days=1)}

    digest = build_digests([viewer], since=since, until=timezone.now(), site=site)[viewer.pk]

    authors = {item.post.author_id for section in digest.sections for item in section.items}
    assert authors == {outsider.pk}


def test_blocked_people_are_never_suggested_either_way(member, colleague):
    make_post(colleague, "active")
    assert colleague.pk in {s.item.pk for s in suggested_people(member, limit=20)}
    block_person(blocker=colleague, blocked=member)
    assert colleague.pk not in {s.item.pk for s in suggested_people(member, limit=20)}
    assert member.pk not in {s.item.pk for s in suggested_people(colleague, limit=20)}


# --- muting a person from their profile ------------------------------------------------------


def test_mute_and_unmute_from_the_profile(member_client, member, colleague):
    follow_person(follower=member, followee=colleague)
    group = make_group(colleague, Group.Kind.OPEN)
    group_services.join_group(user=member, group=group)
    make_post(colleague, "carl everywhere")
    make_post(colleague, "carl in our group", group=group)

    response = member_client.post(reverse("people:mute", args=[colleague.username]), follow=True)

    assert "You muted Carl Colleague." in response.text
    assert "Unmute Carl Colleague" in response.text
    choice = SourceChoice.objects.get(user=member, kind=SourceKind.PERSON)
    assert (choice.object_id, choice.level) == (colleague.pk, Level.MUTED)
    # Out of my home feed whatever way the posts come in; still followed.
    assert bodies(home_feed(member)) == []
    assert member.following_links.filter(followee=colleague).exists()
    assert colleague.pk not in {s.item.pk for s in suggested_people(member, limit=20)}

    member_client.post(reverse("people:mute", args=[colleague.username]), {"action": "unmute"})
    assert len(home_feed(member).posts) == 2
    assert not SourceChoice.objects.exists()


def test_muted_people_are_not_suggested(member, colleague):
    make_post(colleague, "active")
    member_client_level = {"user": member, "kind": SourceKind.PERSON, "object_id": colleague.pk}
    from digests.preferences import set_source_level

    set_source_level(**member_client_level, level=Level.MUTED)
    assert colleague.pk not in {s.item.pk for s in suggested_people(member, limit=20)}


def test_i_cannot_mute_myself(member_client, member):
    response = member_client.post(reverse("people:mute", args=[member.username]), follow=True)
    assert "You cannot mute yourself." in response.text
    assert not SourceChoice.objects.exists()


def test_a_guest_cannot_mute_someone_they_cannot_see(client, colleague):
    guest = UserFactory(username="gus.guest", is_guest=True, sponsor=colleague)
    client.force_login(guest)
    assert client.post(reverse("people:mute", args=[colleague.username])).status_code == 404


def test_both_home_feed_strategies_keep_out_blocked_muted_and_muted_tags(
    member, colleague, outsider, monkeypatch
):
    """The per-source query and the single time-ordered query apply the same exclusions."""
    from posts import selectors as feed_selectors

    group = make_group(outsider, Group.Kind.OPEN)
    group_services.join_group(user=member, group=group)
    muted = UserFactory(username="moe.muted")
    group_services.join_group(user=muted, group=group)
    group_services.join_group(user=colleague, group=group)
    follow_person(follower=member, followee=outsider)
    make_post(outsider, "kept")
    make_post(outsider, "muted tag #gossip")
    make_post(colleague, "blocked, in the group", group=group)
    make_post(muted, "muted, in the group", group=group)
    make_post(outsider, "kept in the group", group=group)
    block_person(blocker=colleague, blocked=member)
    from digests.preferences import set_source_level

    set_source_level(user=member, kind=SourceKind.PERSON, object_id=muted.pk, level=Level.MUTED)
    set_source_level(
        user=member,
        kind=SourceKind.HASHTAG,
        object_id=Hashtag.objects.get(slug="gossip").pk,
        level=Level.MUTED,
    )

    per_source = bodies(home_feed(member))
    monkeypatch.setattr(feed_selectors, "PER_SOURCE_MAX", 1)
    single_query = bodies(home_feed(member))

    assert per_source == single_query == ["kept in the group", "kept"]


def test_a_muted_hashtag_stays_out_of_the_digest(member, colleague):
    follow_person(follower=member, followee=colleague)
    make_post(colleague, "news #gossip")
    make_post(colleague, "news without it")
    from digests.preferences import set_source_level

    set_source_level(
        user=member,
        kind=SourceKind.HASHTAG,
        object_id=Hashtag.objects.get(slug="gossip").pk,
        level=Level.MUTED,
    )
    site = SiteSettings.current()
    site.include_people = True
    site.save()
    since = {member.pk: timezone.now() - timedelta(days=1)}

    digest = build_digests([member], since=since, until=timezone.now(), site=site)[member.pk]

    posts = [item.post.body for section in digest.sections for item in section.items]
    assert posts == ["news without it"]


@pytest.mark.parametrize("side", ["blocker", "blocked"])
def test_neither_side_finds_the_other_in_search_or_questions(member, colleague, outsider, side):
    from posts.search import match_posts
    from posts.selectors import questions

    mine = post_services.create_post(author=member, body="mia asks about budgets", is_question=True)
    theirs = post_services.create_post(
        author=colleague, body="carl asks about budgets", is_question=True
    )
    # Each also commented on the other's post before the block.
    post_services.add_comment(post=theirs, author=member, body="mia on budgets here")
    post_services.add_comment(post=mine, author=colleague, body="carl on budgets here")
    block_person(blocker=member, blocked=colleague)
    viewer, other = (member, colleague) if side == "blocker" else (colleague, member)

    found = match_posts(viewer, ["budgets"])
    own = {mine.pk: member, theirs.pk: colleague}
    assert {own[m.post_id] for m in found.matches} == {viewer}
    assert all(m.comment_id is None for m in found.matches)  # the other's comment is gone too
    assert {p.author_id for p in questions(viewer).posts} == {viewer.pk}
    # Someone else still finds both.
    assert len(match_posts(outsider, ["budgets"]).matches) == 2
    assert len(questions(outsider).posts) == 2


def test_the_blocked_person_cannot_rewrite_an_old_reply_in_the_blockers_thread(
    member, colleague, client
):
    post = make_post(member, "mia's thread")
    reply = post_services.add_comment(post=post, author=colleague, body="carl's old reply")
    block_person(blocker=member, blocked=colleague)

    with pytest.raises(ValidationError, match="cannot comment"):
        post_services.edit_comment(comment=reply, editor=colleague, body="rewritten @mia.member")
    client.force_login(colleague)
    response = client.post(
        reverse("posts:edit_comment", args=[reply.pk]), {"body": "rewritten again"}
    )
    assert response.status_code in (200, 422)
    assert "cannot comment" in response.content.decode()
    assert "rewritten again" in response.content.decode()  # what was typed is kept
    reply.refresh_from_db()
    assert reply.body == "carl's old reply"


def test_hashtag_counts_and_trending_leave_out_people_blocked_either_way(member, colleague):
    """A count says what the viewer would find on the tag's page, where blocked people's
    posts are not shown."""
    from hashtags.selectors import active_hashtags, trending_hashtags

    make_post(colleague, "Launch day #launch_day")
    make_post(member, "Ready for #launch_day")
    block_person(blocker=member, blocked=colleague)

    def counts(viewer) -> tuple[int, int]:
        [active] = [t for t in active_hashtags(viewer) if t.slug == "launch_day"]
        [trend] = [t for t in trending_hashtags(viewer) if t.slug == "launch_day"]
        return active.recent, trend.authors

    assert counts(member) == (1, 1)
    assert counts(colleague) == (1, 1)
    assert counts(UserFactory()) == (2, 2)
