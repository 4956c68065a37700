"""The nightly roll-up: what is counted where (secret, removed, guests, service accounts), the
segments, re-runs replacing rather than adding, and the selectors' suppression on top."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from analytics import rollup, selectors
from analytics.models import Figure, Period, Segment
from groups.models import Group, Membership
from posts import services as post_services
from posts.models import Comment, Post, Reaction
from tests.factories import DepartmentFactory, LocationFactory, UserFactory, make_post
from tests.groups.helpers import add_member, make_group

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
YESTERDAY = TODAY - timedelta(days=1)
NOON = timezone.make_aware(datetime.combine(YESTERDAY, time(12)))


def figure(metric: str, segment: str = Segment.SITE, segment_id: int = 0, period=Period.DAY):
    start = {
        Period.DAY: YESTERDAY,
        Period.WEEK: YESTERDAY - timedelta(days=YESTERDAY.weekday()),
        Period.MONTH: YESTERDAY.replace(day=1),
    }[period]
    row = Figure.objects.filter(
        period=period, start=start, segment=segment, segment_id=segment_id, metric=metric
    ).first()
    return None if row is None else (row.value, row.people)


def backdate(*groups: Group) -> None:
    """Groups made (and joined) yesterday morning, so yesterday's figures see them."""
    morning = NOON - timedelta(hours=3)
    Group.objects.filter(pk__in=[g.pk for g in groups]).update(created_at=morning)
    Membership.objects.filter(group__in=groups).update(joined_at=morning)


def post_at(author, body="A post", when=NOON, **kwargs) -> Post:
    return make_post(author, body, created_at=when, **kwargs)


def comment_at(post, author, when=NOON) -> Comment:
    comment = post_services.add_comment(post=post, author=author, body="Good point")
    Comment.objects.filter(pk=comment.pk).update(created_at=when)
    return comment


def like_at(post, user, when=NOON) -> None:
    post_services.toggle_like(post=post, user=user)
    Reaction.objects.filter(post=post, user=user).update(created_at=when)


@pytest.fixture
def sales():
    return DepartmentFactory(name="Sales")


@pytest.fixture
def ops():
    return DepartmentFactory(name="Ops")


@pytest.fixture
def people(sales, ops):
    utrecht = LocationFactory(name="Utrecht")
    return {
        "sales": [UserFactory(department=sales, location=utrecht) for _ in range(6)],
        "ops": [UserFactory(department=ops) for _ in range(2)],
        "guest": UserFactory(is_guest=True),
        "service": UserFactory(is_service_account=True),
    }


def test_site_department_and_location_figures_count_employees_acts(people, sales, ops):
    s, o = people["sales"], people["ops"]
    posts = [post_at(author) for author in s[:5]]
    post_at(o[0])
    comment_at(posts[0], o[1])
    like_at(posts[1], s[5])
    like_at(posts[2], o[0])
    # Not counted on the site: a service account's post, yesterday outside the day, removed.
    post_at(people["service"])
    post_at(s[0], when=NOON - timedelta(days=1))
    removed = post_at(s[1])
    Post.objects.filter(pk=removed.pk).update(removed_at=timezone.now())

    rollup.roll_up_day(YESTERDAY, today=TODAY)

    assert figure("posts") == (6, 6)
    assert figure("comments") == (1, 1)
    assert figure("reactions") == (2, 2)
    assert figure("contributors") == (8, 8)
    assert figure("posts", Segment.DEPARTMENT, sales.pk) == (5, 5)
    assert figure("posts", Segment.DEPARTMENT, ops.pk) == (1, 1)
    assert figure("contributors", Segment.DEPARTMENT, ops.pk) == (2, 2)
    assert figure("posts", Segment.LOCATION, s[0].location_id) == (5, 5)
    # People without a location are segment 0.
    assert figure("posts", Segment.LOCATION, 0) == (1, 1)
    # Week and month are written with the day.
    assert figure("posts", period=Period.WEEK)[0] >= 6
    assert figure("posts", period=Period.MONTH)[0] >= 6


