from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models.functions import Lower
from django.http import Http404, QueryDict
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from access.actions import can_accept_answer, can_moderate_post, comment_refusal
from access.groups import my_groups, readable_groups
from access.posts import can_view_post, removed_post_for_author, visible_comments
from access.viewer import as_viewer
from esn.navigation import next_url
from esn.paging import page_cursor, render_feed
from esn.storage import serve_media
from esn.typing import HtmxHttpRequest
from groups.selectors import invitations_for
from hashtags.selectors import get_visible_hashtag
from people.selectors import people_for_picker
from posts import selectors, services
from posts.forms import CommentForm, EditPostForm, MentionCheck, PostForm
from posts.models import Comment, Post, PostImage
from welcome import selectors as welcome


def home(request: HtmxHttpRequest) -> HttpResponseBase:
    viewer = request.viewer
    page = selectors.home_feed(viewer, cursor=page_cursor(request))
    context: dict[str, Any] = {"stream": "home"}
    if request.htmx and request.GET.get("cursor"):
        # "Load more": only the next posts are rendered (render_feed), none of the page's cards.
        return render_feed(request, page=page, template="posts/home.html", context=context)
    # The viewer's ties (read once per request) say whether there is anything to look up.
    mine = list(my_groups(request.user)) if viewer.ties.member_groups else []
    postable = [g for g in mine if g.archived_at is None]
    context["form"] = PostForm(user=request.user, groups=postable)
    context["my_groups"] = mine[:8]
    context["invitations"] = invitations_for(request.user)[:5] if viewer.ties.invited else []
    if not request.GET.get("cursor"):
        # The first page only: the first day's card and the announcements sit above the feed.
        context["get_started"] = welcome.get_started(request.viewer)
        context["announcements"] = welcome.announcements(request.viewer)
    return render_feed(request, page=page, template="posts/home.html", context=context)


def all_posts(request: HtmxHttpRequest) -> HttpResponseBase:
    if not as_viewer(request.user).is_employee:
        raise Http404(_("Guests see the posts of their own groups only."))
    page = selectors.all_stream(request.user, cursor=page_cursor(request))
    return render_feed(
        request,
        page=page,
        template="posts/all.html",
        context={"form": PostForm(user=request.user), "stream": "all"},
    )


def _mentions_need_a_look(request: HtmxHttpRequest, form: MentionCheck, text: str) -> bool:
    """An @name that matches nobody is flagged before publishing, with who was likely meant;
    publishing again as it is is the author's choice (the names travel back in the form)."""
    unknown = services.unknown_mentions(text)
    if not unknown or {n.lower() for n in unknown} <= form.acknowledged():
        return False
    sentences = []
    for name in unknown:
        likely = people_for_picker(request.viewer, name.replace(".", " "), limit=2)
        if likely:
            guesses = _(" or ").join(f"{p.display_name} (@{p.username})" for p in likely)
            sentences.append(
                _("Nobody is called @%(name)s: did you mean %(guesses)s?")
                % {"name": name, "guesses": guesses}
            )
        else:
            sentences.append(_("Nobody is called @%(name)s.") % {"name": name})
    sentences.append(_("Correct the name, or publish again to keep it as plain text."))
    data = QueryDict(mutable=True)
    data.update(form.data)
    data["unmatched_ok"] = " ".join(dict.fromkeys(unknown))
    form.data = data
    form.add_error(None, " ".join(sentences))
    return True


