"""The whole product in Dutch and in German (issue 14): a person who chose the language sees
no English on the main pages: home, a post, a group, search, the inbox and their settings.
The words below are English words that neither language uses; the page's text, its title and
the labels only screen readers and tooltips show are all read. The content is written in the
person's language too, so what is found is ours."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone
from playwright.sync_api import Page, expect

from analytics import rollup
from groups.models import Group
from posts import services as post_services
from tests.e2e.browser import PHONE, scroll_width
from tests.factories import PASSWORD, DepartmentFactory, UserFactory, make_post
from tests.groups.helpers import add_manager, make_group

# English words that must not appear once the page speaks Dutch or German (whole words, any
# case). Words the languages share with English ("Feed", "Inbox", "Hashtags", "Team") are not
# listed.
ENGLISH = [
    "the",
    "and",
    "your",
    "you",
    "with",
    "for",
    "this",
    "what",
    "who",
    "from",
    "here",
    "search",
    "groups",
    "people",
    "questions",
    "follow",
    "following",
    "followers",
    "comment",
    "comments",
    "reply",
    "settings",
    "sign",
    "write",
    "share",
    "members",
    "join",
    "leave",
    "save",
    "cancel",
    "notifications",
    "mark",
    "read",
    "unread",
    "ago",
    "yesterday",
    "today",
    "just",
    "answer",
    "ask",
    "edit",
    "profile",
    "password",
    "report",
    "delete",
    "more",
    "older",
    "newer",
    "welcome",
    "started",
    "announcement",
    "digest",
    "weekly",
    "daily",
    "never",
    "email",
    "everyone",
    "nothing",
    "post",
    "posts",
    "publish",
    "open",
    "private",
    "secret",
    "about",
    "home",
    "all",
    "menu",
    "skip",
    "main",
]

TEXTS = {
    "nl": {
        "post": "Wie heeft er ervaring met een sta-bureau? Ik twijfel nog over het model.",
        "group_post": "De planning voor het kwartaal staat klaar, kijk er even naar.",
        "comment": "Ik gebruik er al een jaar een, echt een aanrader.",
        "query": "bureau",
    },
    "de": {
        "post": "Wer hat Erfahrung mit einem Stehschreibtisch? Ich bin mir beim Modell unsicher.",
        "group_post": "Die Planung für das Quartal steht, schaut sie euch bitte an.",
        "comment": "Ich nutze seit einem Jahr einen, sehr zu empfehlen.",
        "query": "Stehschreibtisch",
    },
}


def english_on(page: Page) -> list[str]:
    """The English words on the page: text, title, and aria-label/title/placeholder/alt."""
    texts = page.evaluate(
        """() => {
            const parts = [document.title, document.body.innerText];
            for (const el of document.querySelectorAll('[aria-label],[title],[placeholder],[alt]')) {
                for (const name of ['aria-label', 'title', 'placeholder', 'alt']) {
                    const value = el.getAttribute(name);
                    if (value) parts.push(value);
                }
            }
            return parts.join('\\n');
        }"""
    )
    words = set(re.findall(r"[A-Za-zÀ-ÿ]+", texts.lower()))
    return sorted(words & set(ENGLISH))


@pytest.fixture
def cast(request):
    language = request.param
    text = TEXTS[language]
    dept = DepartmentFactory(name="Verkoop" if language == "nl" else "Vertrieb")
    reader = UserFactory(
        username="lena.lezer",
        first_name="Lena",
        last_name="Lezer",
        language=language,
        department=dept,
    )
    writer = UserFactory(username="jan.schrijver", first_name="Jan", last_name="Schrijver")
    group = make_group(
        writer, Group.Kind.PRIVATE, name="Kwartaal" if language == "nl" else "Quartal"
    )
    # A manager of the group who may also read the network's figures: the community-health
    # pages are checked too.
    add_manager(group, writer, reader)
    reader.user_permissions.add(Permission.objects.get(codename="view_site_analytics"))
    post = make_post(writer, text["post"])
    make_post(writer, text["group_post"], group=group)
    post_services.add_comment(author=reader, post=post, body=text["comment"])
    today = timezone.localdate()
    rollup.roll_up_range(today - timedelta(days=2), today - timedelta(days=1), today=today)
    return language, reader, writer, group, post, text


@pytest.mark.parametrize("cast", ["nl", "de"], indirect=True)
def test_the_main_pages_speak_the_persons_language(new_page, cast):
    language, reader, _writer, group, post, text = cast
    for viewport in (None, PHONE):
        page = new_page(viewport)
        # The sign-in page, in the browser's English, offers the three languages.
        page.goto("/accounts/login/")
        name = {"nl": "Nederlands", "de": "Deutsch"}[language]
        page.get_by_role("button", name=name, exact=True).click()
        expect(page.locator("html")).to_have_attribute("lang", language)
        found = english_on(page)
        assert not found, f"{language} sign-in page shows English: {found}"
        page.locator("input[name=username]").fill(reader.username)
        page.locator("input[name=password]").fill(PASSWORD)
        page.locator(
            "form.auth-form button[type=submit], main form button[type=submit]"
        ).first.click()
        expect(page).to_have_url(re.compile(r"/$"))
        pages = {
            "home": "/",
            "post": post.get_absolute_url(),
            "group": group.get_absolute_url(),
            "search": f"/search/?q={text['query']}",
            "inbox": "/inbox/",
            "settings": "/settings/notifications/",
            "profile": "/people/me/edit/",
            "language": "/people/me/language/",
            "measurement": "/measurement/",
            "network figures": "/analytics/?period=day",
            "group insights": f"/groups/{group.slug}/insights/",
        }
        for name, url in pages.items():
            page.goto(url)
            expect(page.locator("html")).to_have_attribute("lang", language)
            found = english_on(page)
            assert not found, f"{language} {name} page ({url}) shows English: {found}"
            if viewport and scroll_width(page) > PHONE["width"]:
                wide = page.evaluate(
                    """(width) => [...document.querySelectorAll('body *')]
                        .filter(e => e.getBoundingClientRect().right > width + 1 || e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX === 'visible')
                        .map(e => e.tagName + ' ' + (e.innerText || '').slice(0, 40))""",
                    PHONE["width"],
                )
                pytest.fail(
                    f"{language} {name} page scrolls sideways ({scroll_width(page)} px): {wide[:5]}"
                )
        page.context.close()
