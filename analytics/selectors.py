"""The figures a page shows, read from the roll-ups and passed through small-number
suppression (analytics.privacy) before anything leaves this module. Nothing here reads a
person: the unanswered-questions list is content, read through the access layer."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from access.posts import visible_posts
from analytics.models import AnalyticsSettings, Figure, Period, Segment
from analytics.privacy import Cell, apply_k, protect_grid, protect_partition, share
from analytics.rollup import UNANSWERED_AFTER
from hashtags.models import Hashtag
from people.models import Department, Location
from posts.models import Comment, Post, Reaction

# How far back each period looks.
SPAN_COUNT = {Period.DAY: 30, Period.WEEK: 12, Period.MONTH: 12}
# Counts that add up: a day's posts are part of its week's and its month's. Distinct people
# do not add up over time (the same person on two days), so only these are protected against
# subtraction over time; across departments every figure adds up (one department each).
ADDITIVE = {
    "posts",
    "comments",
    "reactions",
    "questions",
    "joins",
    "leaves",
    "questions_answered",
    "questions_accepted",
    "unanswered_48h",
}
# A hashtag is "new" in a period when it was first used then by at least k people, and
# "crossing" when people from this many departments used it.
CROSSING_DEPARTMENTS = 3


def k_value() -> int:
    return AnalyticsSettings.current().k


def figures_version() -> int:
    """Changes whenever the roll-up writes (it replaces rows, so new ids): one index probe."""
    return Figure.objects.order_by("-id").values_list("id", flat=True).first() or 0


def period_starts(period: str, *, today: date | None = None) -> list[date]:
    """The starts of the last complete-or-running periods up to yesterday, oldest first."""
    last = (today or timezone.localdate()) - timedelta(days=1)
    count = SPAN_COUNT[Period(period)]
    if period == Period.DAY:
        return [last - timedelta(days=i) for i in range(count - 1, -1, -1)]
    if period == Period.WEEK:
        monday = last - timedelta(days=last.weekday())
        return [monday - timedelta(weeks=i) for i in range(count - 1, -1, -1)]
    starts = [last.replace(day=1)]
    while len(starts) < count:
        starts.insert(0, (starts[0] - timedelta(days=1)).replace(day=1))
    return starts


def period_heading(period: str) -> str:
    """The heading of a table's period column (a week is named by its Monday)."""
    return {
        Period.DAY: _("Day"),
        Period.WEEK: _("Week starting"),
        Period.MONTH: _("Month"),
    }[Period(period)]


def period_label(period: str, start: date) -> str:
    if period == Period.DAY:
        return date_format(start, "SHORT_DATE_FORMAT")
    if period == Period.WEEK:
        return date_format(start, "j M")
    return date_format(start, "YEAR_MONTH_FORMAT")


@dataclass
class Series:
    metric: str
    label: str
    points: list[tuple[str, Cell]]
    percent: bool = False
    hours: bool = False

    @property
    def latest(self) -> Cell:
        return self.points[-1][1] if self.points else Cell(None)


def _read(
    segment: str, segment_ids: list[int] | None, period: str, starts: list[date]
) -> dict[tuple[int, int, str, date], Cell]:
    figures = Figure.objects.filter(segment=segment, period=period, start__in=starts)
    if segment_ids is not None:
        figures = figures.filter(segment_id__in=segment_ids)
    # Tuples, not model instances: a month holds thousands of figures.
    rows = figures.values_list("segment_id", "other_id", "metric", "start", "value", "people")
    return {
        (a, b, metric, day): Cell(float(value), people) for a, b, metric, day, value, people in rows
    }


def _protect_days_against_parents(
    segment: str, segment_id: int, starts: list[date], cells: dict, k: int
) -> None:
    """Days are parts of weeks and months that are shown elsewhere: for the counts that add
    up, a lone hidden day beside its shown week (or month) is protected by hiding another."""
    if not starts:
        return
    parent_starts = {d - timedelta(days=d.weekday()) for d in starts} | {
        d.replace(day=1) for d in starts
    }
    stored = Figure.objects.filter(
        segment=segment,
        segment_id=segment_id,
        metric__in=ADDITIVE,
        period__in=[Period.WEEK, Period.MONTH],
        start__in=parent_starts,
    ).values_list("period", "start", "metric", "value", "people")
    for period, start, metric, value, people in stored:
        parent = Cell(float(value), people)
        apply_k([parent], k)
        end = (
            start + timedelta(days=7)
            if period == Period.WEEK
            else (start + timedelta(days=32)).replace(day=1)
        )
        # The parent's days that have a figure; a day without one adds nothing to subtract.
        days = (start + timedelta(days=offset) for offset in range((end - start).days))
        children = [cell for day in days if (cell := cells.get((segment_id, 0, metric, day)))]
        protect_partition(parent, children)


