from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from groups.models import Group
from groups.services import create_group
from hashtags.models import Hashtag, HashtagFollow
from hashtags.services import follow_hashtag
from tests.factories import make_post, now

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def _tag_url(slug: str) -> str:
    return reverse("hashtags:detail", args=[slug])


def _follow_url(slug: str) -> str:
    return reverse("hashtags:follow", args=[slug])


def test_hashtag_page_lists_its_posts_newest_first_and_nothing_else(
    member_client, member, colleague
):
    older = make_post(colleague, "older on #Sales_Onboarding", created_at=now() - timedelta(days=2))
    newer = make_post(member, "newer on #sales_onboarding", created_at=now() - timedelta(days=1))
    make_post(colleague, "about #something_else")

    response = member_client.get(_tag_url("sales_onboarding"))

    assert response.status_code == 200
    assert "<h1>#Sales_Onboarding</h1>" in response.text  # the first spelling
    assert response.text.index(f'id="post-{newer.pk}"') < response.text.index(
        f'id="post-{older.pk}"'
    )
    assert "about #something_else" not in response.text
    assert "something_else" not in response.text


def test_hashtag_page_answers_to_any_spelling_of_the_tag(member_client, member):
    make_post(member, "#Sales_Onboarding day")

    response = member_client.get(_tag_url("SALES_ONBOARDING"))

    assert response.status_code == 200
    assert "#Sales_Onboarding</a> day" in response.text


def test_unicode_hashtag_page_works(member_client, member):
    make_post(member, "Die #Größe zählt")

    response = member_client.get(_tag_url("GRÖSSE"))

    assert response.status_code == 200
    assert "<h1>#Größe</h1>" in response.text


def test_tag_link_in_a_post_leads_to_the_tag_page(member_client, member):
    post = make_post(member, "see #Übung")
    link = reverse("hashtags:detail", args=[Hashtag.objects.get().slug])

    assert f'href="{link}"' in member_client.get(post.get_absolute_url()).text
    assert member_client.get(link).status_code == 200


def test_follow_and_unfollow_a_hashtag_with_plain_forms(member_client, member, colleague):
    make_post(colleague, "#standups are short")

    followed = member_client.post(_follow_url("standups"), follow=True)
    assert HashtagFollow.objects.filter(user=member, hashtag__slug="standups").exists()
    assert followed.redirect_chain[-1][0] == _tag_url("standups")
    assert 'value="unfollow"' in followed.text and "Following" in followed.text

    unfollowed = member_client.post(_follow_url("standups"), {"action": "unfollow"}, follow=True)
    assert not HashtagFollow.objects.exists()
    assert 'value="unfollow"' not in unfollowed.text


def test_follow_and_unfollow_a_hashtag_with_htmx_returns_the_button(member_client, colleague):
    make_post(colleague, "#standups are short")

    followed = member_client.post(_follow_url("standups"), **HTMX)
    unfollowed = member_client.post(_follow_url("standups"), {"action": "unfollow"}, **HTMX)

    assert followed.status_code == 200
    assert followed.text.strip().startswith('<form class="follow-form"')
    assert "<html" not in followed.text
    assert 'aria-pressed="true"' in followed.text and 'value="unfollow"' in followed.text
    assert 'aria-pressed="false"' in unfollowed.text and 'value="unfollow"' not in unfollowed.text
    assert not HashtagFollow.objects.exists()


def test_following_a_hashtag_twice_is_harmless(member_client, member, colleague):
    make_post(colleague, "#standups are short")

    member_client.post(_follow_url("standups"))
    second = member_client.post(_follow_url("standups"), **HTMX)

    assert second.status_code == 200
    assert HashtagFollow.objects.filter(user=member).count() == 1


def test_followed_hashtag_posts_come_into_the_home_feed(member_client, member, colleague):
    make_post(colleague, "#standups are short")
    member_client.post(_follow_url("Standups"))

    later = make_post(colleague, "another #STANDUPS note")
    response = member_client.get(reverse("home"))

    assert f'id="post-{later.pk}"' in response.text
    assert "you follow #standups" in response.text


def test_following_an_unknown_hashtag_is_404(member_client):
    response = member_client.post(_follow_url("nothing_here"))

    assert response.status_code == 404
    assert not HashtagFollow.objects.exists()


def test_follow_needs_a_post_request(member_client, colleague):
    make_post(colleague, "#standups are short")

    assert member_client.get(_follow_url("standups")).status_code == 405
    assert not HashtagFollow.objects.exists()


def test_directory_lists_followed_and_active_hashtags_with_counts(member_client, member, colleague):
    make_post(colleague, "#standups are short")
    make_post(colleague, "#standups again")
    make_post(colleague, "#retro time")
    follow_hashtag(user=member, hashtag=Hashtag.objects.get(slug="retro"))

    response = member_client.get(reverse("hashtags:directory"))

    assert response.status_code == 200
    trending_part, rest = response.text.split('id="followed-title"')
    followed_part, active_part = rest.split('id="active-title"')
    assert "#retro" in followed_part and "#standups" not in followed_part
    assert "2 posts · 0 followers" in active_part
    assert "1 post · 1 follower" in active_part
    # Trending this week counts people: one author each.
    assert "1 person wrote · 2 posts · 0 followers" in trending_part


def test_a_hashtag_only_on_posts_i_cannot_see_does_not_exist_for_me(member_client, colleague):
    secret = create_group(creator=colleague, name="Hush", kind=Group.Kind.SECRET)
    make_post(colleague, "Codename #project_falcon", group=secret)

    page = member_client.get(reverse("hashtags:detail", args=["project_falcon"]))
    follow = member_client.post(reverse("hashtags:follow", args=["project_falcon"]))
    unused = member_client.get(reverse("hashtags:detail", args=["never_used"]))

    assert page.status_code == follow.status_code == unused.status_code == 404
    assert "project_falcon" not in page.text


def test_the_page_says_whether_i_follow_and_muted_the_tag_not_whether_others_did(
    member_client, member, colleague, outsider
):
    from digests import preferences
    from digests.models import Level, SourceKind

    make_post(colleague, "#standups are short")
    tag = Hashtag.objects.get(slug="standups")
    follow_hashtag(user=outsider, hashtag=tag)
    preferences.set_source_level(
        user=outsider, kind=SourceKind.HASHTAG, object_id=tag.pk, level=Level.MUTED
    )
    url = reverse("hashtags:detail", args=["standups"])

    page = member_client.get(url).text
    assert 'value="unfollow"' not in page and 'value="unmute"' not in page

    follow_hashtag(user=member, hashtag=tag)
    preferences.set_source_level(
        user=member, kind=SourceKind.HASHTAG, object_id=tag.pk, level=Level.MUTED
    )
    page = member_client.get(url).text
    assert 'value="unfollow"' in page and 'value="unmute"' in page
