"""Company announcements without email (issue 12): admins, and people they allow, pin a post
everyone may read to everyone's Home for a set time, at most two at once; each person may
dismiss it; it is in the next digest and never mailed on its own."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from digests.building import build_digests
from digests.models import SiteSettings
from groups.models import Group
from tests.factories import UserFactory, make_post
from tests.groups.helpers import add_member, make_group
from welcome import services
from welcome.models import Announcement
from welcome.selectors import announcements

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(db):
    return UserFactory(username="ada.admin", is_staff=True, is_superuser=True)


def pinned_for(person) -> list[str]:
    return [post.body for _a, post in announcements(person)]


def test_an_admin_pins_a_company_post_everyone_sees_it_and_nobody_is_mailed(
    admin, member, colleague
):
    post = make_post(admin, "Town hall on Friday at 16:00")
    services.announce(post=post, by=admin, days=3)
    assert pinned_for(member) == ["Town hall on Friday at 16:00"]
    assert pinned_for(colleague) == ["Town hall on Friday at 16:00"]
    assert mail.outbox == []


def test_only_admins_and_people_they_allow_may_announce(admin, member, colleague):
    post = make_post(member, "My own news")
    with pytest.raises(PermissionDenied):
        services.announce(post=post, by=member, days=1)
    member.user_permissions.add(Permission.objects.get(codename="make_announcement"))
    member = type(member).objects.get(pk=member.pk)  # fresh permission cache
    services.announce(post=post, by=member, days=1)
    assert pinned_for(colleague) == ["My own news"]


def test_a_post_not_everyone_may_read_cannot_be_announced(admin, member):
    owner = UserFactory()
    private = make_group(owner, Group.Kind.PRIVATE, name="Partners")
    add_member(private, owner, admin)
    post = make_post(admin, "Partner news", group=private)
    with pytest.raises(PermissionDenied, match="everyone must be able to read it"):
        services.announce(post=post, by=admin, days=1)
    open_group = make_group(owner, Group.Kind.OPEN, name="Desks")
    services.announce(post=make_post(owner, "Desk news", group=open_group), by=admin, days=1)
    assert pinned_for(member) == ["Desk news"]


def test_at_most_two_at_once_and_announcing_again_moves_the_end(admin):
    first, second, third = (make_post(admin, f"News {n}") for n in range(3))
    services.announce(post=first, by=admin, days=1)
    services.announce(post=second, by=admin, days=1)
    with pytest.raises(ValidationError, match="2 announcements are pinned already"):
        services.announce(post=third, by=admin, days=1)
    again = services.announce(post=first, by=admin, days=14)
    assert again.ends_at > timezone.now() + timedelta(days=13)
    assert Announcement.objects.count() == 2
    services.end_announcement(announcement=again, by=admin)
    services.announce(post=third, by=admin, days=1)
    assert [a.post.body for a in services.active()] == ["News 2", "News 1"]


def test_each_person_dismisses_it_for_themselves(admin, member, colleague, client):
    post = make_post(admin, "Town hall")
    announcement = services.announce(post=post, by=admin, days=3)
    client.force_login(member)
    home = client.get(reverse("home")).content.decode()
    assert "Announcement" in home and "Town hall" in home
    client.post(reverse("welcome:dismiss", args=[announcement.pk]), headers={"HX-Request": "true"})
    assert pinned_for(member) == []
    assert pinned_for(colleague) == ["Town hall"]


def test_it_ends_by_itself(admin, member):
    services.announce(post=make_post(admin, "Town hall"), by=admin, days=1)
    later = timezone.now() + timedelta(days=1, minutes=1)
    assert [p.body for _a, p in announcements(member, now=later)] == []


def test_a_guest_never_sees_a_company_wide_announcement(admin):
    owner = UserFactory()
    guest = UserFactory(is_guest=True, sponsor=owner)
    room = make_group(owner, Group.Kind.SECRET, name="Client room", allow_guests=True)
    add_member(room, owner, guest)
    services.announce(post=make_post(admin, "Salaries go up"), by=admin, days=1)
    assert pinned_for(guest) == []


def test_a_removed_post_leaves_home(admin, member):
    post = make_post(admin, "Oops")
    services.announce(post=post, by=admin, days=1)
    type(post).objects.filter(pk=post.pk).update(removed_at=timezone.now())
    assert pinned_for(member) == []


def test_it_is_in_the_next_digest_once_and_not_after_dismissal(admin, member, colleague):
    since = timezone.now() - timedelta(days=1)
    announcement = services.announce(post=make_post(admin, "Town hall"), by=admin, days=3)
    services.dismiss_announcement(user=colleague, announcement=announcement)
    until = timezone.now()
    digests = build_digests(
        [member, colleague],
        since={member.pk: since, colleague.pk: since},
        until=until,
        site=SiteSettings.current(),
    )
    [section] = digests[member.pk].sections
    assert section.title == "Announcements"
    assert [item.post.body for item in section.items] == ["Town hall"]
    assert colleague.pk not in digests
    # The digest after that one does not carry it again.
    later = build_digests(
        [member],
        since={member.pk: until},
        until=until + timedelta(days=1),
        site=SiteSettings.current(),
    )
    assert member.pk not in later


def test_the_post_page_offers_the_pin_to_admins_only(admin, member, client):
    post = make_post(member, "News")
    client.force_login(member)
    assert "Pin as announcement" not in client.get(post.get_absolute_url()).content.decode()
    assert client.post(reverse("welcome:announce", args=[post.pk]), {"days": 1}).status_code == 302
    assert not Announcement.objects.exists()
    client.force_login(admin)
    page = client.get(post.get_absolute_url()).content.decode()
    assert "Pin as announcement" in page
    response = client.post(reverse("welcome:announce", args=[post.pk]), {"days": 3}, follow=True)
    assert "Pinned to everyone&#x27;s Home until" in response.content.decode()
    assert "Unpin now" in response.content.decode()


def test_a_refused_pin_says_why_on_the_post_page(admin, client):
    for n in range(2):
        services.announce(post=make_post(admin, f"News {n}"), by=admin, days=1)
    third = make_post(admin, "Third")
    client.force_login(admin)
    response = client.post(reverse("welcome:announce", args=[third.pk]), {"days": 1}, follow=True)
    assert "announcements are pinned already" in response.content.decode()
    # Back at the top of the post, where the message is, with the chosen duration kept.
    assert response.redirect_chain[-1][0].endswith(third.get_absolute_url() + "?days=1")
    assert '<option value="1" selected>' in response.content.decode()


def test_an_unpinned_announcement_is_not_mailed(admin, member):
    since = timezone.now() - timedelta(days=1)
    oops = services.announce(post=make_post(admin, "Oops, wrong post"), by=admin, days=3)
    services.end_announcement(announcement=oops, by=admin)
    digests = build_digests(
        [member], since={member.pk: since}, until=timezone.now(), site=SiteSettings.current()
    )
    assert member.pk not in digests


def test_a_removed_or_hidden_post_frees_its_place_and_is_never_quoted(admin, member):
    owner = UserFactory()
    announcer = UserFactory(username="ann.nouncer")
    announcer.user_permissions.add(Permission.objects.get(codename="make_announcement"))
    announcer = type(announcer).objects.get(pk=announcer.pk)
    group = make_group(owner, Group.Kind.OPEN, name="Merger talk")
    hush = make_post(owner, "Merger codename Falcon", group=group)
    services.announce(post=hush, by=admin, days=3)
    services.announce(post=make_post(admin, "Town hall"), by=admin, days=3)
    with pytest.raises(ValidationError) as refused:
        services.announce(post=make_post(admin, "Third"), by=announcer, days=1)
    assert "Falcon" in str(refused.value)  # still open: everyone may read it
    Group.objects.filter(pk=group.pk).update(kind=Group.Kind.SECRET)
    # No longer everyone's to read: it takes no place, and its text is never shown.
    services.announce(post=make_post(admin, "Third"), by=announcer, days=1)
    with pytest.raises(ValidationError) as refused:
        services.announce(post=make_post(admin, "Fourth"), by=announcer, days=1)
    assert "Falcon" not in str(refused.value)


# --- Home asks about announcements only when some are pinned (issue 16) ---------------------


def test_with_none_pinned_home_asks_nothing_after_the_first_look(member, django_assert_num_queries):
    assert pinned_for(member) == []
    with django_assert_num_queries(0):
        assert pinned_for(member) == []


def test_home_knows_at_once_when_one_is_pinned_ended_edited_or_deleted(
    admin, member, django_capture_on_commit_callbacks
):
    assert pinned_for(member) == []  # "none pinned" is remembered now
    post = make_post(admin, "Town hall")
    with django_capture_on_commit_callbacks(execute=True):
        services.announce(post=post, by=admin, days=1)
    assert pinned_for(member) == ["Town hall"]

    with django_capture_on_commit_callbacks(execute=True):
        services.end_announcement(announcement=Announcement.objects.get(), by=admin)
    assert pinned_for(member) == []

    # An admin's edit in Django admin (a save), then the post's deletion.
    again = Announcement.objects.get()
    again.ends_at = timezone.now() + timedelta(days=2)
    again.save()
    assert pinned_for(member) == ["Town hall"]
    post.delete()
    assert pinned_for(member) == []
