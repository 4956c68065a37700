"""The nightly roll-up: counts per period and segment, computed from the content tables and
the day's visit counters, stored as `Figure` rows. Nothing per person is written: each query
groups by segment and returns only counts (and the number of distinct people behind them).

What is counted, and where:
- Site, department and location figures count employees only (no guests, no service
  accounts), and content outside groups or in open and private groups: a secret group's
  content counts only in its own group's figures, which only people who may see the group
  read. Hashtag figures count only what every employee can read (outside groups, open groups):
  a tag's name is content.
- Removed posts and comments, and anything on a removed post, are not counted. Deleted ones
  are gone from the tables; the nightly run recomputes the last days, so figures converge.
- A department figure belongs to the department of the person who acted (posted, commented,
  reacted), as it is now; people without one are segment id 0.

Idempotent: a period's figures are replaced in one transaction. `roll_up_day` is what the
beat task runs for yesterday; `roll_up_range` (the backfill command) runs it for each day and
once for every week and month the range touches."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import connection, transaction
from django.utils import timezone

from analytics import visits
from analytics.models import Figure, Period, Segment
from people.models import Department, Location

log = logging.getLogger(__name__)

# A group is active in a period when at least this share of its members posted, commented or
# reacted in it (the definition), idle when nobody did.
ACTIVE_GROUP_SHARE = 0.05
UNANSWERED_AFTER = timedelta(hours=48)


@dataclass(frozen=True)
class Span:
    period: str
    start: date
    end: date  # exclusive

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days)]

    def bounds(self) -> tuple[datetime, datetime]:
        zone = timezone.get_default_timezone()
        return (
            timezone.make_aware(datetime.combine(self.start, time()), zone),
            timezone.make_aware(datetime.combine(self.end, time()), zone),
        )


def spans_of(day: date, *, today: date) -> list[Span]:
    """The day, and the week and month it belongs to, each cut at `today` (a period still
    running is counted up to yesterday and recomputed each night)."""
    week = day - timedelta(days=day.weekday())
    month = day.replace(day=1)
    next_month = (month + timedelta(days=32)).replace(day=1)
    return [
        Span(Period.DAY, day, day + timedelta(days=1)),
        Span(Period.WEEK, week, min(week + timedelta(days=7), today)),
        Span(Period.MONTH, month, min(next_month, today)),
    ]


def roll_up_day(day: date, *, today: date | None = None) -> int:
    return roll_up_range(day, day, today=today)


def roll_up_range(first: date, last: date, *, today: date | None = None) -> int:
    """Every day from `first` to `last` (inclusive), and each week and month once."""
    today = today or timezone.localdate()
    seen: set[tuple[str, date]] = set()
    written = 0
    with _single_flight():
        day = first
        while day <= last:
            for span in spans_of(day, today=today):
                if (span.period, span.start) not in seen:
                    seen.add((span.period, span.start))
                    written += roll_up_span(span)
            day += timedelta(days=1)
    return written


# One roll-up at a time across every worker: two would delete and insert the same rows.
LOCK_KEY = 0x616E616C  # "anal"


@contextmanager
def _single_flight() -> Iterator[None]:
    """The run holds a transaction-scoped lock, so the whole run is one transaction (each span
    a savepoint in it): behind a pooler in transaction mode (PgBouncer) a session lock could be
    taken on one server connection and released on another, and stay held for good."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
        yield


# --- the queries --------------------------------------------------------------------------

# Every act of taking part, with who acted and where: a post, a comment, a reaction. Removed
# content, and anything on a removed post, does not count.
ACTS = """
WITH acts AS (
    SELECT 'post' AS kind, p.author_id AS actor, p.created_at, p.group_id, p.id AS post_id,
           p.author_id AS post_author, p.is_question
    FROM posts_post p
    WHERE p.created_at >= %(start)s AND p.created_at < %(end)s AND p.removed_at IS NULL
  UNION ALL
    SELECT 'comment', c.author_id, c.created_at, p.group_id, p.id, p.author_id, p.is_question
    FROM posts_comment c JOIN posts_post p ON p.id = c.post_id
    WHERE c.created_at >= %(start)s AND c.created_at < %(end)s
      AND c.removed_at IS NULL AND p.removed_at IS NULL
  UNION ALL
    SELECT 'reaction', r.user_id, r.created_at, p.group_id, p.id, p.author_id, p.is_question
    FROM posts_reaction r JOIN posts_post p ON p.id = r.post_id
    WHERE r.created_at >= %(start)s AND r.created_at < %(end)s AND p.removed_at IS NULL
),
site_acts AS (
    SELECT a.*, u.department_id, u.location_id
    FROM acts a
    JOIN people_user u ON u.id = a.actor
    LEFT JOIN groups_group g ON g.id = a.group_id
    WHERE NOT u.is_guest AND NOT u.is_service_account
      AND (a.group_id IS NULL OR g.kind <> 'secret')
)
"""

