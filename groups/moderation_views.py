"""Community management pages: reports, the moderation queues, moderator actions on posts
and comments, and the audit log. Every decision is in groups.moderation."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from access.actions import can_administer_site, can_moderate_post
from access.posts import visible_comments
from esn.navigation import next_url
from esn.typing import HtmxHttpRequest
from groups import moderation, selectors
from groups.models import AuditEntry, Report
from groups.pages import group_for_viewer, run_with_messages
from posts.models import Comment, Post
from posts.selectors import get_visible_post


class ReportForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("What is wrong with it?"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Only the moderators see your report and its reason."),
        error_messages={"required": gettext_lazy("Say what is wrong, so moderators can act.")},
    )


class ResolveForm(forms.Form):
    resolution = forms.ChoiceField(label=gettext_lazy("Decision"), choices=Report.Resolution)
    note = forms.CharField(
        label=gettext_lazy("Note (the author sees it when the content is removed)"),
        max_length=1000,
        required=False,
    )


# --- reporting: anyone who can see the content ---------------------------------------------


def _report(
    request: HtmxHttpRequest, *, post: Post, comment: Comment | None, target_url: str
) -> HttpResponseBase:
    form = ReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            moderation.report(
                reporter=request.user,
                reason=form.cleaned_data["reason"],
                post=None if comment else post,
                comment=comment,
            )
        except ValidationError as exc:
            form.add_error("reason", exc)
        else:
            messages.success(request, _("Thanks. The moderators will look at it."))
            return redirect(target_url)
    return render(
        request,
        "groups/moderation/report.html",
        {"form": form, "post": post, "comment": comment, "target_url": target_url},
        status=422 if form.errors else 200,
    )


def report_post(request: HtmxHttpRequest, pk: int) -> HttpResponseBase:
    post = get_visible_post(request.user, pk)
    if post is None:
        raise Http404(_("No such post."))
    return _report(request, post=post, comment=None, target_url=post.get_absolute_url())


def report_comment(request: HtmxHttpRequest, pk: int) -> HttpResponseBase:
    comment = (
        visible_comments(request.user, hide_blocked=False)
        .select_related("post", "author")
        .filter(pk=pk)
        .first()
    )
    if comment is None:
        raise Http404(_("No such comment."))
    return _report(
        request, post=comment.post, comment=comment, target_url=comment.get_absolute_url()
    )


# --- moderator actions --------------------------------------------------------------------


def _moderated_post(request: HtmxHttpRequest, pk: int) -> Post:
    """The post, removed or not, if the user moderates it; 404 if they may not even see it."""
    post = get_object_or_404(Post.objects.select_related("group"), pk=pk)
    if can_moderate_post(request.user, post):
        return post
    if get_visible_post(request.user, pk) is None:
        raise Http404(_("No such post."))
    raise PermissionDenied(_("Only this group's managers can moderate its posts."))


@require_POST
def post_action(request: HtmxHttpRequest, pk: int, action: str) -> HttpResponseBase:
    post = _moderated_post(request, pk)
    me, reason = request.user, request.POST.get("reason", "")
    actions = {
        "pin": (lambda: moderation.set_pinned(post=post, user=me, pinned=True), _("Pinned.")),
        "unpin": (lambda: moderation.set_pinned(post=post, user=me, pinned=False), _("Unpinned.")),
        "lock": (
            lambda: moderation.set_comments_locked(post=post, user=me, locked=True),
            _("Comments are locked."),
        ),
        "unlock": (
            lambda: moderation.set_comments_locked(post=post, user=me, locked=False),
            _("Comments are open again."),
        ),
        "remove": (
            lambda: moderation.remove_post(post=post, user=me, reason=reason),
            _("The post is removed. Its author sees your reason."),
        ),
        "restore": (lambda: moderation.restore_post(post=post, user=me), _("The post is back.")),
    }
    if action not in actions:
        raise Http404
    run, success = actions[action]
    fallback = post.group.get_absolute_url() if post.group is not None else reverse("home")
    if request.htmx:
        return _post_in_place(request, post, run, success, back=next_url(request, fallback))
    done = run_with_messages(request, run, success=success)
    return redirect(_back_to_post(request, post, fallback, gone=bool(done) and action == "remove"))


def _back_to_post(request: HtmxHttpRequest, post: Post, fallback: str, *, gone: bool) -> str:
    """Where a plain form post returns: the page the moderator was on, scrolled to the post
    (finding #31: not the top of the group). A removed post is no longer there: to the post
    that was below it; and its own page is gone, so from there to the group."""
    back = next_url(request, fallback).split("#", 1)[0]
    if not gone:
        return f"{back}#post-{post.pk}"
    if back.split("?", 1)[0] == post.get_absolute_url():
        back = fallback
    below = selectors.post_below(request.user, post)
    return f"{back}#post-{below}" if below else back


def _post_in_place(
    request: HtmxHttpRequest, post: Post, run, success: str, *, back: str
) -> HttpResponseBase:
    """The htmx answer: the post itself, re-rendered where it stands, with what happened
    (or why not) beside the Moderate menu; a removed post leaves a note with Restore."""
    note, error = success, ""
    try:
        run()
    except ValidationError as exc:
        note, error = "", " ".join(exc.messages)
    except PermissionDenied as exc:
        note, error = "", str(exc) or _("You cannot do that here.")
    fresh = get_visible_post(request.user, post.pk)
    if fresh is None:
        return render(
            request,
            "groups/_post_removed.html",
            {"post": post, "moderation_note": note, "moderation_error": error, "back_url": back},
            status=422 if error else 200,
        )
    return render(
        request,
        "posts/_post.html",
        {
            "post": fresh,
            "can_moderate": True,
            "moderation_note": note,
            "moderation_error": error,
            "back_url": back,
        },
        status=422 if error else 200,
    )


@require_POST
def comment_action(request: HtmxHttpRequest, pk: int, action: str) -> HttpResponseBase:
    comment = get_object_or_404(Comment.objects.select_related("post", "post__group"), pk=pk)
    post = _moderated_post(request, comment.post_id)
    me = request.user
    actions = {
        "remove": (
            lambda: moderation.remove_comment(
                comment=comment, user=me, reason=request.POST.get("reason", "")
            ),
            _("The comment is removed. Its author sees your reason."),
        ),
        "restore": (
            lambda: moderation.restore_comment(comment=comment, user=me),
            _("The comment is back."),
        ),
    }
    if action not in actions:
        raise Http404
    run, success = actions[action]
    run_with_messages(request, run, success=success)
    return redirect(next_url(request, post.get_absolute_url()))


# --- queues and the audit log ---------------------------------------------------------------


def _queue(request: HtmxHttpRequest, *, group, template_context: dict) -> HttpResponseBase:
    reports = moderation.report_queue(request.user, group)
    removed_posts, removed_comments = moderation.removed_content(request.user, group)
    return render(
        request,
        "groups/moderation/queue.html",
        {
            **template_context,
            "reports": reports[:100],
            "removed_posts": removed_posts[:50],
            "removed_comments": removed_comments[:50],
            "resolve_form": ResolveForm(),
        },
    )


def group_queue(request: HtmxHttpRequest, slug: str) -> HttpResponseBase:
    place = group_for_viewer(request, slug, need_manage=True)
    return _queue(
        request, group=place.group, template_context={"group": place.group, "place": place}
    )


def site_queue(request: HtmxHttpRequest) -> HttpResponseBase:
    if not can_administer_site(request.user):
        raise PermissionDenied(_("The site queue is for administrators."))
    return _queue(request, group=None, template_context={"group": None})


@require_POST
def resolve(request: HtmxHttpRequest, pk: int) -> HttpResponseBase:
    report = get_object_or_404(Report.objects.select_related("group"), pk=pk)
    queue_url = (
        reverse("groups:moderation", args=[report.group.slug])
        if report.group is not None
        else reverse("groups:site_moderation")
    )
    if report.group is not None:
        group_for_viewer(request, report.group.slug, need_manage=True)
    elif not can_administer_site(request.user):
        raise PermissionDenied(_("The site queue is for administrators."))
    form = ResolveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose what to do with the report."))
        return redirect(queue_url)
    run_with_messages(
        request,
        lambda: moderation.resolve_report(
            report=report,
            user=request.user,
            resolution=form.cleaned_data["resolution"],
            note=form.cleaned_data["note"],
        ),
        success=_("Report resolved."),
    )
    return redirect(queue_url)


def audit_log(request: HtmxHttpRequest, slug: str) -> HttpResponseBase:
    place = group_for_viewer(request, slug, need_manage=True)
    entries = AuditEntry.objects.filter(group=place.group).select_related(
        "actor", "target_user", "post", "comment"
    )
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "groups/moderation/audit.html",
        {"group": place.group, "place": place, "page_obj": page},
    )
