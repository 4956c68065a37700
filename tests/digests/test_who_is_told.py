"""The people who must be told are told (issue 11): managers of join requests and reports,
reporters of the outcome, members of their removal or ban. Events are recorded with the act
and delivered right after the commit (tests/conftest.py delivers them in process)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from digests.models import InboxItem, SiteSettings
from digests.selectors import inbox_items
from groups import moderation
from groups import services as group_services
from groups.models import Group, JoinRequest
from tests.factories import UserFactory, make_post
from tests.groups.helpers import add_manager, add_member, make_group, pending_request

pytestmark = pytest.mark.django_db

Kind = InboxItem.Kind


def rows(person, kind: str) -> list[InboxItem]:
    return list(inbox_items(person).filter(kind=kind))


@pytest.fixture
def owner(db):
    return UserFactory(username="otto.owner", first_name="Otto", last_name="Owner")


def test_managers_get_one_row_per_group_that_counts_the_waiting_requests(
    owner, member, django_capture_on_commit_callbacks
):
    group = make_group(owner, Group.Kind.PRIVATE, name="Partner program")
    manager = UserFactory(username="mo.manager")
    add_manager(group, owner, manager)
    add_member(group, owner, member)
    dina, ana = UserFactory(username="dina"), UserFactory(username="ana")

    with django_capture_on_commit_callbacks(execute=True):
        first = pending_request(group, dina)
    with django_capture_on_commit_callbacks(execute=True):
        pending_request(group, ana)

    for person in (owner, manager):
        [row] = rows(person, Kind.JOIN_REQUESTS)
        assert row.count == 2 and row.unread and row.group == group
        assert row.actor_user.username == "ana"  # the latest asker
    assert rows(member, Kind.JOIN_REQUESTS) == []  # members are not told
    assert rows(dina, Kind.JOIN_REQUESTS) == rows(ana, Kind.JOIN_REQUESTS) == []

    # Reading it, then a decision: recounted, not brought back as unread.
    InboxItem.objects.filter(recipient=owner).update(unread=False)
    with django_capture_on_commit_callbacks(execute=True):
        group_services.approve_request(request=first, manager=manager)
    [row] = rows(owner, Kind.JOIN_REQUESTS)
    assert row.count == 1 and not row.unread
    # The last one declined: nothing waits.
    with django_capture_on_commit_callbacks(execute=True):
        group_services.decline_request(
            request=JoinRequest.objects.get(user=ana), manager=owner, reason="Partners only"
        )
    [row] = rows(manager, Kind.JOIN_REQUESTS)
    assert row.count == 0 and not row.unread


def test_the_group_page_shows_its_managers_what_waits(owner, client):
    group = make_group(owner, Group.Kind.PRIVATE, name="Partner program")
    pending_request(group, UserFactory())
    pending_request(group, UserFactory())
    client.force_login(owner)
    html = client.get(group.get_absolute_url()).content.decode()
    assert '2<span class="visually-hidden"> requests waiting' in html


def test_a_manager_who_steps_down_no_longer_sees_the_requests_row(
    owner, django_capture_on_commit_callbacks
):
    group = make_group(owner, Group.Kind.PRIVATE, name="Partner program")
    manager = UserFactory()
    add_manager(group, owner, manager)
    with django_capture_on_commit_callbacks(execute=True):
        pending_request(group, UserFactory())
    assert len(rows(manager, Kind.JOIN_REQUESTS)) == 1
    group_services.set_role(group=group, manager=owner, person=manager, role="member")
    assert rows(manager, Kind.JOIN_REQUESTS) == []


def test_reports_reach_the_groups_managers_and_the_outcome_reaches_the_reporter(
    owner, member, colleague, django_capture_on_commit_callbacks
):
    group = make_group(owner, Group.Kind.OPEN, name="Desks")
    add_member(group, owner, member)
    post = make_post(member, "Buy my desk, cheap", group=group)
    with django_capture_on_commit_callbacks(execute=True):
        report = moderation.report(reporter=colleague, post=post, reason="Selling here")
    [row] = rows(owner, Kind.REPORTS)
    assert row.count == 1 and row.unread and row.group == group
    assert rows(member, Kind.REPORTS) == []

    with django_capture_on_commit_callbacks(execute=True):
        moderation.resolve_report(
            report=report, user=owner, resolution="removed", note="PRIVATE-NOTE for the log"
        )
    [outcome] = rows(colleague, Kind.REPORT_OUTCOME)
    assert outcome.data["resolution"] == "removed" and outcome.data["what"] == "post"
    [row] = rows(owner, Kind.REPORTS)
    assert row.count == 0 and not row.unread

    # The reporter's inbox says what happened, not the moderator's note.
    from django.test import Client

    browser = Client()
    browser.force_login(colleague)
    html = browser.get(reverse("digests:inbox")).content.decode()
    assert "A moderator removed the post you reported" in html
    assert "PRIVATE-NOTE" not in html


def test_reports_of_company_wide_posts_reach_site_admins_only(
    member, colleague, django_capture_on_commit_callbacks
):
    superuser = UserFactory(is_staff=True, is_superuser=True)
    granted = UserFactory(is_staff=True)
    granted.user_permissions.add(Permission.objects.get(codename="administer_site"))
    staff_only = UserFactory(is_staff=True)
    post = make_post(member, "Company-wide post")
    with django_capture_on_commit_callbacks(execute=True):
        moderation.report(reporter=colleague, post=post, reason="Off topic")

    assert [r.count for r in rows(superuser, Kind.REPORTS)] == [1]
    assert [r.count for r in rows(granted, Kind.REPORTS)] == [1]
    assert rows(staff_only, Kind.REPORTS) == []
    assert InboxItem.objects.filter(recipient=staff_only).count() == 0


def test_a_removed_or_banned_member_is_told_once_with_the_reason(
    owner, member, colleague, django_capture_on_commit_callbacks
):
    group = make_group(owner, Group.Kind.SECRET, name="Board prep")
    add_member(group, owner, member)
    add_member(group, owner, colleague)
    with django_capture_on_commit_callbacks(execute=True):
        group_services.remove_member(group=group, manager=owner, person=member, reason="Done")
    with django_capture_on_commit_callbacks(execute=True):
        group_services.ban_member(group=group, manager=owner, person=colleague, reason="Leaks")
    with django_capture_on_commit_callbacks(execute=True):
        group_services.ban_member(group=group, manager=owner, person=colleague, reason="Again")

    [removed] = rows(member, Kind.MEMBERSHIP_ENDED)
    assert not removed.data["banned"] and removed.data["reason"] == "Done"
    # Told once, and the secret group is named though they may no longer know it.
    [banned] = rows(colleague, Kind.MEMBERSHIP_ENDED)
    assert banned.data["banned"] and banned.data["reason"] == "Leaks"
    assert banned.group == group


def test_a_banned_person_is_not_offered_ask_to_join(owner, member, client):
    group = make_group(owner, Group.Kind.PRIVATE, name="Partner program")
    add_member(group, owner, member)
    group_services.ban_member(group=group, manager=owner, person=member, reason="Spam")
    client.force_login(member)
    html = client.get(group.get_absolute_url()).content.decode()
    assert "Ask to join" not in html
    assert "You were removed from this group and cannot rejoin." in html


def test_a_lifted_ban_is_told_and_the_person_may_ask_again(
    owner, member, client, django_capture_on_commit_callbacks
):
    group = make_group(owner, Group.Kind.PRIVATE, name="Partner program")
    add_member(group, owner, member)
    with django_capture_on_commit_callbacks(execute=True):
        group_services.ban_member(group=group, manager=owner, person=member, reason="Spam")
    with django_capture_on_commit_callbacks(execute=True):
        group_services.unban(group=group, manager=owner, person=member)
    with django_capture_on_commit_callbacks(execute=True):
        group_services.unban(group=group, manager=owner, person=member)  # nothing to lift

    lifted = [r for r in rows(member, Kind.MEMBERSHIP_ENDED) if r.data.get("lifted")]
    assert len(lifted) == 1 and lifted[0].group == group
    client.force_login(member)
    inbox = client.get(reverse("digests:inbox")).content.decode()
    assert "lifted your ban from <strong>Partner program</strong>" in inbox
    assert "Ask to join" in client.get(group.get_absolute_url()).content.decode()


def test_mentions_go_into_the_digest_by_default(db):
    SiteSettings.objects.all().delete()
    assert SiteSettings.current().mentions_in_digest is True


def test_a_mention_edited_out_and_back_in_tells_the_person_once(
    member, colleague, django_capture_on_commit_callbacks
):
    from posts import services as post_services

    with django_capture_on_commit_callbacks(execute=True):
        post = post_services.create_post(author=colleague, body="Ask @mia.member")
    with django_capture_on_commit_callbacks(execute=True):
        post_services.edit_post(post=post, editor=colleague, body="Ask someone")
    with django_capture_on_commit_callbacks(execute=True):
        post_services.edit_post(post=post, editor=colleague, body="Ask @mia.member after all")
    assert InboxItem.objects.filter(recipient=member, kind=Kind.MENTION, post=post).count() == 1


def test_site_admins_see_the_open_reports_of_the_site_queue_in_their_menu(client, member):
    admin = UserFactory(is_staff=True, is_superuser=True)
    post = make_post(member, "Company-wide post")
    moderation.report(reporter=UserFactory(), post=post, reason="Off topic")
    client.force_login(admin)
    html = client.get("/").content.decode()
    assert '1<span class="visually-hidden"> open reports' in html
    client.force_login(member)
    assert "open reports" not in client.get("/").content.decode()