SITE_COUNTS = (
    ACTS
    + """
SELECT GROUPING(department_id) = 0 AS by_department, GROUPING(location_id) = 0 AS by_location,
       COALESCE(department_id, 0), COALESCE(location_id, 0),
       count(DISTINCT actor),
       count(*) FILTER (WHERE kind = 'post'),
       count(DISTINCT actor) FILTER (WHERE kind = 'post'),
       count(*) FILTER (WHERE kind = 'comment'),
       count(DISTINCT actor) FILTER (WHERE kind = 'comment'),
       count(*) FILTER (WHERE kind = 'reaction'),
       count(DISTINCT actor) FILTER (WHERE kind = 'reaction'),
       count(*) FILTER (WHERE kind = 'post' AND is_question),
       count(DISTINCT actor) FILTER (WHERE kind = 'post' AND is_question)
FROM site_acts
GROUP BY GROUPING SETS ((), (department_id), (location_id))
"""
)

# Comments and reactions on someone else's post, by the two people's departments and
# locations (both known): how much crosses a boundary.
CROSSING = (
    ACTS
    + """
SELECT GROUPING(a.department_id) = 0, a.department_id, author.department_id,
       a.location_id, author.location_id, count(*), count(DISTINCT a.actor)
FROM site_acts a JOIN people_user author ON author.id = a.post_author
WHERE a.kind <> 'post' AND a.actor <> a.post_author
  AND NOT author.is_guest AND NOT author.is_service_account
GROUP BY GROUPING SETS (
    (a.department_id, author.department_id), (a.location_id, author.location_id))
"""
)

CROSSING_PEOPLE = (
    ACTS
    + """
SELECT count(DISTINCT a.actor) FILTER (WHERE a.department_id IS NOT NULL
           AND author.department_id IS NOT NULL),
       count(DISTINCT a.actor) FILTER (WHERE a.department_id <> author.department_id),
       count(DISTINCT a.actor) FILTER (WHERE a.location_id IS NOT NULL
           AND author.location_id IS NOT NULL),
       count(DISTINCT a.actor) FILTER (WHERE a.location_id <> author.location_id)
FROM site_acts a JOIN people_user author ON author.id = a.post_author
WHERE a.kind <> 'post' AND a.actor <> a.post_author
  AND NOT author.is_guest AND NOT author.is_service_account
"""
)

GROUP_COUNTS = (
    ACTS
    + """
SELECT a.group_id,
       count(DISTINCT a.actor),
       count(*) FILTER (WHERE kind = 'post'),
       count(DISTINCT a.actor) FILTER (WHERE kind = 'post'),
       count(*) FILTER (WHERE kind = 'comment'),
       count(DISTINCT a.actor) FILTER (WHERE kind = 'comment'),
       count(*) FILTER (WHERE kind = 'reaction'),
       count(DISTINCT a.actor) FILTER (WHERE kind = 'reaction'),
       count(*) FILTER (WHERE kind = 'post' AND is_question),
       count(DISTINCT a.actor) FILTER (WHERE kind = 'post' AND is_question)
FROM acts a
WHERE a.group_id IS NOT NULL
GROUP BY a.group_id
"""
)

# Questions asked in the period (in scope), with when someone else first answered and when an
# answer was accepted; scope is 'site' (employees, no secret group) or a group's id.
QUESTIONS = """
SELECT p.group_id, g.kind = 'secret' AS secret, u.is_guest OR u.is_service_account AS not_employee,
       p.author_id, p.created_at, first_answer.at, p.answered_at
FROM posts_post p
JOIN people_user u ON u.id = p.author_id
LEFT JOIN groups_group g ON g.id = p.group_id
LEFT JOIN LATERAL (
    SELECT min(c.created_at) AS at FROM posts_comment c
    WHERE c.post_id = p.id AND c.author_id <> p.author_id AND c.removed_at IS NULL
) first_answer ON true
WHERE p.is_question AND p.removed_at IS NULL
  AND p.created_at >= %(start)s AND p.created_at < %(end)s
"""

