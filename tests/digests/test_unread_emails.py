"""Unread mentions, replies and invitations reach email after a delay, once (issue 11;
digests/unread.py): what is still unread and may still be seen, never a post from what one
follows, each row at most once, one email per person per delay, as each person chose."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from digests import preferences, unread
from digests.models import InboxItem, SiteSettings, UnreadEmail, UnreadEmailSent
from groups import services as group_services
from groups.models import Group
from people.services import follow_person
from posts import services as post_services
from tests.factories import UserFactory
from tests.groups.helpers import add_member, make_group

pytestmark = pytest.mark.django_db


@pytest.fixture
def mention(member, colleague, django_capture_on_commit_callbacks):
    """Carl mentions Mia in a post and replies under one of hers: two rows for Mia."""
    with django_capture_on_commit_callbacks(execute=True):
        post_services.create_post(author=colleague, body="Thoughts, @mia.member?")
    with django_capture_on_commit_callbacks(execute=True):
        mine = post_services.create_post(author=member, body="Standing desks: worth it?")
    with django_capture_on_commit_callbacks(execute=True):
        post_services.add_comment(post=mine, author=colleague, body="Mine changed my afternoons")
    assert InboxItem.objects.filter(recipient=member).count() == 2


def later(minutes: int):
    return timezone.now() + timedelta(minutes=minutes)


def test_unread_rows_are_mailed_once_after_the_delay(member, mention):
    assert unread.send_unread_emails(now=later(5)).sent == 0  # not yet: 30 minutes
    result = unread.send_unread_emails(now=later(31))
    assert (result.sent, result.rows) == (1, 2)
    [message] = mail.outbox
    assert message.to == [member.email]
    assert message.subject == "2 unread messages addressed to you"
    assert "Carl Colleague mentioned you in a post" in message.body
    assert "Carl Colleague replied to your post" in message.body
    assert "/inbox/" in message.body
    # Another run, or a second beat, mails nothing more: every row is claimed.
    assert unread.send_unread_emails(now=later(120)).sent == 0
    assert len(mail.outbox) == 1
    assert InboxItem.objects.filter(recipient=member, emailed_at__isnull=True).count() == 0


def test_rows_read_in_the_meantime_are_not_mailed(member, mention):
    InboxItem.objects.filter(recipient=member, kind=InboxItem.Kind.REPLY).update(unread=False)
    unread.send_unread_emails(now=later(31))
    [message] = mail.outbox
    assert message.subject == "1 unread message addressed to you"
    assert "replied" not in message.body


def test_nothing_more_until_the_delay_has_passed_again(member, colleague, mention):
    unread.send_unread_emails(now=later(31))
    # A new mention right after the email: it waits for the pace, then goes alone.
    post_services.create_post(author=colleague, body="Also, @mia.member: lunch?")
    from digests.services import deliver_pending

    deliver_pending(older_than=timedelta(0))
    InboxItem.objects.filter(recipient=member, emailed_at__isnull=True).update(
        timestamp=timezone.now()
    )
    assert unread.send_unread_emails(now=later(45)).sent == 0  # within 30 min of the last
    assert unread.send_unread_emails(now=later(65)).sent == 1
    assert len(mail.outbox) == 2
    assert UnreadEmailSent.objects.filter(user=member).count() == 2


def test_each_person_chooses_and_the_site_sets_the_default(member, colleague, mention):
    preferences.set_frequency(user=member, frequency="", unread_email=UnreadEmail.DIGEST)
    assert unread.send_unread_emails(now=later(31)).sent == 0
    preferences.set_frequency(user=member, frequency="", unread_email=UnreadEmail.OFF)
    assert unread.send_unread_emails(now=later(31)).sent == 0

    # Site default off: only those who chose "after a while" get it.
    site = SiteSettings.current()
    site.unread_email = False
    site.save()
    preferences.set_frequency(user=member, frequency="", unread_email="")
    assert unread.send_unread_emails(now=later(31)).sent == 0
    preferences.set_frequency(user=member, frequency="", unread_email=UnreadEmail.DELAY)
    assert unread.send_unread_emails(now=later(31)).sent == 1


def test_new_posts_from_what_one_follows_are_never_mailed(member, colleague):
    follow_person(follower=member, followee=colleague)
    for n in range(5):
        post_services.create_post(author=colleague, body=f"Update {n}")
    assert unread.send_unread_emails(now=later(60)).sent == 0
    assert mail.outbox == []


def test_what_the_person_may_no_longer_see_is_not_mailed(
    member, colleague, django_capture_on_commit_callbacks
):
    owner = UserFactory()
    group = make_group(owner, Group.Kind.PRIVATE, name="Board prep")
    add_member(group, owner, member)
    add_member(group, owner, colleague)
    with django_capture_on_commit_callbacks(execute=True):
        post_services.create_post(author=colleague, body="@mia.member see this", group=group)
    assert InboxItem.objects.filter(recipient=member).count() == 1
    group_services.leave_group(user=member, group=group)
    assert unread.send_unread_emails(now=later(31)).sent == 0


def test_invitations_are_mailed_too(member, django_capture_on_commit_callbacks):
    owner = UserFactory(first_name="Otto", last_name="Owner")
    group = make_group(owner, Group.Kind.PRIVATE, name="Partner program")
    with django_capture_on_commit_callbacks(execute=True):
        group_services.invite(group=group, inviter=owner, people=[member])
    unread.send_unread_emails(now=later(31))
    [message] = mail.outbox
    assert "Otto Owner invited you to join Partner program" in message.body


def test_a_failed_send_releases_the_rows_for_the_next_run(member, mention, settings):
    settings.EMAIL_BACKEND = "tests.digests.test_unread_emails.BrokenBackend"
    result = unread.send_unread_emails(now=later(31))
    assert (result.sent, result.failed) == (0, 1)
    assert InboxItem.objects.filter(recipient=member, emailed_at__isnull=True).count() == 2
    assert not UnreadEmailSent.objects.exists()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert unread.send_unread_emails(now=later(32)).sent == 1


class BrokenBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("smtp is down")

    def open(self):
        return True

    def close(self):
        pass


def test_only_in_my_digest_puts_unread_rows_in_the_digest_and_not_in_an_email(
    member, mention, django_capture_on_commit_callbacks
):
    from digests import planning
    from digests.models import Frequency

    # The digest is due from hour 0, whatever the hour the test runs at (a day later, between
    # midnight and the site's usual hour, none would be due yet).
    site = SiteSettings.current()
    site.send_hour = 0
    site.save()
    preferences.set_frequency(
        user=member, frequency=Frequency.DAILY, unread_email=UnreadEmail.DIGEST
    )
    assert unread.send_unread_emails(now=later(31)).sent == 0
    member.__class__.objects.filter(pk=member.pk).update(
        last_seen_at=timezone.now() - timedelta(days=3)
    )
    now = later(60 * 24)
    planning.plan(now=now, enqueue=lambda chunk: planning.send_chunk(chunk, now=now))
    [digest] = [m for m in mail.outbox if m.to == [member.email]]
    assert "Addressed to you, still unread" in digest.body
    assert "Carl Colleague mentioned you in a post" in digest.body
    assert "Carl Colleague replied to your post" in digest.body
    # Mailed once: no unread email for them afterwards either.
    assert InboxItem.objects.filter(recipient=member, emailed_at__isnull=True).count() == 0
    preferences.set_frequency(user=member, frequency=Frequency.DAILY, unread_email="")
    assert unread.send_unread_emails(now=later(60 * 30)).sent == 0
