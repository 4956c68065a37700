from __future__ import annotations

import re

from django.core.cache import cache
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import escape

from discovery.suggestions import CARDS_SECONDS, cards_key, discovery
from esn.typing import HtmxHttpRequest


def discover(request: HtmxHttpRequest) -> HttpResponse:
    """Trending hashtags and what to follow or join, each with its reason. The home page
    loads these cards after the feed (htmx, on load), so a page of posts never waits for
    them; without JavaScript the home page links here and this is a page of its own."""
    if request.htmx:
        # Follow and join buttons come back to the page the cards were loaded into.
        back_url = request.htmx.current_url_abs_path or reverse("home")
        return HttpResponse(_cards_html(request, back_url))
    context = discovery(request.viewer)
    context["back_url"] = request.get_full_path()
    return render(request, "posts/discover.html", context)


# The cards load with every Home, and rendering them cost more than reading them (some 5 ms
# of templates: follow buttons, avatars, translated reasons). Their HTML is kept under the
# same key as what they are made of (`cards_key`: the viewer's ties, kind of account and
# language, and what anyone may see), so it is exactly as fresh. Only two things in it
# belong to the request, not to the person: the address the buttons come back to, and the
# CSRF token; both are kept as markers and filled in on every answer. A NUL character is
# never in anything stored or typed (PostgreSQL refuses it, RefuseNulCharactersMiddleware
# answers 400), so no name or hashtag can look like a marker.
_BACK_MARK = "\x00back-url\x00"
_CSRF_MARK = "\x00csrf-token\x00"
_TOKEN_IN_FORM = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]*(")')


def _cards_html(request: HtmxHttpRequest, back_url: str) -> str:
    key = cards_key(request.viewer)
    html = cache.get(f"{key}:html") if key else None
    if html is None:
        context = discovery(request.viewer)
        context["back_url"] = _BACK_MARK
        html = render_to_string("posts/discover.html#cards", context, request)
        html = _TOKEN_IN_FORM.sub(rf"\g<1>{_CSRF_MARK}\g<2>", html)
        if key:
            cache.set(f"{key}:html", html, CARDS_SECONDS)
    return html.replace(_BACK_MARK, escape(back_url)).replace(_CSRF_MARK, get_token(request))
