"""Groups in a real browser: asking to join and being approved, and what a guest sees."""

from __future__ import annotations

import re
from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from groups import services as group_services
from groups.models import Group, Invitation
from tests.e2e.browser import sign_in
from tests.factories import UserFactory, make_post


def test_ask_to_join_a_private_group_and_get_approved(page, new_page):
    owner = UserFactory(username="olivia.owner", first_name="Olivia", last_name="Owner")
    mia = UserFactory(username="mia.member", first_name="Mia", last_name="Member")
    group = group_services.create_group(
        creator=owner,
        name="Sales onboarding",
        kind=Group.Kind.PRIVATE,
        description="Helping new sellers in their first 90 days.",
    )
    make_post(owner, "Week one checklist: shadow two calls.", group=group)

    # Mia finds the group in the directory: she sees what it is about, not its posts.
    sign_in(page, mia)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Groups").click()
    page.get_by_label("Name or description").fill("sellers")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Sales onboarding").click()
    expect(page.get_by_role("heading", name="Members only")).to_be_visible()
    expect(page.get_by_text("Week one checklist")).to_have_count(0)
    page.get_by_label("A note for the managers (optional)").fill("I start on Monday!")
    page.get_by_role("button", name="Ask to join").click()
    expect(page.get_by_text("Your request is with the group's managers.")).to_be_visible()
    expect(page.get_by_role("button", name="Withdraw request")).to_be_visible()

    # Olivia approves it from the members page.
    manager = new_page()
    sign_in(manager, owner)
    manager.goto(group.get_absolute_url())
    manager.get_by_role("link", name="Members, requests and invitations").click()
    request = manager.get_by_role("listitem").filter(has_text="Mia Member")
    expect(request).to_contain_text("I start on Monday!")
    request.get_by_role("button", name="Approve Mia Member").click()
    expect(manager.get_by_text("Mia Member is now a member.")).to_be_visible()

    # On her next page Mia is in: the posts are there, and so is the group in her feed.
    page.reload()
    expect(page.get_by_text("You are a member.")).to_be_visible()
    expect(page.get_by_text("Week one checklist")).to_be_visible()
    page.goto("/")
    post = page.get_by_role("article", name="Olivia Owner")
    expect(post.locator(".post-reason")).to_have_text("you are in Sales onboarding")


def test_a_guest_sees_only_their_own_group(page, browser_errors):
    sponsor = UserFactory(username="sam.sponsor", first_name="Sam", last_name="Sponsor")
    guest = UserFactory(
        username="gus.partner",
        first_name="Gus",
        last_name="Partner",
        is_guest=True,
        sponsor=sponsor,
        guest_expires_on=(timezone.now() + timedelta(days=30)).date(),
    )
    theirs = group_services.create_group(
        creator=sponsor, name="Partner program", kind=Group.Kind.PRIVATE, allow_guests=True
    )
    other = group_services.create_group(
        creator=sponsor, name="Pricing strategy", kind=Group.Kind.OPEN
    )
    group_services.invite(group=theirs, inviter=sponsor, people=[guest])
    make_post(sponsor, "Rollout plan for partners", group=theirs)
    make_post(sponsor, "Internal price list", group=other)
    make_post(sponsor, "Company party on Friday")

    sign_in(page, guest)
    nav = page.get_by_role("navigation", name="Main")
    for hidden in ("All", "People", "Hashtags"):
        expect(nav.get_by_role("link", name=hidden, exact=True)).to_have_count(0)
    expect(page.get_by_text("Guest", exact=True).first).to_be_visible()

    # The invitation waits on Home; accepting it opens the group.
    page.get_by_role("button", name="Join Partner program").click()
    expect(page).to_have_url(re.compile(r"/groups/partner-program/$"))
    expect(page.get_by_text("Rollout plan for partners")).to_be_visible()
    assert Invitation.objects.get(invitee=guest).status == Invitation.Status.ACCEPTED

    page.goto("/")
    expect(page.get_by_text("Rollout plan for partners")).to_be_visible()
    body = page.locator("body")
    for secret in ("Internal price list", "Company party", "Pricing strategy"):
        expect(body).not_to_contain_text(secret)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Groups").click()
    expect(page.locator("body")).not_to_contain_text("Pricing strategy")

    for path in ("/all/", "/people/", f"/groups/{other.slug}/"):
        response = page.goto(path)
        assert response.status == 404, path
        expect(page.locator("body")).not_to_contain_text("Internal price list")
    # Those 404s were the point; the browser logs each as a console error.
    assert all("404 (Not Found)" in error for error in browser_errors)
    browser_errors.clear()


def test_a_manager_removes_a_post_and_the_author_sees_why(page, new_page):
    owner = UserFactory(username="olivia.owner", first_name="Olivia", last_name="Owner")
    author = UserFactory(username="andy.author", first_name="Andy", last_name="Author")
    group = group_services.create_group(creator=owner, name="Pricing", kind=Group.Kind.OPEN)
    group_services.join_group(user=author, group=group)
    post = make_post(author, "Here is the full customer price list", group=group)

    # Olivia, the group's owner, removes it from the group page with a reason.
    sign_in(page, owner)
    page.goto(group.get_absolute_url())
    article = page.get_by_role("article", name="Andy Author")
    article.get_by_text("Moderate").click()
    article.get_by_label("Reason for removing (the author sees it)").fill(
        "Customer prices stay in the deal desk"
    )
    article.get_by_role("button", name="Remove post").click()
    # Removed where it stood (htmx): the note takes the post's place, with a way back.
    expect(
        page.get_by_text("You removed this post by Andy Author. Its author sees your reason.")
    ).to_be_visible()
    expect(page.get_by_text("Here is the full customer price list")).to_have_count(0)

    # Andy opens his post and reads why; the text is still his to see.
    mine = new_page()
    sign_in(mine, author)
    mine.goto(post.get_absolute_url())
    expect(mine.get_by_role("heading", name="Your post was removed")).to_be_visible()
    expect(mine.get_by_text("Customer prices stay in the deal desk")).to_be_visible()
    expect(mine.get_by_text("Here is the full customer price list")).to_be_visible()

    # The audit log keeps who did it and why.
    page.get_by_role("link", name="Audit log").click()
    row = page.get_by_role("row").filter(has_text="removed a post")
    expect(row).to_contain_text("Olivia Owner")
    expect(row).to_contain_text("Customer prices stay in the deal desk")
