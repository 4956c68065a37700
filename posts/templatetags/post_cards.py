"""The post card, built in Python.

A feed page shows 20 cards, and every feed (Home, All, a hashtag, a group, a profile, search)
shows them: rendered through the template engine the card was about half of a Home request's
CPU (some 70 variable lookups, three includes and a dozen translated strings per post;
bench/README.md, issue 16). Here each card is one pass over the post with the reader's strings
looked up once per language, and the markup is the same the template produced: tests and
scripts that read the card do not know the difference.

Everything the card shows comes escaped through `escape` or `format_html`, except the post's
own `body_html`, which is rendered and sanitised when the post is saved (posts.markup).
The moderation menu (moderators on a post's page only) still comes from its template.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache, lru_cache
from html import escape as _escape
from typing import Any

from django import template
from django.middleware.csrf import get_token
from django.template.loader import get_template
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from esn.templatetags.esn_time import ago, exact, short_date
from people.templatetags.people_marks import avatar, guest_badge
from posts.models import pk_url

register = template.Library()


def escape(value: Any) -> str:
    # html.escape is what django.utils.html.escape calls, without its lazy-string wrapper and
    # SafeString, which cost more than the escaping itself on a 20-card page.
    return _escape(str(value))


@cache
def _words(language: str) -> dict[str, str]:
    """The card's fixed words in one language, escaped once; translations do not change while
    a process runs. (`language` is the cache key: the strings are looked up in the active one.)"""
    del language
    return {
        key: escape(value)
        for key, value in {
            "in": _("in"),
            "question": _("Question"),
            "answered": _("Answered"),
            "edited": _("edited"),
            "like": _("Like"),
            "edit": _("Edit"),
            "delete": _("Delete"),
            "report": _("Report"),
            "this_post": _("this post"),
            "former_guest": _("Former guest"),
            "former_colleague": _("Former colleague"),
        }.items()
    }


@lru_cache(maxsize=4096)
def _count_label(language: str, what: str, n: int) -> str:
    """ "3 likes", "1 comment", escaped, in `language` (the key: the active one is used).
    Counts repeat across cards and pages; ngettext is a dozen lookups each time."""
    del language
    if what == "like":
        return escape(ngettext("%(n)s like", "%(n)s likes", n) % {"n": n})
    return escape(ngettext("%(n)s comment", "%(n)s comments", n) % {"n": n})


@lru_cache(maxsize=16384)
def _profile_url(username: str) -> str:
    # reverse() quotes the name and walks the resolver: once per person and process.
    return escape(reverse("people:profile", args=[username]))


@cache
def _written_in(reader: str, written: str) -> str:
    """ "Written in Dutch", in the reader's language (`reader` is the cache key)."""
    del reader
    name = translation.get_language_info(written)["name_translated"]
    return escape(_("Written in %(language)s") % {"language": name})


def question_labels(post: Any, *, oob: bool = False, language: str = "") -> SafeString:
    words = _words(language or translation.get_language())
    parts = [f'<span class="post-labels" id="post-{int(post.pk)}-labels"']
    if oob:
        parts.append(' hx-swap-oob="true"')
    parts.append(">")
    if post.is_question:
        parts.append(f'<span class="badge badge-question">{words["question"]}</span>')
        if post.is_answered:
            href = f"{pk_url('posts:detail', post.pk)}#comment-{int(post.accepted_answer_id)}"
            parts.append(
                f' <a class="badge badge-answered" href="{href}">'
                f'<span aria-hidden="true">✓</span> {words["answered"]}</a>'
            )
    parts.append("</span>")
    return mark_safe("".join(parts))  # noqa: S308  # ints and escaped words only


def comment_count(post: Any, *, oob: bool = False, language: str = "") -> SafeString:
    n = int(post.comment_count)
    label = _count_label(language or translation.get_language(), "comment", n)
    oob_attr = ' hx-swap-oob="true"' if oob else ""
    return mark_safe(  # noqa: S308  # ints and an escaped label only
        f'<a class="btn-reaction" id="post-{int(post.pk)}-comment-count" '
        f'href="{pk_url("posts:detail", post.pk)}#comments"{oob_attr}>{label}</a>'
    )


def like_button(post: Any, *, csrf_token: str, back_url: str, language: str = "") -> SafeString:
    language = language or translation.get_language()
    words = _words(language)
    like_url = pk_url("posts:like", post.pk)
    liked = bool(getattr(post, "liked_by_me", False))
    n = int(post.like_count)
    count_label = _count_label(language, "like", n)
    return mark_safe(  # noqa: S308  # every value below is an int, a URL we built, or escaped
        "\n"
        f'    <form class="like-form" method="post" action="{like_url}" hx-post="{like_url}"'
        ' hx-swap="outerHTML">\n'
        f'      <input type="hidden" name="csrfmiddlewaretoken" value="{escape(csrf_token)}">'
        f'<input type="hidden" name="next" value="{escape(back_url)}">\n'
        f'      <button type="submit" class="btn-reaction{" is-active" if liked else ""}"'
        f' aria-pressed="{"true" if liked else "false"}">\n'
        f'        <span aria-hidden="true">{"♥" if liked else "♡"}</span> {words["like"]}\n'
        f'        <span class="count" aria-label="{count_label}">{int(n)}</span>\n'
        "      </button>\n"
        "    </form>\n"
        "    "
    )