def test_a_secret_groups_content_counts_only_in_its_own_figures(people):
    owner = people["sales"][0]
    secret = make_group(owner, Group.Kind.SECRET, name="Skunkworks")
    add_member(secret, owner, people["sales"][1])
    open_group = make_group(owner, Group.Kind.OPEN)
    post_at(owner, "Secret plans", group=secret)
    post_at(people["sales"][1], "More secret plans", group=secret)
    post_at(owner, "Open news", group=open_group)
    backdate(secret, open_group)

    rollup.roll_up_day(YESTERDAY, today=TODAY)

    assert figure("posts") == (1, 1)
    assert figure("posts", Segment.GROUP, secret.pk) == (2, 2)
    assert figure("active_members", Segment.GROUP, secret.pk) == (2, 2)
    assert figure("posts", Segment.GROUP, open_group.pk) == (1, 1)
    # Secret groups are not among the groups the site counts.
    assert figure("groups_created")[0] == 1


def test_a_guests_acts_count_in_their_group_not_on_the_site(people):
    owner = people["sales"][0]
    group = make_group(owner, Group.Kind.PRIVATE, allow_guests=True)
    add_member(group, owner, people["guest"])
    post_at(people["guest"], "Hello from the client", group=group)
    backdate(group)

    rollup.roll_up_day(YESTERDAY, today=TODAY)

    assert figure("posts") is None or figure("posts")[0] == 0
    assert figure("posts", Segment.GROUP, group.pk) == (1, 1)
    assert figure("members", Segment.GROUP, group.pk) == (2, 2)


def test_questions_answers_and_waiting_times(people):
    s = people["sales"]
    question = post_at(s[0], "How do I book a room?", is_question=True)
    unanswered = post_at(s[1], "Anyone?", is_question=True)
    own_reply = comment_at(unanswered, s[1], when=NOON + timedelta(hours=1))
    answer = comment_at(question, s[2], when=NOON + timedelta(hours=2))
    post_services.accept_answer(post=question, comment=answer, by=s[0])
    Post.objects.filter(pk=question.pk).update(answered_at=NOON + timedelta(hours=3))
    del own_reply

    rollup.roll_up_day(YESTERDAY, today=TODAY)

    assert figure("questions") == (2, 2)
    assert figure("questions_answered")[0] == 1
    assert figure("questions_accepted")[0] == 1
    assert figure("median_first_answer_s")[0] == 2 * 3600
    assert figure("median_accepted_s")[0] == 3 * 3600


def test_interactions_across_departments(people, sales, ops):
    s, o = people["sales"], people["ops"]
    post = post_at(s[0])
    comment_at(post, o[0])
    like_at(post, o[1])
    like_at(post, s[1])

    rollup.roll_up_day(YESTERDAY, today=TODAY)

    assert figure("interactions_departments") == (3, 3)
    assert figure("across_departments") == (2, 2)
    pair = Figure.objects.get(
        period=Period.DAY,
        start=YESTERDAY,
        segment=Segment.DEPARTMENT_PAIR,
        segment_id=ops.pk,
        other_id=sales.pk,
    )
    assert (pair.value, pair.people) == (2, 2)


def test_a_re_run_replaces_the_figures_and_forgets_what_was_removed(people):
    s = people["sales"]
    first = post_at(s[0])
    post_at(s[1])
    rollup.roll_up_day(YESTERDAY, today=TODAY)
    assert figure("posts") == (2, 2)

    Post.objects.filter(pk=first.pk).update(removed_at=timezone.now())
    rollup.roll_up_day(YESTERDAY, today=TODAY)
    rollup.roll_up_day(YESTERDAY, today=TODAY)

    assert figure("posts") == (1, 1)
    # Deleted outright (an account's content erased): gone from the figures at the next run.
    Post.objects.filter(author=s[1]).delete()
    rollup.roll_up_day(YESTERDAY, today=TODAY)
    assert figure("posts") in (None, (0, 0))
    assert (
        Figure.objects.filter(
            period=Period.DAY, start=YESTERDAY, metric="posts", segment=Segment.SITE
        ).count()
        == 1
    )


