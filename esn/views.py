from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import BadRequest
from django.db import connection
from django.db.models import QuerySet
from django.http import JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from esn.textsearch import query_words
from esn.typing import HtmxHttpRequest
from groups.selectors import search_groups
from hashtags.selectors import search_hashtags
from people.selectors import search_people
from posts import search as post_search
from posts.forms import SearchForm


def _database_ok() -> bool:
    try:
        with connection.cursor() as cur:
            cur.execute("SELECT 1")
            return cur.fetchone() == (1,)
    except Exception:
        return False


def _broker_ok() -> bool:
    import redis

    try:
        client = redis.Redis.from_url(
            settings.CELERY_BROKER_URL, socket_connect_timeout=1, socket_timeout=1
        )
        return bool(client.ping())
    except Exception:
        return False


@never_cache
def healthz(request: HtmxHttpRequest) -> HttpResponseBase:
    """For load balancers and compose health checks: 200 when the database and the broker
    answer, 503 otherwise. Says nothing but up/down."""
    status = {
        "database": "ok" if _database_ok() else "down",
        "broker": "ok" if _broker_ok() else "down",
    }
    healthy = all(value == "ok" for value in status.values())
    return JsonResponse(
        {"status": "ok" if healthy else "degraded", **status}, status=200 if healthy else 503
    )


SEARCH_TABS = ("posts", "people", "groups", "hashtags")
# People, groups and hashtags: the first ones shown, with the count of all.
SEARCH_LIST_LIMIT = 30


def _page_number(request: HtmxHttpRequest) -> int:
    try:
        return max(1, min(int(request.GET.get("page", 1)), post_search.MAX_PAGES))
    except (TypeError, ValueError):
        return 1


def search(request: HtmxHttpRequest) -> HttpResponseBase:
    """One search box for posts (with their comments), people, groups and hashtags. Every
    tab and count comes from selectors that apply the visibility policy. Any input gives a
    page: the words are all that reaches the database (esn.textsearch.query_words)."""
    form = SearchForm(request.GET, user=request.user)
    filters_ok = form.is_valid()
    data = form.cleaned_data
    words = query_words(request.GET.get("q", ""))
    tab = request.GET.get("tab", "posts")
    tab = tab if tab in SEARCH_TABS else "posts"
    sort = data.get("sort") or post_search.SORT_BEST
    context = {
        "form": form,
        "q": request.GET.get("q", "")[:200],
        "words": words,
        "tab": tab,
        "sort": sort,
        "filters_ok": filters_ok,
    }
    if words:
        filters = post_search.PostFilters(
            author=data.get("author"),
            group=data.get("group"),
            hashtag=data.get("hashtag"),
            since=data.get("since"),
            until=data.get("until"),
            questions_only=bool(data.get("questions")),
        )
        matches = post_search.match_posts(request.user, words, filters) if filters_ok else None
        lists: dict[str, QuerySet[Any]] = {
            "people": search_people(request.user, words),
            "groups": search_groups(request.user, words),
            "hashtags": search_hashtags(request.user, words),
        }
        counts = {"posts": matches.total if matches else 0}
        counts.update({name: qs.count() for name, qs in lists.items()})
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
                for name in SEARCH_TABS
            ],
        )
        if tab == "posts" and matches is not None:
            context["page"] = post_search.search_page(
                request.user, matches, sort=sort, page=_page_number(request)
            )
        elif tab == "people":
            context["results"] = list(
                lists["people"].prefetch_related("skills")[:SEARCH_LIST_LIMIT]
            )
        elif tab != "posts":
            context["results"] = list(lists[tab][:SEARCH_LIST_LIMIT])
        context["truncated"] = tab != "posts" and counts[tab] > SEARCH_LIST_LIMIT
    if request.htmx and request.GET.get("tab"):
        return render(request, "search.html#results", context)
    return render(request, "search.html", context)


def bad_request(request: HtmxHttpRequest, exception) -> HttpResponseBase:
    """Our own `BadRequest` messages are written for users; other 400s (a suspicious host,
    a malformed upload) keep their details to the logs."""
    message = str(exception) if type(exception) is BadRequest else ""
    return render(request, "400.html", {"message": message}, status=400)


def csrf_failure(request: HtmxHttpRequest, reason="") -> HttpResponseBase:
    return render(request, "403_csrf.html", status=403)
