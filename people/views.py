from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.forms.utils import ErrorDict
from django.http import Http404
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from access.people import has_blocked, sees_the_company, visible_former_people, visible_people
from digests import preferences
from digests.models import Level, SourceKind
from esn.navigation import next_url
from esn.paging import page_cursor, render_feed
from esn.storage import serve_media
from esn.typing import HtmxHttpRequest
from people import selectors, services
from people.backends import lock_remaining_seconds
from people.forms import (
    DirectoryFilterForm,
    LanguageForm,
    ProfileForm,
    ResetPasswordForm,
    SignInForm,
    locked_error,
)
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


# People cards per directory page.
DIRECTORY_PAGE_SIZE = 30


def directory(request: HtmxHttpRequest) -> HttpResponseBase:
    """Colleagues by name, department, location and skill, each card with Follow. The
    filters live in the address (a GET form), so a filtered list can be shared and paged;
    a filter that does not validate is named under its field and left out."""
    _employees_only(request)
    form = DirectoryFilterForm(request.GET)
    form.is_valid()
    filters = form.filters()
    people = selectors.people_directory(request.viewer, **filters)
    page = Paginator(people, DIRECTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    following = request.viewer.ties.following
    for person in page:
        person.is_followed = person.pk in following  # type: ignore[attr-defined]
    return render(
        request,
        "people/directory.html",
        {
            "form": form,
            "page_obj": page,
            "filtered": any(filters.values()),
            "common_skills": selectors.common_skills(request.viewer),
        },
    )


def _former_colleague(request: HtmxHttpRequest, username: str) -> HttpResponseBase:
    """A deactivated person's short page, for whoever could see them while they were here
    (their name stays on old posts); a 404 for everyone else."""
    person = visible_former_people(request.viewer).filter(username=username).first()
    if person is None:
        raise Http404(_("No such person."))
    page = posts_by(request.viewer, author=person, cursor=page_cursor(request))
    return render_feed(
        request, page=page, template="people/former.html", context={"person": person}
    )


def profile(request: HtmxHttpRequest, username: str) -> HttpResponseBase:
    person = visible_people(request.user).filter(username=username).first()
    if person is None:
        return _former_colleague(request, username)
    page = posts_by(request.user, author=person, cursor=page_cursor(request))
    text = selectors.profile_text(
        request.viewer, person, directory=sees_the_company(request.viewer)
    )
    context = {
        "person": person,
        "is_following": selectors.is_following(request.user, person),
        "has_blocked": has_blocked(request.user, person),
        "is_muted": preferences.is_muted(request.user, SourceKind.PERSON, person.pk),
        "bio_html": text.bio_html,
        "skills": text.skills,
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
    # A copy of the signed-in person: a refused form must not leave typed values on the
    # `request.user` the page's own navigation shows.
    me = User.objects.get(pk=request.user.pk)
    form = ProfileForm(request.POST or None, request.FILES or None, instance=me)
    if request.method == "POST" and form.is_valid():
        services.update_profile(
            person=me,
            fields=form.profile_fields(),
            skills=form.cleaned_data["skills"],
            avatar=form.cleaned_data["avatar"],
            remove_avatar=form.cleaned_data["remove_avatar"],
        )
        messages.success(request, _("Your profile is saved."))
        return redirect(me)
    return render(
        request,
        "people/edit_profile.html",
        # The avatar is no model field of the form: `me.avatar` is still the stored one.
        {"form": form, "person": me},
        status=422 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
def language_settings(request: HtmxHttpRequest) -> HttpResponseBase:
    """My language and the languages I read. Saved, the page answers in the new language."""
    me = request.user
    site_default = selectors.site_language()
    initial = {
        "language": me.language,
        "reads_languages": me.reads_languages,
        "only_read_languages_in_feed": me.only_read_languages_in_feed,
    }
    form = LanguageForm(request.POST or None, initial=initial, site_default=site_default)
    if request.method == "POST" and form.is_valid():
        try:
            services.set_languages(
                person=me,
                language=form.cleaned_data["language"],
                reads=form.cleaned_data["reads_languages"],
                only_read_in_feed=form.cleaned_data["only_read_languages_in_feed"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            # From this moment on: the confirmation below is in the new language too.
            language = selectors.language_of(me, site_default=site_default)
            translation.activate(language)
            request.LANGUAGE_CODE = language
            messages.success(request, _("Your language settings are saved."))
            return redirect("people:languages")
    return render(
        request,
        "people/languages.html",
        {"form": form, "site_default": site_default},
        status=422 if form.errors else 200,
    )


def avatar(request: HtmxHttpRequest, username: str) -> HttpResponseBase:
    """The photo, to whoever may open the profile (a former colleague's too: it stays on
    their old posts)."""
    person = (
        visible_people(request.viewer).filter(username=username).first()
        or visible_former_people(request.viewer).filter(username=username).first()
    )
    if person is None or not person.avatar:
        raise Http404(_("No avatar."))
    return serve_media(person.avatar, max_age=3600)


# Account pages: Django's own views, in the site's layout (templates/registration/), each
# saying what just happened.


class SignOutView(auth_views.LogoutView):
    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        # Added after the session is flushed, so it travels to the sign-in page in the new one.
        messages.success(request, _("You are signed out."))
        return response


class ChangePasswordView(auth_views.PasswordChangeView):
    """Django's view keeps this session signed in (update_session_auth_hash); every other
    session of the person ends at its next request, as their stored hash no longer matches."""

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, _("Your password is changed."))
        return response


def sign_in_locked(request, original_response=None, credentials=None) -> HttpResponseBase:
    """django-axes' answer when an account is locked for this address
    (settings.AXES_LOCKOUT_CALLABLE), for our sign-in page and Django admin's alike: the
    sign-in page again, what was typed kept, saying how long to wait, with 429 and
    Retry-After. The same for an unknown name, so the lock tells nobody an account exists."""
    wait = lock_remaining_seconds(request, credentials)
    # Bound to what was typed, its errors set here: validating it would try the password again.
    form = SignInForm(request, data=request.POST)
    form._errors = ErrorDict(renderer=form.renderer)  # type: ignore[attr-defined]
    form.cleaned_data = {}
    form.add_error(None, locked_error(wait))
    next_page = request.POST.get("next") or request.GET.get("next") or ""
    if request.path_info.startswith("/admin/") and not next_page:
        next_page = reverse("admin:index")
    response = render(
        request, "registration/login.html", {"form": form, "next": next_page}, status=429
    )
    response["Retry-After"] = str(wait)
    return response


class ResetPasswordConfirmView(auth_views.PasswordResetConfirmView):
    """Django's view; a new password chosen through the emailed link also lifts any sign-in
    lock on the account (from every address): the person proved they hold the mailbox."""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # An invitation's link: the person has never had a password here.
        context["first_password"] = bool(context.get("validlink")) and not (
            self.user.has_usable_password()
        )
        return context

    def form_valid(self, form):
        first = not form.user.has_usable_password()
        response = super().form_valid(form)
        services.lift_sign_in_lock(form.user)
        if first:
            # Someone invited: signed in at once, and sent to check the profile the admin or
            # the import filled in. (Nobody can have set up a second step before a first
            # password; the two-step policy still applies at their next click.)
            login(self.request, form.user, backend="people.backends.AccountBackend")
            messages.success(
                self.request,
                _(
                    "Welcome! Your password is set. Check your profile: this is how colleagues see you."
                ),
            )
            return redirect("people:edit_profile")
        return response


class ResetPasswordView(auth_views.PasswordResetView):
    form_class = ResetPasswordForm
