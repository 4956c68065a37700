"""A newcomer's first day in Chromium (issue 12): an admin chooses what newcomers are offered;
the newcomer joins and follows from the Get started card, which goes away after a few follows;
a company announcement is pinned to everyone's Home and each person may dismiss it."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from groups.models import Group
from tests.e2e.browser import PHONE, scroll_width, sign_in
from tests.factories import DepartmentFactory, LocationFactory, UserFactory, make_post
from tests.groups.helpers import make_group
from welcome.models import Announcement, WelcomeSettings


def test_an_admin_sets_the_first_day_and_a_newcomer_takes_it_from_there(page: Page, new_page):
    sales, utrecht = DepartmentFactory(name="Sales"), LocationFactory(name="Utrecht")
    admin = UserFactory(username="ada.admin", first_name="Ada", is_staff=True, is_superuser=True)
    host = UserFactory(username="hr.host", first_name="Hanna", last_name="Host")
    welcome = make_group(host, Group.Kind.OPEN, name="Welcome", description="Say hello")
    make_group(host, Group.Kind.PRIVATE, name="Partner program")
    make_post(host, "Start here #sales_onboarding")
    UserFactory(
        username="sam.seller",
        first_name="Sam",
        last_name="Seller",
        department=sales,
        location=utrecht,
        title="Account manager",
    )
    nina = UserFactory(
        username="nina.peeters",
        first_name="Nina",
        last_name="Peeters",
        department=sales,
        location=utrecht,
    )

    # The admin, in Django admin: the first-day settings offer open groups only.
    sign_in(page, admin)
    page.goto("/admin/welcome/welcomesettings/")
    expect(page).to_have_url(re.compile(r"/admin/welcome/welcomesettings/1/change/$"))
    page.get_by_label("Welcome text").fill("Welcome to **ACME**: say hello in the Welcome group.")
    groups = page.locator("#id_featured_groups_from")
    expect(groups.locator("option")).to_have_text(["Welcome"])
    groups.select_option(label="Welcome")
    page.locator("#id_featured_groups_add").click()
    page.locator("#id_featured_hashtags_from").select_option(label="#sales_onboarding")
    page.locator("#id_featured_hashtags_add").click()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("changed successfully")
    site = WelcomeSettings.current()
    assert list(site.featured_groups.all()) == [welcome]

    # Nina's first sign-in: a welcome, offers, nothing joined for her.
    page = new_page()
    sign_in(page, nina)
    card = page.locator("#get-started")
    expect(card.get_by_role("heading", name="Get started")).to_be_visible()
    expect(card.locator("strong", has_text="ACME")).to_be_visible()
    expect(card).to_contain_text("Nobody signs you up")
    expect(page.locator(".empty-feed")).to_contain_text("What to do next")
    assert not welcome.memberships.filter(user=nina).exists()

    # One click each, in place.
    card.get_by_role("button", name="Join Welcome").click()
    expect(card.get_by_role("link", name=re.compile("^Joined"))).to_be_visible()
    card.get_by_role("button", name="Follow #sales_onboarding").click()
    expect(
        card.get_by_role("button", name=re.compile("^Following #sales_onboarding"))
    ).to_be_visible()
    expect(card).to_contain_text("also in Sales")
    card.get_by_role("button", name="Follow Sam Seller").click()
    expect(card.get_by_role("button", name=re.compile("^Following Sam Seller"))).to_be_visible()
    assert welcome.memberships.filter(user=nina).exists()

    # Three follows: the next Home is her feed, without the card.
    page.goto("/")
    expect(page.get_by_role("heading", name="Home", level=1)).to_be_visible()
    expect(page.locator("#get-started")).to_have_count(0)


def test_a_newcomer_may_close_the_card_and_it_fits_a_phone(new_page):
    nina = UserFactory(username="nina.peeters", first_name="Nina", last_name="Peeters")
    site = WelcomeSettings.current()
    site.welcome_text = "Hello and welcome."
    site.save()
    site.featured_groups.set([make_group(UserFactory(), Group.Kind.OPEN, name="Welcome")])
    page = new_page(viewport=PHONE)
    sign_in(page, nina)
    card = page.locator("#get-started")
    expect(card).to_be_visible()
    assert scroll_width(page) <= PHONE["width"]
    card.get_by_role("button", name="Close the Get started card").click()
    expect(page.locator("#get-started")).to_have_count(0)
    page.reload()
    expect(page.locator("#get-started")).to_have_count(0)


def test_an_announcement_is_pinned_to_everyones_home_and_each_may_dismiss_it(page: Page, new_page):
    admin = UserFactory(username="ada.admin", first_name="Ada", is_staff=True, is_superuser=True)
    host = UserFactory(username="hr.host", first_name="Hanna", last_name="Host")
    mia = UserFactory(username="mia.member", first_name="Mia", last_name="Member")
    post = make_post(host, "**Town hall** on Friday at 16:00 #town_hall")

    sign_in(page, admin)
    page.goto(post.get_absolute_url())
    page.get_by_label("Pin to everyone's Home for").select_option(label="1 week")
    page.get_by_role("button", name="Pin as announcement").click()
    expect(page.get_by_role("status")).to_contain_text("Pinned to everyone's Home until")
    expect(page.get_by_role("button", name="Unpin now")).to_be_visible()
    assert Announcement.objects.count() == 1

    for size in (None, PHONE):
        reader = new_page(viewport=size) if size else new_page()
        sign_in(reader, mia)
        pinned = reader.locator(".announcement")
        expect(pinned.locator(".badge-announcement")).to_have_text("Announcement")
        expect(pinned.get_by_role("article")).to_contain_text("Town hall on Friday")
        if size:
            assert scroll_width(reader) <= PHONE["width"]
            pinned.get_by_role("button", name="Dismiss this announcement").click()
            expect(reader.locator(".announcement")).to_have_count(0)
            reader.reload()
            expect(reader.locator(".announcement")).to_have_count(0)
            reader.close()
        else:
            reader.close()