# A group's posts in the period and the first reply by someone else.
FIRST_REPLIES = """
SELECT p.group_id, p.author_id, EXTRACT(EPOCH FROM (first_reply.at - p.created_at))
FROM posts_post p
JOIN LATERAL (
    SELECT min(c.created_at) AS at FROM posts_comment c
    WHERE c.post_id = p.id AND c.author_id <> p.author_id AND c.removed_at IS NULL
) first_reply ON first_reply.at IS NOT NULL
WHERE p.group_id IS NOT NULL AND p.removed_at IS NULL
  AND p.created_at >= %(start)s AND p.created_at < %(end)s
"""

GROUP_MEMBERSHIP = """
SELECT g.id, g.kind, g.created_at >= %(start)s AND g.created_at < %(end)s AS created_now,
       g.created_by_id, g.archived_at,
       (SELECT count(*) FROM groups_membership m
        WHERE m.group_id = g.id AND m.joined_at < %(end)s) AS members,
       (SELECT count(*) FROM groups_auditentry e WHERE e.group_id = g.id
        AND e.action IN ('joined', 'approved', 'accepted')
        AND e.created_at >= %(start)s AND e.created_at < %(end)s) AS joins,
       (SELECT count(DISTINCT COALESCE(e.target_user_id, e.actor_id)) FROM groups_auditentry e
        WHERE e.group_id = g.id AND e.action IN ('joined', 'approved', 'accepted')
        AND e.created_at >= %(start)s AND e.created_at < %(end)s) AS joiners,
       (SELECT count(*) FROM groups_auditentry e WHERE e.group_id = g.id
        AND e.action IN ('left', 'removed_member', 'banned')
        AND e.created_at >= %(start)s AND e.created_at < %(end)s) AS leaves,
       (SELECT count(DISTINCT COALESCE(e.target_user_id, e.actor_id)) FROM groups_auditentry e
        WHERE e.group_id = g.id AND e.action IN ('left', 'removed_member', 'banned')
        AND e.created_at >= %(start)s AND e.created_at < %(end)s) AS leavers
FROM groups_group g
WHERE g.created_at < %(end)s
"""

# Hashtags on posts every employee can read, by the authors' departments.
HASHTAGS = """
SELECT t.tag_id, count(*), count(DISTINCT p.author_id), count(DISTINCT u.department_id)
FROM hashtags_taggedpost t
JOIN posts_post p ON p.id = t.content_object_id
JOIN people_user u ON u.id = p.author_id
LEFT JOIN groups_group g ON g.id = p.group_id
WHERE t.created_at >= %(start)s AND t.created_at < %(end)s AND p.removed_at IS NULL
  AND (p.group_id IS NULL OR g.kind = 'open')
  AND NOT u.is_guest AND NOT u.is_service_account
GROUP BY t.tag_id
"""


class _Rows:
    """Figures for one span, keyed so that a metric is written once."""

    def __init__(self, span: Span) -> None:
        self.span = span
        self.figures: dict[tuple[str, int, int, str], Figure] = {}

    def add(
        self,
        segment: str,
        segment_id: int,
        metric: str,
        value: float | int | None,
        people: int | None,
        other_id: int = 0,
    ) -> None:
        if value is None:
            return
        self.figures[(segment, segment_id, other_id, metric)] = Figure(
            period=self.span.period,
            start=self.span.start,
            segment=segment,
            segment_id=segment_id,
            other_id=other_id,
            metric=metric,
            value=round(value),
            people=people,
        )


