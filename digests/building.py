"""What goes into a digest: built for many people at once, in a fixed number of queries.

For each person: posts published since the later of their previous digest and their last
visit (what they could already see in the app is not mailed again), from the sources they
keep at "feed and digest" (their groups, the hashtags and people they follow, and posts that
mention them if the site says so), plus, if the site says so, questions asked in their groups
that are still unanswered (from every group they did not mute or set to "feed only"
themselves, so an admin can mail open questions while group posts default to the feed only),
that they may see NOW (RELIABILITY.md 2: the policy is
applied when the email is built, not when the task was queued), ranked by engagement then
recency, capped at the site's maximum with a count of the rest.

Candidates come from one SQL query for the whole chunk (each post of the chunk's sources read
once, then matched to each person's own sources); its visibility condition is generated from
the policy itself (`access.posts.post_sql_by_standing`), and every candidate
is then checked again with the policy's per-object check on the ties loaded for the batch
(`access.posts.can_view_post`), so the SQL could only leave posts out, never leak them.
"""

from __future__ import annotations

import json
import operator
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import reduce

from django.db import connection, transaction
from django.db.models import Prefetch
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from access.inbox import visible_inbox_q
from access.posts import can_view_post, post_sql_by_standing
from access.rules import SqlFacts
from access.viewer import Viewer
from digests.models import Frequency, InboxItem, Level, SiteSettings, SourceKind, UnreadEmail
from hashtags.models import TaggedPost
from people.models import User
from people.selectors import language_of, site_language
from posts.models import Post
from posts.selectors import with_post_details
from welcome.models import Announcement, AnnouncementDismissal

PERIOD_LENGTH = {Frequency.DAILY: timedelta(days=1), Frequency.WEEKLY: timedelta(days=7)}

# The visibility condition is generated from the policy (our own names, no input in it).
#
# The posts of a chunk's sources overlap a lot (popular hashtags, busy colleagues): `pool`
# reads each of them once for the whole chunk, with what ranking needs, and `pairs` matches
# them to each person's own sources by hash joins. Ranking and counting still take every
# candidate of every person (the count is exact), but no longer one index probe of posts_post
# per person and candidate: the probes were three quarters of this query (bench/README.md).
# `pool` carries the post columns the policy's SQL reads (alias `p`).
_CANDIDATES_SQL = """
WITH u AS MATERIALIZED (
    SELECT * FROM json_to_recordset(%(people)s::json) AS u(
        user_id bigint, since timestamptz, authors bigint[], groups bigint[], tags bigint[],
        question_groups bigint[], member_groups bigint[], blocked bigint[],
        muted_authors bigint[], muted_groups bigint[], muted_tags bigint[], standing text,
        mentions boolean, n int)
),
tagged AS MATERIALIZED (
    SELECT t.tag_id, t.content_object_id AS id, t.created_at
    FROM hashtags_taggedpost AS t
    WHERE t.tag_id IN (SELECT unnest(u.tags) FROM u)
        AND t.created_at > %(earliest)s AND t.created_at <= %(until)s
),
pool AS MATERIALIZED (
    SELECT p.id, p.created_at, p.author_id, p.group_id, p.removed_at, p.is_question,
        p.accepted_answer_id,
        row_number() OVER (
            ORDER BY p.like_count + p.comment_count DESC, p.created_at DESC, p.id DESC
        ) AS place
    FROM posts_post AS p
    WHERE p.created_at > %(earliest)s AND p.created_at <= %(until)s
        AND (p.author_id IN (SELECT unnest(u.authors) FROM u)
            OR p.group_id IN (SELECT unnest(u.groups || u.question_groups) FROM u)
            OR p.id IN (SELECT tagged.id FROM tagged)
            OR p.id IN (
                SELECT m.post_id FROM posts_post_mentions AS m
                WHERE m.user_id IN (SELECT u.user_id FROM u WHERE u.mentions)))
),
pairs AS (
    SELECT u.user_id, p.id
    FROM u CROSS JOIN unnest(u.authors) AS a (id) JOIN pool AS p ON p.author_id = a.id
    UNION
    SELECT u.user_id, p.id
    FROM u CROSS JOIN unnest(u.groups) AS g (id) JOIN pool AS p ON p.group_id = g.id
    UNION
    SELECT u.user_id, t.id
    FROM u CROSS JOIN unnest(u.tags) AS tg (id)
        JOIN tagged AS t ON t.tag_id = tg.id AND t.created_at > u.since
    UNION
    SELECT u.user_id, p.id
    FROM u CROSS JOIN unnest(u.question_groups) AS g (id)
        JOIN pool AS p ON p.group_id = g.id AND p.is_question AND p.accepted_answer_id IS NULL
    UNION
    SELECT m.user_id, m.post_id
    FROM posts_post_mentions AS m JOIN u ON u.user_id = m.user_id AND u.mentions
)
SELECT u.user_id, unnest((array_agg(p.id ORDER BY p.place))[1:min(u.n)]), count(*)
FROM pairs JOIN u ON u.user_id = pairs.user_id JOIN pool AS p ON p.id = pairs.id
WHERE p.created_at > u.since AND p.created_at <= %(until)s
    AND p.author_id <> u.user_id
    AND NOT p.author_id = ANY(u.muted_authors)
    AND (p.group_id IS NULL OR NOT p.group_id = ANY(u.muted_groups))
    AND NOT (cardinality(u.muted_tags) > 0 AND EXISTS (
        SELECT 1 FROM hashtags_taggedpost AS mt
        WHERE mt.content_object_id = p.id AND mt.tag_id = ANY(u.muted_tags)))
    AND {visible}
GROUP BY u.user_id
""".format(  # noqa: S608
    visible=post_sql_by_standing(
        "u.standing",
        "p",
        SqlFacts(member_groups="u.member_groups", blocked="u.blocked", user="u.user_id"),
    )
)


