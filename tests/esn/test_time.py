"""Times read naturally (issue 12): "just now", "8 min ago", "8 h ago", then days and dates;
the exact moment on hover in the reader's own time zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from digests import preferences
from esn.templatetags.esn_time import ago, exact_time
from tests.factories import make_post

NOW = datetime(2026, 11, 30, 14, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("before", "reads"),
    [
        (timedelta(seconds=5), "just now"),
        (timedelta(minutes=1), "1 min ago"),
        (timedelta(minutes=59), "59 min ago"),
        (timedelta(hours=8, minutes=51), "8 h ago"),
        (timedelta(hours=30), "yesterday"),
        (timedelta(days=3), "3 days ago"),
        (timedelta(days=20), "10 Nov"),
        (timedelta(days=400), "26 Oct 2025"),
        (-timedelta(minutes=2), "just now"),  # a clock a little ahead
    ],
)
def test_relative_times_read_naturally(before, reads, settings):
    settings.TIME_ZONE = "UTC"
    with timezone.override("UTC"):
        assert ago(NOW - before, NOW) == reads


def test_the_exact_time_is_in_the_readers_zone():
    with timezone.override("Europe/Amsterdam"):
        assert exact_time(NOW) == "Mon 30 Nov 2026, 15:00"
    with timezone.override("America/New_York"):
        assert exact_time(NOW) == "Mon 30 Nov 2026, 09:00"


@pytest.mark.django_db
def test_a_post_shows_its_time_in_the_zone_the_person_chose(client, member, colleague):
    post = make_post(colleague, "Standing desks")
    type(post).objects.filter(pk=post.pk).update(created_at=NOW)
    preferences.set_frequency(user=member, frequency="", time_zone="Asia/Tokyo")
    client.force_login(member)  # signing in reads the chosen zone once
    html = client.get(reverse("posts:detail", args=[post.pk])).content.decode()
    assert 'title="Mon 30 Nov 2026, 23:00"' in html
    # Changing it in the notification settings takes effect at once.
    client.post(reverse("digests:settings"), {"frequency": "", "time_zone": "Europe/Lisbon"})
    html = client.get(reverse("posts:detail", args=[post.pk])).content.decode()
    assert 'title="Mon 30 Nov 2026, 14:00"' in html
