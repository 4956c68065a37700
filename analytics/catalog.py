"""What this network measures, as data: the measurement page is generated from this list and
from the settings, so it cannot drift from what the roll-up computes (a test checks that
every metric the roll-up writes is described here)."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Metric:
    key: str
    name: Promise
    counts: Promise
    # The roll-up's metrics this description covers (analytics.rollup writes these names).
    covers: tuple[str, ...] = ()

    @property
    def metrics(self) -> tuple[str, ...]:
        return self.covers or (self.key,)


def described_metrics() -> set[str]:
    return {name for _title, _who, metrics in AUDIENCES for m in metrics for name in m.metrics}


SITE = _("Site administrators and people they gave the community-health permission")
MANAGERS = _("The group's owners and managers (and site administrators)")
EMPLOYEES = _("Every employee, on the hashtag's page")

# (who sees it, the metrics)
AUDIENCES: list[tuple[Promise, str, list[Metric]]] = [
    (
        _("The whole network, by department and by location"),
        SITE,
        [
            Metric(
                "active_people",
                _("People who used the network"),
                _(
                    "Distinct people who opened a page, per day, week and month, counted with anonymous counters that are deleted after 35 days."
                ),
            ),
            Metric(
                "contributors",
                _("People who took part"),
                _("Distinct people who posted, commented or reacted."),
            ),
            Metric(
                "posts",
                _("Posts"),
                _("Posts written outside groups and in open and private groups."),
            ),
            Metric("comments", _("Comments and answers"), _("Comments on those posts.")),
            Metric("reactions", _("Likes"), _("Likes on those posts.")),
            Metric("questions", _("Questions"), _("Posts asked as a question.")),
            Metric(
                "questions_answered",
                _("Questions answered"),
                _("Questions someone other than the asker replied to."),
            ),
            Metric(
                "questions_accepted",
                _("Accepted answers"),
                _("Questions whose asker accepted an answer."),
            ),
            Metric(
                "median_first_answer_s",
                _("Time to a first answer"),
                _("The median time from a question to its first reply by someone else."),
            ),
            Metric(
                "median_accepted_s",
                _("Time to an accepted answer"),
                _("The median time from a question to the answer its asker accepted."),
            ),
            Metric(
                "unanswered_48h",
                _("Unanswered questions"),
                _("Questions nobody else replied to within 48 hours."),
            ),
            Metric(
                "interactions_departments",
                _("Interactions across departments"),
                _(
                    "Comments and likes on a colleague's post, and how many of them cross from one department (or location) to another, also as a department-by-department table."
                ),
                covers=(
                    "interactions_departments",
                    "across_departments",
                    "interactions_locations",
                    "across_locations",
                    "interactions",
                ),
            ),
            Metric(
                "groups",
                _("Groups"),
                _(
                    "Groups created, active (at least 5 % of members took part) and idle; secret groups are never counted here."
                ),
                covers=("groups_created", "groups_active", "groups_idle"),
            ),
            Metric(
                "hashtags",
                _("Hashtags"),
                _(
                    "Hashtags first used by enough people, and hashtags used in three or more departments, on posts every employee can read."
                ),
                covers=("departments",),
            ),
        ],
    ),
    (
        _("A group"),
        MANAGERS,
        [
            Metric(
                "members",
                _("Members"),
                _("Members, people who joined and people who left."),
                covers=("members", "joins", "leaves"),
            ),
            Metric(
                "active_members",
                _("Members who took part"),
                _("Distinct members who posted, commented or reacted in the group."),
            ),
            Metric(
                "group_visitors",
                _("Members who only read"),
                _("The share of members who opened the group's page without taking part."),
                covers=("active_people",),
            ),
            Metric(
                "group_posts",
                _("Posts and replies"),
                _("Posts and replies in the group, and the median time to a first reply."),
                covers=("posts", "comments", "median_first_reply_s"),
            ),
            Metric(
                "group_questions",
                _("Questions"),
                _(
                    "Questions and how many were answered, and the list of questions still unanswered after 48 hours (the questions, not who asked them)."
                ),
                covers=("questions", "questions_answered"),
            ),
        ],
    ),
    (
        _("A hashtag"),
        EMPLOYEES,
        [
            Metric(
                "hashtag_posts",
                _("Use over time"),
                _("Posts carrying the hashtag per week, on posts every employee can read."),
                covers=("posts",),
            ),
            Metric(
                "hashtag_departments",
                _("Departments"),
                _("How many departments it is used in."),
                covers=("departments",),
            ),
        ],
    ),
]
