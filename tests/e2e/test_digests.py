"""The inbox and digests in a real browser: being mentioned, and leaving digests from an
email."""

from __future__ import annotations

import email
import re
from datetime import timedelta
from email import policy
from pathlib import Path

from django.utils import timezone
from playwright.sync_api import expect

from digests import planning, preferences, unread
from digests.models import DigestChoice, Frequency, SiteSettings
from groups import services as group_services
from groups.models import Group
from people.models import User
from people.services import follow_person
from tests.e2e.browser import PHONE, sign_in
from tests.factories import UserFactory, make_post


def test_get_mentioned_see_the_badge_and_open_the_inbox_row(page, new_page):
    mia = UserFactory(username="mia.member", first_name="Mia", last_name="Member")
    carl = UserFactory(username="carl.colleague", first_name="Carl", last_name="Colleague")
    sign_in(page, mia)
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Inbox", exact=True)).to_be_visible()  # no badge yet

    # Carl mentions Mia from his home composer.
    writer = new_page()
    sign_in(writer, carl)
    writer.get_by_label("What would you like to share?").fill(
        "@mia.member could you review the onboarding deck?"
    )
    writer.get_by_role("button", name="Publish").click()
    expect(writer.get_by_role("article", name="Carl Colleague")).to_be_visible()

    # Mia's next page shows one unread item; the inbox row leads to the post.
    page.reload()
    inbox_link = nav.get_by_role("link", name=re.compile(r"^Inbox 1 unread$"))
    expect(inbox_link).to_be_visible()
    inbox_link.click()
    row = page.get_by_role("listitem").filter(has_text="Carl Colleague mentioned you in a post")
    expect(row).to_contain_text("could you review the onboarding deck?")
    row.get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"/posts/\d+/$"))
    expect(page.get_by_text("could you review the onboarding deck?")).to_be_visible()
    # Opened means read: the badge is gone.
    expect(nav.get_by_role("link", name="Inbox", exact=True)).to_be_visible()


def test_the_inbox_on_a_phone(new_page, browser_errors):
    mia = UserFactory(username="mia.member", first_name="Mia", last_name="Member")
    for n in range(3):
        make_post(UserFactory(first_name=f"Writer{n}"), f"@mia.member note number {n}")
    phone = new_page(PHONE)
    sign_in(phone, mia)
    phone.get_by_role("link", name=re.compile(r"^Inbox 3 unread$")).click()
    expect(phone.locator(".inbox-row")).to_have_count(3)
    assert phone.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    phone.get_by_role("button", name="Mark all as read").click()
    expect(phone.locator(".inbox-row.is-unread")).to_have_count(0)
    expect(phone.get_by_role("link", name="Inbox", exact=True)).to_be_visible()


def test_follow_the_unsubscribe_link_from_a_digest_email(page, live_server, settings, tmp_path):
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path / "mail")
    settings.SITE_URL = live_server.url
    site = SiteSettings.current()
    site.digest_frequency, site.send_hour = Frequency.DAILY, 0
    site.save()
    mia = UserFactory(username="mia.member", first_name="Mia", last_name="Member")
    carl = UserFactory(username="carl.colleague", first_name="Carl", last_name="Colleague")
    follow_person(follower=mia, followee=carl)
    User.objects.filter(pk=mia.pk).update(last_seen_at=timezone.now() - timedelta(days=3))
    make_post(carl, "Standing desks arrive on Thursday")
    now = timezone.now()
    planning.plan(now=now, enqueue=lambda chunk: planning.send_chunk(chunk, now=now))

    # The digest, as a mail client would read it from the file backend's output.
    [mail_file] = list(Path(settings.EMAIL_FILE_PATH).iterdir())
    message = email.message_from_string(mail_file.read_text(), policy=policy.default)
    assert message["To"] == mia.email
    assert "Standing desks arrive on Thursday" in message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    link = re.search(r'href="([^"]+/digests/unsubscribe/[^"]+)"', html).group(1)
    assert message["List-Unsubscribe"].strip() == f"<{link}>"

    # Following the link needs no sign-in; one button, and digests are off.
    page.goto(link)
    expect(page.get_by_role("heading", name="Unsubscribe from digests?")).to_be_visible()
    page.get_by_role("button", name="Unsubscribe").click()
    expect(page.get_by_role("heading", name="You are unsubscribed")).to_be_visible()
    expect(page.get_by_text(f"No more digests will be sent to {mia.email}")).to_be_visible()
    assert preferences.effective_frequency(mia) == Frequency.OFF