# Set (LOCAL, in its transaction) before _CANDIDATES_SQL: see build_digests.
CANDIDATES_PLANNER = "SET LOCAL jit = off; SET LOCAL enable_nestloop = off"


@dataclass
class DigestItem:
    post: Post
    reasons: list[str]


@dataclass
class DigestSection:
    title: str
    url: str
    items: list[DigestItem] = field(default_factory=list)


@dataclass
class Digest:
    user: User
    since: datetime
    until: datetime
    sections: list[DigestSection]
    more_count: int
    # Mentions, replies and invitations still unread, for people who chose to get them in
    # their digest rather than by email (DigestChoice.unread_email).
    addressed: list[InboxItem] = field(default_factory=list)

    @property
    def posts(self) -> list[Post]:
        return [item.post for section in self.sections for item in section.items]

    @property
    def post_count(self) -> int:
        return sum(len(section.items) for section in self.sections)


@dataclass
class _Sources:
    """One person's digest sources, from their ties and the site's defaults (the ids; names
    and addresses come with the posts)."""

    authors: set[int] = field(default_factory=set)
    groups: set[int] = field(default_factory=set)
    tags: set[int] = field(default_factory=set)
    # Groups whose open questions may be mailed: not muted, not set to "feed only" by the
    # person themselves.
    question_groups: set[int] = field(default_factory=set)
    muted_authors: set[int] = field(default_factory=set)

    @classmethod
    def of(cls, viewer: Viewer, site: SiteSettings) -> _Sources:
        ties, mine = viewer.ties, cls()
        for group_id in ties.member_groups:
            level = ties.level(SourceKind.GROUP, group_id, site)
            if level == Level.MUTED:
                continue
            if level == Level.DIGEST:
                mine.groups.add(group_id)
            if site.include_unanswered and ties.chose(SourceKind.GROUP, group_id) in (
                None,
                Level.DIGEST,
            ):
                mine.question_groups.add(group_id)
        mine.authors = {
            pk for pk in ties.following if ties.level(SourceKind.PERSON, pk, site) == Level.DIGEST
        }
        mine.tags = {
            pk for pk in ties.hashtags if ties.level(SourceKind.HASHTAG, pk, site) == Level.DIGEST
        }
        # Muting a person keeps their posts out even where they are not followed (blocking
        # is access: the policy's SQL keeps those out).
        mine.muted_authors = ties.muted_people
        return mine


def _array(ids) -> list[int]:
    return sorted(ids)


