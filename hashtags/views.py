from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from access.analytics import can_see_hashtag_figures
from analytics import selectors as analytics_selectors
from analytics.charts import bar_chart
from digests import preferences
from digests.models import Level, SourceKind
from esn.navigation import next_url
from esn.paging import page_cursor, render_feed
from esn.typing import HtmxHttpRequest
from hashtags import selectors, services
from hashtags.models import Hashtag
from posts.selectors import posts_tagged


def _hashtag_or_404(
    request: HtmxHttpRequest, slug: str, find=selectors.get_visible_hashtag
) -> Hashtag:
    hashtag = find(request.user, slug)
    if hashtag is None:
        raise Http404(_("No posts carry this hashtag yet."))
    return hashtag


def directory(request: HtmxHttpRequest) -> HttpResponseBase:
    return render(
        request, "hashtags/directory.html", {"directory": selectors.hashtag_directory(request.user)}
    )


def detail(request: HtmxHttpRequest, slug: str) -> HttpResponseBase:
    hashtag = _hashtag_or_404(request, slug, find=selectors.hashtag_for_page)
    cursor = page_cursor(request)
    page = posts_tagged(request.user, hashtag=hashtag, cursor=cursor)
    context = {
        "hashtag": hashtag,
        "is_following": hashtag.is_followed,
        "is_muted": hashtag.is_muted,
    }
    if not cursor:
        context["experts"] = selectors.who_knows(request.user, hashtag)
        if can_see_hashtag_figures(request.user):
            # Counts of what every employee can read: part of the page, like the posts.
            figures = analytics_selectors.hashtag_figures(hashtag)
            context["tag_figures"] = figures
            context["tag_chart"] = bar_chart(
                figures.uses.points,
                k=figures.k,
                title=figures.uses.label,
                id="chart-tag-use",
                period_heading=analytics_selectors.period_heading("week"),
            )
    return render_feed(request, page=page, template="hashtags/detail.html", context=context)


@require_POST
def follow(request: HtmxHttpRequest, slug: str) -> HttpResponseBase:
    hashtag = _hashtag_or_404(request, slug)
    if request.POST.get("action") == "unfollow":
        services.unfollow_hashtag(user=request.user, hashtag=hashtag)
    else:
        services.follow_hashtag(user=request.user, hashtag=hashtag)
    if request.htmx:
        return render(
            request,
            "hashtags/_follow_button.html",
            {
                "hashtag": hashtag,
                "is_following": selectors.is_following(request.user, hashtag),
                "back_url": next_url(request, hashtag.get_absolute_url()),
            },
        )
    return redirect(next_url(request, hashtag.get_absolute_url()))


@require_POST
def mute(request: HtmxHttpRequest, slug: str) -> HttpResponseBase:
    """Mute or unmute a hashtag: the same setting as on the notification settings page, so
    posts carrying it stay out of the home feed and the digest."""
    hashtag = _hashtag_or_404(request, slug)
    muted = request.POST.get("action") != "unmute"
    preferences.set_source_level(
        user=request.user,
        kind=SourceKind.HASHTAG,
        object_id=hashtag.pk,
        level=Level.MUTED if muted else "",
    )
    if request.htmx:
        return render(
            request,
            "hashtags/_mute_button.html",
            {
                "hashtag": hashtag,
                "is_muted": muted,
                "back_url": next_url(request, hashtag.get_absolute_url()),
            },
        )
    if muted:
        messages.success(
            request,
            _("#%(tag)s is muted: posts carrying it stay out of your home feed and digest.")
            % {"tag": hashtag.name},
        )
    else:
        messages.success(request, _("#%(tag)s is no longer muted.") % {"tag": hashtag.name})
    return redirect(next_url(request, hashtag.get_absolute_url()))