def _series(
    cells: dict,
    segment_id: int,
    metric: str,
    label: Any,
    period: str,
    starts: list[date],
    **kind: bool,
) -> Series:
    points = [
        (
            period_label(period, start),
            cells.get(
                (segment_id, 0, metric, start), Cell(0.0, 0) if metric in ADDITIVE else Cell(None)
            ),
        )
        for start in starts
    ]
    return Series(metric, str(label), points, **kind)


def _share_series(
    parts: Series, wholes: Series, label: Any, k: int, *, rest: bool = False
) -> Series:
    """part / whole per period (or, with `rest`, (whole - part) / whole)."""
    points = []
    for (name, part), (_n, whole) in zip(parts.points, wholes.points, strict=True):
        if rest and part.value is not None and whole.value is not None:
            if part.value > whole.value:
                # Visitors are counted apart from contributors (approximately, and only for
                # 35 days): more people taking part than visiting means no figure to show.
                points.append((name, Cell(None)))
                continue
            part = Cell(
                max(whole.value - part.value, 0.0),
                None
                if whole.people is None or part.people is None
                else max(whole.people - part.people, 0),
                hidden=part.hidden,
            )
        points.append((name, share(part, whole, k)))
    return Series(parts.metric + "_share", str(label), points, percent=True)


SITE_SERIES = [
    ("active_people", gettext_lazy("People who used the network")),
    ("contributors", gettext_lazy("People who posted, commented or reacted")),
    ("posts", gettext_lazy("Posts")),
    ("comments", gettext_lazy("Comments and answers")),
    ("reactions", gettext_lazy("Likes")),
    ("questions", gettext_lazy("Questions")),
]


@dataclass
class Breakdown:
    """A table of segments (departments or locations) × metrics for one period."""

    title: str
    columns: list[str]
    rows: list[tuple[str, list[Cell]]]
    total: list[Cell]


@dataclass
class Grid:
    names: list[str]
    rows: list[tuple[str, list[Cell]]]


@dataclass
class SiteOverview:
    period: str
    k: int
    series: list[Series]
    shares: list[Series]
    answers: list[Series]
    breakdowns: list[Breakdown]
    grid: Grid | None
    groups: dict[str, Cell]
    new_hashtags: list[tuple[Hashtag, Cell]] = field(default_factory=list)
    crossing_hashtags: list[tuple[Hashtag, Cell]] = field(default_factory=list)


def site_overview(period: str, *, today: date | None = None) -> SiteOverview:
    k = k_value()
    starts = period_starts(period, today=today)
    cells = _read(Segment.SITE, [0], period, starts)
    apply_k(cells.values(), k)
    if period == Period.DAY:
        _protect_days_against_parents(Segment.SITE, 0, starts, cells, k)
    series = [_series(cells, 0, m, label, period, starts) for m, label in SITE_SERIES]
    by_metric = {s.metric: s for s in series}

    def get(metric: str, **kind: bool) -> Series:
        return _series(cells, 0, metric, metric, period, starts, **kind)

    shares = [
        _share_series(
            by_metric["contributors"],
            by_metric["active_people"],
            _("Share who only read"),
            k,
            rest=True,
        ),
        _share_series(
            get("across_departments"),
            get("interactions_departments"),
            _("Comments and likes across departments"),
            k,
        ),
        _share_series(
            get("across_locations"),
            get("interactions_locations"),
            _("Comments and likes across locations"),
            k,
        ),
    ]
    questions = by_metric["questions"]
    answers = [
        _share_series(get("questions_answered"), questions, _("Questions answered"), k),
        _share_series(
            get("questions_accepted"), questions, _("Questions with an accepted answer"), k
        ),
        Series(
            "median_first_answer_s",
            _("Median time to a first answer"),
            get("median_first_answer_s").points,
            hours=True,
        ),
        Series(
            "median_accepted_s",
            _("Median time to an accepted answer"),
            get("median_accepted_s").points,
            hours=True,
        ),
        Series(
            "unanswered_48h",
            _("Questions still unanswered after 48 hours"),
            get("unanswered_48h").points,
        ),
    ]
    latest = starts[-1]
    groups = {
        metric: cells.get((0, 0, metric, latest), Cell(0.0, None))
        for metric in ("groups_created", "groups_active", "groups_idle")
    }
    overview = SiteOverview(
        period=period,
        k=k,
        series=series,
        shares=shares,
        answers=answers,
        breakdowns=[
            _breakdown(
                Segment.DEPARTMENT, Department, _("By department"), period, latest, cells, k
            ),
            _breakdown(Segment.LOCATION, Location, _("By location"), period, latest, cells, k),
        ],
        grid=_department_grid(period, latest, cells, k),
        groups=groups,
    )
    _hashtag_lists(overview, period, latest, k)
    return overview


