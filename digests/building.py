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

Candidates come from one SQL query with a LATERAL per person that mirrors the visibility
rules; every candidate is then checked again with the policy's own per-object function
(`can_view_post_knowing`), so a slip in the SQL could only leave posts out, never leak them.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import connection
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from digests.models import Frequency, Level, SiteSettings, SourceChoice, SourceKind
from groups.models import Membership
from hashtags.models import HashtagFollow
from people.models import Block, Follow, User
from posts.models import Post
from posts.selectors import can_view_post_knowing, with_post_details

PERIOD_LENGTH = {Frequency.DAILY: timedelta(days=1), Frequency.WEEKLY: timedelta(days=7)}

_CANDIDATES_SQL = """
SELECT u.user_id, c.id, c.total
FROM json_to_recordset(%(people)s::json) AS u(
    user_id bigint, since timestamptz, authors bigint[], groups bigint[], tags bigint[],
    question_groups bigint[], member_groups bigint[], muted_authors bigint[], muted_groups bigint[],
    muted_tags bigint[], viewer text,
    mentions boolean, n int)
CROSS JOIN LATERAL (
    SELECT p.id, count(*) OVER () AS total
    FROM posts_post AS p
    WHERE p.id IN (
            SELECT id FROM posts_post
            WHERE author_id = ANY(u.authors) AND created_at > u.since AND created_at <= %(until)s
            UNION
            SELECT id FROM posts_post
            WHERE group_id = ANY(u.groups) AND created_at > u.since AND created_at <= %(until)s
            UNION
            SELECT content_object_id FROM hashtags_taggedpost
            WHERE tag_id = ANY(u.tags) AND created_at > u.since AND created_at <= %(until)s
            UNION
            SELECT id FROM posts_post
            WHERE group_id = ANY(u.question_groups) AND is_question
                AND accepted_answer_id IS NULL
                AND created_at > u.since AND created_at <= %(until)s
            UNION
            SELECT post_id FROM posts_post_mentions WHERE u.mentions AND user_id = u.user_id)
        AND p.created_at > u.since AND p.created_at <= %(until)s
        AND p.removed_at IS NULL
        AND p.author_id <> u.user_id
        AND NOT p.author_id = ANY(u.muted_authors)
        AND (p.group_id IS NULL OR NOT p.group_id = ANY(u.muted_groups))
        AND NOT (cardinality(u.muted_tags) > 0 AND EXISTS (
            SELECT 1 FROM hashtags_taggedpost AS mt
            WHERE mt.content_object_id = p.id AND mt.tag_id = ANY(u.muted_tags)))
        AND (u.viewer = 'admin'
            OR u.viewer = 'guest' AND p.group_id = ANY(u.member_groups)
            OR u.viewer = 'employee' AND (
                p.group_id IS NULL
                OR p.group_id = ANY(u.member_groups)
                OR EXISTS (SELECT 1 FROM groups_group AS g
                           WHERE g.id = p.group_id AND g.kind = 'open')))
    ORDER BY p.like_count + p.comment_count DESC, p.created_at DESC, p.id DESC
    LIMIT u.n
) AS c
"""


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

    @property
    def posts(self) -> list[Post]:
        return [item.post for section in self.sections for item in section.items]

    @property
    def post_count(self) -> int:
        return sum(len(section.items) for section in self.sections)


@dataclass
class _Sources:
    """One person's digest sources, and what their visibility rests on."""

    authors: dict[int, str] = field(default_factory=dict)  # followed person id -> username
    groups: dict[int, str] = field(default_factory=dict)  # group id -> name
    tags: dict[int, str] = field(default_factory=dict)  # hashtag id -> name
    tag_slugs: dict[int, str] = field(default_factory=dict)
    # Groups whose open questions may be mailed: not muted, not set to "feed only" by the
    # person themselves (group id -> name).
    question_groups: dict[int, str] = field(default_factory=dict)
    member_groups: set[int] = field(default_factory=set)
    muted_authors: set[int] = field(default_factory=set)
    muted_groups: set[int] = field(default_factory=set)
    muted_tags: set[int] = field(default_factory=set)


def _viewer(user: User) -> str:
    if user.is_site_admin:
        return "admin"
    return "guest" if user.is_guest else "employee"


def _load_sources(users: list[User], site: SiteSettings) -> dict[int, _Sources]:
    """Everyone's sources with their levels, in five queries whatever the number of people."""
    ids = [u.pk for u in users]
    sources = {pk: _Sources() for pk in ids}
    chosen = {
        (user_id, kind, object_id): level
        for user_id, kind, object_id, level in SourceChoice.objects.filter(
            user_id__in=ids
        ).values_list("user_id", "kind", "object_id", "level")
    }

    def level(user_id: int, kind: str, object_id: int) -> str:
        return chosen.get((user_id, kind, object_id), site.default_level(kind))

    for user_id, group_id, name, muted in Membership.objects.filter(user_id__in=ids).values_list(
        "user_id", "group_id", "group__name", "muted"
    ):
        mine = sources[user_id]
        mine.member_groups.add(group_id)
        if muted:
            mine.muted_groups.add(group_id)
            continue
        if level(user_id, SourceKind.GROUP, group_id) == Level.DIGEST:
            mine.groups[group_id] = name
        if site.include_unanswered and chosen.get((user_id, SourceKind.GROUP, group_id)) in (
            None,
            Level.DIGEST,
        ):
            mine.question_groups[group_id] = name
    for user_id, person_id, username in Follow.objects.filter(follower_id__in=ids).values_list(
        "follower_id", "followee_id", "followee__username"
    ):
        chosen_level = level(user_id, SourceKind.PERSON, person_id)
        if chosen_level == Level.MUTED:
            sources[user_id].muted_authors.add(person_id)
        elif chosen_level == Level.DIGEST:
            sources[user_id].authors[person_id] = username
    for user_id, tag_id, name, slug in HashtagFollow.objects.filter(user_id__in=ids).values_list(
        "user_id", "hashtag_id", "hashtag__name", "hashtag__slug"
    ):
        if level(user_id, SourceKind.HASHTAG, tag_id) == Level.DIGEST:
            sources[user_id].tags[tag_id] = name
            sources[user_id].tag_slugs[tag_id] = slug
    # Muting or blocking a person (or being blocked by them) keeps their posts out even where
    # they are not followed; muting a hashtag keeps out every post carrying it, as in the
    # home feed.
    for (user_id, kind, object_id), chosen_level in chosen.items():
        if chosen_level != Level.MUTED:
            continue
        if kind == SourceKind.PERSON:
            sources[user_id].muted_authors.add(object_id)
        elif kind == SourceKind.HASHTAG:
            sources[user_id].muted_tags.add(object_id)
    for blocker_id, blocked_id in Block.objects.filter(
        Q(blocker_id__in=ids) | Q(blocked_id__in=ids)
    ).values_list("blocker_id", "blocked_id"):
        if blocker_id in sources:
            sources[blocker_id].muted_authors.add(blocked_id)
        if blocked_id in sources:
            sources[blocked_id].muted_authors.add(blocker_id)
    return sources


