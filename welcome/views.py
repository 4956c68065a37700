from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect
from django.utils import formats
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from access.posts import can_view_post
from esn.navigation import next_url
from esn.typing import HtmxHttpRequest
from posts.models import Post
from welcome import services
from welcome.models import Announcement


@require_POST
def dismiss_get_started(request: HtmxHttpRequest) -> HttpResponseBase:
    services.dismiss_get_started(user=request.user)
    if request.htmx:
        return HttpResponse("")
    messages.success(request, _("The Get started card is closed. Suggestions stay on the side."))
    return redirect("home")


@require_POST
def dismiss_announcement(request: HtmxHttpRequest, pk: int) -> HttpResponseBase:
    announcement = get_object_or_404(Announcement.objects.select_related("post"), pk=pk)
    if not can_view_post(request.viewer, announcement.post):
        raise Http404(_("No such announcement."))
    services.dismiss_announcement(user=request.user, announcement=announcement)
    if request.htmx:
        return HttpResponse("")
    return redirect(next_url(request, "/"))


@require_POST
def announce(request: HtmxHttpRequest, pk: int) -> HttpResponseBase:
    post = get_object_or_404(Post.objects.select_related("group"), pk=pk)
    if not can_view_post(request.viewer, post):
        raise Http404(_("No such post."))
    try:
        days = int(request.POST.get("days", ""))
    except ValueError:
        days = 0
    try:
        announcement = services.announce(post=post, by=request.user, days=days)
    except (ValidationError, PermissionDenied) as refused:
        text = refused.messages[0] if isinstance(refused, ValidationError) else str(refused)
        messages.error(request, text)
        # Back to the top of the post, where the message is (an #announce anchor scrolled it
        # out of view), with the duration they chose still chosen.
        kept = f"?days={days}" if days in services.DURATIONS else ""
        return redirect(post.get_absolute_url() + kept)
    until = formats.date_format(localtime(announcement.ends_at), "DATETIME_FORMAT")
    messages.success(
        request,
        _("Pinned to everyone's Home until %(until)s. It will also be in their next digest.")
        % {"until": until},
    )
    return redirect(post.get_absolute_url())


@require_POST
def end(request: HtmxHttpRequest, pk: int) -> HttpResponseBase:
    announcement = get_object_or_404(Announcement.objects.select_related("post"), pk=pk)
    services.end_announcement(announcement=announcement, by=request.user)
    messages.success(request, _("The announcement is no longer pinned."))
    return redirect(next_url(request, announcement.post.get_absolute_url()))
