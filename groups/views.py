"""Group pages and membership actions. Thin: every decision is in groups.services (writes)
and groups.selectors / posts.selectors (who may see what)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from access.actions import can_create_groups, create_group_refusal, membership_of
from access.groups import visible_groups
from esn.navigation import next_url
from esn.paging import page_cursor, render_feed
from esn.storage import serve_media
from esn.typing import HtmxHttpRequest
from groups import selectors, services
from groups.forms import GroupForm, GuestInviteForm, InviteForm, JoinRequestForm
from groups.models import Group, Invitation, JoinRequest, Membership
from groups.pages import GroupForViewer, group_for_viewer, guidelines_html, run_with_messages
from people.models import User
from posts import selectors as post_selectors
from posts.forms import PostForm


def _back(request: HtmxHttpRequest, group: Group) -> HttpResponseBase:
    return redirect(next_url(request, group.get_absolute_url()))


# --- directory and group pages ------------------------------------------------------------


def directory(request: HtmxHttpRequest) -> HttpResponseBase:
    query = request.GET.get("q", "").strip()[:100]
    kind = request.GET.get("kind", "")
    groups = selectors.directory(request.user, query=query, kind=kind)
    page = Paginator(groups, 30).get_page(request.GET.get("page"))
    return render(
        request,
        "groups/directory.html",
        {
            "page_obj": page,
            "q": query,
            "kind": kind,
            "kinds": [
                (Group.Kind.OPEN, _("Open")),
                (Group.Kind.PRIVATE, _("Private")),
                (Group.Kind.SECRET, _("Secret (mine only)")),
            ],
            "can_create": can_create_groups(request.user),
            "invitations": selectors.invitations_for(request.user),
        },
    )


def detail(
    request: HtmxHttpRequest,
    slug: str,
    *,
    request_form: JoinRequestForm | None = None,
    status: int = 200,
) -> HttpResponseBase:
    place = group_for_viewer(request, slug)
    context: dict[str, Any] = {
        "place": place,
        "group": place.group,
        "request_form": request_form or JoinRequestForm(),
        "guidelines_html": guidelines_html(request, place.group),
    }
    if not place.can_read:
        # A private group's card: name, description, member count, and how to get in.
        return render(request, "groups/detail.html", context, status=status)
    if place.membership is not None:
        # Counted among the group's visiting members (analytics.middleware); readers who are
        # not members do not make a member "only read".
        request.analytics_group_id = place.group.pk
    cursor = page_cursor(request)
    page = post_selectors.posts_in_group(request.user, group=place.group, cursor=cursor)
    if not cursor:
        context["pinned"] = post_selectors.pinned_in_group(request.user, group=place.group)
        pinned_ids = {p.pk for p in context["pinned"]}
        page.items = [i for i in page.items if i.post.pk not in pinned_ids]
    if place.membership and not place.group.is_archived:
        context["form"] = PostForm(user=request.user, group=place.group)
    context["can_moderate"] = place.can_manage
    return render_feed(request, page=page, template="groups/detail.html", context=context)


def create(request: HtmxHttpRequest) -> HttpResponseBase:
    if refusal := create_group_refusal(request.user):
        raise PermissionDenied(refusal)
    form = GroupForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            group = services.create_group(creator=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Your group is ready. Invite people, or let them find it."))
            return redirect(group)
    return render(request, "groups/form.html", {"form": form}, status=422 if form.errors else 200)


def edit(request: HtmxHttpRequest, slug: str) -> HttpResponseBase:
    place = group_for_viewer(request, slug, need_manage=True)
    form = GroupForm(request.POST or None, request.FILES or None, instance=place.group)
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in services.EDITABLE_FIELDS}
        # The form has already written its values onto the instance; the service compares
        # against the stored row.
        place.group.refresh_from_db()
        try:
            services.update_group(group=place.group, editor=request.user, **changes)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The group is updated."))
            return redirect(place.group)
    return render(
        request,
        "groups/form.html",
        {"form": form, "group": place.group, "place": place},
        status=422 if form.errors else 200,
    )


@require_POST
def archive(request: HtmxHttpRequest, slug: str) -> HttpResponseBase:
    place = group_for_viewer(request, slug, need_manage=True)
    archived = request.POST.get("archived") == "1"
    run_with_messages(
        request,
        lambda: services.archive_group(group=place.group, user=request.user, archived=archived),
        success=_("The group is archived: read-only, still there for its members.")
        if archived
        else _("The group is open again."),
    )
    return _back(request, place.group)


def cover(request: HtmxHttpRequest, slug: str) -> HttpResponseBase:
    """Covers go through the same check as the group's name: a secret group's picture is
    as secret as the group."""
    group = visible_groups(request.user).filter(slug=slug).first()
    if group is None or not group.cover:
        raise Http404
    return serve_media(group.cover, max_age=3600)


# --- the member's own acts ----------------------------------------------------------------


@require_POST
def join(request: HtmxHttpRequest, slug: str) -> HttpResponseBase:
    place = group_for_viewer(request, slug)
    group = place.group
    if group.kind == Group.Kind.OPEN:
        run_with_messages(
            request,
            lambda: services.join_group(user=request.user, group=group),
            success="" if request.htmx else _("Welcome to %(group)s.") % {"group": group},
        )
        if request.htmx:
            # A join button in a list (suggestions): it turns into "Joined" in place.
            return render(
                request,
                "groups/_join_button.html",
                {
                    "group": group,
                    "joined": membership_of(request.user, group) is not None,
                    "back_url": next_url(request, group.get_absolute_url()),
                },
            )
    else:
        form = JoinRequestForm(request.POST)
        if not form.is_valid():
            # The note is kept: the group page again, with the form and its error.
            return detail(request, slug, request_form=form, status=422)
        message = form.cleaned_data["message"]
        run_with_messages(
            request,
            lambda: services.request_to_join(user=request.user, group=group, message=message),
            success=_("Your request is with the group's managers."),
        )
    return _back(request, group)


@require_POST
def withdraw(request: HtmxHttpRequest, slug: str) -> HttpResponseBase:
    place = group_for_viewer(request, slug)
    services.withdraw_request(user=request.user, group=place.group)
    messages.success(request, _("Your request is withdrawn."))
    return _back(request, place.group)


@require_POST
def leave(request: HtmxHttpRequest, slug: str) -> HttpResponseBase:
    place = group_for_viewer(request, slug)
    done = run_with_messages(
        request,
        lambda: services.leave_group(user=request.user, group=place.group),
        success=_("You left %(group)s.") % {"group": place.group},
    )
    if done and not visible_groups(request.user).filter(pk=place.group.pk).exists():
        return redirect("groups:directory")
    return _back(request, place.group)


@require_POST
def mute(request: HtmxHttpRequest, slug: str) -> HttpResponseBase:
    place = group_for_viewer(request, slug)
    muted = request.POST.get("muted") == "1"
    services.set_muted(user=request.user, group=place.group, muted=muted)
    text = (
        _("Posts from %(group)s no longer appear in your home feed.")
        if muted
        else _("Posts from %(group)s appear in your home feed again.")
    )
    messages.success(request, text % {"group": place.group})
    return _back(request, place.group)


def invitations(request: HtmxHttpRequest) -> HttpResponseBase:
    return render(
        request,
        "groups/invitations.html",
        {"invitations": selectors.invitations_for(request.user)},
    )


def _my_invitation(request: HtmxHttpRequest, pk: int) -> Invitation:
    return get_object_or_404(
        Invitation.objects.select_related("group"), pk=pk, invitee=request.user
    )


@require_POST
def accept(request: HtmxHttpRequest, pk: int) -> HttpResponseBase:
    invitation = _my_invitation(request, pk)
    done = run_with_messages(
        request,
        lambda: services.accept_invitation(invitation=invitation, user=request.user),
        success=_("Welcome to %(group)s.") % {"group": invitation.group},
    )
    return redirect(invitation.group if done else reverse("groups:invitations"))


@require_POST
def decline(request: HtmxHttpRequest, pk: int) -> HttpResponseBase:
    invitation = _my_invitation(request, pk)
    run_with_messages(
        request,
        lambda: services.decline_invitation(invitation=invitation, user=request.user),
        success=_("Invitation declined."),
    )
    return redirect(next_url(request, reverse("groups:invitations")))


# --- managers -------------------------------------------------------------------------------


MEMBER_TABS = ("members", "requests", "invitations")


def members(
    request: HtmxHttpRequest,
    slug: str,
    *,
    tab: str = "members",
    invite_form: InviteForm | None = None,
    guest_form: GuestInviteForm | None = None,
    status: int = 200,
) -> HttpResponseBase:
    """The members page: tabs for members, join requests and invitations (the last two for
    those who manage the group). Each tab is its own address, so it works without
    JavaScript and its list pages on its own."""
    if tab not in MEMBER_TABS:
        raise Http404
    place = group_for_viewer(request, slug, need_read=True, need_manage=tab != "members")
    group = place.group
    listing = {
        "members": selectors.members,
        "requests": selectors.pending_requests,
        "invitations": selectors.pending_invitations,
    }[tab](group)
    page = Paginator(listing, 50).get_page(request.GET.get("page"))
    context: dict[str, Any] = {"place": place, "group": group, "tab": tab, "page_obj": page}
    if place.can_manage:
        context["invitation_count"] = (
            page.paginator.count
            if tab == "invitations"
            else selectors.pending_invitation_count(group)
        )
        if tab == "members":
            context.update(bans=selectors.bans(group), roles=Membership.Role.choices)
        elif tab == "invitations":
            context["invite_form"] = invite_form or InviteForm()
            if group.allow_guests and not request.user.is_guest:
                context["guest_form"] = guest_form or GuestInviteForm()
    return render(request, "groups/members.html", context, status=status)


def _everyone_in(
    request: HtmxHttpRequest, name: str, result: tuple[int, list[str]] | None
) -> tuple[int, list[str]]:
    """A department or location invited: one sentence for those left out, not one each."""
    if not isinstance(result, tuple):
        return 0, []
    sent, skipped = result
    if not skipped:
        if not sent:
            messages.info(request, _("Nobody in %(place)s can be invited.") % {"place": name})
        return sent, []
    if not sent:
        return 0, [_("Everyone in %(place)s is already a member or invited.") % {"place": name}]
    left_out = ngettext(
        "%(n)d person in %(place)s was not invited: already a member, invited or banned.",
        "%(n)d people in %(place)s were not invited: already members, invited or banned.",
        len(skipped),
    ) % {"n": len(skipped), "place": name}
    return sent, [left_out]


@require_POST
def invite_guest(request: HtmxHttpRequest, slug: str) -> HttpResponseBase:
    """A manager invites someone from outside by email; they become the guest's sponsor."""
    place = group_for_viewer(request, slug, need_manage=True)
    form = GuestInviteForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            guest = services.invite_guest(
                group=place.group,
                inviter=request.user,
                email=data["email"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                organisation=data["organisation"],
                access_end=data["access_end"],
            )
        except ValidationError as refused:
            form.add_error(None, refused)
        else:
            messages.success(
                request,
                _(
                    "%(name)s is invited. Unless they already had an account, they get an email "
                    "to choose a password; then they see the invitation. You are their sponsor."
                )
                % {"name": guest.display_name},
            )
            return redirect("groups:member_invitations", slug=slug)
    return members(request, slug, tab="invitations", guest_form=form, status=422)


@require_POST
def invite(request: HtmxHttpRequest, slug: str) -> HttpResponseBase:
    place = group_for_viewer(request, slug, need_manage=True)
    form = InviteForm(request.POST)
    if not form.is_valid():
        # The page again, the names typed still in the box, the error under it.
        return members(request, slug, tab="invitations", invite_form=form, status=422)
    group, me = place.group, request.user
    department, location = form.cleaned_data["department"], form.cleaned_data["location"]
    sent_to: list[str] = []
    skipped: list[str] = []
    people = form.cleaned_data["people"]
    if people:
        result = run_with_messages(
            request, lambda: services.invite(group=group, inviter=me, people=people)
        )
        if isinstance(result, tuple):
            n, not_invited = result
            skipped += not_invited
            if n == 1 and len(people) == 1:
                sent_to.append(_("Invitation sent to %(name)s.") % {"name": people[0].display_name})
            elif n:
                sent_to.append(
                    ngettext("%(n)d invitation sent.", "%(n)d invitations sent.", n) % {"n": n}
                )
    for place_name, action in (
        (
            department and department.name,
            lambda: services.invite_department(group=group, inviter=me, department=department),
        ),
        (
            location and location.name,
            lambda: services.invite_location(group=group, inviter=me, location=location),
        ),
    ):
        if not place_name:
            continue
        n, left_out = _everyone_in(request, place_name, run_with_messages(request, action))
        skipped += left_out
        if n:
            sent_to.append(
                ngettext(
                    "%(n)d invitation sent to %(place)s.",
                    "%(n)d invitations sent to %(place)s.",
                    n,
                )
                % {"n": n, "place": place_name}
            )
    if sent_to:
        messages.success(request, " ".join([*sent_to, _("Each person decides whether to join.")]))
    if skipped:
        shown = skipped[:5]
        more = len(skipped) - len(shown)
        text = " ".join(shown) + (_(" …and %(n)d more.") % {"n": more} if more else "")
        messages.info(request, text)
    return redirect("groups:member_invitations", slug=slug)


def _request_of(place: GroupForViewer, pk: int) -> JoinRequest:
    return get_object_or_404(JoinRequest.objects.select_related("user"), pk=pk, group=place.group)


@require_POST
def approve(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponseBase:
    place = group_for_viewer(request, slug, need_manage=True)
    join_request = _request_of(place, pk)
    run_with_messages(
        request,
        lambda: services.approve_request(request=join_request, manager=request.user),
        success=_("%(name)s is now a member.") % {"name": join_request.user},
    )
    return redirect("groups:member_requests", slug=slug)


@require_POST
def decline_request(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponseBase:
    place = group_for_viewer(request, slug, need_manage=True)
    join_request = _request_of(place, pk)
    run_with_messages(
        request,
        lambda: services.decline_request(
            request=join_request, manager=request.user, reason=request.POST.get("reason", "")
        ),
        success=_("Request declined."),
    )
    return redirect("groups:member_requests", slug=slug)


@require_POST
def revoke(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponseBase:
    place = group_for_viewer(request, slug, need_manage=True)
    invitation = get_object_or_404(Invitation, pk=pk, group=place.group)
    run_with_messages(
        request,
        lambda: services.revoke_invitation(invitation=invitation, manager=request.user),
        success=_("Invitation withdrawn."),
    )
    return redirect("groups:member_invitations", slug=slug)


@require_POST
def member_action(
    request: HtmxHttpRequest, slug: str, username: str, action: str
) -> HttpResponseBase:
    place = group_for_viewer(request, slug, need_manage=True)
    person = get_object_or_404(User, username=username)
    group, me = place.group, request.user
    reason = request.POST.get("reason", "").strip()
    actions = {
        "remove": (
            lambda: services.remove_member(group=group, manager=me, person=person, reason=reason),
            _("%(name)s was removed from the group."),
        ),
        "ban": (
            lambda: services.ban_member(group=group, manager=me, person=person, reason=reason),
            _("%(name)s is banned from the group."),
        ),
        "unban": (
            lambda: services.unban(group=group, manager=me, person=person),
            _("%(name)s may join again."),
        ),
        "role": (
            lambda: services.set_role(
                group=group, manager=me, person=person, role=request.POST.get("role", "")
            ),
            _("%(name)s's role is changed."),
        ),
    }
    if action not in actions:
        raise Http404
    run, success = actions[action]
    run_with_messages(request, run, success=success % {"name": person})
    return redirect("groups:members", slug=slug)
