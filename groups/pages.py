"""What the group pages share: the group as this viewer meets it, and running a service
with its refusals shown as messages. Used by groups.views and groups.moderation_views."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _

from access.actions import can_manage_group, is_banned, membership_of
from access.groups import can_read_group, can_see_guidelines, visible_groups
from groups import selectors
from groups.models import Group, Invitation, JoinRequest, Membership
from posts.markup import render as render_markdown


@dataclass
class GroupForViewer:
    """A group as the viewer meets it: what they may see and do there."""

    group: Group
    membership: Membership | None
    can_read: bool
    can_manage: bool
    invitation: Invitation | None = None
    join_request: JoinRequest | None = None
    banned: bool = False
    # For those who manage it: what waits for them.
    pending_requests: int = 0
    open_reports: int = 0


def group_for_viewer(
    request: HttpRequest, slug: str, *, need_read: bool = False, need_manage: bool = False
) -> GroupForViewer:
    """404 for groups the viewer may not know of (a secret group looks like no group at all),
    403 for known groups they may not act in."""
    group = visible_groups(request.user).filter(slug=slug).first()
    if group is None:
        raise Http404(_("No such group."))
    membership = membership_of(request.user, group)
    place = GroupForViewer(
        group=group,
        membership=membership,
        can_read=membership is not None or can_read_group(request.user, group),
        can_manage=can_manage_group(request.user, group, membership),
    )
    if need_manage and not place.can_manage:
        raise PermissionDenied(_("Only this group's owners and managers can do that."))
    if need_read and not place.can_read:
        raise PermissionDenied(_("Only members can see this group's posts."))
    if membership is None:
        place.banned = is_banned(request.user, group)
        if not place.banned:
            place.invitation = selectors.pending_invitation_of(request.user, group)
            place.join_request = selectors.pending_request_of(request.user, group)
    if place.can_manage:
        place.pending_requests, place.open_reports = selectors.waiting_for_managers(group)
    return place


def guidelines_html(request: HttpRequest, group: Group) -> str:
    """The group's guidelines as sanitised HTML (the posts' markdown pipeline), or "" when
    there are none or the viewer may not see them (`can_see_guidelines`). Rendered when
    shown, one group per page: nothing stored that an edit in Django admin could leave
    stale."""
    if not group.guidelines.strip() or not can_see_guidelines(request.user, group):
        return ""
    return render_markdown(group.guidelines).html


def run_with_messages(request: HttpRequest, action: Callable[[], Any], *, success: str = "") -> Any:
    """Run a service; its refusals become messages on the page the person came from."""
    try:
        result = action()
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return None
    except PermissionDenied as exc:
        messages.error(request, str(exc) or _("You cannot do that here."))
        return None
    if success:
        messages.success(request, success)
    return result if result is not None else True
