from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user
from django.core.exceptions import BadRequest
from django.db import connection
from django.http import HttpRequest, HttpResponsePermanentRedirect, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.templatetags.static import static
from django.utils import translation
from django.views.decorators.cache import never_cache

from esn.forms import SearchForm
from esn.search import search_results
from esn.textsearch import query_words
from esn.typing import HtmxHttpRequest
from people.selectors import language_of, visitor_language
from posts import search as post_search


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


# Once this process has seen every migration applied, they stay applied for its code.
_migrations_seen_applied = False


def _migrations_applied() -> bool:
    """No migration of this code is waiting: a web process that starts before `migrate` has
    run (a deploy's first moments) is not ready, though it is alive."""
    global _migrations_seen_applied
    if _migrations_seen_applied:
        return True
    from django.db.migrations.executor import MigrationExecutor

    try:
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except Exception:
        return False
    _migrations_seen_applied = not pending
    return _migrations_seen_applied


@never_cache
def healthz(request: HttpRequest) -> HttpResponseBase:
    """Liveness: the process answers. Nothing it depends on is asked, so an orchestrator
    does not restart healthy web processes because the database is briefly away."""
    return JsonResponse({"status": "ok"})


@never_cache
def readyz(request: HttpRequest) -> HttpResponseBase:
    """Readiness, for load balancers and compose: 200 when the database and the broker answer
    and every migration is applied, 503 otherwise. Says nothing but up/down."""
    database = _database_ok()
    status = {
        "database": "ok" if database else "down",
        "broker": "ok" if _broker_ok() else "down",
        "migrations": "ok" if database and _migrations_applied() else "pending",
    }
    ready = all(value == "ok" for value in status.values())
    return JsonResponse(
        {"status": "ok" if ready else "degraded", **status}, status=200 if ready else 503
    )


def _page_number(request: HtmxHttpRequest) -> int:
    try:
        return max(1, min(int(request.GET.get("page", 1)), post_search.MAX_PAGES))
    except (TypeError, ValueError):
        return 1


def search(request: HtmxHttpRequest) -> HttpResponseBase:
    """One search box for posts (with their comments), people, groups and hashtags
    (esn/search.py). Any input gives a page: the words are all that reaches the database
    (esn.textsearch.query_words)."""
    form = SearchForm(request.GET, user=request.user)
    words = query_words(request.GET.get("q", ""))
    context = {
        "form": form,
        "q": request.GET.get("q", "")[:200],
        "words": words,
        **search_results(
            request.user,
            form,
            words,
            tab=request.GET.get("tab", ""),
            page=_page_number(request),
        ),
    }
    if request.htmx and request.GET.get("tab"):
        return render(request, "search.html#results", context)
    return render(request, "search.html", context)


def bad_request(request: HtmxHttpRequest, exception) -> HttpResponseBase:
    """Our own `BadRequest` messages are written for users; other 400s (a suspicious host,
    a malformed upload) keep their details to the logs."""
    # A request refused before the language middleware (a NUL byte) has no language yet:
    # the reader's own, from their session, else what their browser asks for.
    # (A bad host is refused before even the session is read: then the browser's language.)
    user = getattr(request, "user", None)
    if user is None and hasattr(request, "session"):
        user = get_user(request)
    signed_in = user is not None and user.is_authenticated
    language = language_of(user) if signed_in else visitor_language(request)
    with translation.override(language):
        message = str(exception.args[0]) if type(exception) is BadRequest and exception.args else ""
        return render(request, "400.html", {"message": message}, status=400)


def csrf_failure(request: HtmxHttpRequest, reason="") -> HttpResponseBase:
    return render(request, "403_csrf.html", status=403)


def favicon(request: HttpRequest) -> HttpResponseBase:
    """Pages without our <link rel="icon"> (Django admin's) make browsers ask for this."""
    return HttpResponsePermanentRedirect(static("favicon.svg"))