def _reasons(post: Post, mine: _Sources, mentions: bool) -> list[tuple[str, str]]:
    """(section key, why) pairs, strongest first: an open question in my groups, group,
    person, hashtag, mention."""
    found = []
    if post.is_question and not post.is_answered and post.group_id in mine.question_groups:
        found.append(("questions", _("open question in %(group)s") % {"group": post.group.name}))
    elif post.group_id in mine.groups:
        found.append((f"group:{post.group_id}", _("in %(group)s") % {"group": post.group.name}))
    if post.author_id in mine.authors:
        found.append(("people", _("you follow @%(name)s") % {"name": post.author.username}))
    found.extend(
        (f"tag:{t.tag_id}", _("you follow #%(tag)s") % {"tag": t.tag.name})
        for t in post.tagged_items.all()
        if t.tag_id in mine.tags
    )
    if mentions and not found:
        found.append(("mentions", _("mentions you")))
    return found


def _section(key: str, post: Post) -> DigestSection:
    kind, _sep, pk = key.partition(":")
    if kind == "group":
        return DigestSection(post.group.name, post.group.get_absolute_url())
    if kind == "tag":
        tag = next(t.tag for t in post.tagged_items.all() if t.tag_id == int(pk))
        return DigestSection(f"#{tag.name}", reverse("hashtags:detail", args=[tag.slug]))
    if kind == "people":
        return DigestSection(_("People you follow"), reverse("home"))
    if kind == "questions":
        return DigestSection(_("Unanswered questions in your groups"), reverse("questions"))
    return DigestSection(_("Mentions of you"), reverse("digests:inbox"))


# At most this many unread rows addressed to the person in one digest.
ADDRESSED_MAX = 20


def _chose_digest(user: User) -> bool:
    choice = getattr(user, "digest_choice", None)
    return choice is not None and choice.unread_email == UnreadEmail.DIGEST


def _addressed(viewers: list[Viewer]) -> dict[int, list[InboxItem]]:
    """Unread mentions, replies and invitations, not mailed yet, that each person who chose
    "only in my digest" may still see: one query for the whole chunk."""
    wanting = [v for v in viewers if _chose_digest(v.user)]
    if not wanting:
        return {}
    visible = reduce(operator.or_, (visible_inbox_q(v) for v in wanting))
    rows = (
        InboxItem.objects.filter(
            visible, unread=True, kind__in=InboxItem.ADDRESSED_KINDS, emailed_at__isnull=True
        )
        .select_related("actor_user", "post", "comment", "group")
        .order_by("timestamp", "pk")
    )
    found: dict[int, list[InboxItem]] = defaultdict(list)
    for row in rows:
        if len(found[row.recipient_id]) < ADDRESSED_MAX:
            found[row.recipient_id].append(row)
    return found


def _announcements(
    viewers: list[Viewer], since: dict[int, datetime], until: datetime
) -> dict[int, list[Post]]:
    """Announcements pinned since each person's previous digest (and not dismissed by them)
    that they may read: in their next digest, the only way one ever reaches email. Two
    queries for the whole chunk."""
    earliest = min(since[v.pk] for v in viewers)
    pinned = list(
        # Not one unpinned by hand: a post pinned by mistake is not mailed to everyone.
        Announcement.objects.filter(
            starts_at__gt=earliest, starts_at__lte=until, ended_by__isnull=True
        ).order_by("-starts_at")
    )
    if not pinned:
        return {}
    dismissed = set(
        AnnouncementDismissal.objects.filter(
            announcement__in=pinned, user_id__in=[v.pk for v in viewers]
        ).values_list("announcement_id", "user_id")
    )
    posts = {
        p.pk: p
        for p in with_post_details(
            Post.objects.filter(pk__in=[a.post_id for a in pinned], removed_at__isnull=True)
        )
    }
    found: dict[int, list[Post]] = defaultdict(list)
    for viewer in viewers:
        for announcement in pinned:
            post = posts.get(announcement.post_id)
            if (
                post is not None
                and announcement.starts_at > since[viewer.pk]
                and (announcement.pk, viewer.pk) not in dismissed
                and can_view_post(viewer, post)
                and post not in found[viewer.pk]
            ):
                found[viewer.pk].append(post)
    return found


def _digest_posts(posts):
    """What an email and its reasons read of a post: author, group, hashtags. Not its images
    (the email shows none), nor its markdown source and search vector (large, unread)."""
    return (
        posts.select_related("author", "group")
        .defer("body", "search_vector")
        .prefetch_related(
            Prefetch(
                "tagged_items", queryset=TaggedPost.objects.select_related("tag").order_by("id")
            )
        )
    )