def _array(ids) -> list[int]:
    return sorted(ids)


def _reasons(user: User, post: Post, mine: _Sources, mentions: bool) -> list[tuple[str, str]]:
    """(section key, why) pairs, strongest first: an open question in my groups, group,
    person, hashtag, mention."""
    found = []
    if post.is_question and not post.is_answered and post.group_id in mine.question_groups:
        found.append(
            (
                "questions",
                _("open question in %(group)s") % {"group": mine.question_groups[post.group_id]},
            )
        )
    elif post.group_id in mine.groups:
        found.append(
            (f"group:{post.group_id}", _("in %(group)s") % {"group": mine.groups[post.group_id]})
        )
    if post.author_id in mine.authors:
        found.append(("people", _("you follow @%(name)s") % {"name": mine.authors[post.author_id]}))
    found.extend(
        (f"tag:{t.tag_id}", _("you follow #%(tag)s") % {"tag": mine.tags[t.tag_id]})
        for t in post.tagged_items.all()
        if t.tag_id in mine.tags
    )
    if mentions and not found:
        found.append(("mentions", _("mentions you")))
    return found


def _section(key: str, post: Post, mine: _Sources) -> DigestSection:
    kind, _sep, pk = key.partition(":")
    if kind == "group":
        return DigestSection(mine.groups[int(pk)], post.group.get_absolute_url())
    if kind == "tag":
        tag_id = int(pk)
        return DigestSection(
            f"#{mine.tags[tag_id]}", reverse("hashtags:detail", args=[mine.tag_slugs[tag_id]])
        )
    if kind == "people":
        return DigestSection(_("People you follow"), reverse("home"))
    if kind == "questions":
        return DigestSection(_("Unanswered questions in your groups"), reverse("questions"))
    return DigestSection(_("Mentions of you"), reverse("digests:inbox"))


def build_digests(
    users: list[User],
    *,
    since: dict[int, datetime],
    until: datetime,
    site: SiteSettings,
) -> dict[int, Digest]:
    """Digests for `users`, each covering posts after `since[user.pk]` up to `until`. People
    with nothing new are left out of the result (nothing new means no email). A fixed number
    of queries for any number of people."""
    users = [u for u in users if u.can_use_site]
    if not users:
        return {}
    sources = _load_sources(users, site)
    cap = site.max_items
    rows = []
    for user in users:
        mine = sources[user.pk]
        rows.append(
            {
                "user_id": user.pk,
                "since": since[user.pk].isoformat(),
                "authors": _array(mine.authors),
                "groups": _array(mine.groups),
                "tags": _array(mine.tags),
                "question_groups": _array(mine.question_groups),
                "member_groups": _array(mine.member_groups),
                "muted_authors": _array(mine.muted_authors),
                "muted_groups": _array(mine.muted_groups),
                "muted_tags": _array(mine.muted_tags),
                "viewer": _viewer(user),
                "mentions": site.mentions_in_digest,
                "n": cap,
            }
        )
    picked: dict[int, list[int]] = defaultdict(list)
    totals: dict[int, int] = {}
    with connection.cursor() as cur:
        cur.execute(_CANDIDATES_SQL, {"people": json.dumps(rows), "until": until})
        for user_id, post_id, total in cur.fetchall():
            picked[user_id].append(post_id)
            totals[user_id] = total
    wanted = {pk for ids in picked.values() for pk in ids}
    posts = (
        {p.pk: p for p in with_post_details(Post.objects.filter(pk__in=wanted))} if wanted else {}
    )
    digests = {}
    for user in users:
        mine = sources[user.pk]
        sections: dict[str, DigestSection] = {}
        for post_id in picked.get(user.pk, []):
            post = posts.get(post_id)
            # The policy's own check, on facts loaded above: the last word on every item.
            if post is None or not can_view_post_knowing(user, post, mine.member_groups):
                continue
            reasons = _reasons(user, post, mine, site.mentions_in_digest)
            if not reasons:
                continue
            key = reasons[0][0]
            if key not in sections:
                sections[key] = _section(key, post, mine)
            sections[key].items.append(DigestItem(post, [why for _key, why in reasons]))
        shown = sum(len(s.items) for s in sections.values())
        if shown:
            digests[user.pk] = Digest(
                user=user,
                since=since[user.pk],
                until=until,
                sections=list(sections.values()),
                more_count=max(totals.get(user.pk, 0) - shown, 0),
            )
    return digests
