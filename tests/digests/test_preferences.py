from __future__ import annotations

import pytest
from django.urls import reverse

from digests import preferences
from digests.models import DigestChoice, Frequency, Level, SiteSettings, SourceChoice, SourceKind
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _site(**changes) -> SiteSettings:
    site = SiteSettings.current()
    for name, value in changes.items():
        setattr(site, name, value)
    site.save()
    return site


def test_people_who_never_chose_follow_the_current_default(member, colleague):
    preferences.set_frequency(user=colleague, frequency=Frequency.DAILY)
    _site(digest_frequency=Frequency.WEEKLY)
    assert preferences.effective_frequency(member) == Frequency.WEEKLY

    _site(digest_frequency=Frequency.OFF)

    assert preferences.effective_frequency(member) == Frequency.OFF  # at once
    assert preferences.effective_frequency(colleague) == Frequency.DAILY  # their choice


def test_choosing_the_default_again_hands_the_choice_back_to_the_site(member):
    preferences.set_frequency(user=member, frequency=Frequency.DAILY)
    preferences.set_frequency(user=member, frequency="")
    _site(digest_frequency=Frequency.WEEKLY)

    assert preferences.effective_frequency(member) == Frequency.WEEKLY
    assert DigestChoice.objects.get(user=member).frequency == ""


def test_guests_get_digests_only_when_the_site_says_so(member):
    guest = UserFactory(is_guest=True, sponsor=member)
    preferences.set_frequency(user=guest, frequency=Frequency.DAILY)

    _site(guests_get_digests=False)
    assert preferences.effective_frequency(guest) == Frequency.OFF
    _site(guests_get_digests=True)
    assert preferences.effective_frequency(guest) == Frequency.DAILY


def test_source_levels_fill_in_defaults_per_kind(member):
    preferences.set_source_level(
        user=member, kind=SourceKind.HASHTAG, object_id=7, level=Level.MUTED
    )
    _site(include_hashtags=True)
    assert preferences.source_levels(member, SourceKind.HASHTAG, [7, 8]) == {
        7: Level.MUTED,
        8: Level.DIGEST,
    }
    _site(include_hashtags=False)
    assert preferences.source_levels(member, SourceKind.HASHTAG, [7, 8]) == {
        7: Level.MUTED,
        8: Level.FEED,
    }
    preferences.set_source_level(user=member, kind=SourceKind.HASHTAG, object_id=7, level="")
    assert not SourceChoice.objects.exists()


def test_bad_choices_are_refused(member):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        preferences.set_frequency(user=member, frequency="hourly")
    with pytest.raises(ValidationError):
        preferences.set_source_level(user=member, kind=SourceKind.PERSON, object_id=1, level="loud")


def test_site_settings_are_cached_and_refreshed_on_save(django_assert_num_queries):
    SiteSettings.current()
    with django_assert_num_queries(0):
        SiteSettings.current()
    _site(max_items=5)
    assert SiteSettings.current().max_items == 5


def test_admin_form_says_how_many_people_the_defaults_affect(client, admin, member, colleague):
    preferences.set_frequency(user=colleague, frequency=Frequency.DAILY)
    client.force_login(admin)

    # The admin's list of "notification defaults" opens the one row, creating it if need be.
    page = client.get(reverse("admin:digests_sitesettings_changelist"), follow=True)

    on_default = preferences.people_on_the_default().count()
    assert page.status_code == 200
    assert f"{on_default} active people have not chosen" in page.text
    assert on_default == 2  # the admin and the member; the colleague chose


def test_a_persons_time_zone_is_theirs_else_the_sites(member, settings):
    settings.TIME_ZONE = "Europe/Amsterdam"
    assert str(preferences.time_zone_of(member)) == "Europe/Amsterdam"
    DigestChoice.objects.create(user=member, time_zone="America/New_York")
    member.refresh_from_db()
    assert str(preferences.time_zone_of(member)) == "America/New_York"