BREAKDOWN_METRICS = [
    ("active_people", gettext_lazy("Used the network")),
    ("contributors", gettext_lazy("Took part")),
    ("posts", gettext_lazy("Posts")),
    ("comments", gettext_lazy("Comments")),
    ("reactions", gettext_lazy("Likes")),
]


def _breakdown(
    segment: str, model: Any, title: str, period: str, start: date, site_cells: dict, k: int
) -> Breakdown:
    """Each department (or location), and "not set" for people without one: together they
    are the whole network, so every column is protected against subtraction from the total."""
    names = dict(model.objects.values_list("pk", "name"))
    cells = _read(segment, None, period, [start])
    apply_k(cells.values(), k)
    ids = sorted(names, key=lambda pk: names[pk].lower()) + [0]
    # A segment where nothing was counted is left out (it adds nothing to any total); the
    # rest are protected together, missing figures included (a zero about a few people is
    # still about them).
    counted = {key[0] for key in cells}
    rows = []
    for pk in ids:
        if pk not in counted:
            continue
        row = [
            cells.get((pk, 0, metric, start)) or Cell(0.0, 0)
            for metric, _label in BREAKDOWN_METRICS
        ]
        apply_k(row, k)
        rows.append((names.get(pk, str(_("Not set"))), row))
    total = [
        site_cells.get((0, 0, metric, start), Cell(0.0, 0)) for metric, _l in BREAKDOWN_METRICS
    ]
    protect_grid(
        [(total[i], [row[i] for _name, row in rows]) for i in range(len(BREAKDOWN_METRICS))]
    )
    return Breakdown(title, [str(label) for _m, label in BREAKDOWN_METRICS], rows, total)


def _department_grid(period: str, start: date, site_cells: dict, k: int) -> Grid | None:
    cells = _read(Segment.DEPARTMENT_PAIR, None, period, [start])
    if not cells:
        return None
    apply_k(cells.values(), k)
    names = dict(Department.objects.values_list("pk", "name"))
    ids = sorted(
        {key[0] for key in cells} | {key[1] for key in cells}, key=lambda pk: names.get(pk, "")
    )
    grid = [[cells.get((a, b, "interactions", start), Cell(0.0, 0)) for b in ids] for a in ids]
    total = site_cells.get((0, 0, "interactions_departments", start), Cell(None))
    everything = [cell for row in grid for cell in row]
    row_totals = [(None, row) for row in grid]
    protect_grid([(total, everything), *row_totals])
    labels = [names.get(pk, "?") for pk in ids]
    return Grid(labels, list(zip(labels, grid, strict=True)))


# The hashtag lists show this many each, the most used first: a network makes thousands.
HASHTAG_LIST_LENGTH = 25


def _hashtag_lists(overview: SiteOverview, period: str, start: date, k: int) -> None:
    """Tags first used in the period by at least k people, and tags used in three or more
    departments (by at least k people): filtered and cut in the database."""
    begin = timezone.make_aware(datetime.combine(start, time()))
    shown = Figure.objects.filter(
        segment=Segment.HASHTAG, period=period, start=start, people__gte=k
    )
    new = list(
        shown.filter(
            metric="posts",
            segment_id__in=Hashtag.objects.filter(created_at__gte=begin).values("pk"),
        )
        .order_by("-value", "segment_id")
        .values_list("segment_id", "value", "people")[:HASHTAG_LIST_LENGTH]
    )
    crossing = list(
        shown.filter(metric="departments", value__gte=CROSSING_DEPARTMENTS)
        .order_by("-value", "segment_id")
        .values_list("segment_id", "value", "people")[:HASHTAG_LIST_LENGTH]
    )
    tags = Hashtag.objects.in_bulk({row[0] for row in new + crossing})
    overview.new_hashtags = [
        (tags[pk], Cell(float(value), people)) for pk, value, people in new if pk in tags
    ]
    overview.crossing_hashtags = [
        (tags[pk], Cell(float(value), people)) for pk, value, people in crossing if pk in tags
    ]


# --- a group's insights ---------------------------------------------------------------------

GROUP_SERIES = [
    ("members", gettext_lazy("Members")),
    ("joins", gettext_lazy("People who joined")),
    ("leaves", gettext_lazy("People who left")),
    ("active_members", gettext_lazy("Members who posted, commented or reacted")),
    ("posts", gettext_lazy("Posts")),
    ("comments", gettext_lazy("Replies")),
    ("questions", gettext_lazy("Questions")),
]


@dataclass(frozen=True)
class WaitingQuestion:
    """A question as the insights page lists it: its words and where to answer it, never
    who asked (the list is content, not people)."""

    url: str
    text: str
    asked_at: Any


