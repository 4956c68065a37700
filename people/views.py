from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from access.people import has_blocked, sees_the_company, visible_people
from digests import preferences
from digests.models import Level, SourceKind
from esn.navigation import next_url
from esn.paging import page_cursor, render_feed
from esn.typing import HtmxHttpRequest
from people import selectors, services
from people.forms import ProfileForm
from people.models import User
from posts.selectors import posts_by


def _person_or_404(request: HtmxHttpRequest, username: str) -> User:
    """Only profiles the viewer may see: a guest meets the members of their groups."""
    person = visible_people(request.user).filter(username=username).first()
    if person is None:
        raise Http404(_("No such person."))
    return person


def _employees_only(request: HtmxHttpRequest) -> None:
    if not sees_the_company(request.user):
        raise Http404(_("Guests see the people in their own groups only."))


def directory(request: HtmxHttpRequest) -> HttpResponseBase:
    _employees_only(request)
    query = request.GET.get("q", "")[:100]
    page = Paginator(selectors.people_directory(request.user, query=query), 30).get_page(
        request.GET.get("page")
    )
    return render(request, "people/directory.html", {"page_obj": page, "q": query})


def profile(request: HtmxHttpRequest, username: str) -> HttpResponseBase:
    person = _person_or_404(request, username)
    page = posts_by(request.user, author=person, cursor=page_cursor(request))
    context = {
        "person": person,
        "is_following": selectors.is_following(request.user, person),
        "has_blocked": has_blocked(request.user, person),
        "is_muted": preferences.is_muted(request.user, SourceKind.PERSON, person.pk),
        "skills": list(person.skills.all()),
    }
    if sees_the_company(request.user):
        # Who follows whom is the company's business, not a guest's.
        context.update(
            counts=selectors.follow_counts(request.user, person),
            following_preview=selectors.following_of(request.user, person)[:8],
            followers_preview=selectors.followers_of(request.user, person)[:8],
        )
    return render_feed(request, page=page, template="people/profile.html", context=context)


def follow_list(request: HtmxHttpRequest, username: str, direction: str) -> HttpResponseBase:
    _employees_only(request)
    person = _person_or_404(request, username)
    people = (
        selectors.following_of(request.user, person)
        if direction == "following"
        else selectors.followers_of(request.user, person)
    )
    page = Paginator(people, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "people/follow_list.html",
        {"person": person, "page_obj": page, "direction": direction},
    )


@require_POST
def follow(request: HtmxHttpRequest, username: str) -> HttpResponseBase:
    person = _person_or_404(request, username)
    if request.POST.get("action") == "unfollow":
        services.unfollow_person(follower=request.user, followee=person)
    else:
        try:
            services.follow_person(follower=request.user, followee=person)
        except ValidationError as exc:
            messages.error(request, exc.messages[0])
    if request.htmx:
        return render(
            request,
            "people/_follow_button.html",
            {
                "person": person,
                "is_following": selectors.is_following(request.user, person),
                "back_url": next_url(request, person.get_absolute_url()),
            },
        )
    return redirect(next_url(request, person.get_absolute_url()))


@require_POST
def block(request: HtmxHttpRequest, username: str) -> HttpResponseBase:
    """Block or unblock someone (a plain form: it is rare, and it should feel deliberate)."""
    person = _person_or_404(request, username)
    if request.POST.get("action") == "unblock":
        services.unblock_person(blocker=request.user, blocked=person)
        messages.success(request, _("You unblocked %(name)s.") % {"name": person.display_name})
    else:
        try:
            services.block_person(blocker=request.user, blocked=person)
        except ValidationError as exc:
            messages.error(request, exc.messages[0])
        else:
            messages.success(
                request,
                _(
                    "You blocked %(name)s. Their mentions, replies, likes and follows no longer "
                    "reach your inbox or your digest, neither of you follows the other, your "
                    "posts stay out of each other's feeds, and neither of you can comment on "
                    "the other's posts."
                )
                % {"name": person.display_name},
            )
    return redirect(person.get_absolute_url())


@require_POST
def mute(request: HtmxHttpRequest, username: str) -> HttpResponseBase:
    """Mute or unmute someone: the same setting as on the notification settings page. Their
    posts stay out of the home feed and the digest, their events out of the inbox, and they
    are not suggested; nobody is told."""
    person = _person_or_404(request, username)
    if person.pk == request.user.pk:
        messages.error(request, _("You cannot mute yourself."))
        return redirect(person.get_absolute_url())
    muted = request.POST.get("action") != "unmute"
    preferences.set_source_level(
        user=request.user,
        kind=SourceKind.PERSON,
        object_id=person.pk,
        level=Level.MUTED if muted else "",
    )
    if muted:
        messages.success(
            request,
            _(
                "You muted %(name)s. Their posts stay out of your home feed and digest, and "
                "their mentions and replies out of your inbox. They are not told."
            )
            % {"name": person.display_name},
        )
    else:
        messages.success(request, _("You unmuted %(name)s.") % {"name": person.display_name})
    return redirect(next_url(request, person.get_absolute_url()))


def edit_profile(request: HtmxHttpRequest) -> HttpResponseBase:
    form = ProfileForm(request.POST or None, request.FILES or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your profile is saved."))
        return redirect(request.user)
    return render(
        request, "people/edit_profile.html", {"form": form}, status=422 if form.errors else 200
    )


def avatar(request: HtmxHttpRequest, username: str) -> HttpResponseBase:
    person = _person_or_404(request, username)
    if not person.avatar:
        raise Http404(_("No avatar."))
    response = FileResponse(person.avatar.open("rb"))
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response