def _median(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def roll_up_span(span: Span) -> int:
    start, end = span.bounds()
    params = {"start": start, "end": end}
    rows = _Rows(span)
    with connection.cursor() as cursor:
        _site_counts(cursor, params, rows)
        _crossing(cursor, params, rows)
        _group_counts(cursor, params, rows)
        _questions(cursor, params, rows, now=timezone.now())
        _first_replies(cursor, params, rows)
        _groups(cursor, params, rows)
        _hashtags(cursor, params, rows)
    _visits(span, rows)
    with transaction.atomic():
        Figure.objects.filter(period=span.period, start=span.start).delete()
        Figure.objects.bulk_create(rows.figures.values(), batch_size=2000)
    return len(rows.figures)


COUNTED = ("posts", "comments", "reactions", "questions")


def _site_counts(cursor, params, rows: _Rows) -> None:
    cursor.execute(SITE_COUNTS, params)
    for by_department, by_location, department, location, contributors, *counts in cursor:
        if by_department:
            segment, segment_id = Segment.DEPARTMENT, department
        elif by_location:
            segment, segment_id = Segment.LOCATION, location
        else:
            segment, segment_id = Segment.SITE, 0
        rows.add(segment, segment_id, "contributors", contributors, contributors)
        for i, metric in enumerate(COUNTED):
            rows.add(segment, segment_id, metric, counts[2 * i], counts[2 * i + 1])


def _crossing(cursor, params, rows: _Rows) -> None:
    cursor.execute(CROSSING, params)
    totals: dict[str, list[int]] = {"department": [0, 0, 0], "location": [0, 0, 0]}
    for by_department, from_dep, to_dep, from_loc, to_loc, count, people in cursor:
        if by_department:
            kind, a, b = "department", from_dep, to_dep
        else:
            kind, a, b = "location", from_loc, to_loc
        if a is None or b is None:
            continue
        if kind == "department":
            rows.add(Segment.DEPARTMENT_PAIR, a, "interactions", count, people, other_id=b)
        total = totals[kind]
        total[0] += count
        total[1] += count if a != b else 0
    # Distinct people across the whole grid: the crossing share rests on them.
    cursor.execute(CROSSING_PEOPLE, params)
    dep_people, dep_cross_people, loc_people, loc_cross_people = cursor.fetchone()
    rows.add(Segment.SITE, 0, "interactions_departments", totals["department"][0], dep_people)
    rows.add(Segment.SITE, 0, "across_departments", totals["department"][1], dep_cross_people)
    rows.add(Segment.SITE, 0, "interactions_locations", totals["location"][0], loc_people)
    rows.add(Segment.SITE, 0, "across_locations", totals["location"][1], loc_cross_people)


def _group_counts(cursor, params, rows: _Rows) -> None:
    cursor.execute(GROUP_COUNTS, params)
    for group_id, active, *counts in cursor:
        rows.add(Segment.GROUP, group_id, "active_members", active, active)
        for i, metric in enumerate(COUNTED):
            rows.add(Segment.GROUP, group_id, metric, counts[2 * i], counts[2 * i + 1])


def _question_figures(
    rows: _Rows, segment: str, segment_id: int, asked: list[tuple], now: datetime
) -> None:
    askers = len({author for author, *_ in asked})
    answered = [(a, first) for a, created, first, _acc in asked if first is not None]
    accepted = [(a, acc) for a, created, first, acc in asked if acc is not None]
    late = [
        a
        for a, created, first, _acc in asked
        if now - created >= UNANSWERED_AFTER
        and (first is None or first - created > UNANSWERED_AFTER)
    ]
    rows.add(segment, segment_id, "questions_answered", len(answered), askers)
    rows.add(segment, segment_id, "questions_accepted", len(accepted), askers)
    rows.add(segment, segment_id, "unanswered_48h", len(late), askers)
    first_waits = [(first - created).total_seconds() for _a, created, first, _ in asked if first]
    accepted_waits = [(acc - created).total_seconds() for _a, created, _f, acc in asked if acc]
    rows.add(segment, segment_id, "median_first_answer_s", _median(first_waits), askers)
    rows.add(segment, segment_id, "median_accepted_s", _median(accepted_waits), askers)


def _questions(cursor, params, rows: _Rows, *, now: datetime) -> None:
    cursor.execute(QUESTIONS, params)
    site: list[tuple] = []
    by_group: dict[int, list[tuple]] = {}
    for group_id, secret, not_employee, author, created, first, accepted in cursor:
        item = (author, created, first, accepted)
        if group_id is not None:
            by_group.setdefault(group_id, []).append(item)
        if not secret and not not_employee:
            site.append(item)
    if site:
        _question_figures(rows, Segment.SITE, 0, site, now)
    for group_id, asked in by_group.items():
        _question_figures(rows, Segment.GROUP, group_id, asked, now)


def _first_replies(cursor, params, rows: _Rows) -> None:
    cursor.execute(FIRST_REPLIES, params)
    waits: dict[int, list[float]] = {}
    authors: dict[int, set[int]] = {}
    for group_id, author, seconds in cursor:
        waits.setdefault(group_id, []).append(float(seconds))
        authors.setdefault(group_id, set()).add(author)
    for group_id, values in waits.items():
        rows.add(
            Segment.GROUP, group_id, "median_first_reply_s", _median(values), len(authors[group_id])
        )


def _groups(cursor, params, rows: _Rows) -> None:
    cursor.execute(GROUP_MEMBERSHIP, params)
    created = active = idle = 0
    creators: set[int] = set()
    start = params["start"]
    for (
        group_id,
        kind,
        created_now,
        creator,
        archived_at,
        members,
        joins,
        joiners,
        leaves,
        leavers,
    ) in cursor:
        rows.add(Segment.GROUP, group_id, "members", members, members)
        rows.add(Segment.GROUP, group_id, "joins", joins, joiners)
        rows.add(Segment.GROUP, group_id, "leaves", leaves, leavers)
        if kind == "secret" or (archived_at is not None and archived_at < start):
            continue
        if created_now:
            created += 1
            if creator is not None:
                creators.add(creator)
        engaged = rows.figures.get((Segment.GROUP, group_id, 0, "active_members"))
        engaged_count = engaged.value if engaged else 0
        if engaged_count == 0:
            idle += 1
        elif members and engaged_count >= ACTIVE_GROUP_SHARE * members:
            active += 1
    rows.add(Segment.SITE, 0, "groups_created", created, len(creators))
    # Counts of groups, not of people: no person can be picked out of them.
    rows.add(Segment.SITE, 0, "groups_active", active, None)
    rows.add(Segment.SITE, 0, "groups_idle", idle, None)


def _hashtags(cursor, params, rows: _Rows) -> None:
    cursor.execute(HASHTAGS, params)
    for tag_id, uses, people, departments in cursor:
        rows.add(Segment.HASHTAG, tag_id, "posts", uses, people)
        rows.add(Segment.HASHTAG, tag_id, "departments", departments, people)


def _visits(span: Span, rows: _Rows) -> None:
    """Distinct people who used the site, from the day counters (analytics.visits): kept 35
    days, so a period older than that keeps the counts it was given when it was younger."""
    days = span.days
    targets: list[tuple[str, int]] = [(Segment.SITE, 0), (Segment.DEPARTMENT, 0)]
    targets += [(Segment.DEPARTMENT, pk) for pk in Department.objects.values_list("pk", flat=True)]
    targets += [(Segment.LOCATION, 0)]
    targets += [(Segment.LOCATION, pk) for pk in Location.objects.values_list("pk", flat=True)]
    targets += [
        (Segment.GROUP, key[1])
        for key in list(rows.figures)
        if key[0] == Segment.GROUP and key[3] == "members"
    ]
    # Counters live 35 days: an older period keeps the counts it was given when it was younger.
    if span.start < timezone.localdate() - timedelta(days=visits.KEEP_DAYS - 1):
        _keep_old_visits(span, rows)
        return
    counted = visits.count_many(targets, days)
    if counted is None:
        log.warning("analytics: visit counters unavailable; active people not counted for %s", span)
        _keep_old_visits(span, rows)
        return
    for (segment, segment_id), value in counted.items():
        if value:
            rows.add(segment, segment_id, "active_people", value, value)


def _keep_old_visits(span: Span, rows: _Rows) -> None:
    """Redis unavailable, or the counters expired: keep what an earlier run stored."""
    for figure in Figure.objects.filter(
        period=span.period, start=span.start, metric="active_people"
    ):
        rows.figures[(figure.segment, figure.segment_id, figure.other_id, figure.metric)] = Figure(
            period=figure.period,
            start=figure.start,
            segment=figure.segment,
            segment_id=figure.segment_id,
            other_id=figure.other_id,
            metric=figure.metric,
            value=figure.value,
            people=figure.people,
        )
