from __future__ import annotations

from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from esn.navigation import next_url
from hashtags import selectors, services
from posts.selectors import posts_tagged
from posts.views import page_cursor, render_feed


def _hashtag_or_404(request, slug: str):
    hashtag = selectors.get_visible_hashtag(request.user, slug)
    if hashtag is None:
        raise Http404(_("No posts carry this hashtag yet."))
    return hashtag


def directory(request):
    return render(
        request,
        "hashtags/directory.html",
        {
            "followed": selectors.followed_hashtags(request.user),
            "active": selectors.active_hashtags(request.user),
        },
    )


def detail(request, slug: str):
    hashtag = _hashtag_or_404(request, slug)
    page = posts_tagged(request.user, hashtag=hashtag, cursor=page_cursor(request))
    context = {"hashtag": hashtag, "is_following": selectors.is_following(request.user, hashtag)}
    return render_feed(request, page=page, template="hashtags/detail.html", context=context)


@require_POST
def follow(request, slug: str):
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
