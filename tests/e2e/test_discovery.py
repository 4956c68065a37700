"""Finding people and knowledge in a real browser: following a suggestion and joining a group
in place, who knows about a hashtag, and muting a hashtag from its page."""

from __future__ import annotations

from playwright.sync_api import expect

from groups import services as group_services
from groups.models import Group, Membership
from hashtags.models import Hashtag
from people.models import Follow
from people.services import follow_person
from posts import services as post_services
from tests.e2e.browser import PHONE, scroll_width, sign_in
from tests.factories import DepartmentFactory, LocationFactory, UserFactory, make_post


def test_follow_and_join_from_the_home_page_then_ask_who_knows(page):
    mia = UserFactory(username="mia.member", first_name="Mia", last_name="Member")
    # Both chose to be listed under "Who knows" (it is opt-in).
    carl = UserFactory(
        username="carl.colleague",
        first_name="Carl",
        last_name="Colleague",
        listed_as_knowing=True,
    )
    fay = UserFactory(
        username="fay.finance",
        first_name="Fay",
        last_name="Finance",
        department=DepartmentFactory(name="Finance"),
        location=LocationFactory(name="Lisbon"),
        listed_as_knowing=True,
    )
    follow_person(follower=mia, followee=carl)
    club = group_services.create_group(creator=carl, name="Running Club", kind=Group.Kind.OPEN)
    make_post(mia, "hello everyone")
    question = make_post(fay, "How do we book the #budget review?")
    make_post(carl, "My #budget tips")
    post_services.add_comment(post=question, author=carl, body="Through the finance portal.")

    sign_in(page, mia)
    discover = page.get_by_role("region", name="Suggestions for you")
    person = discover.get_by_role("listitem").filter(has_text="Fay Finance")
    expect(person).to_contain_text("in Finance, Lisbon: you share no group yet")
    person.get_by_role("button", name="Follow Fay Finance").click()
    expect(person.get_by_role("button", name="Following Fay Finance — unfollow")).to_be_visible()
    assert Follow.objects.filter(follower=mia, followee=fay).exists()

    group = discover.get_by_role("listitem").filter(has_text="Running Club")
    expect(group).to_contain_text("joined by Carl Colleague, whom you follow")
    group.get_by_role("button", name="Join Running Club").click()
    expect(group.get_by_role("link", name="Joined Running Club — open the group")).to_be_visible()
    assert Membership.objects.filter(user=mia, group=club).exists()

    trending = page.get_by_role("region", name="Trending this week")
    trending.get_by_role("link", name="#budget").click()
    panel = page.get_by_role("region", name="Who knows about #budget")
    expect(panel.get_by_role("listitem").filter(has_text="Carl Colleague")).to_contain_text(
        "1 post, 1 answer"
    )
    expect(panel.get_by_role("listitem").filter(has_text="Fay Finance")).to_contain_text("1 post")

    # Muting the tag from its page: the button turns in place, and home keeps out the posts
    # carrying it although Mia follows both their authors.
    page.goto("/")
    expect(page.get_by_text("My #budget tips")).to_be_visible()
    page.goto(Hashtag.objects.get(slug="budget").get_absolute_url())
    page.get_by_role("button", name="Mute #budget").click()
    expect(page.get_by_role("button", name="Muted #budget — unmute")).to_be_visible()
    page.goto("/")
    expect(page.get_by_text("My #budget tips")).to_have_count(0)
    expect(page.get_by_text("How do we book the #budget review?")).to_have_count(0)
    expect(page.get_by_text("hello everyone")).to_be_visible()


def test_side_cards_fit_a_phone(page):
    mia = UserFactory(username="mia.member", first_name="Mia", last_name="Member")
    make_post(mia, "hello")
    for n in range(3):
        make_post(UserFactory(), f"#a_rather_long_hashtag_name_for_phones_{n} and #town_hall")

    page.set_viewport_size(PHONE)
    sign_in(page, mia)

    expect(page.get_by_role("region", name="Trending this week")).to_be_visible()
    expect(page.get_by_role("region", name="Suggestions for you")).to_be_visible()
    assert scroll_width(page) <= PHONE["width"]
    page.goto("/hashtags/town_hall/")
    expect(page.get_by_role("region", name="Who knows about #town_hall")).to_be_visible()
    assert scroll_width(page) <= PHONE["width"]
