"""Counts distinct active people per day and segment (analytics.visits), once the response is
ready, so the count never changes what a request answers."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest
from django.http.response import HttpResponseBase

from analytics import visits


class VisitMiddleware:
    """A signed-in person's successful GET makes them active today. Views that show a group set
    `request.analytics_group_id` once the reader may read it, to count them in the group too.
    Posts, failed pages and redirects count nothing: reading is what makes a person active,
    and every action in the network starts from a page that was read."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if request.method == "GET" and response.status_code < 400:
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated:
                visits.record(user, group_id=getattr(request, "analytics_group_id", None))
        return response
