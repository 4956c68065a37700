"""The search page: one box for posts (with their comments), people, groups and hashtags.
Composition across the apps' searches, each of which applies the access layer; this module
only decides the tabs, their counts and what the chosen tab shows."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from esn.forms import SearchForm
from groups.selectors import search_groups
from hashtags.selectors import search_hashtags
from people.selectors import search_people
from posts import search as post_search

TABS = ("posts", "people", "groups", "hashtags")
# People, groups and hashtags: the first ones shown, with the count of all.
LIST_LIMIT = 30


def search_results(
    user: Any, form: SearchForm, words: list[str], *, tab: str, page: int
) -> dict[str, Any]:
    """What the page shows for `words` (already parsed) with the form's filters: the tabs
    with their counts, and the chosen tab's results (a page of posts, or the first people,
    groups or hashtags). With no tab chosen and no post found, the first tab that found
    something opens. An invalid filter leaves the Posts tab empty, never wrong."""
    filters_ok = form.is_valid()
    data = form.cleaned_data
    sort = data.get("sort") or post_search.SORT_BEST
    chosen = tab in TABS
    tab = tab if chosen else "posts"
    context: dict[str, Any] = {"tab": tab, "sort": sort, "filters_ok": filters_ok}
    if not words:
        return context
    filters = post_search.PostFilters(
        author=data.get("author"),
        group=data.get("group"),
        hashtag=data.get("hashtag"),
        since=data.get("since"),
        until=data.get("until"),
        questions_only=bool(data.get("questions")),
    )
    matches = post_search.match_posts(user, words, filters) if filters_ok else None
    lists: dict[str, QuerySet[Any]] = {
        "people": search_people(user, words),
        "groups": search_groups(user, words),
        "hashtags": search_hashtags(user, words),
    }
    counts = {"posts": matches.total if matches else 0}
    counts.update({name: qs.count() for name, qs in lists.items()})
    if not chosen and not counts["posts"]:
        # A name typed in the box: open on the tab that has results.
        tab = next((name for name in TABS if counts[name]), "posts")
        context["tab"] = tab
    more_posts = bool(matches and matches.more)
    labels = {
        "posts": _("Posts"),
        "people": _("People"),
        "groups": _("Groups"),
        "hashtags": _("Hashtags"),
    }
    context.update(
        counts=counts,
        more_posts=more_posts,
        tabs=[
            (
                name,
                labels[name],
                f"{counts[name]}+" if name == "posts" and more_posts else str(counts[name]),
            )
            for name in TABS
        ],
        truncated=tab != "posts" and counts[tab] > LIST_LIMIT,
    )
    if tab == "posts" and matches is not None:
        context["page"] = post_search.search_page(user, matches, sort=sort, page=page)
    elif tab == "people":
        context["results"] = list(lists["people"].prefetch_related("skills")[:LIST_LIMIT])
    elif tab != "posts":
        context["results"] = list(lists[tab][:LIST_LIMIT])
    return context
