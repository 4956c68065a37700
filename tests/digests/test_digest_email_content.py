"""The digest email, word for word: a fixed digest rendered in three languages and time zones
must give exactly the subject, headers, text and HTML kept in tests/digests/golden/. They were
written by the template-only rendering that came before the words were prepared in Python
(issue 16), so a faster rendering cannot change what a person reads.

To write them again after a deliberate change to the email: ESN_WRITE_GOLDEN=1 pytest this
file, then read the diff."""

from __future__ import annotations

import os
import zoneinfo
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from digests import emails
from digests.building import Digest, DigestItem, DigestSection
from digests.models import DigestChoice, DigestRun, Frequency, InboxItem
from groups.models import Group
from people.models import User
from posts.models import Post

pytestmark = pytest.mark.django_db
GOLDEN = Path(__file__).parent / "golden"
UTC = zoneinfo.ZoneInfo("UTC")
WHEN = datetime(2026, 11, 30, 16, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _fixed_links(settings, monkeypatch):
    settings.SITE_URL = "https://esn.example"
    # The signed token carries a timestamp: the same stand-in for every run.
    monkeypatch.setattr(emails, "unsubscribe_token", lambda user: f"token-{user.pk}")


def _person(pk, username, first_name, language, time_zone=None) -> User:
    person = User(
        pk=pk,
        username=username,
        first_name=first_name,
        last_name="Example" if first_name else "",
        email=f"{username}@example.com",
        language=language,
    )
    if time_zone is not None:
        person.digest_choice = DigestChoice(user=person, time_zone=time_zone)
    return person


def _post(pk, author, body_html, *, group=None, likes=0, comments=0, hours_ago=1) -> Post:
    return Post(
        pk=pk,
        author=author,
        group=group,
        body_html=body_html,
        like_count=likes,
        comment_count=comments,
        created_at=WHEN - timedelta(hours=hours_ago),
    )


def _digest(person: User, *, more_count: int, addressed=()) -> Digest:
    carl = _person(11, "carl.colleague", "Carl", "en")
    nobody = _person(12, "no.name", "", "en")
    group = Group(pk=21, name="Coffee & <Tea> Club", slug="coffee-tea-club")
    long = "<p>" + " ".join(f"word{n}" for n in range(80)) + "</p>"
    posts = [
        _post(31, carl, "<p>Hello <b>&quot;team&quot;</b> &amp; friends</p>", group=group,
              likes=1, comments=0, hours_ago=2),
        _post(32, nobody, long, group=group, likes=0, comments=1, hours_ago=30),
        _post(33, carl, "<ul><li>one</li><li>two</li></ul>", likes=1234, comments=5,
              hours_ago=50),
        _post(34, nobody, "<p>#coffee beans</p>", likes=2, comments=2, hours_ago=100),
    ]  # fmt: skip
    sections = [
        DigestSection(
            group.name,
            "/groups/coffee-tea-club/",
            [DigestItem(posts[0], ["in Coffee & <Tea> Club"]), DigestItem(posts[1], ["x", "y"])],
        ),
        DigestSection("People you follow", "/", [DigestItem(posts[2], ["you follow @carl"])]),
        DigestSection("#coffee", "/tags/coffee/", [DigestItem(posts[3], [])]),
    ]
    return Digest(
        user=person,
        since=WHEN - timedelta(days=7),
        until=WHEN,
        sections=sections,
        more_count=more_count,
        addressed=list(addressed),
    )


def _mention(person: User) -> InboxItem:
    carl = _person(11, "carl.colleague", "Carl", "en")
    post = _post(35, carl, "<p>@ann look at this</p>")
    return InboxItem(
        pk=41,
        recipient=person,
        actor_user=carl,
        kind=InboxItem.Kind.MENTION,
        post=post,
        verb="mentioned you",
        data={},
    )


CASES = {
    # English, the site's zone, weekly, one more post, one unread mention.
    "en_weekly": (_person(1, "ann", "Ann", "en"), Frequency.WEEKLY, 1, True),
    # Dutch, a zone of their own, daily, many more posts.
    "nl_daily": (_person(2, "bram", "Bram", "nl", "America/Toronto"), Frequency.DAILY, 1234, False),
    # German, no name (the username greets), nothing more in the feed.
    "de_weekly": (_person(3, "dora", "", "de", "Asia/Tokyo"), Frequency.WEEKLY, 0, False),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_digest_email_reads_exactly_as_before(case):
    person, frequency, more, mention = CASES[case]
    digest = _digest(person, more_count=more, addressed=[_mention(person)] if mention else [])
    run = DigestRun(pk=7, user=person, period="2026-W49", frequency=frequency)

    message = emails.render_digest(run, digest)

    headers = "\n".join(f"{k}: {v}" for k, v in sorted(message.extra_headers.items()))
    got = {
        "meta": f"Subject: {message.subject}\nTo: {', '.join(message.to)}\n{headers}\n",
        "txt": message.body,
        "html": message.alternatives[0][0],
    }
    for part, text in got.items():
        path = GOLDEN / f"{case}.{part}"
        if os.environ.get("ESN_WRITE_GOLDEN"):
            path.write_text(text, encoding="utf-8")
        assert text == path.read_text(encoding="utf-8"), f"{path.name} differs"


def test_posts_shared_by_a_chunks_digests_read_right_in_each_language_and_zone():
    """A chunk's digests share their post objects, and the words prepared for one reader (in
    their language and zone) are kept on them: the next reader still gets their own."""
    shared = _digest(CASES["en_weekly"][0], more_count=0)
    for case in ("nl_daily", "en_weekly", "de_weekly", "nl_daily"):
        person, frequency, more, mention = CASES[case]
        digest = replace(
            shared,
            user=person,
            more_count=more,
            addressed=[_mention(person)] if mention else [],
        )
        run = DigestRun(pk=7, user=person, period="2026-W49", frequency=frequency)

        message = emails.render_digest(run, digest)

        assert message.body == (GOLDEN / f"{case}.txt").read_text(encoding="utf-8")
        assert message.alternatives[0][0] == (GOLDEN / f"{case}.html").read_text(encoding="utf-8")