@require_POST
def create(request: HtmxHttpRequest) -> HttpResponseBase:
    form = PostForm(request.POST, request.FILES, user=request.user)
    if form.is_valid() and not _mentions_need_a_look(request, form, form.cleaned_data["body"]):
        try:
            post = services.create_post(
                author=request.user,
                body=form.cleaned_data["body"],
                images=form.cleaned_data["images"],
                image_alts=form.cleaned_data["image_alts"],
                group=form.cleaned_data["group"],
                is_question=form.cleaned_data["is_question"],
            )
        except (ValidationError, PermissionDenied) as exc:
            form.add_error(None, exc.args[0] if isinstance(exc, PermissionDenied) else exc)
        else:
            left_out = _external_images_note(post.body)
            if request.htmx:
                fresh = selectors.get_visible_post(request.user, post.pk) or post
                return render(
                    request,
                    "posts/_composer_done.html",
                    {
                        "form": PostForm(user=request.user, group=post.group),
                        "item": selectors.FeedItem(fresh, [_("your post")]),
                        "published": fresh,
                        "left_out": left_out,
                    },
                )
            messages.success(request, _("Your post is published."))
            if left_out:
                messages.warning(request, left_out)
            return redirect(next_url(request, reverse("home")))
    if form.files:
        form.add_error("images", _("Please choose your images again."))
    if request.htmx:
        return render(request, "posts/_composer.html", {"form": form}, status=422)
    return render(request, "posts/compose.html", {"form": form}, status=422)


def _external_images_note(text: str) -> str:
    """Say which markdown images were left out, instead of letting them vanish silently."""
    images = services.external_images(text)
    if not images:
        return ""
    return ngettext(
        "Images from other sites are not shown in posts, so this one was left out: "
        "%(images)s. Add it with “Add images” instead, or link to it.",
        "Images from other sites are not shown in posts, so these were left out: "
        "%(images)s. Add them with “Add images” instead, or link to them.",
        len(images),
    ) % {"images": "; ".join(images)}


def _visible_or_404(request: HtmxHttpRequest, pk: int) -> Post:
    post = selectors.get_visible_post(request.user, pk)
    if post is None:
        raise Http404(_("No such post."))
    return post


def detail(request: HtmxHttpRequest, pk: int, comment_form=None, status=200) -> HttpResponseBase:
    post = selectors.get_visible_post(request.user, pk)
    if post is None:
        removed = removed_post_for_author(request.user, pk)
        if removed is None:
            raise Http404(_("No such post."))
        # Its author is told why it is gone; everyone else gets a plain 404.
        return render(request, "posts/removed.html", {"post": removed})
    context = _thread_context(request, post, comment_form)
    context.update(welcome.announce_panel(request.viewer, post, days=request.GET.get("days")))
    return render(request, "posts/detail.html", context, status=status)


