"""Pages of a stream (posts, the inbox): the keyset cursor in a "Load more" link, and the
answer to it. Shared by every app's views, so it lives above them all."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from posts.selectors import Cursor, InvalidCursorError


def page_cursor(request: HttpRequest) -> Cursor | None:
    """The keyset cursor of a "Load more" link; a mangled one is a 400, not a 500."""
    try:
        return Cursor.decode(request.GET.get("cursor"))
    except InvalidCursorError:
        raise BadRequest(_("That page link is broken or out of date.")) from None


def more_url(
    request: HttpRequest,
    next_cursor: str | None,
    query: dict | None = None,
    *,
    path: str | None = None,
) -> str:
    """The "Load more" link: this page (or `path`) with its own parameters (filters) and
    the cursor."""
    return f"{path or request.path}?{urlencode({**(query or {}), 'cursor': next_cursor})}"


def render_feed(
    request: Any, *, page: Any, template: str, context: dict, query: dict | None = None
) -> HttpResponse:
    """A page of posts: the whole page, or for htmx "Load more" just the next items. `query`:
    the page's own parameters (filters), kept in the "Load more" link."""
    context = {**context, "page": page, "more_url": more_url(request, page.next_cursor, query)}
    if request.htmx and request.GET.get("cursor"):
        return render(request, "posts/_feed_page.html", context)
    return render(request, template, context)
