"""Digest emails: rendering, the signed unsubscribe link, and the "view in browser" page."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format, localize
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from digests.building import Digest, DigestItem, DigestSection
from digests.models import DigestRun, Frequency
from digests.preferences import time_zone_of
from people.models import User
from people.selectors import language_of
from posts.models import Post
from posts.selectors import visible_posts, with_post_details

UNSUBSCRIBE_SALT = "digests.unsubscribe"


def unsubscribe_token(user: User) -> str:
    """A token naming the person, signed with SECRET_KEY: anyone holding the email can turn
    that person's digests off (the whole point of the link) and do nothing else."""
    return signing.dumps({"u": user.pk}, salt=UNSUBSCRIBE_SALT, compress=True)


def person_from_unsubscribe_token(token: str) -> User | None:
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        return None
    return User.objects.filter(pk=data["u"], is_active=True).first()


def absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def _subject(digest: Digest, frequency: str) -> str:
    count = digest.post_count + digest.more_count
    titles = ", ".join(section.title for section in digest.sections[:2])
    if frequency == Frequency.WEEKLY:
        what = ngettext("%(n)d new post this week", "%(n)d new posts this week", count)
    else:
        what = ngettext("%(n)d new post today", "%(n)d new posts today", count)
    return f"{what % {'n': count}}: {titles}"[:200]


def render_digest(run: DigestRun, digest: Digest) -> EmailMultiAlternatives:
    """The email, subject included, in its recipient's language and time zone (a worker
    sends everyone's)."""
    with translation.override(language_of(run.user)), timezone.override(time_zone_of(run.user)):
        return _render_digest(run, digest)


# Where a post keeps its words for the email (see _words_of).
_WORDS = "_digest_email_words"


def _words_of(post: Post) -> dict:
    """What the email says about `post` (in the current language and time zone), prepared
    in Python rather than by the template: the same post is in many of a chunk's digests
    (build_digests loads it once for all of them), so its words are made once per language
    (its time once per language and zone) and kept on that instance; the next chunk loads
    fresh posts. Plain dicts: the template engine looks a key up in a dict before it tries
    an attribute. Each string is what the template's own filters and tags gave (date,
    truncatechars, blocktranslate count), so the email reads exactly as before
    (tests/digests/test_digest_email_content.py)."""
    cache = post.__dict__.setdefault(_WORDS, {})
    language, zone = translation.get_language(), timezone.get_current_timezone()
    words = cache.get((language, zone))
    if words is not None:
        return words
    said = cache.get(language)
    if said is None:
        said = cache[language] = _said_of(post, cache)
    when = date_format(timezone.template_localtime(post.created_at), "D j M H:i")
    words = cache[(language, zone)] = {**said, "when": when}
    return words


def _said_of(post: Post, cache: dict) -> dict:
    if "text" not in cache:
        cache["text"] = Truncator(post.plain_text).chars(240)
    group = post.group
    likes, comments = post.like_count, post.comment_count
    return {
        "author": post.author.display_name,
        "group": None if group is None else group.name,
        "in_group": "" if group is None else _("in %(name)s") % {"name": group.name},
        "text": cache["text"],
        # Words of our own catalogue around a number, as {% blocktranslate count %} left
        # them (not escaped again).
        "likes": mark_safe(  # noqa: S308
            ngettext("%(counter)s like", "%(counter)s likes", likes) % {"counter": localize(likes)}
        ),
        "comments": mark_safe(  # noqa: S308
            ngettext("%(counter)s comment", "%(counter)s comments", comments)
            % {"counter": localize(comments)}
        ),
        "link": absolute(post.get_absolute_url()),
    }


def _sections(digest: Digest) -> list[dict]:
    return [
        {
            "title": section.title,
            "url": section.url,
            "items": [
                {**_words_of(item.post), "reasons": ", ".join(item.reasons)}
                for item in section.items
            ],
        }
        for section in digest.sections
    ]


def _render_digest(run: DigestRun, digest: Digest) -> EmailMultiAlternatives:
    unsubscribe_url = absolute(reverse("digests:unsubscribe", args=[unsubscribe_token(run.user)]))
    context = {
        "person": run.user,
        "digest": digest,
        "sections": _sections(digest),
        "why": mark_safe(_("why:")),  # noqa: S308 - as {% translate %} gave it
        "open": mark_safe(_("Open")),  # noqa: S308
        "weekly": run.frequency == Frequency.WEEKLY,
        "site_url": settings.SITE_URL,
        "feed_url": absolute(reverse("home")),
        "browser_url": absolute(reverse("digests:digest", args=[run.pk])),
        "settings_url": absolute(reverse("digests:settings")),
        "unsubscribe_url": unsubscribe_url,
    }
    message = EmailMultiAlternatives(
        subject=_subject(digest, run.frequency),
        body=render_to_string("digests/email/digest.txt", context),
        to=[run.user.email],
        headers={
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
            "X-ESN-Digest": str(run.pk),
            # The same for every attempt at this digest: in the rare case one is mailed twice
            # (a worker lost between sending and marking it sent), mail systems can tell.
            "Message-ID": f"<digest-{run.pk}-{run.period}@{urlsplit(settings.SITE_URL).hostname}>",
        },
    )
    message.attach_alternative(render_to_string("digests/email/digest.html", context), "text/html")
    return message


def send_digest(run: DigestRun, digest: Digest, *, connection=None) -> None:
    message = render_digest(run, digest)
    message.connection = connection
    message.send()


def digest_for_browser(user: User, run_id: int) -> Digest | None:
    """A sent digest for its own recipient, with the posts they may still see now."""
    if not user.is_authenticated:
        return None
    run = DigestRun.objects.filter(pk=run_id, user=user, status=DigestRun.Status.SENT).first()
    if run is None:
        return None
    posts = {p.pk: p for p in with_post_details(visible_posts(user).filter(pk__in=run.post_ids))}
    items = [DigestItem(posts[pk], []) for pk in run.post_ids if pk in posts]
    section = DigestSection(_("Posts in this digest"), reverse("home"), items)
    return Digest(
        user=user,
        since=run.since,
        until=run.until,
        sections=[section] if items else [],
        more_count=run.more_count,
    )
