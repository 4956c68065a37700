"""Types for views: a request as django-htmx and our middleware leave it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.http import HttpRequest

if TYPE_CHECKING:
    from django_htmx.middleware import HtmxDetails

    from access.viewer import Viewer


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails
    user: Any
    viewer: Viewer  # esn.middleware.ViewerMiddleware
    analytics_group_id: int  # set by a group's page, read by analytics.middleware