def _back_url(context: template.Context) -> str:
    back = context.get("back_url")
    if back:
        return back
    request = context.get("request")
    return request.get_full_path() if request is not None else ""


def _csrf(context: template.Context) -> str:
    token = context.get("csrf_token")
    if token:
        return str(token)
    request = context.get("request")
    return get_token(request) if request is not None else ""


def _group_badge(group: Any, words: dict[str, str]) -> str:
    return (
        f'<span class="post-group">{words["in"]} <a class="group-badge"'
        f' href="{escape(group.get_absolute_url())}">{escape(group.name)}</a></span>'
    )


def _images(post: Any) -> str:
    images = post.image_list()
    if not images:
        return ""
    parts = [f'\n  <div class="post-images post-images-{len(images)}">\n    ']
    for number, image in enumerate(images, start=1):
        url = escape(image.get_absolute_url())
        alt = (
            escape(image.alt) if image.alt else escape(_("Image %(n)s of the post") % {"n": number})
        )
        parts.append(
            f'<a href="{url}"><img src="{url}" alt="{alt}" width="{image.width}"'
            f' height="{image.height}" loading="lazy"></a>'
        )
    parts.append("\n  </div>\n  ")
    return "".join(parts)


def _moderation(context: template.Context, post: Any, *, user: Any, words: dict) -> str:
    """groups/_post_moderation.html's menu for moderators (a post's own page), then the Report
    link for everyone else's posts and the outcome of a moderation action."""
    parts = []
    if context.get("can_moderate"):
        parts.append(
            get_template("groups/_post_moderation.html").render(
                {
                    "post": post,
                    "back_url": _back_url(context),
                    "csrf_token": _csrf(context),
                    "request": context.get("request"),
                }
            )
        )
    if user is not None and user.is_authenticated and post.author_id != user.pk:
        parts.append(
            f'<a class="btn-reaction post-report" href="{pk_url("groups:report_post", post.pk)}">'
            f'{words["report"]}<span class="visually-hidden"> {words["this_post"]}</span></a>'
        )
    parts.append("\n")
    note, error = context.get("moderation_note"), context.get("moderation_error")
    if note:
        parts.append(
            f'<p class="post-moderation-note" role="status" tabindex="-1" autofocus>'
            f"{escape(note)}</p>\n"
        )
    if error:
        parts.append(
            f'<p class="post-moderation-note field-error" role="alert" tabindex="-1">'
            f"{escape(error)}</p>\n"
        )
    return "".join(parts)


def render_card(
    context: template.Context, post: Any, reasons: Any = None, *, now: datetime | None = None
) -> SafeString:
    language = translation.get_language()
    words = _words(language)
    author = post.author
    pk = int(post.pk)
    post_url = pk_url("posts:detail", pk)
    author_url = _profile_url(author.username)
    user = context.get("user")
    parts = [
        f'\n<article class="card post{" is-pinned" if post.pinned_at else ""}" id="post-{pk}"'
        f' aria-labelledby="post-{pk}-author">\n  '
    ]
    if reasons:
        parts.append('<p class="post-reason">' + " · ".join(escape(r) for r in reasons) + "</p>")
    parts.append(
        f'\n  <header class="post-head">\n'
        f'    <a href="{author_url}" tabindex="-1" aria-hidden="true">{avatar(author)}</a>\n'
        f"    <div>\n"
        f'      <a class="post-author" id="post-{pk}-author" href="{author_url}">'
        f"{escape(author.display_name)}</a>"
    )
    parts.append(guest_badge(author))
    if not author.is_active:
        former = words["former_guest"] if author.is_guest else words["former_colleague"]
        parts.append(f' <span class="badge badge-former">{former}</span>')
    parts.append("\n      ")
    if post.group_id:
        parts.append(_group_badge(post.group, words))
    parts.append("\n      ")
    if author.title:
        parts.append(f'<span class="muted">· {escape(author.title)}</span>')
    parts.append("\n      ")
    parts.append(question_labels(post, language=language))
    created = post.created_at
    parts.append(
        f'\n      <div class="post-meta">\n'
        f'        <a href="{post_url}"><time datetime="{timezone.localtime(created).isoformat()}"'
        f' title="{escape(exact(created))}">{escape(ago(created, now))}</time></a>\n        '
    )
    if post.edited_at:
        parts.append(
            f'<span class="edited" title="{escape(exact(post.edited_at))}">· {words["edited"]}</span>'
        )
    parts.append("\n        ")
    if post.language and post.language != language:
        written = _written_in(language, post.language)
        parts.append(
            f'<span class="post-language" title="{written}">· <span aria-hidden="true">'
            f'{escape(post.language.upper())}</span><span class="visually-hidden">{written}</span>'
            "</span>"
        )
    lang_attr = f' lang="{escape(post.language)}"' if post.language else ""
    parts.append(
        "\n      </div>\n    </div>\n  </header>\n"
        f'  <div class="post-body prose"{lang_attr}>{post.body_html}</div>\n  '
    )
    parts.append(_images(post))
    parts.append('\n  <footer class="post-actions">\n    ')
    parts.append(
        like_button(post, csrf_token=_csrf(context), back_url=_back_url(context), language=language)
    )
    parts.append("\n    ")
    parts.append(comment_count(post, language=language))
    parts.append("\n    ")
    if user is not None and post.author_id == user.pk:
        parts.append(
            '\n    <span class="post-owner-actions">\n'
            f'      <a href="{pk_url("posts:edit", pk)}">{words["edit"]}</a>\n'
            f'      <a href="{pk_url("posts:delete", pk)}">{words["delete"]}</a>\n'
            "    </span>\n    "
        )
    parts.append("\n    ")
    parts.append(_moderation(context, post, user=user, words=words))
    parts.append("\n  </footer>\n</article>")
    return mark_safe("".join(parts))  # noqa: S308  # built from escaped parts above


