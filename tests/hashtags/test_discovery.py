"""Finding knowledge through hashtags: trending tags, the directory, "who knows about #tag",
and muting a hashtag from its page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from digests.models import Level, SourceChoice, SourceKind
from groups import services as group_services
from groups.models import Group
from hashtags.models import Hashtag
from hashtags.selectors import trending_hashtags, who_knows
from hashtags.services import follow_hashtag
from people.models import User
from people.services import block_person, follow_person
from posts import services as post_services
from posts.models import Post
from posts.selectors import home_feed
from tests.factories import UserFactory, make_post, now
from tests.groups.helpers import add_member, make_group

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def tag(slug: str) -> Hashtag:
    return Hashtag.objects.get(slug=slug)


def listed(*people: User) -> None:
    """They chose to be listed under "Who knows" (their profile switch; off by default)."""
    User.objects.filter(pk__in=[p.pk for p in people]).update(listed_as_knowing=True)
    for person in people:
        person.listed_as_knowing = True


def accept(post: Post, answer) -> None:
    """Accept a comment as the answer (the questions UI is built elsewhere)."""
    Post.objects.filter(pk=post.pk).update(
        is_question=True, accepted_answer=answer, answered_at=timezone.now()
    )


# --- trending -------------------------------------------------------------------------------


def test_one_loud_author_ranks_below_a_tag_three_different_people_use(member, colleague, outsider):
    loud = UserFactory(username="loud.larry")
    for i in range(50):
        make_post(loud, f"buy now #megaphone {i}")
    for person in (member, colleague, outsider):
        make_post(person, "notes from the #retro")

    trending = trending_hashtags(member)

    assert [t.slug for t in trending][:2] == ["retro", "megaphone"]
    assert (trending[0].authors, trending[0].recent) == (3, 3)
    assert (trending[1].authors, trending[1].recent) == (1, 50)


def test_trending_counts_only_the_last_seven_days(member, colleague, outsider):
    for person in (colleague, outsider):
        make_post(person, "#oldnews", created_at=now() - timedelta(days=8))
    make_post(colleague, "#fresh today")

    assert [t.slug for t in trending_hashtags(member)] == ["fresh"]


def test_a_secret_groups_hashtag_never_trends_for_outsiders(member, colleague, outsider):
    secret = make_group(colleague, Group.Kind.SECRET, name="Hush")
    add_member(secret, colleague, member)
    for person in (colleague, member):
        make_post(person, "about #project_falcon", group=secret)

    assert [t.slug for t in trending_hashtags(member)] == ["project_falcon"]
    assert trending_hashtags(outsider) == []
    directory = reverse("hashtags:directory")
    from django.test import Client

    client = Client()
    client.force_login(outsider)
    assert "project_falcon" not in client.get(directory).text
    client.force_login(member)
    assert "project_falcon" in client.get(directory).text


def test_a_guests_trending_comes_only_from_their_groups(member, colleague, outsider):
    partners = make_group(colleague, Group.Kind.PRIVATE, name="Partners", allow_guests=True)
    guest = UserFactory(username="gus.guest", is_guest=True, sponsor=colleague)
    add_member(partners, colleague, guest)
    make_post(colleague, "rollout plan #go_live", group=partners)
    for person in (member, outsider):
        make_post(person, "company-wide #all_hands")

    assert [t.slug for t in trending_hashtags(guest)] == ["go_live"]
    assert {t.slug for t in trending_hashtags(member)} == {"all_hands"}


def test_directory_shows_trending_followed_and_active_tags_with_follow_buttons(
    member_client, member, colleague, outsider
):
    for person in (colleague, outsider):
        make_post(person, "#standups are short")
    follow_hashtag(user=outsider, hashtag=tag("standups"))

    html = member_client.get(reverse("hashtags:directory")).text

    trending = html.split('id="trending-title"')[1].split('id="followed-title"')[0]
    assert "#standups" in trending and "2 people wrote · 2 posts · 1 follower" in trending
    assert f'action="{reverse("hashtags:follow", args=["standups"])}"' in trending
    assert 'aria-pressed="false"' in trending


def test_home_page_side_cards_have_a_trending_card(member_client, member, colleague, outsider):
    make_post(member, "my own post")  # so the feed is not empty and the side column shows
    for person in (colleague, outsider):
        make_post(person, "#launch_day is here")

    html = member_client.get(reverse("discover"), headers={"HX-Request": "true"}).text

    card = html.split('id="trending-card-title"')[1].split("</section>")[0]
    assert "#launch_day" in card and "2 people" in card


# --- who knows about #tag ----------------------------------------------------------------------


def test_who_knows_counts_posts_answers_and_accepted_answers(member, colleague, outsider):
    asker = UserFactory(username="ask.er", listed_as_knowing=True)
    listed(colleague, outsider)
    for i in range(4):
        make_post(colleague, f"tip {i} on #python")
    question = make_post(asker, "How do I profile #python code?")
    other = make_post(asker, "And #python packaging?")
    answer = post_services.add_comment(post=question, author=outsider, body="Try py-spy.")
    post_services.add_comment(post=question, author=outsider, body="And cProfile.")
    post_services.add_comment(post=other, author=outsider, body="uv.")
    post_services.add_comment(post=question, author=asker, body="thanks!")  # own thread
    accept(question, answer)

    experts = {e.person.username: e for e in who_knows(member, tag("python"))}

    assert (experts["carl.colleague"].posts, experts["carl.colleague"].answers) == (4, 0)
    # Two answers (one per post answered), one of them accepted; it counts extra.
    olga = experts["olga.outsider"]
    assert (olga.posts, olga.answers, olga.accepted) == (0, 2, 1)
    # The asker wrote two posts; commenting in their own thread is not answering.
    assert (experts["ask.er"].posts, experts["ask.er"].answers) == (2, 0)
    assert list(experts) == ["carl.colleague", "olga.outsider", "ask.er"]


def test_who_knows_includes_people_listing_the_tag_as_a_skill(member, colleague, outsider):
    make_post(colleague, "#Code_Review checklist")
    outsider.skills.add("code review")  # a space reads as the underscore a tag cannot hold
    UserFactory(username="near.miss", listed_as_knowing=True).skills.add("review")
    listed(colleague, outsider)

    experts = {e.person.username: e for e in who_knows(member, tag("code_review"))}

    assert experts["olga.outsider"].has_skill and experts["olga.outsider"].posts == 0
    assert "near.miss" not in experts


def test_who_knows_never_counts_what_the_viewer_cannot_see(member, colleague, outsider):
    listed(colleague)
    secret = make_group(colleague, Group.Kind.SECRET, name="Hush")
    add_member(secret, colleague, member)
    make_post(colleague, "open #pricing notes")
    make_post(colleague, "secret #pricing notes", group=secret)
    make_post(colleague, "more secret #pricing", group=secret)

    for_member = {e.person.username: e.posts for e in who_knows(member, tag("pricing"))}
    for_outsider = {e.person.username: e.posts for e in who_knows(outsider, tag("pricing"))}

    assert for_member == {"carl.colleague": 3}
    assert for_outsider == {"carl.colleague": 1}


def test_a_guest_sees_only_members_of_their_groups_in_who_knows(member, colleague, outsider):
    partners = make_group(colleague, Group.Kind.PRIVATE, name="Partners", allow_guests=True)
    guest = UserFactory(username="gus.guest", is_guest=True, sponsor=colleague)
    add_member(partners, colleague, guest)
    make_post(colleague, "#go_live checklist", group=partners)
    make_post(outsider, "my #go_live notes")  # company-wide: not for the guest
    outsider.skills.add("go_live")
    listed(colleague, outsider)  # Olga chose to be listed: the guest still may not see her

    assert [e.person.username for e in who_knows(guest, tag("go_live"))] == ["carl.colleague"]


def test_who_knows_leaves_out_the_viewer_and_blocks_either_way(member, colleague, outsider):
    blocker = UserFactory(username="bea.blocker")
    listed(member, colleague, outsider, blocker)
    for person in (member, colleague, outsider, blocker):
        make_post(person, "#hiring tips")
    block_person(blocker=member, blocked=colleague)
    block_person(blocker=blocker, blocked=member)

    assert [e.person.username for e in who_knows(member, tag("hiring"))] == ["olga.outsider"]


def test_who_knows_shows_at_most_six_people(member):
    for i in range(9):
        make_post(UserFactory(username=f"expert{i}", listed_as_knowing=True), "#budget thoughts")
    assert len(who_knows(member, tag("budget"))) == 6


def test_hashtag_page_says_why_each_person_knows(member_client, member, colleague, outsider):
    for i in range(4):
        make_post(colleague, f"#onboarding tip {i}")
    first = make_post(member, "#onboarding question one")
    second = make_post(member, "#onboarding question two")
    post_services.add_comment(post=first, author=colleague, body="answer")
    post_services.add_comment(post=second, author=colleague, body="answer")
    outsider.skills.add("Onboarding")
    listed(colleague, outsider)

    html = member_client.get(reverse("hashtags:detail", args=["onboarding"])).text

    panel = html.split('id="who-knows-title"')[1].split("</section>")[0]
    assert re.search(r"Carl Colleague</a>.*?4 posts, 2 answers", panel, re.DOTALL)
    assert re.search(r"Olga Outsider</a>.*?lists it as a skill", panel, re.DOTALL)
    assert "Mia Member" not in panel


def test_who_knows_queries_are_bounded(member, colleague, django_assert_max_num_queries):
    listed(colleague)

    def grow(n: int) -> None:
        for _i in range(n):
            person = UserFactory(listed_as_knowing=True)
            person.skills.add("metrics")
            post = make_post(person, "#metrics matter")
            post_services.add_comment(post=post, author=colleague, body="agreed")

    grow(3)
    hashtag = tag("metrics")
    # 1 posts per author, 2 answers per person, 3 skills spelled like the tag, 4 people
    # listing one, 5 the people shown
    with django_assert_max_num_queries(5):
        assert len(who_knows(member, hashtag)) == 4
    grow(20)
    with django_assert_max_num_queries(5):
        assert len(who_knows(member, hashtag)) == 6


def test_who_knows_never_lists_someone_who_did_not_opt_in(member, colleague, outsider):
    """Suggesting experts measures people: however much someone writes, answers or lists
    the skill, they are not suggested until they choose to be."""
    listed(outsider)
    for i in range(30):
        make_post(colleague, f"#kubernetes war story {i}")
    colleague.skills.add("kubernetes")
    question = make_post(outsider, "How do we size #kubernetes nodes?")
    answer = post_services.add_comment(post=question, author=colleague, body="Measure first.")
    accept(question, answer)
    make_post(outsider, "my #kubernetes notes")

    assert [e.person.username for e in who_knows(member, tag("kubernetes"))] == ["olga.outsider"]


def test_nobody_is_listed_as_knowing_until_they_choose_to_be(db):
    person = UserFactory()
    person.refresh_from_db()
    assert person.listed_as_knowing is False
    assert User._meta.get_field("listed_as_knowing").db_default is False


def test_the_card_says_so_when_nobody_who_chose_to_be_listed_knows(
    member_client, member, colleague
):
    for i in range(3):
        make_post(colleague, f"#quarterly_close step {i}")
    colleague.skills.add("quarterly_close")

    html = member_client.get(reverse("hashtags:detail", args=["quarterly_close"])).text

    panel = html.split('id="who-knows-title"')[1].split("</section>")[0]
    assert "Carl Colleague" not in panel and "<li" not in panel
    assert "Nobody who chose to be listed has written or answered here lately" in panel
    assert "Only colleagues who chose to be listed appear here" in panel
    assert f'href="{reverse("people:edit_profile")}#who-knows"' in panel


def test_the_card_tells_who_appears_and_where_to_choose(member_client, member, colleague):
    listed(colleague, member)
    make_post(colleague, "#forecast notes")

    html = member_client.get(reverse("hashtags:detail", args=["forecast"])).text

    panel = html.split('id="who-knows-title"')[1].split("</section>")[0]
    assert "Carl Colleague" in panel and "Nobody who chose" not in panel
    # Mia chose to be listed herself: the link is to change it, not to list herself.
    assert "as you did" in panel and "change it in your profile" in panel


# --- muting a hashtag --------------------------------------------------------------------------


def test_muting_a_hashtag_keeps_its_posts_out_of_my_home_feed_whatever_way_they_come(
    member_client, member, colleague
):
    follow_person(follower=member, followee=colleague)
    make_post(colleague, "weekend scores #fantasy_football")
    make_post(colleague, "release notes")
    make_post(member, "my own #fantasy_football team")
    follow_hashtag(user=member, hashtag=tag("fantasy_football"))

    response = member_client.post(reverse("hashtags:mute", args=["fantasy_football"]), follow=True)

    assert "is muted" in response.text
    assert SourceChoice.objects.get(user=member, kind=SourceKind.HASHTAG).level == Level.MUTED
    bodies = [p.body for p in home_feed(member).posts]
    # Out even though it also comes from a followed person; my own post stays.
    assert bodies == ["my own #fantasy_football team", "release notes"]
    page = member_client.get(reverse("hashtags:detail", args=["fantasy_football"])).text
    assert 'value="unmute"' in page
    # One setting: the notification settings page shows the same level.
    settings_page = member_client.get(reverse("digests:settings")).text
    assert re.search(r'#fantasy_football.*?<option value="muted" selected>', settings_page, re.S)

    member_client.post(
        reverse("hashtags:mute", args=["fantasy_football"]), {"action": "unmute"}, **HTMX
    )
    assert len(home_feed(member).posts) == 3
    assert not SourceChoice.objects.exists()


def test_mute_button_answers_htmx_with_the_button(member_client, colleague):
    make_post(colleague, "#standups")
    response = member_client.post(reverse("hashtags:mute", args=["standups"]), **HTMX)
    assert "<html" not in response.text
    assert 'value="unmute"' in response.text and 'aria-pressed="true"' in response.text


def test_a_hashtag_i_cannot_know_cannot_be_muted(member_client, colleague):
    secret = group_services.create_group(creator=colleague, name="Hush", kind=Group.Kind.SECRET)
    make_post(colleague, "Codename #project_falcon", group=secret)
    response = member_client.post(reverse("hashtags:mute", args=["project_falcon"]))
    assert response.status_code == 404
    assert not SourceChoice.objects.exists()