def test_the_backfill_command_covers_a_range(people, capsys):
    from django.core.management import call_command

    post_at(people["sales"][0], when=NOON - timedelta(days=3))
    call_command(
        "rollup_analytics",
        "--from",
        (YESTERDAY - timedelta(days=3)).isoformat(),
        "--to",
        YESTERDAY.isoformat(),
    )
    assert "figures for" in capsys.readouterr().out
    assert Figure.objects.filter(
        period=Period.DAY, start=YESTERDAY - timedelta(days=3), metric="posts"
    ).exists()


# --- suppression on the pages' figures ------------------------------------------------------


def test_a_group_of_four_shows_only_suppressed_figures(people):
    s = people["sales"]
    group = make_group(s[0], Group.Kind.OPEN)
    for person in s[1:4]:
        add_member(group, s[0], person)
    for person in s[:4]:
        post = post_at(person, group=group)
        comment_at(post, s[(s.index(person) + 1) % 4])
    backdate(group)
    rollup.roll_up_day(YESTERDAY, today=TODAY)

    insights = selectors.group_insights(s[0], group, Period.DAY, today=TODAY)

    latest = {series.metric: series.points[-1][1] for series in insights.series}
    for metric in ("members", "active_members", "posts", "comments"):
        assert latest[metric].hidden, metric
    assert all(
        series.points[-1][1].hidden or not series.points[-1][1].value for series in insights.shares
    )


def test_one_small_department_hides_a_second_so_the_total_cannot_reveal_it(people, sales, ops):
    # Sales: 6 posters, Ops: 2 (fewer than 5), a third department: 7.
    support = DepartmentFactory(name="Support")
    support_people = [UserFactory(department=support) for _ in range(7)]
    for person in people["sales"] + people["ops"] + support_people:
        post_at(person)
    rollup.roll_up_day(YESTERDAY, today=TODAY)

    overview = selectors.site_overview(Period.DAY, today=TODAY)

    by_department = overview.breakdowns[0]
    posts_column = by_department.columns.index("Posts")
    cells = {name: row[posts_column] for name, row in by_department.rows}
    assert cells["Ops"].hidden and cells["Ops"].reason == "small"
    # Total 15 shown; Sales (6) hidden too, or 15 - 6 - 7 would give Ops away.
    assert not by_department.total[posts_column].hidden
    assert cells["Sales"].hidden and cells["Sales"].reason == "complement"
    assert not cells["Support"].hidden


def test_a_small_day_hides_a_second_day_so_its_week_cannot_give_it_away(people):
    # Last week: Monday by 2 people (fewer than 5), Tuesday by 6, Wednesday by 7.
    monday = TODAY - timedelta(days=TODAY.weekday() + 7)
    posters = people["sales"] + [UserFactory() for _ in range(9)]
    for offset, count in ((0, 2), (1, 6), (2, 7)):
        when = timezone.make_aware(datetime.combine(monday + timedelta(days=offset), time(12)))
        for person in posters[:count]:
            post_at(person, when=when)
    rollup.roll_up_range(monday, monday + timedelta(days=2), today=TODAY)

    overview = selectors.site_overview(Period.DAY, today=TODAY)

    posts = dict(next(s for s in overview.series if s.metric == "posts").points)
    label = lambda day: selectors.period_label(Period.DAY, day)  # noqa: E731
    assert posts[label(monday)].reason == "small"
    # The week's 15 is shown: Tuesday (the smallest other day) is hidden with Monday.
    assert posts[label(monday + timedelta(days=1))].reason == "complement"
    assert posts[label(monday + timedelta(days=2))].shown