def edit(request: HtmxHttpRequest, pk: int) -> HttpResponseBase:
    """The author changes the text, the question flag, the language and the images (add,
    remove, describe) of their post."""
    post = _visible_or_404(request, pk)
    if post.author_id != request.user.pk:
        raise PermissionDenied(_("Only the author can edit this post."))
    posted = request.method == "POST"
    form = EditPostForm(
        request.POST if posted else None,
        request.FILES if posted else None,
        initial={"body": post.body, "is_question": post.is_question},
        post_images=post.image_list(),
        post=post,
    )
    if posted and form.is_valid():
        try:
            services.edit_post(
                post=post,
                editor=request.user,
                body=form.cleaned_data["body"],
                is_question=form.cleaned_data["is_question"],
                image_alts=form.cleaned_data["image_alts_by_id"],
                remove_images=form.cleaned_data["remove_image_ids"],
                add_images=form.cleaned_data["images"],
                add_image_alts=form.cleaned_data["image_alts"],
                language=form.cleaned_data["language"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Your post is updated."))
            left_out = _external_images_note(form.cleaned_data["body"])
            if left_out:
                messages.warning(request, left_out)
            return redirect(post)
    if form.errors and form.files:
        form.add_error("images", _("Please choose your images again."))
    context = {
        "post": post,
        "form": form,
        "left_out": "" if posted else _external_images_note(post.body),
    }
    return render(request, "posts/edit.html", context, status=422 if form.errors else 200)


def delete(request: HtmxHttpRequest, pk: int) -> HttpResponseBase:
    post = _visible_or_404(request, pk)
    if post.author_id != request.user.pk:
        raise PermissionDenied(_("Only the author can delete this post."))
    if request.method == "POST":
        services.delete_post(post=post, user=request.user)
        messages.success(request, _("Your post is deleted."))
        return redirect("home")
    return render(request, "posts/confirm_delete.html", {"object": post, "kind": _("post")})


@require_POST
def like(request: HtmxHttpRequest, pk: int) -> HttpResponseBase:
    post = _visible_or_404(request, pk)
    post.liked_by_me = services.toggle_like(post=post, user=request.user)  # type: ignore[attr-defined]
    if request.htmx:
        # The count as it is now, others' likes meanwhile included; the post was read through
        # the policy above, so only the number is read again.
        selectors.refresh_counts(post)
        # The swapped-in form keeps pointing back at the page it sits on, not at this URL.
        back_url = next_url(request, post.get_absolute_url())
        return render(request, "posts/_post.html#like-button", {"post": post, "back_url": back_url})
    return redirect(next_url(request, post.get_absolute_url()))


@require_POST
def comment(request: HtmxHttpRequest, pk: int) -> HttpResponseBase:
    post = _visible_or_404(request, pk)
    form = CommentForm(request.POST)
    if form.is_valid() and not _mentions_need_a_look(request, form, form.cleaned_data["body"]):
        try:
            new = services.add_comment(
                post=post, author=request.user, body=form.cleaned_data["body"]
            )
        except ValidationError as exc:
            form.add_error("body", exc)
        else:
            if request.htmx:
                selectors.refresh_counts(post)
                # The thread, and out of band every other place the count shows.
                context = {**_thread_context(request, post), "oob_counts": True}
                return render(request, "posts/_comments.html", context)
            return redirect(f"{post.get_absolute_url()}#comment-{new.pk}")
    if request.htmx:
        return render(
            request, "posts/_comments.html", _thread_context(request, post, form), status=422
        )
    return detail(request, pk, comment_form=form, status=422)


def _thread_context(request: HtmxHttpRequest, post, comment_form=None) -> dict:
    """What the comment thread needs: on the post's page, and alone for an htmx answer."""
    viewer = request.viewer
    can_moderate = can_moderate_post(viewer, post)
    return {
        "post": post,
        "comments": selectors.thread(viewer, post),
        "comment_form": comment_form or CommentForm(),
        "can_moderate": can_moderate,
        "can_accept": can_accept_answer(viewer, post, moderator=can_moderate),
        "comment_refusal": comment_refusal(post=post, who=viewer),
    }


@require_POST
def accept_answer(request: HtmxHttpRequest, pk: int) -> HttpResponseBase:
    """Accept a comment as the answer to its question (or, with action=unaccept, take the
    accepted answer back). htmx gets the thread and the post's labels; a plain post goes back
    to the comment."""
    found = visible_comments(request.user, hide_blocked=False).filter(pk=pk).first()
    if found is None:
        raise Http404(_("No such comment."))
    post = _visible_or_404(request, found.post_id)
    back = f"{post.get_absolute_url()}#comment-{found.pk}"
    try:
        if request.POST.get("action") == "unaccept":
            services.unaccept_answer(post=post, by=request.user)
        else:
            services.accept_answer(post=post, comment=found, by=request.user)
    except ValidationError as exc:
        if request.htmx:
            # Swapped in like a success, so the person reads why nothing changed.
            context = _thread_context(request, _visible_or_404(request, post.pk))
            return render(
                request,
                "posts/_answer_done.html",
                {**context, "answer_error": " ".join(exc.messages)},
            )
        messages.error(request, " ".join(exc.messages))
        return redirect(back)
    post = _visible_or_404(request, post.pk)
    if request.htmx:
        return render(request, "posts/_answer_done.html", _thread_context(request, post))
    if post.accepted_answer_id == found.pk:
        messages.success(request, _("Accepted as the answer."))
    else:
        messages.success(request, _("The question is open again."))
    return redirect(back)


def questions(request: HtmxHttpRequest) -> HttpResponseBase:
    """Questions people asked, open ones first (the "Unanswered" view) or answered ones,
    optionally in one group or with one hashtag. A group or hashtag the viewer may not know of
    is a 404, exactly like one that does not exist."""
    answered = request.GET.get("state") == "answered"
    group_slug, tag = request.GET.get("group", ""), request.GET.get("tag", "").lstrip("#")
    if "\x00" in group_slug + tag:  # PostgreSQL text cannot hold it: nothing is named so
        raise Http404(_("No such group or hashtag."))
    group = hashtag = None
    if group_slug:
        group = readable_groups(request.user).filter(slug=group_slug).first()
        if group is None:
            raise Http404(_("No such group."))
    if tag:
        hashtag = get_visible_hashtag(request.user, tag)
        if hashtag is None:
            raise Http404(_("No posts carry this hashtag yet."))
    page = selectors.questions(
        request.user,
        answered=answered,
        group=group,
        hashtag=hashtag,
        cursor=page_cursor(request),
    )
    filters = {"group": group.slug if group else "", "tag": hashtag.slug if hashtag else ""}
    filters = {k: v for k, v in filters.items() if v}
    context: dict[str, Any] = {
        "answered": answered,
        "group": group,
        "hashtag": hashtag,
        "groups": readable_groups(request.user).order_by(Lower("name"), "id").only("name", "slug"),
        "open_url": _with_query(request.path, filters),
        "answered_url": _with_query(request.path, {"state": "answered", **filters}),
    }
    if not answered:
        postable = [g for g in my_groups(request.user) if g.archived_at is None]
        form = PostForm(
            user=request.user, groups=postable, group=group, initial={"is_question": True}
        )
        if as_viewer(request.user).is_employee or form.has_groups:
            context["form"] = form
    state = {"state": "answered"} if answered else {}
    return render_feed(
        request,
        page=page,
        template="posts/questions.html",
        context=context,
        query={**state, **filters},
    )


def _with_query(path: str, params: dict) -> str:
    return f"{path}?{urlencode(params)}" if params else path


def _own_comment(request: HtmxHttpRequest, pk: int) -> Comment:
    found = (
        visible_comments(request.user, hide_blocked=False)
        .select_related("post")
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise Http404(_("No such comment."))
    if found.author_id != request.user.pk:
        raise PermissionDenied(_("Only the author can change this comment."))
    return found


def edit_comment(request: HtmxHttpRequest, pk: int) -> HttpResponseBase:
    target = _own_comment(request, pk)
    form = CommentForm(request.POST or None, initial={"body": target.body})
    if request.method == "POST" and form.is_valid():
        try:
            services.edit_comment(
                comment=target, editor=request.user, body=form.cleaned_data["body"]
            )
        except ValidationError as exc:
            form.add_error("body", exc)
        else:
            return redirect(target.get_absolute_url())
    status = 422 if form.errors else 200
    return render(
        request, "posts/edit_comment.html", {"comment": target, "form": form}, status=status
    )


def delete_comment(request: HtmxHttpRequest, pk: int) -> HttpResponseBase:
    target = _own_comment(request, pk)
    if request.method == "POST":
        services.delete_comment(comment=target, user=request.user)
        messages.success(request, _("Your comment is deleted."))
        return redirect(target.post)
    return render(request, "posts/confirm_delete.html", {"object": target, "kind": _("comment")})


def post_image(request: HtmxHttpRequest, key) -> HttpResponseBase:
    """Serve an image only to people who may see its post; 404 to everyone else."""
    image = PostImage.objects.select_related("post").filter(key=key).first()
    if image is None or not can_view_post(request.user, image.post, hide_blocked=False):
        raise Http404(_("No such image."))
    return serve_media(image.image, max_age=86400, content_type=image.content_type)