def test_change_my_digest_to_weekly_and_mute_a_group(page):
    site = SiteSettings.current()
    site.digest_frequency = Frequency.DAILY
    site.save()
    owner = UserFactory(username="olivia.owner", first_name="Olivia", last_name="Owner")
    mia = UserFactory(username="mia.member", first_name="Mia", last_name="Member")
    noisy = group_services.create_group(creator=owner, name="Lunch Chat", kind=Group.Kind.OPEN)
    group_services.join_group(user=mia, group=noisy)
    make_post(owner, "Pizza on Friday?", group=noisy)

    sign_in(page, mia)
    expect(page.get_by_text("Pizza on Friday?")).to_be_visible()
    page.get_by_label("Your account").click()
    page.get_by_role("link", name="Notification settings").click()
    expect(page.get_by_role("heading", name="Notification settings", level=1)).to_be_visible()
    expect(page.get_by_label("Site default (now: Daily)")).to_be_checked()

    page.get_by_label("Weekly", exact=True).check()
    page.get_by_label("Time zone").select_option("Europe/Berlin")
    # Unread mentions and replies: the site emails them after 30 minutes; Mia keeps them for
    # her digest instead.
    expect(page.get_by_label("Site default (now: email them after 30 minutes)")).to_be_checked()
    page.get_by_label("Only in my digest").check()
    page.get_by_role("button", name="Save digest settings").click()
    expect(page.get_by_text("Your digest settings are saved.")).to_be_visible()
    expect(page.get_by_label("Weekly", exact=True)).to_be_checked()
    expect(page.get_by_label("Only in my digest")).to_be_checked()
    assert preferences.effective_frequency(mia) == Frequency.WEEKLY
    assert DigestChoice.objects.get(user=mia).unread_email == "digest"

    # Muting the group swaps just its row (htmx) and says so.
    row = page.locator(f"#source-group-{noisy.pk}")
    row.get_by_label("What to do with Lunch Chat").select_option("muted")
    row.get_by_role("button", name="Save").click()
    expect(page.locator(f"#source-group-{noisy.pk}").get_by_role("status")).to_have_text("Saved")
    expect(page.get_by_label("What to do with Lunch Chat")).to_have_value("muted")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Home", exact=True).click()
    expect(page.get_by_text("Pizza on Friday?")).to_have_count(0)


def test_an_unread_mention_reaches_email_once_and_the_person_can_say_digest_only(
    page, new_page, live_server, settings, tmp_path
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path / "mail")
    settings.SITE_URL = live_server.url
    ana = UserFactory(username="ana.jansen", first_name="Ana", last_name="Jansen")
    zoe = UserFactory(username="zoe.mulder", first_name="Zoë", last_name="Mulder")
    sign_in(page, zoe)
    page.get_by_label("What would you like to share?").fill("Desk ideas, @ana.jansen?")
    page.get_by_role("button", name="Publish").click()
    expect(page.locator("#feed-items").get_by_role("article").first).to_contain_text("Desk ideas")

    # Not yet: the site's delay has not passed. After it: one email, naming the mention.
    assert unread.send_unread_emails(now=timezone.now()).sent == 0
    later = timezone.now() + timedelta(minutes=SiteSettings.current().unread_email_delay + 1)
    assert unread.send_unread_emails(now=later).sent == 1
    assert unread.send_unread_emails(now=later).sent == 0  # a second beat sends nothing
    [mail_file] = list(Path(settings.EMAIL_FILE_PATH).iterdir())
    message = email.message_from_bytes(mail_file.read_bytes(), policy=policy.default)
    assert message["To"] == ana.email
    text = message.get_body(("plain",)).get_content()
    assert "Zoë Mulder mentioned you in a post" in text
    link = re.search(r'href="([^"]+/inbox/[^"]+)"', message.get_body(("html",)).get_content())

    # The link opens the post (after signing in) and the row is read.
    ana_page = new_page()
    sign_in(ana_page, ana)
    ana_page.goto(link.group(1))
    expect(ana_page.get_by_role("article").first).to_contain_text("Desk ideas")

    # Ana would rather read such things in her digest.
    ana_page.goto("/settings/notifications/")
    ana_page.get_by_label("Only in my digest").check()
    ana_page.get_by_role("button", name="Save digest settings").click()
    expect(ana_page.get_by_role("status")).to_be_visible()
    assert DigestChoice.objects.get(user=ana).unread_email == "digest"
    page.get_by_label("What would you like to share?").fill("And chairs, @ana.jansen?")
    page.get_by_role("button", name="Publish").click()
    expect(page.locator("#feed-items").get_by_role("article").first).to_contain_text("chairs")
    much_later = later + timedelta(hours=5)
    assert unread.send_unread_emails(now=much_later).sent == 0
    assert len(list(Path(settings.EMAIL_FILE_PATH).iterdir())) == 1