@dataclass
class GroupInsights:
    period: str
    k: int
    series: list[Series]
    shares: list[Series]
    median_first_reply: Series
    unanswered: list[WaitingQuestion]


def group_insights(
    viewer: Any, group: Any, period: str, *, today: date | None = None
) -> GroupInsights:
    k = k_value()
    starts = period_starts(period, today=today)
    cells = _read(Segment.GROUP, [group.pk], period, starts)
    apply_k(cells.values(), k)
    if period == Period.DAY:
        _protect_days_against_parents(Segment.GROUP, group.pk, starts, cells, k)
    series = [_series(cells, group.pk, m, label, period, starts) for m, label in GROUP_SERIES]
    by_metric = {s.metric: s for s in series}

    def get(metric: str, **kind: bool) -> Series:
        return _series(cells, group.pk, metric, metric, period, starts, **kind)

    visitors = get("active_people")
    shares = [
        _share_series(
            by_metric["active_members"],
            visitors,
            _("Share of visiting members who only read"),
            k,
            rest=True,
        ),
        _share_series(
            get("questions_answered"), by_metric["questions"], _("Questions answered"), k
        ),
    ]
    reply = get("median_first_reply_s", hours=True)
    reply.label = str(_("Median time to a first reply"))
    if group.member_count < k:
        # Every figure of a group this small, a zero included, is about its few members.
        for one in [*series, *shares, reply]:
            for _name, cell in one.points:
                cell.hidden, cell.reason = True, "small"
    return GroupInsights(
        period=period,
        k=k,
        series=series,
        shares=shares,
        median_first_reply=reply,
        unanswered=[
            WaitingQuestion(post.get_absolute_url(), post.body, post.created_at)
            for post in unanswered_questions(viewer, group)[:20]
        ],
    )


def unanswered_questions(viewer: Any, group: Any) -> QuerySet[Post]:
    """Questions in the group that nobody else has answered after 48 hours: content the
    viewer may read, oldest first (they have waited longest)."""
    cutoff = timezone.now() - UNANSWERED_AFTER
    others = Comment.objects.filter(post=OuterRef("pk"), removed_at__isnull=True).exclude(
        author=OuterRef("author")
    )
    return (
        visible_posts(viewer)
        .filter(group=group, is_question=True, created_at__lte=cutoff)
        .filter(~Exists(others))
        .only("id", "body", "created_at")
        .order_by("created_at", "id")
    )


# --- a hashtag's page ------------------------------------------------------------------------


@dataclass
class HashtagFigures:
    k: int
    uses: Series
    departments: Cell


def hashtag_figures(tag: Hashtag, *, today: date | None = None) -> HashtagFigures:
    """Posts per week over the last twelve weeks, and this month's departments: one query."""
    k = k_value()
    weeks = period_starts(Period.WEEK, today=today)
    month = period_starts(Period.MONTH, today=today)[-1]
    stored = Figure.objects.filter(segment=Segment.HASHTAG, segment_id=tag.pk).filter(
        Q(period=Period.WEEK, start__in=weeks, metric="posts")
        | Q(period=Period.MONTH, start=month, metric="departments")
    )
    cells = {
        (f.segment_id, f.other_id, f.metric, f.start): Cell(float(f.value), f.people)
        for f in stored.only("segment_id", "other_id", "metric", "start", "value", "people")
    }
    apply_k(cells.values(), k)
    uses = _series(cells, tag.pk, "posts", _("Posts with this hashtag"), Period.WEEK, weeks)
    departments = cells.get((tag.pk, 0, "departments", month), Cell(None))
    return HashtagFigures(k, uses, departments)


# --- a person's own numbers ------------------------------------------------------------------


@dataclass
class OwnNumbers:
    days: int
    posts: int
    comments: int
    likes_given: int
    likes_received: int
    answers_accepted: int


def own_numbers(user: Any, *, days: int = 30) -> OwnNumbers:
    """The person's own activity, for their eyes only: counted now from their content, never
    stored, never shown to anybody else."""
    since = timezone.now() - timedelta(days=days)
    return OwnNumbers(
        days=days,
        posts=Post.objects.filter(
            author=user, created_at__gte=since, removed_at__isnull=True
        ).count(),
        comments=Comment.objects.filter(
            author=user, created_at__gte=since, removed_at__isnull=True
        ).count(),
        likes_given=Reaction.objects.filter(user=user, created_at__gte=since).count(),
        likes_received=Reaction.objects.filter(post__author=user, created_at__gte=since)
        .exclude(user=user)
        .count(),
        answers_accepted=Post.objects.filter(accepted_answer__author=user, answered_at__gte=since)
        .exclude(author=user)
        .count(),
    )
