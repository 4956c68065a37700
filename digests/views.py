"""The inbox, a digest seen in the browser, and the unsubscribe link of digest emails."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from digests import emails, preferences, selectors, services
from digests.models import Frequency, InboxItem
from esn.navigation import next_url
from esn.paging import more_url, page_cursor
from esn.typing import HtmxHttpRequest

Kind = InboxItem.Kind


@require_GET
def inbox(request: HtmxHttpRequest) -> HttpResponseBase:
    page = selectors.inbox_page(request.user, cursor=page_cursor(request))
    context = {
        "page": page,
        "more_url": more_url(request, page.next_cursor),
    }
    if request.htmx and request.GET.get("cursor"):
        return render(request, "digests/inbox.html#rows", context)
    return render(request, "digests/inbox.html", context)


def item_url(item: InboxItem) -> str:
    """Where a row leads: the exact comment or post, the person, or the group."""
    if item.comment_id and item.kind != Kind.MODERATION:
        return item.comment.get_absolute_url()
    if item.post_id:
        return item.post.get_absolute_url()
    if item.kind == Kind.FOLLOWER:
        # Several followers: the list of them (an employee's page; a guest has none).
        if len(item.data.get("ids", [])) > 1 and not item.recipient.is_guest:
            return reverse("people:followers", args=[item.recipient.username])
        return item.actor_user.get_absolute_url()
    if item.kind == Kind.INVITATION:
        return reverse("groups:invitations")
    if item.kind == Kind.JOIN_REQUESTS:
        return reverse("groups:member_requests", args=[item.group.slug])
    if item.kind == Kind.REPORTS:
        if item.group_id:
            return reverse("groups:moderation", args=[item.group.slug])
        return reverse("groups:site_moderation")
    if item.kind == Kind.SPONSOR_LEFT and (item.data.get("yours") or not item.group_id):
        # The guest's own row: their group, where its managers are listed.
        return item.group.get_absolute_url() if item.group_id else reverse("digests:inbox")
    if item.kind in (Kind.SPONSOR_LEFT, Kind.GROUP_UNMANAGED):
        return reverse("groups:members", args=[item.group.slug])
    if item.kind in (Kind.REPORT_OUTCOME, Kind.MEMBERSHIP_ENDED):
        return reverse("digests:inbox")
    if item.group_id:
        return item.group.get_absolute_url()
    return reverse("digests:inbox")


@require_GET
def open_item(request: HtmxHttpRequest, pk: int) -> HttpResponseBase:
    """Mark the row read and go to what it is about. A row the reader may no longer see is a
    404, like a row that never existed."""
    item = selectors.visible_item(request.user, pk)
    if item is None:
        raise Http404
    services.mark_read(user=request.user, item_id=item.pk)
    return HttpResponseRedirect(item_url(item))


@require_POST
def mark_read(request: HtmxHttpRequest, pk: int) -> HttpResponseBase:
    """Mark one row read without opening it."""
    item = selectors.visible_item(request.user, pk)
    if item is None:
        raise Http404
    services.mark_read(user=request.user, item_id=item.pk)
    item.unread = False
    selectors.attach_invitations(request.user, [item])
    selectors.attach_followers(request.user, [item])
    if request.htmx:
        return render(request, "digests/mark_read.html", {"item": item})
    return redirect("digests:inbox")


@require_POST
def read_all(request: HtmxHttpRequest) -> HttpResponseBase:
    marked = services.mark_all_read(user=request.user)
    if request.htmx:
        page = selectors.inbox_page(request.user)
        # The list, and the navigation's badge out of band: both now say "nothing unread".
        return render(
            request,
            "digests/read_all.html",
            {
                "page": page,
                "more_url": more_url(request, page.next_cursor, path=reverse("digests:inbox")),
            },
        )
    if marked:
        messages.success(request, _("Everything in your inbox is marked as read."))
    return redirect(next_url(request, reverse("digests:inbox")))


@require_GET
def digest_in_browser(request: HtmxHttpRequest, pk: int) -> HttpResponseBase:
    """A digest as it was mailed, shown to its own recipient only, with the visibility policy
    applied again now (what they may no longer see is left out)."""
    digest = emails.digest_for_browser(request.user, pk)
    if digest is None:
        raise Http404
    return render(request, "digests/digest_page.html", {"digest": digest})


@csrf_exempt  # mail clients POST here without a session (RFC 8058 one-click unsubscribe)
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HtmxHttpRequest, token: str) -> HttpResponseBase:
    """The unsubscribe link of a digest email. GET shows one button (link scanners in mail
    systems follow links, and must not unsubscribe anyone); POST, from that button or from
    the mail client's one-click List-Unsubscribe-Post, turns digests off. No sign-in needed:
    the signed token says who."""
    person = emails.person_from_unsubscribe_token(token)
    if person is None:
        return render(request, "digests/unsubscribe.html", {"invalid": True}, status=400)
    done = False
    if request.method == "POST":
        preferences.set_frequency(user=person, frequency=Frequency.OFF)
        done = True
    return render(
        request,
        "digests/unsubscribe.html",
        {"person": person, "done": done, "token": token},
    )