def build_digests(
    users: list[User],
    *,
    since: dict[int, datetime],
    until: datetime,
    site: SiteSettings,
) -> dict[int, Digest]:
    """Digests for `users`, each covering posts after `since[user.pk]` up to `until`. People
    with nothing new are left out of the result (nothing new means no email). A fixed number
    of queries for any number of people: their ties in one, the candidates in one, the posts
    in a few."""
    viewers = [v for v in Viewer.for_users(users).values() if v.can_use_site]
    if not viewers:
        return {}
    sources = {v.pk: _Sources.of(v, site) for v in viewers}
    rows = []
    for viewer in viewers:
        mine, ties = sources[viewer.pk], viewer.ties
        rows.append(
            {
                "user_id": viewer.pk,
                "since": since[viewer.pk].isoformat(),
                "authors": _array(mine.authors),
                "groups": _array(mine.groups),
                "tags": _array(mine.tags),
                "question_groups": _array(mine.question_groups),
                "member_groups": _array(ties.member_groups),
                "blocked": _array(ties.blocked),
                "muted_authors": _array(mine.muted_authors),
                "muted_groups": _array(ties.muted_groups),
                "muted_tags": _array(ties.muted_tags),
                "standing": viewer.standing.value,
                "mentions": site.mentions_in_digest,
                "n": site.max_items,
            }
        )
    picked: dict[int, list[int]] = defaultdict(list)
    totals: dict[int, int] = {}
    with transaction.atomic(), connection.cursor() as cur:
        # Its row estimates are guesses (a JSON list of people, CTEs): on the bench data the
        # planner chose a nested loop over `pool` that ran for minutes, and the costs those
        # guesses add up to can switch JIT compilation on. Hash joins suit any chunk size.
        cur.execute(CANDIDATES_PLANNER)
        cur.execute(
            _CANDIDATES_SQL,
            {
                "people": json.dumps(rows),
                "earliest": min(since[v.pk] for v in viewers),
                "until": until,
            },
        )
        for user_id, post_id, total in cur.fetchall():
            picked[user_id].append(post_id)
            totals[user_id] = total
    wanted = {pk for ids in picked.values() for pk in ids}
    posts = {p.pk: p for p in _digest_posts(Post.objects.filter(pk__in=wanted))} if wanted else {}
    addressed = _addressed(viewers)
    announced = _announcements(viewers, since, until)
    site_default = site_language()
    digests = {}
    for viewer in viewers:
        # Section titles and reasons are words of the reader's language.
        with translation.override(language_of(viewer.user, site_default=site_default)):
            digest = _digest_of(
                viewer,
                sources[viewer.pk],
                since=since[viewer.pk],
                until=until,
                site=site,
                picked=picked.get(viewer.pk, []),
                posts=posts,
                total=totals.get(viewer.pk, 0),
                addressed=addressed.get(viewer.pk, []),
                announced=announced.get(viewer.pk, []),
            )
        if digest is not None:
            digests[viewer.pk] = digest
    return digests


def _digest_of(
    viewer: Viewer,
    mine: _Sources,
    *,
    since: datetime,
    until: datetime,
    site: SiteSettings,
    picked: list[int],
    posts: dict[int, Post],
    total: int,
    addressed: list[InboxItem],
    announced: list[Post],
) -> Digest | None:
    """One person's digest from what the chunk loaded, or None when nothing is new for them."""
    sections: dict[str, DigestSection] = {}
    if announced:
        sections["announcements"] = DigestSection(_("Announcements"), reverse("home"))
        sections["announcements"].items = [
            DigestItem(post, [_("announcement")]) for post in announced
        ]
    for post_id in picked:
        if any(post_id == p.pk for p in announced):
            continue
        post = posts.get(post_id)
        # The policy's own check, on the ties loaded above: the last word on every item.
        if post is None or not can_view_post(viewer, post):
            continue
        reasons = _reasons(post, mine, site.mentions_in_digest)
        if not reasons:
            continue
        key = reasons[0][0]
        if key not in sections:
            sections[key] = _section(key, post)
        sections[key].items.append(DigestItem(post, [why for _key, why in reasons]))
    shown = sum(len(s.items) for s in sections.values())
    if not shown and not addressed:
        return None
    return Digest(
        user=viewer.user,
        since=since,
        until=until,
        sections=list(sections.values()),
        more_count=max(total - shown, 0),
        addressed=addressed,
    )
