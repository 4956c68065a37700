from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse

from discovery.suggestions import discovery
from esn.typing import HtmxHttpRequest


def discover(request: HtmxHttpRequest) -> HttpResponse:
    """Trending hashtags and what to follow or join, each with its reason. The home page
    loads these cards after the feed (htmx, on load), so a page of posts never waits for
    them; without JavaScript the home page links here and this is a page of its own."""
    context = discovery(request.viewer)
    if request.htmx:
        # Follow and join buttons come back to the page the cards were loaded into.
        context["back_url"] = request.htmx.current_url_abs_path or reverse("home")
        return render(request, "posts/discover.html#cards", context)
    context["back_url"] = request.get_full_path()
    return render(request, "posts/discover.html", context)
