"""My notification settings: digest frequency and time zone, and a level for each group,
hashtag and person I follow."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from access.actions import receives_digests
from digests import preferences
from digests.forms import DigestForm, LevelForm
from digests.models import DigestChoice, Level, SiteSettings
from esn.middleware import remember_time_zone
from esn.typing import HtmxHttpRequest


def _context(request: HtmxHttpRequest, form: DigestForm, site: SiteSettings) -> dict:
    sources = preferences.my_sources(request.user, site)
    return {
        "form": form,
        "site": site,
        "sources": sources,
        "guest_without_digest": not receives_digests(request.user, site),
        "levels": Level.choices,
    }


@require_http_methods(["GET", "POST"])
def my_settings(request: HtmxHttpRequest) -> HttpResponseBase:
    site = SiteSettings.current()
    choice = DigestChoice.objects.filter(user=request.user).first()
    initial = (
        {
            "frequency": choice.frequency,
            "time_zone": choice.time_zone,
            "unread_email": choice.unread_email,
        }
        if choice
        else {}
    )
    form = DigestForm(request.POST or None, site=site, initial=initial)
    if request.method == "POST" and form.is_valid():
        if not receives_digests(request.user, site):
            form.add_error(None, _("Guests do not get digests on this site."))
        else:
            preferences.set_frequency(
                user=request.user,
                frequency=form.cleaned_data["frequency"],
                time_zone=form.cleaned_data["time_zone"],
                unread_email=form.cleaned_data["unread_email"],
            )
            remember_time_zone(request, form.cleaned_data["time_zone"])
            messages.success(request, _("Your digest settings are saved."))
            return redirect("digests:settings")
    status = 422 if form.errors else 200
    return render(request, "digests/settings.html", _context(request, form, site), status=status)


@require_POST
def set_level(request: HtmxHttpRequest) -> HttpResponseBase:
    """Set one source's level; answers htmx with the row, a plain post with a redirect."""
    form = LevelForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("digests:settings")
    kind, object_id = form.cleaned_data["kind"], form.cleaned_data["object_id"]
    if preferences.source_row(request.user, kind, object_id) is None:
        raise Http404  # not something I follow or belong to: nothing to say about it
    preferences.set_source_level(
        user=request.user, kind=kind, object_id=object_id, level=form.cleaned_data["level"]
    )
    row = preferences.source_row(request.user, kind, object_id)
    if row is None:  # left the group or unfollowed in the meantime
        return redirect("digests:settings")
    if request.htmx:
        return render(
            request,
            "digests/settings.html#source_row",
            {"row": row, "saved": True, "levels": Level.choices},
        )
    messages.success(request, _("Saved: %(name)s.") % {"name": row.name})
    return redirect("digests:settings")