@register.simple_tag(takes_context=True)
def post_card(context: template.Context, post: Any, reasons: Any = None) -> SafeString:
    # One "now" for every card of a page, so two posts of the same minute read alike.
    now = context.render_context.get("post_cards_now")
    if now is None:
        now = context.render_context["post_cards_now"] = timezone.now()
    return render_card(context, post, reasons, now=now)


@register.simple_tag
def search_hit(hit: Any) -> SafeString:
    """One result of the search page (templates/search.html): the post's head, its snippet
    with the matched words marked, and the matching comment's, if any. The snippets are
    `posts.search.highlight`'s, escaped there but for its own <mark> tags."""
    language = translation.get_language()
    words = _words(language)
    post = hit.post
    author = post.author
    pk = int(post.pk)
    post_url = pk_url("posts:detail", pk)
    author_url = _profile_url(author.username)
    created = post.created_at
    parts = [
        f'\n<article class="card post search-hit" id="hit-{pk}" aria-labelledby="hit-{pk}-author">\n'
        '  <header class="post-head">\n'
        # The line ends after the avatar and the guest mark are the templates' that made them.
        f'    <a href="{author_url}" tabindex="-1" aria-hidden="true">{avatar(author, "sm")}\n</a>\n'
        "    <div>\n"
        f'      <a class="post-author" id="hit-{pk}-author" href="{author_url}">'
        f"{escape(author.display_name)}</a>{guest_badge(author)}\n\n      "
    ]
    if post.group_id:
        parts.append(_group_badge(post.group, words))
    parts.append(
        f"\n      {question_labels(post, language=language)}\n"
        f'      <div class="post-meta"><a href="{post_url}"><time'
        f' datetime="{timezone.localtime(created).isoformat()}" title="{escape(exact(created))}">'
        f"{escape(short_date(created))}</time></a>\n"
        f"        · {_count_label(language, 'comment', int(post.comment_count))}</div>\n"
        "    </div>\n"
        "  </header>\n"
        f'  <p class="hit-snippet"><a class="hit-link" href="{post_url}">{hit.snippet}</a></p>\n  '
    )
    comment = hit.comment
    if comment:
        by = escape(_("Comment by %(name)s") % {"name": comment.author.display_name})
        parts.append(
            '\n  <div class="hit-comment">\n'
            f'    <p class="hit-comment-head muted">{by} · <time'
            f' datetime="{timezone.localtime(comment.created_at).isoformat()}">'
            f"{escape(short_date(comment.created_at))}</time></p>\n"
            f'    <p class="hit-snippet"><a class="hit-link" href="{post_url}#comment-{int(comment.pk)}">'
            f"{hit.comment_snippet}</a></p>\n"
            "  </div>\n  "
        )
    parts.append("\n</article>\n")
    return mark_safe("".join(parts))  # noqa: S308  # escaped parts and highlight's snippets


@register.simple_tag(takes_context=True)
def post_like_button(context: template.Context, post: Any) -> SafeString:
    return like_button(post, csrf_token=_csrf(context), back_url=_back_url(context))


@register.simple_tag
def post_comment_count(post: Any, oob: bool = False) -> SafeString:
    return comment_count(post, oob=bool(oob))


@register.simple_tag
def post_question_labels(post: Any, oob: bool = False) -> SafeString:
    return question_labels(post, oob=bool(oob))
